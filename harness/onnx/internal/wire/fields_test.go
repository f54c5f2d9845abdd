package wire

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// TestFieldTable checks every named field against onnx/onnx.proto,
// transcribed again here: message, name, number and wire type.
func TestFieldTable(t *testing.T) {
	const (
		varint  = protowire.VarintType
		fixed32 = protowire.Fixed32Type
		bytes   = protowire.BytesType
	)
	seen := map[Field]bool{}
	for _, tc := range []struct {
		f    Field
		want string
		typ  protowire.Type
	}{
		{ModelIRVersion, "ModelProto.ir_version (1)", varint},
		{ModelProducerName, "ModelProto.producer_name (2)", bytes},
		{ModelProducerVersion, "ModelProto.producer_version (3)", bytes},
		{ModelDocString, "ModelProto.doc_string (6)", bytes},
		{ModelGraph, "ModelProto.graph (7)", bytes},
		{ModelOpsetImport, "ModelProto.opset_import (8)", bytes},
		{ModelMetadataProps, "ModelProto.metadata_props (14)", bytes},
		{ModelFunctions, "ModelProto.functions (25)", bytes},
		{OpsetDomain, "OperatorSetIdProto.domain (1)", bytes},
		{OpsetVersion, "OperatorSetIdProto.version (2)", varint},
		{EntryKey, "StringStringEntryProto.key (1)", bytes},
		{EntryValue, "StringStringEntryProto.value (2)", bytes},
		{GraphNode, "GraphProto.node (1)", bytes},
		{GraphName, "GraphProto.name (2)", bytes},
		{GraphInitializer, "GraphProto.initializer (5)", bytes},
		{GraphInput, "GraphProto.input (11)", bytes},
		{GraphOutput, "GraphProto.output (12)", bytes},
		{GraphValueInfo, "GraphProto.value_info (13)", bytes},
		{GraphQuantizationAnnotation, "GraphProto.quantization_annotation (14)", bytes},
		{GraphSparseInitializer, "GraphProto.sparse_initializer (15)", bytes},
		{NodeInput, "NodeProto.input (1)", bytes},
		{NodeOutput, "NodeProto.output (2)", bytes},
		{NodeName, "NodeProto.name (3)", bytes},
		{NodeOpType, "NodeProto.op_type (4)", bytes},
		{NodeAttribute, "NodeProto.attribute (5)", bytes},
		{NodeDomain, "NodeProto.domain (7)", bytes},
		{AttributeName, "AttributeProto.name (1)", bytes},
		{AttributeF, "AttributeProto.f (2)", fixed32},
		{AttributeI, "AttributeProto.i (3)", varint},
		{AttributeS, "AttributeProto.s (4)", bytes},
		{AttributeT, "AttributeProto.t (5)", bytes},
		{AttributeG, "AttributeProto.g (6)", bytes},
		{AttributeFloats, "AttributeProto.floats (7)", fixed32},
		{AttributeInts, "AttributeProto.ints (8)", varint},
		{AttributeStrings, "AttributeProto.strings (9)", bytes},
		{AttributeTensors, "AttributeProto.tensors (10)", bytes},
		{AttributeGraphs, "AttributeProto.graphs (11)", bytes},
		{AttributeType, "AttributeProto.type (20)", varint},
		{AttributeSparseTensor, "AttributeProto.sparse_tensor (22)", bytes},
		{AttributeSparseTensors, "AttributeProto.sparse_tensors (23)", bytes},
		{TensorDims, "TensorProto.dims (1)", varint},
		{TensorDataType, "TensorProto.data_type (2)", varint},
		{TensorName, "TensorProto.name (8)", bytes},
		{TensorRawData, "TensorProto.raw_data (9)", bytes},
		{TensorExternalData, "TensorProto.external_data (13)", bytes},
		{TensorDataLocation, "TensorProto.data_location (14)", varint},
		{SparseTensorValues, "SparseTensorProto.values (1)", bytes},
		{SparseTensorIndices, "SparseTensorProto.indices (2)", bytes},
		{ValueInfoName, "ValueInfoProto.name (1)", bytes},
		{ValueInfoType, "ValueInfoProto.type (2)", bytes},
		{TypeTensorType, "TypeProto.tensor_type (1)", bytes},
		{TensorTypeElemType, "TypeProto.Tensor.elem_type (1)", varint},
		{TensorTypeShape, "TypeProto.Tensor.shape (2)", bytes},
		{ShapeDim, "TensorShapeProto.dim (1)", bytes},
		{DimValue, "TensorShapeProto.Dimension.dim_value (1)", varint},
		{DimParam, "TensorShapeProto.Dimension.dim_param (2)", bytes},
		{AnnotationTensorName, "TensorAnnotation.tensor_name (1)", bytes},
		{FunctionNode, "FunctionProto.node (7)", bytes},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if seen[tc.f] {
				t.Errorf("%s listed twice", tc.f)
			}
			seen[tc.f] = true
			if !tc.f.Known() || tc.f.String() != tc.want || tc.f.Type() != tc.typ {
				t.Errorf("%s (known %v), wire type %v; want %s, %v", tc.f, tc.f.Known(), tc.f.Type(), tc.want, tc.typ)
			}
			if tc.f.Message().Field(tc.f.Number()) != tc.f {
				t.Errorf("Message().Field(Number()) = %v", tc.f.Message().Field(tc.f.Number()))
			}
		})
	}
	for _, tc := range []struct {
		f    Field
		want string
	}{
		{GraphProto.Field(99), "GraphProto field 99"},
		{TensorProto.Field(3), "TensorProto field 3"},
		{Message(99).Field(1), "Message(99) field 1"},
		{ModelProto.Field(1<<29 - 1), "ModelProto field 536870911"},
	} {
		if tc.f.Known() || tc.f.String() != tc.want || tc.f.Name() != "" {
			t.Errorf("%v: known %v, name %q; want unknown %q", tc.f, tc.f.Known(), tc.f.Name(), tc.want)
		}
	}
}
