package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Value is one field as read: which field, where, and its value. A
// length-delimited field's payload is in memory when the field was read
// from a byte slice (or loaded with Reader.Load); when streaming, only its
// length is known until then.
type Value struct {
	Field  Field          // the message and field number
	Type   protowire.Type // the wire type it was written with
	Offset int64          // where its tag starts, counted from the start of the input
	Len    int64          // the payload length of a length-delimited field
	Num    uint64         // the value of a varint, fixed32 or fixed64 field

	// Raw is the whole field, tag included, and Payload the payload of a
	// length-delimited field (a suffix of Raw). Both share the memory of
	// the slice read; a streaming Reader leaves Raw nil.
	Raw, Payload []byte

	at int64 // where the payload starts, counted from the start of the input
}

// Is reports whether v is the field f written with f's wire type. As
// protobuf parsers do, a known field number written with another wire type
// is not that field: Is reports false and readers pass over it like an
// unknown field (its accessors still say what is wrong with it).
func (v Value) Is(f Field) bool { return v.Field == f && v.Type == f.Type() }

// errorf returns an *Error about v.
func (v Value) errorf(format string, args ...any) error {
	return &Error{Message: v.Field.Message(), Field: v.Field, Offset: v.Offset, Err: fmt.Errorf(format, args...)}
}

// wantType checks v's wire type.
func (v Value) wantType(t protowire.Type) error {
	if v.Type != t {
		return v.errorf("wire type %s, want %s", typeName(v.Type), typeName(t))
	}
	return nil
}

// Bytes returns the payload of a length-delimited field in memory; any
// other wire type is an error naming the field.
func (v Value) Bytes() ([]byte, error) {
	if err := v.wantType(protowire.BytesType); err != nil {
		return nil, err
	}
	if v.Payload == nil && v.Len > 0 {
		return nil, v.errorf("the %d-byte payload was not loaded", v.Len)
	}
	return v.Payload, nil
}

// Uint returns the value of a varint field; any other wire type is an
// error naming the field.
func (v Value) Uint() (uint64, error) {
	if err := v.wantType(protowire.VarintType); err != nil {
		return 0, err
	}
	return v.Num, nil
}

// Float32 returns the value of a fixed32 float field; any other wire type
// is an error naming the field.
func (v Value) Float32() (float32, error) {
	if err := v.wantType(protowire.Fixed32Type); err != nil {
		return 0, err
	}
	return math.Float32frombits(uint32(v.Num)), nil
}

// Int64s returns the values of one occurrence of a repeated varint field:
// one value, or all of a packed run.
func (v Value) Int64s() ([]int64, error) { return v.appendInt64s(nil) }

func (v Value) appendInt64s(out []int64) ([]int64, error) {
	switch v.Type {
	case protowire.VarintType:
		return append(out, int64(v.Num)), nil
	case protowire.BytesType:
	default:
		return out, v.errorf("wire type %s, want varint or packed varints", typeName(v.Type))
	}
	b, err := v.Bytes()
	if err != nil {
		return out, err
	}
	for off, i := 0, 0; off < len(b); i++ {
		x, n := protowire.ConsumeVarint(b[off:])
		if n < 0 {
			return out, &Error{Message: v.Field.Message(), Field: v.Field, Offset: v.at + int64(off), Err: fmt.Errorf("packed varint %d: %w", i, varintError(n))}
		}
		out = append(out, int64(x))
		off += n
	}
	return out, nil
}

// Fields reads the payload of a length-delimited field, in memory, as a
// message of type m; offsets in errors continue v's.
func (v Value) Fields(m Message) (Fields, error) {
	b, err := v.Bytes()
	if err != nil {
		return nil, err
	}
	return parseAt(m, b, v.at)
}

// Error is a malformed field: the message being read, the field (zero
// when the tag itself is unreadable), where, and what is wrong.
type Error struct {
	Message Message
	Field   Field
	Offset  int64
	Err     error
}

func (e *Error) Error() string {
	what := e.Message.String()
	if e.Field != 0 {
		what = e.Field.String()
	}
	return fmt.Sprintf("%s at byte %d: %v", what, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// typeName names a wire type for messages.
func typeName(t protowire.Type) string {
	switch t {
	case protowire.VarintType:
		return "varint"
	case protowire.Fixed32Type:
		return "fixed32"
	case protowire.Fixed64Type:
		return "fixed64"
	case protowire.BytesType:
		return "bytes"
	case protowire.StartGroupType:
		return "start-group"
	case protowire.EndGroupType:
		return "end-group"
	}
	return fmt.Sprintf("%d", t)
}

// varintError describes protowire's error code n for a value read: it
// was cut short, or (a varint) it overflows 64 bits.
func varintError(n int) error {
	if err := protowire.ParseError(n); errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	return errors.New("varint overflows 64 bits")
}

// maxHeader is the most bytes a tag (10) and a varint value or length
// (10) take.
const maxHeader = 20

// input is what a Reader reads: a byte slice, or a stream shared with the
// Readers of its nested messages and read strictly forwards.
type input struct {
	buf  []byte  // the input, when it is a slice
	base int64   // the offset of buf[0]
	s    *stream // the stream, otherwise
}

// stream is a buffered stream and its position.
type stream struct {
	r   io.Reader // skipped by seeking when it is an io.Seeker
	br  *bufio.Reader
	pos int64 // the offset of br's next byte
}

// advance moves the stream forwards to offset at.
func (s *stream) advance(at int64) error {
	if at == s.pos {
		return nil
	}
	if at < s.pos {
		return fmt.Errorf("stream at byte %d cannot go back to byte %d", s.pos, at)
	}
	n := at - s.pos
	if buffered := int64(s.br.Buffered()); n > buffered {
		if sk, ok := s.r.(io.Seeker); ok {
			if _, err := sk.Seek(n-buffered, io.SeekCurrent); err != nil {
				return err
			}
			s.br.Reset(s.r)
			s.pos = at
			return nil
		}
	}
	if _, err := s.br.Discard(int(n)); err != nil {
		return err
	}
	s.pos = at
	return nil
}

// window returns up to n bytes from offset at (fewer only at the end of
// the input).
func (in input) window(at, n int64) ([]byte, error) {
	if in.s == nil {
		i := at - in.base
		return in.buf[i:min(i+n, int64(len(in.buf)))], nil
	}
	if err := in.s.advance(at); err != nil {
		return nil, err
	}
	b, err := in.s.br.Peek(int(n))
	if err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
		err = nil // fewer bytes: the caller sees a truncated value
	}
	return b, err
}

// read returns the n bytes at offset at (a copy, when streaming).
func (in input) read(at, n int64) ([]byte, error) {
	if in.s == nil {
		i := at - in.base
		return in.buf[i : i+n], nil
	}
	if err := in.s.advance(at); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(in.s.br, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	in.s.pos += n
	return b, nil
}

// Reader iterates over the fields of one message, from a byte slice or a
// stream, without decoding their payloads: Next reads a field's tag and
// its varint or fixed value, or its length; Load reads a payload into
// memory, Message reads it as a nested message, and a payload that is not
// asked for is skipped (by seeking, on a stream that can). Every length is
// checked against the end of its message before anything is read or
// allocated, so malformed input is an *Error naming the field and offset,
// never a read past the input. Groups (absent from ONNX) are refused.
type Reader struct {
	in   input
	msg  Message
	end  int64 // where the message ends
	next int64 // where the next field starts
	v    Value
	err  error
}

// NewReader reads the message of type m that is all of b.
func NewReader(m Message, b []byte) *Reader {
	if b == nil {
		b = []byte{}
	}
	return &Reader{in: input{buf: b}, msg: m, end: int64(len(b))}
}

// NewStreamReader reads the message of type m that is the next size bytes
// of r. When r is an io.Seeker, payloads that are not read are skipped by
// seeking. The Reader buffers r: the caller must not read r while using it.
func NewStreamReader(m Message, r io.Reader, size int64) *Reader {
	return &Reader{in: input{s: &stream{r: r, br: bufio.NewReaderSize(r, 1<<16)}}, msg: m, end: size}
}

func parseAt(m Message, b []byte, base int64) (Fields, error) {
	if b == nil {
		b = []byte{}
	}
	r := Reader{in: input{buf: b, base: base}, msg: m, end: base + int64(len(b)), next: base}
	var fs Fields
	for r.Next() {
		fs = append(fs, r.v)
	}
	return fs, r.err
}

// Next reads the next field's tag and value or length, and reports whether
// there is one; at the end of the message or on an error (see Err) it
// returns false.
func (r *Reader) Next() bool {
	if r.err != nil || r.next >= r.end {
		return false
	}
	at := r.next
	w, err := r.in.window(at, min(maxHeader, r.end-at))
	if err != nil {
		r.err = &Error{Message: r.msg, Offset: at, Err: err}
		return false
	}
	num, typ, n := protowire.ConsumeTag(w)
	if n < 0 {
		err := varintError(n)
		if x, m := protowire.ConsumeVarint(w); m > 0 {
			err = fmt.Errorf("invalid field number %d", x>>3)
		}
		r.err = &Error{Message: r.msg, Offset: at, Err: fmt.Errorf("tag: %w", err)}
		return false
	}
	v := Value{Field: r.msg.Field(num), Type: typ, Offset: at}
	var m int
	switch typ {
	case protowire.VarintType:
		v.Num, m = protowire.ConsumeVarint(w[n:])
	case protowire.Fixed32Type:
		var x uint32
		x, m = protowire.ConsumeFixed32(w[n:])
		v.Num = uint64(x)
	case protowire.Fixed64Type:
		v.Num, m = protowire.ConsumeFixed64(w[n:])
	case protowire.BytesType:
		var length uint64
		length, m = protowire.ConsumeVarint(w[n:])
		if m >= 0 {
			if left := r.end - (at + int64(n+m)); length > uint64(left) {
				r.err = v.errorf("length %d runs past the end of the %s (%d bytes left)", length, r.msg, left)
				return false
			}
			v.Len = int64(length)
		}
	default:
		r.err = v.errorf("wire type %s is not supported", typeName(typ))
		return false
	}
	if m < 0 {
		what := typeName(typ) + " value"
		if typ == protowire.BytesType {
			what = "length"
		}
		r.err = v.errorf("%s: %w", what, varintError(m))
		return false
	}
	v.at = at + int64(n+m)
	r.next = v.at + v.Len
	if r.in.s == nil {
		v.Raw = r.in.buf[at-r.in.base : r.next-r.in.base]
		if typ == protowire.BytesType {
			v.Payload = v.Raw[n+m:]
		}
	}
	r.v = v
	return true
}

// Value returns the field Next read.
func (r *Reader) Value() Value { return r.v }

// Err returns the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// Load returns the current field with its payload in memory. A stream
// reads it (a copy), refusing a payload over max bytes; from a slice it is
// already there. A field that is not length-delimited is an error.
func (r *Reader) Load(max int64) (Value, error) {
	v := r.v
	if err := v.wantType(protowire.BytesType); err != nil {
		return v, err
	}
	if v.Payload != nil || v.Len == 0 {
		return v, nil
	}
	if v.Len > max {
		return v, v.errorf("%d bytes, over the %d expected", v.Len, max)
	}
	b, err := r.in.read(v.at, v.Len)
	if err != nil {
		return v, v.errorf("%w", err)
	}
	v.Payload = b
	return v, nil
}

// Message returns a Reader of the current field's payload as a message of
// type m; offsets continue this Reader's. On a stream the two share the
// input: finish with the nested Reader before calling Next here again.
func (r *Reader) Message(m Message) *Reader {
	nr := &Reader{in: r.in, msg: m, end: r.v.at + r.v.Len, next: r.v.at}
	nr.err = r.v.wantType(protowire.BytesType)
	return nr
}
