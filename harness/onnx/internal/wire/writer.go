package wire

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The Append functions append one field, tag included, to b and return
// the extended slice, as protowire's do. Writing a known field with a wire
// type other than the table's is a programmer error: they panic.

// check panics when f is known to have another wire type than t.
func check(f Field, t protowire.Type) {
	if f.Known() && f.Type() != t {
		panic(fmt.Sprintf("wire: %s is a %s field, not %s", f, typeName(f.Type()), typeName(t)))
	}
}

// AppendVarint appends the varint field f (int64, int32 and enum values
// are written as uint64(v), as protobuf does).
func AppendVarint(b []byte, f Field, v uint64) []byte {
	check(f, protowire.VarintType)
	b = protowire.AppendTag(b, f.Number(), protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// AppendFloat32 appends the float (fixed32) field f.
func AppendFloat32(b []byte, f Field, v float32) []byte {
	check(f, protowire.Fixed32Type)
	b = protowire.AppendTag(b, f.Number(), protowire.Fixed32Type)
	return protowire.AppendFixed32(b, math.Float32bits(v))
}

// AppendBytes appends the length-delimited field f with payload p (bytes,
// or an encoded message).
func AppendBytes(b []byte, f Field, p []byte) []byte {
	check(f, protowire.BytesType)
	b = protowire.AppendTag(b, f.Number(), protowire.BytesType)
	return protowire.AppendBytes(b, p)
}

// AppendString appends the string field f.
func AppendString(b []byte, f Field, s string) []byte {
	check(f, protowire.BytesType)
	b = protowire.AppendTag(b, f.Number(), protowire.BytesType)
	return protowire.AppendString(b, s)
}

// AppendMessage appends the message field f whose payload build appends
// (to the slice it is given, returning the extended slice); the length is
// filled in afterwards, so nested messages need no buffers of their own.
func AppendMessage(b []byte, f Field, build func([]byte) []byte) []byte {
	check(f, protowire.BytesType)
	b = protowire.AppendTag(b, f.Number(), protowire.BytesType)
	start := len(b)
	b = build(b)
	n := len(b) - start
	k := protowire.SizeVarint(uint64(n))
	b = append(b, make([]byte, k)...)
	copy(b[start+k:], b[start:start+n])
	protowire.AppendVarint(b[:start], uint64(n)) // writes the k bytes in place
	return b
}

// AppendEntry appends the StringStringEntryProto field f (metadata_props,
// external_data) holding key and value.
func AppendEntry(b []byte, f Field, key, value string) []byte {
	return AppendMessage(b, f, func(b []byte) []byte {
		b = AppendString(b, EntryKey, key)
		return AppendString(b, EntryValue, value)
	})
}

// AppendPackedInt64s appends the repeated int64 field f packed: one
// length-delimited field holding every value's varint. (Most repeated
// fields of onnx.proto are proto2 and unpacked: append those one
// AppendVarint per value.)
func AppendPackedInt64s(b []byte, f Field, vs []int64) []byte {
	check(f, protowire.VarintType)
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(v))
	}
	b = protowire.AppendTag(b, f.Number(), protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

// AppendBytesHeader appends the tag and length of the length-delimited
// field f whose n-byte payload the caller writes next (streamed, not in
// memory).
func AppendBytesHeader(b []byte, f Field, n int64) []byte {
	check(f, protowire.BytesType)
	b = protowire.AppendTag(b, f.Number(), protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

// SizeBytesField is the encoded size of the length-delimited field f with
// an n-byte payload.
func SizeBytesField(f Field, n int64) int64 {
	return int64(protowire.SizeTag(f.Number())) + int64(protowire.SizeVarint(uint64(n))) + n
}
