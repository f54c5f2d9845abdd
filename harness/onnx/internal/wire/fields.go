package wire

import (
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Message is an ONNX protobuf message type.
type Message uint8

// The ONNX messages srbench reads or writes.
const (
	ModelProto Message = iota + 1
	GraphProto
	NodeProto
	AttributeProto
	TensorProto
	SparseTensorProto
	ValueInfoProto
	TypeProto
	TypeProtoTensor      // TypeProto.Tensor
	TensorShapeProto     //
	TensorShapeDimension // TensorShapeProto.Dimension
	OperatorSetIdProto
	StringStringEntryProto
	TensorAnnotation
	FunctionProto
)

// String returns the message's name in onnx.proto ("TypeProto.Tensor" for
// a nested one).
func (m Message) String() string {
	switch m {
	case ModelProto:
		return "ModelProto"
	case GraphProto:
		return "GraphProto"
	case NodeProto:
		return "NodeProto"
	case AttributeProto:
		return "AttributeProto"
	case TensorProto:
		return "TensorProto"
	case SparseTensorProto:
		return "SparseTensorProto"
	case ValueInfoProto:
		return "ValueInfoProto"
	case TypeProto:
		return "TypeProto"
	case TypeProtoTensor:
		return "TypeProto.Tensor"
	case TensorShapeProto:
		return "TensorShapeProto"
	case TensorShapeDimension:
		return "TensorShapeProto.Dimension"
	case OperatorSetIdProto:
		return "OperatorSetIdProto"
	case StringStringEntryProto:
		return "StringStringEntryProto"
	case TensorAnnotation:
		return "TensorAnnotation"
	case FunctionProto:
		return "FunctionProto"
	}
	return "Message(" + strconv.Itoa(int(m)) + ")"
}

// Field is one field of one message: the message type above bit 32, the
// field number below. Fields read from the wire that the table below does
// not name are still Fields (Known reports false).
type Field uint64

// Field returns m's field number n.
func (m Message) Field(n protowire.Number) Field { return Field(m)<<32 | Field(uint32(n)) }

// The fields srbench reads or writes, named after onnx/onnx.proto: the
// message (abbreviated) followed by the field's name.
const (
	ModelIRVersion       = Field(ModelProto)<<32 | 1  // ir_version: int64
	ModelProducerName    = Field(ModelProto)<<32 | 2  // producer_name: string
	ModelProducerVersion = Field(ModelProto)<<32 | 3  // producer_version: string
	ModelDocString       = Field(ModelProto)<<32 | 6  // doc_string: string
	ModelGraph           = Field(ModelProto)<<32 | 7  // graph: GraphProto
	ModelOpsetImport     = Field(ModelProto)<<32 | 8  // opset_import: repeated OperatorSetIdProto
	ModelMetadataProps   = Field(ModelProto)<<32 | 14 // metadata_props: repeated StringStringEntryProto
	ModelFunctions       = Field(ModelProto)<<32 | 25 // functions: repeated FunctionProto

	OpsetDomain  = Field(OperatorSetIdProto)<<32 | 1 // domain: string
	OpsetVersion = Field(OperatorSetIdProto)<<32 | 2 // version: int64

	EntryKey   = Field(StringStringEntryProto)<<32 | 1 // key: string
	EntryValue = Field(StringStringEntryProto)<<32 | 2 // value: string

	GraphNode                   = Field(GraphProto)<<32 | 1  // node: repeated NodeProto
	GraphName                   = Field(GraphProto)<<32 | 2  // name: string
	GraphInitializer            = Field(GraphProto)<<32 | 5  // initializer: repeated TensorProto
	GraphInput                  = Field(GraphProto)<<32 | 11 // input: repeated ValueInfoProto
	GraphOutput                 = Field(GraphProto)<<32 | 12 // output: repeated ValueInfoProto
	GraphValueInfo              = Field(GraphProto)<<32 | 13 // value_info: repeated ValueInfoProto
	GraphQuantizationAnnotation = Field(GraphProto)<<32 | 14 // quantization_annotation: repeated TensorAnnotation
	GraphSparseInitializer      = Field(GraphProto)<<32 | 15 // sparse_initializer: repeated SparseTensorProto

	NodeInput     = Field(NodeProto)<<32 | 1 // input: repeated string
	NodeOutput    = Field(NodeProto)<<32 | 2 // output: repeated string
	NodeName      = Field(NodeProto)<<32 | 3 // name: string
	NodeOpType    = Field(NodeProto)<<32 | 4 // op_type: string
	NodeAttribute = Field(NodeProto)<<32 | 5 // attribute: repeated AttributeProto
	NodeDomain    = Field(NodeProto)<<32 | 7 // domain: string

	AttributeName          = Field(AttributeProto)<<32 | 1  // name: string
	AttributeF             = Field(AttributeProto)<<32 | 2  // f: float
	AttributeI             = Field(AttributeProto)<<32 | 3  // i: int64
	AttributeS             = Field(AttributeProto)<<32 | 4  // s: bytes
	AttributeT             = Field(AttributeProto)<<32 | 5  // t: TensorProto
	AttributeG             = Field(AttributeProto)<<32 | 6  // g: GraphProto
	AttributeFloats        = Field(AttributeProto)<<32 | 7  // floats: repeated float
	AttributeInts          = Field(AttributeProto)<<32 | 8  // ints: repeated int64
	AttributeStrings       = Field(AttributeProto)<<32 | 9  // strings: repeated bytes
	AttributeTensors       = Field(AttributeProto)<<32 | 10 // tensors: repeated TensorProto
	AttributeGraphs        = Field(AttributeProto)<<32 | 11 // graphs: repeated GraphProto
	AttributeType          = Field(AttributeProto)<<32 | 20 // type: AttributeType
	AttributeSparseTensor  = Field(AttributeProto)<<32 | 22 // sparse_tensor: SparseTensorProto
	AttributeSparseTensors = Field(AttributeProto)<<32 | 23 // sparse_tensors: repeated SparseTensorProto

	TensorDims         = Field(TensorProto)<<32 | 1  // dims: repeated int64
	TensorDataType     = Field(TensorProto)<<32 | 2  // data_type: int32 (TensorProto.DataType)
	TensorName         = Field(TensorProto)<<32 | 8  // name: string
	TensorRawData      = Field(TensorProto)<<32 | 9  // raw_data: bytes
	TensorExternalData = Field(TensorProto)<<32 | 13 // external_data: repeated StringStringEntryProto
	TensorDataLocation = Field(TensorProto)<<32 | 14 // data_location: DataLocation

	SparseTensorValues  = Field(SparseTensorProto)<<32 | 1 // values: TensorProto
	SparseTensorIndices = Field(SparseTensorProto)<<32 | 2 // indices: TensorProto

	ValueInfoName = Field(ValueInfoProto)<<32 | 1 // name: string
	ValueInfoType = Field(ValueInfoProto)<<32 | 2 // type: TypeProto

	TypeTensorType = Field(TypeProto)<<32 | 1 // tensor_type: TypeProto.Tensor

	TensorTypeElemType = Field(TypeProtoTensor)<<32 | 1 // elem_type: int32 (TensorProto.DataType)
	TensorTypeShape    = Field(TypeProtoTensor)<<32 | 2 // shape: TensorShapeProto

	ShapeDim = Field(TensorShapeProto)<<32 | 1 // dim: repeated TensorShapeProto.Dimension

	DimValue = Field(TensorShapeDimension)<<32 | 1 // dim_value: int64
	DimParam = Field(TensorShapeDimension)<<32 | 2 // dim_param: string

	AnnotationTensorName = Field(TensorAnnotation)<<32 | 1 // tensor_name: string

	FunctionNode = Field(FunctionProto)<<32 | 7 // node: repeated NodeProto
)

// AttributeProto.AttributeType values.
const (
	AttributeTypeFloat   = 1
	AttributeTypeInt     = 2
	AttributeTypeString  = 3
	AttributeTypeTensor  = 4
	AttributeTypeGraph   = 5
	AttributeTypeFloats  = 6
	AttributeTypeInts    = 7
	AttributeTypeStrings = 8
)

// DataLocationExternal is TensorProto.DataLocation EXTERNAL: the tensor's
// data is in the file its external_data names.
const DataLocationExternal = 1

// Message returns the message f belongs to.
func (f Field) Message() Message { return Message(f >> 32) }

// Number returns f's field number.
func (f Field) Number() protowire.Number { return protowire.Number(uint32(f)) }

// Known reports whether f is in the table above.
func (f Field) Known() bool {
	_, _, ok := f.info()
	return ok
}

// Name returns f's name in onnx.proto, or "" when f is not Known.
func (f Field) Name() string {
	name, _, _ := f.info()
	return name
}

// Type returns the wire type of one (unpacked) value of f, or 0 (varint)
// when f is not Known.
func (f Field) Type() protowire.Type {
	_, typ, _ := f.info()
	return typ
}

// String names f for messages: "GraphProto.input (11)", or "GraphProto
// field 99" for a field the table does not know.
func (f Field) String() string {
	if name, _, ok := f.info(); ok {
		return f.Message().String() + "." + name + " (" + strconv.Itoa(int(f.Number())) + ")"
	}
	return f.Message().String() + " field " + strconv.Itoa(int(f.Number()))
}

// info is the field table: each known field's name and wire type.
func (f Field) info() (string, protowire.Type, bool) {
	const (
		varint  = protowire.VarintType
		fixed32 = protowire.Fixed32Type
		bytes   = protowire.BytesType
	)
	switch f {
	case ModelIRVersion:
		return "ir_version", varint, true
	case ModelProducerName:
		return "producer_name", bytes, true
	case ModelProducerVersion:
		return "producer_version", bytes, true
	case ModelDocString:
		return "doc_string", bytes, true
	case ModelGraph:
		return "graph", bytes, true
	case ModelOpsetImport:
		return "opset_import", bytes, true
	case ModelMetadataProps:
		return "metadata_props", bytes, true
	case ModelFunctions:
		return "functions", bytes, true
	case OpsetDomain:
		return "domain", bytes, true
	case OpsetVersion:
		return "version", varint, true
	case EntryKey:
		return "key", bytes, true
	case EntryValue:
		return "value", bytes, true
	case GraphNode:
		return "node", bytes, true
	case GraphName:
		return "name", bytes, true
	case GraphInitializer:
		return "initializer", bytes, true
	case GraphInput:
		return "input", bytes, true
	case GraphOutput:
		return "output", bytes, true
	case GraphValueInfo:
		return "value_info", bytes, true
	case GraphQuantizationAnnotation:
		return "quantization_annotation", bytes, true
	case GraphSparseInitializer:
		return "sparse_initializer", bytes, true
	case NodeInput:
		return "input", bytes, true
	case NodeOutput:
		return "output", bytes, true
	case NodeName:
		return "name", bytes, true
	case NodeOpType:
		return "op_type", bytes, true
	case NodeAttribute:
		return "attribute", bytes, true
	case NodeDomain:
		return "domain", bytes, true
	case AttributeName:
		return "name", bytes, true
	case AttributeF:
		return "f", fixed32, true
	case AttributeI:
		return "i", varint, true
	case AttributeS:
		return "s", bytes, true
	case AttributeT:
		return "t", bytes, true
	case AttributeG:
		return "g", bytes, true
	case AttributeFloats:
		return "floats", fixed32, true
	case AttributeInts:
		return "ints", varint, true
	case AttributeStrings:
		return "strings", bytes, true
	case AttributeTensors:
		return "tensors", bytes, true
	case AttributeGraphs:
		return "graphs", bytes, true
	case AttributeType:
		return "type", varint, true
	case AttributeSparseTensor:
		return "sparse_tensor", bytes, true
	case AttributeSparseTensors:
		return "sparse_tensors", bytes, true
	case TensorDims:
		return "dims", varint, true
	case TensorDataType:
		return "data_type", varint, true
	case TensorName:
		return "name", bytes, true
	case TensorRawData:
		return "raw_data", bytes, true
	case TensorExternalData:
		return "external_data", bytes, true
	case TensorDataLocation:
		return "data_location", varint, true
	case SparseTensorValues:
		return "values", bytes, true
	case SparseTensorIndices:
		return "indices", bytes, true
	case ValueInfoName:
		return "name", bytes, true
	case ValueInfoType:
		return "type", bytes, true
	case TypeTensorType:
		return "tensor_type", bytes, true
	case TensorTypeElemType:
		return "elem_type", varint, true
	case TensorTypeShape:
		return "shape", bytes, true
	case ShapeDim:
		return "dim", bytes, true
	case DimValue:
		return "dim_value", varint, true
	case DimParam:
		return "dim_param", bytes, true
	case AnnotationTensorName:
		return "tensor_name", bytes, true
	case FunctionNode:
		return "node", bytes, true
	}
	return "", 0, false
}
