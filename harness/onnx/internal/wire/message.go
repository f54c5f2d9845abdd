package wire

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Fields are the fields of one message in the order written, each sharing
// the memory of the slice read.
type Fields []Value

// Parse reads all the fields of the message of type m that is all of b.
func Parse(m Message, b []byte) (Fields, error) { return parseAt(m, b, 0) }

// Last returns the last occurrence of f (protobuf's rule for a field
// written more than once is that the last one counts).
func (fs Fields) Last(f Field) (Value, bool) {
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Is(f) {
			return fs[i], true
		}
	}
	return Value{}, false
}

// String returns the last value of the string field f ("" if absent).
func (fs Fields) String(f Field) string {
	v, _ := fs.Last(f)
	return string(v.Payload)
}

// Strings returns every value of the repeated string field f.
func (fs Fields) Strings(f Field) []string {
	var out []string
	for _, v := range fs {
		if v.Is(f) {
			out = append(out, string(v.Payload))
		}
	}
	return out
}

// Uint returns the last value of the varint field f and whether it is
// present.
func (fs Fields) Uint(f Field) (uint64, bool) {
	v, ok := fs.Last(f)
	return v.Num, ok
}

// Float32 returns the last value of the float field f and whether it is
// present.
func (fs Fields) Float32(f Field) (float32, bool) {
	v, ok := fs.Last(f)
	return math.Float32frombits(uint32(v.Num)), ok
}

// Message returns the payload of the last occurrence of the message field
// f and whether it is present.
func (fs Fields) Message(f Field) ([]byte, bool) {
	v, ok := fs.Last(f)
	return v.Payload, ok
}

// Int64s returns every value of the repeated int64 field f, packed or not.
func (fs Fields) Int64s(f Field) ([]int64, error) {
	var out []int64
	for _, v := range fs {
		if v.Field != f || (v.Type != protowire.VarintType && v.Type != protowire.BytesType) {
			continue // another wire type: not this field (see Value.Is)
		}
		var err error
		if out, err = v.appendInt64s(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Bytes returns the message the fields encode: their raw bytes in order.
func (fs Fields) Bytes() []byte {
	n := 0
	for _, v := range fs {
		n += len(v.Raw)
	}
	b := make([]byte, 0, n)
	for _, v := range fs {
		b = append(b, v.Raw...)
	}
	return b
}

// WithPayload returns the length-delimited field v with its payload
// replaced by p (re-encoded; Offset still says where v was read).
func (v Value) WithPayload(p []byte) Value {
	raw := AppendBytes(make([]byte, 0, SizeBytesField(v.Field, int64(len(p)))), v.Field, p)
	head := len(raw) - len(p)
	return Value{Field: v.Field, Type: v.Type, Offset: v.Offset, Len: int64(len(p)), Raw: raw, Payload: raw[head:], at: v.Offset + int64(head)}
}

// RewriteLast returns the message b (of f's message type) with the payload
// of the last occurrence of the length-delimited field f replaced by
// fn(payload); the other fields keep their bytes and order.
func RewriteLast(b []byte, f Field, fn func([]byte) ([]byte, error)) ([]byte, error) {
	fs, err := Parse(f.Message(), b)
	if err != nil {
		return nil, err
	}
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Is(f) {
			p, err := fn(fs[i].Payload)
			if err != nil {
				return nil, err
			}
			fs[i] = fs[i].WithPayload(p)
			return fs.Bytes(), nil
		}
	}
	return nil, fmt.Errorf("%s: no %s field", f.Message(), f)
}

// NewValue returns the length-delimited field f with payload p, encoded,
// as if it had been read (at offset 0).
func NewValue(f Field, p []byte) Value {
	return Value{Field: f, Type: protowire.BytesType}.WithPayload(p)
}
