package edit

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from onnx/onnx.proto, for the messages this package reads
// or rewrites. Everything else is copied as bytes.
const (
	// ModelProto
	modelIRVersion = 1
	modelGraph     = 7
	modelOpset     = 8
	modelFunctions = 25

	// OperatorSetIdProto
	opsetDomain  = 1
	opsetVersion = 2

	// GraphProto
	graphNode              = 1
	graphInitializer       = 5
	graphInput             = 11
	graphOutput            = 12
	graphValueInfo         = 13
	graphQuantAnnotation   = 14
	graphSparseInitializer = 15

	// NodeProto
	nodeInput  = 1
	nodeOutput = 2
	nodeName   = 3
	nodeOpType = 4
	nodeAttr   = 5
	nodeDomain = 7

	// AttributeProto
	attrName          = 1
	attrF             = 2
	attrI             = 3
	attrT             = 5
	attrG             = 6
	attrInts          = 8
	attrTensors       = 10
	attrGraphs        = 11
	attrSparseTensor  = 22
	attrSparseTensors = 23

	// TensorProto
	tensorDims         = 1
	tensorDataType     = 2
	tensorName         = 8
	tensorExternalData = 13
	tensorDataLocation = 14

	// SparseTensorProto
	sparseValues  = 1
	sparseIndices = 2

	// ValueInfoProto / TypeProto / TypeProto.Tensor / TensorShapeProto /
	// TensorShapeProto.Dimension
	valueInfoName   = 1
	valueInfoType   = 2
	typeTensor      = 1
	tensorTypeElem  = 1
	tensorTypeShape = 2
	shapeDim        = 1
	dimValue        = 1
	dimParam        = 2

	// TensorAnnotation
	annotationTensorName = 1

	// FunctionProto
	functionNode = 7

	// StringStringEntryProto
	entryKey   = 1
	entryValue = 2
)

// elemFloat is TensorProto.DataType FLOAT.
const elemFloat = 1

// field is one encoded protobuf field of a message.
type field struct {
	num protowire.Number
	typ protowire.Type
	raw []byte // the whole field, tag included, as it was read
	val []byte // the payload of a length-delimited field
	v   uint64 // the value of a varint field
}

// parseFields splits a message into its fields without copying.
func parseFields(b []byte) ([]field, error) {
	var fs []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		f := field{num: num, typ: typ}
		var m int
		switch typ {
		case protowire.VarintType:
			f.v, m = protowire.ConsumeVarint(b[n:])
		case protowire.BytesType:
			f.val, m = protowire.ConsumeBytes(b[n:])
		default:
			m = protowire.ConsumeFieldValue(num, typ, b[n:])
		}
		if m < 0 {
			return nil, fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
		}
		f.raw = b[:n+m]
		fs = append(fs, f)
		b = b[n+m:]
	}
	return fs, nil
}

// bytesField encodes a length-delimited field.
func bytesField(num protowire.Number, payload []byte) []byte {
	b := make([]byte, 0, protowire.SizeTag(num)+protowire.SizeBytes(len(payload)))
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, payload)
}

// join concatenates the raw bytes of fields.
func join(fs []field) []byte {
	n := 0
	for _, f := range fs {
		n += len(f.raw)
	}
	b := make([]byte, 0, n)
	for _, f := range fs {
		b = append(b, f.raw...)
	}
	return b
}

// withPayload returns f with its payload replaced (f must be length-delimited).
func withPayload(f field, payload []byte) field {
	raw := bytesField(f.num, payload)
	return field{num: f.num, typ: protowire.BytesType, raw: raw, val: raw[len(raw)-len(payload):]}
}

// stringsOf returns the string payloads of every field num.
func stringsOf(fs []field, num protowire.Number) []string {
	var out []string
	for _, f := range fs {
		if f.num == num && f.typ == protowire.BytesType {
			out = append(out, string(f.val))
		}
	}
	return out
}

// stringOf returns the last string payload of field num ("" if absent).
func stringOf(fs []field, num protowire.Number) string {
	s := ""
	for _, f := range fs {
		if f.num == num && f.typ == protowire.BytesType {
			s = string(f.val)
		}
	}
	return s
}

// int64sOf returns the values of repeated int64 field num, packed or not.
func int64sOf(fs []field, num protowire.Number) ([]int64, error) {
	var out []int64
	for _, f := range fs {
		if f.num != num {
			continue
		}
		switch f.typ {
		case protowire.VarintType:
			out = append(out, int64(f.v))
		case protowire.BytesType: // packed
			b := f.val
			for len(b) > 0 {
				v, n := protowire.ConsumeVarint(b)
				if n < 0 {
					return nil, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
				}
				out = append(out, int64(v))
				b = b[n:]
			}
		}
	}
	return out, nil
}

// varintOf returns the last varint value of field num and whether it was present.
func varintOf(fs []field, num protowire.Number) (uint64, bool) {
	var v uint64
	ok := false
	for _, f := range fs {
		if f.num == num && f.typ == protowire.VarintType {
			v, ok = f.v, true
		}
	}
	return v, ok
}

// float32Of returns the last fixed32 float of field num.
func float32Of(fs []field, num protowire.Number) (float32, bool) {
	var v float32
	ok := false
	for _, f := range fs {
		if f.num == num && f.typ == protowire.Fixed32Type {
			u, n := protowire.ConsumeFixed32(f.raw[protowire.SizeTag(num):])
			if n > 0 {
				v, ok = math.Float32frombits(u), true
			}
		}
	}
	return v, ok
}

// messageOf returns the payload of the last field num and whether it exists.
func messageOf(fs []field, num protowire.Number) ([]byte, bool) {
	var b []byte
	ok := false
	for _, f := range fs {
		if f.num == num && f.typ == protowire.BytesType {
			b, ok = f.val, true
		}
	}
	return b, ok
}

// dim is one dimension of a declared tensor shape.
type dim struct {
	value int64
	param string
	known bool // dim_value is set
}

// valueInfo is the part of a ValueInfoProto this package reads.
type valueInfo struct {
	name     string
	elem     int64 // 0 when not declared
	hasShape bool
	dims     []dim
	isTensor bool
}

func parseValueInfo(b []byte) (valueInfo, error) {
	fs, err := parseFields(b)
	if err != nil {
		return valueInfo{}, err
	}
	vi := valueInfo{name: stringOf(fs, valueInfoName)}
	typ, ok := messageOf(fs, valueInfoType)
	if !ok {
		return vi, nil
	}
	tfs, err := parseFields(typ)
	if err != nil {
		return vi, fmt.Errorf("value %q: type: %w", vi.name, err)
	}
	tt, ok := messageOf(tfs, typeTensor)
	if !ok {
		return vi, nil
	}
	vi.isTensor = true
	ttf, err := parseFields(tt)
	if err != nil {
		return vi, fmt.Errorf("value %q: tensor type: %w", vi.name, err)
	}
	if e, ok := varintOf(ttf, tensorTypeElem); ok {
		vi.elem = int64(e)
	}
	shape, ok := messageOf(ttf, tensorTypeShape)
	if !ok {
		return vi, nil
	}
	vi.hasShape = true
	sfs, err := parseFields(shape)
	if err != nil {
		return vi, fmt.Errorf("value %q: shape: %w", vi.name, err)
	}
	for _, f := range sfs {
		if f.num != shapeDim || f.typ != protowire.BytesType {
			continue
		}
		dfs, err := parseFields(f.val)
		if err != nil {
			return vi, fmt.Errorf("value %q: shape dimension: %w", vi.name, err)
		}
		var d dim
		if v, ok := varintOf(dfs, dimValue); ok {
			d.value, d.known = int64(v), true
		}
		d.param = stringOf(dfs, dimParam)
		vi.dims = append(vi.dims, d)
	}
	return vi, nil
}

// rewriteMessage re-encodes msg with the payload of its last field num
// replaced by fn(payload). Other fields keep their bytes and order.
func rewriteMessage(msg []byte, num protowire.Number, fn func([]byte) ([]byte, error)) ([]byte, error) {
	fs, err := parseFields(msg)
	if err != nil {
		return nil, err
	}
	last := -1
	for i, f := range fs {
		if f.num == num && f.typ == protowire.BytesType {
			last = i
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("no field %d", num)
	}
	p, err := fn(fs[last].val)
	if err != nil {
		return nil, err
	}
	fs[last] = withPayload(fs[last], p)
	return join(fs), nil
}

// setLastDim rewrites a ValueInfoProto so that the last dimension of its
// tensor shape is the fixed size n.
func setLastDim(vi []byte, n int64) ([]byte, error) {
	return rewriteMessage(vi, valueInfoType, func(typ []byte) ([]byte, error) {
		return rewriteMessage(typ, typeTensor, func(tt []byte) ([]byte, error) {
			return rewriteMessage(tt, tensorTypeShape, func(shape []byte) ([]byte, error) {
				return rewriteMessage(shape, shapeDim, func([]byte) ([]byte, error) {
					d := protowire.AppendTag(nil, dimValue, protowire.VarintType)
					return protowire.AppendVarint(d, uint64(n)), nil
				})
			})
		})
	})
}

// renameValueInfo rewrites the name of a ValueInfoProto.
func renameValueInfo(vi []byte, name string) ([]byte, error) {
	fs, err := parseFields(vi)
	if err != nil {
		return nil, err
	}
	found := false
	for i, f := range fs {
		if f.num == valueInfoName && f.typ == protowire.BytesType {
			fs[i] = withPayload(f, []byte(name))
			found = true
		}
	}
	if !found {
		return nil, errors.New("value info without a name")
	}
	return join(fs), nil
}
