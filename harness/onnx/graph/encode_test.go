package graph

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// TestEncodeAttr compares attribute encodings with bytes worked out by hand
// from onnx.proto (AttributeProto: name=1, f=2, i=3, s=4, t=5, floats=7,
// ints=8, strings=9, type=20) and the protobuf wire format (tag = field<<3 |
// wire type; field 20 varint → 0xa0 0x01).
func TestEncodeAttr(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Attr
		want []byte
	}{
		{"int", AttrInt("axis", 1), []byte{0x0a, 4, 'a', 'x', 'i', 's', 0xa0, 0x01, 2, 0x18, 1}},
		{"negative int is a 10-byte varint", AttrInt("a", -1), []byte{0x0a, 1, 'a', 0xa0, 0x01, 2, 0x18,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		// 1.0f = 0x3f800000, little-endian fixed32 in field 2 (tag 0x15).
		{"float", AttrFloat("a", 1), []byte{0x0a, 1, 'a', 0xa0, 0x01, 1, 0x15, 0x00, 0x00, 0x80, 0x3f}},
		{"string", AttrString("m", "edge"), []byte{0x0a, 1, 'm', 0xa0, 0x01, 3, 0x22, 4, 'e', 'd', 'g', 'e'}},
		// repeated int64 (proto2, unpacked): one tag 0x40 per element.
		{"ints", AttrInts("p", 0, 2, 1), []byte{0x0a, 1, 'p', 0xa0, 0x01, 7, 0x40, 0, 0x40, 2, 0x40, 1}},
		// repeated float (unpacked): tag 0x3d per element; 0.5f = 0x3f000000.
		{"floats", AttrFloats("f", 0.5, -2), []byte{0x0a, 1, 'f', 0xa0, 0x01, 6, 0x3d, 0, 0, 0, 0x3f, 0x3d, 0, 0, 0, 0xc0}},
		{"strings", AttrStrings("s", "a", "bc"), []byte{0x0a, 1, 's', 0xa0, 0x01, 8, 0x4a, 1, 'a', 0x4a, 2, 'b', 'c'}},
		// TensorProto: dims=1 (varint), data_type=2, raw_data=9; int64 7
		// little-endian.
		{"tensor", AttrTensor("value", Tensor{Dims: []int64{1}, Int64: []int64{7}}), []byte{
			0x0a, 5, 'v', 'a', 'l', 'u', 'e', 0xa0, 0x01, 4,
			0x2a, 14, 0x08, 1, 0x10, 7, 0x4a, 8, 7, 0, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, encodeAttr(tc.a)); diff != "" {
				t.Errorf("encodeAttr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncodeValueInfo checks ValueInfoProto{name=1, type=2: TypeProto
// {tensor_type=1: {elem_type=1, shape=2: {dim=1: {dim_value=1 |
// dim_param=2}}}}} by hand.
func TestEncodeValueInfo(t *testing.T) {
	got := encodeValueInfo(valueInfo{name: "x", typ: Float32, dims: []Dim{Sym("b"), Fixed(3)}})
	dims := []byte{0x0a, 3, 0x12, 1, 'b', 0x0a, 2, 0x08, 3}
	shape := append([]byte{0x12, byte(len(dims))}, dims...)
	tensorType := append([]byte{0x08, 1}, shape...)
	typ := append([]byte{0x0a, byte(len(tensorType))}, tensorType...)
	want := append([]byte{0x0a, 1, 'x', 0x12, byte(len(typ))}, typ...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("encodeValueInfo (-want +got):\n%s", diff)
	}
}

func parse(t *testing.T, m wire.Message, b []byte) wire.Fields {
	t.Helper()
	fs, err := wire.Parse(m, b)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func fieldsOf(fs wire.Fields) []wire.Field {
	var out []wire.Field
	for _, f := range fs {
		out = append(out, f.Field)
	}
	return out
}

// TestModelFields decodes a small model and checks the ModelProto fields
// and the GraphProto layout, and that the length prefixes the streaming
// writer computes in advance agree with the bytes written.
func TestModelFields(t *testing.T) {
	g := New("g")
	x := g.Input("x", Float32, Fixed(2))
	w := g.InitFloat32("w", []int64{2}, []float32{1, 2})
	g.Output(g.Op("Mul", []string{x, w}), Float32, Fixed(2))
	data, err := g.Marshal(ModelOptions{DocString: "d", Metadata: []KeyValue{{"k", "v"}}, ExtraOpsets: []OpsetID{{"com.microsoft", 1}}})
	if err != nil {
		t.Fatal(err)
	}
	top := parse(t, wire.ModelProto, data) // fails on any length mismatch
	if diff := cmp.Diff([]wire.Field{wire.ModelIRVersion, wire.ModelProducerName, wire.ModelDocString, wire.ModelGraph,
		wire.ModelOpsetImport, wire.ModelOpsetImport, wire.ModelMetadataProps}, fieldsOf(top)); diff != "" {
		t.Fatalf("ModelProto fields (-want +got):\n%s", diff)
	}
	if top[0].Num != 8 || string(top[1].Payload) != "srbench" || string(top[2].Payload) != "d" {
		t.Errorf("ir_version %d, producer %q, doc %q; want 8, srbench, d", top[0].Num, top[1].Payload, top[2].Payload)
	}
	opset := parse(t, wire.OperatorSetIdProto, top[4].Payload)
	if len(opset) != 1 || !opset[0].Is(wire.OpsetVersion) || opset[0].Num != 17 {
		t.Errorf("default opset import %+v; want only version=17 (empty domain)", opset)
	}
	ms := parse(t, wire.OperatorSetIdProto, top[5].Payload)
	if len(ms) != 2 || ms.String(wire.OpsetDomain) != "com.microsoft" || ms[1].Num != 1 {
		t.Errorf("extra opset %+v", ms)
	}
	gfs := parse(t, wire.GraphProto, top[3].Payload)
	for _, f := range gfs {
		if f.Is(wire.GraphInitializer) { // dims, data_type, name, raw_data
			tfs := parse(t, wire.TensorProto, f.Payload)
			if raw, _ := tfs.Message(wire.TensorRawData); !bytes.Equal(raw, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}) {
				t.Errorf("raw_data % x; want 1.0f and 2.0f little-endian", raw)
			}
			if diff := cmp.Diff([]wire.Field{wire.TensorDims, wire.TensorDataType, wire.TensorName, wire.TensorRawData}, fieldsOf(tfs)); diff != "" {
				t.Errorf("TensorProto fields (-want +got):\n%s", diff)
			}
		}
	}
	if diff := cmp.Diff([]wire.Field{wire.GraphNode, wire.GraphName, wire.GraphInitializer, wire.GraphInput, wire.GraphOutput}, fieldsOf(gfs)); diff != "" {
		t.Errorf("GraphProto fields (-want +got):\n%s", diff)
	}

	// Encode and WriteFile produce the same bytes.
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := g.WriteFile(p, ModelOptions{DocString: "d", Metadata: []KeyValue{{"k", "v"}}, ExtraOpsets: []OpsetID{{"com.microsoft", 1}}}); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, data) {
		t.Error("WriteFile and Marshal differ")
	}
}

// TestExternalLayout checks where WriteFile puts external tensors: offsets
// aligned to 4096, lengths equal to the data, the bytes themselves, and the
// TensorProto fields external_data and data_location (EXTERNAL=1).
func TestExternalLayout(t *testing.T) {
	g := New("g")
	x := g.Input("x", Float32, Fixed(3))
	a := g.InitFloat32("a", []int64{3}, []float32{1, 2, 3})
	small := g.InitFloat32("small", []int64{1}, []float32{4})
	b := g.InitInt64("b", []int64{2}, []int64{-1, 5})
	g.Output(g.Op("Add", []string{g.Op("Mul", []string{x, a}), small}), Float32, Fixed(3))
	_ = b
	dir := t.TempDir()
	p := filepath.Join(dir, "m.onnx")
	if err := g.WriteFile(p, ModelOptions{ExternalDataThreshold: 12}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p + ".data")
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 4096+16 {
		t.Fatalf("data file is %d bytes, want 4096+16", len(data))
	}
	if !bytes.Equal(data[:12], []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40}) ||
		!bytes.Equal(data[4096:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("data file contents % x", data)
	}
	model, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var ext []map[string]string
	graphBytes, _ := parse(t, wire.ModelProto, model).Message(wire.ModelGraph)
	for _, gf := range parse(t, wire.GraphProto, graphBytes) {
		if !gf.Is(wire.GraphInitializer) {
			continue
		}
		kv := map[string]string{}
		for _, tf := range parse(t, wire.TensorProto, gf.Payload) {
			switch {
			case tf.Is(wire.TensorName):
				kv["name"] = string(tf.Payload)
			case tf.Is(wire.TensorExternalData):
				e := parse(t, wire.StringStringEntryProto, tf.Payload)
				kv[e.String(wire.EntryKey)] = e.String(wire.EntryValue)
			case tf.Is(wire.TensorDataLocation):
				kv["data_location"] = string(rune('0' + tf.Num))
			case tf.Is(wire.TensorRawData):
				kv["raw_data"] = "inline"
			}
		}
		ext = append(ext, kv)
	}
	want := []map[string]string{
		{"name": "a", "location": "m.onnx.data", "offset": "0", "length": "12", "data_location": "1"},
		{"name": "small", "raw_data": "inline"},
		{"name": "b", "location": "m.onnx.data", "offset": "4096", "length": "16", "data_location": "1"},
	}
	if diff := cmp.Diff(want, ext); diff != "" {
		t.Errorf("initializers (-want +got):\n%s", diff)
	}
	if err := g.WriteFile(p, ModelOptions{ExternalDataThreshold: 1, ExternalDataFile: "../x.data"}); err == nil || !strings.Contains(err.Error(), "must be a plain file name") {
		t.Errorf("external file outside the model dir: %v", err)
	}
	if _, err := g.Marshal(ModelOptions{ExternalDataThreshold: 1}); err == nil {
		t.Error("Marshal accepted ExternalDataThreshold")
	}
}

func TestBuilderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(g *Graph)
		want  string
	}{
		{"undefined input", func(g *Graph) {
			g.Output(g.Op("Relu", []string{"nope"}), Float32)
		}, `graph "g": node Relu: input 0 "nope" is not defined`},
		{"duplicate input", func(g *Graph) {
			g.Input("x", Float32)
			g.Input("x", Float32)
		}, `input "x": the name is already defined`},
		{"initializer shadows input", func(g *Graph) {
			g.Input("x", Float32)
			g.InitFloat32("x", nil, []float32{1})
		}, `initializer "x": the name is already defined`},
		{"shape and data disagree", func(g *Graph) {
			g.InitFloat32("w", []int64{2, 2}, []float32{1, 2, 3})
		}, `tensor "w": shape [2 2] holds 4 elements, data has 3`},
		{"no data", func(g *Graph) { g.Initializer(Tensor{Name: "w", Dims: []int64{1}}) }, `tensor "w": exactly one of Float32 and Int64 must be set`},
		{"output of unknown value", func(g *Graph) { g.Output("y", Float32) }, `output "y": no value of that name`},
		{"output twice", func(g *Graph) {
			x := g.Input("x", Float32)
			g.Output(x, Float32)
			g.Output(x, Float32)
		}, `output "x" declared twice`},
		{"attribute twice", func(g *Graph) {
			x := g.Input("x", Float32)
			g.Op("Softmax", []string{x}, AttrInt("axis", 1), AttrInt("axis", 0))
		}, `node Softmax: attribute "axis" given twice`},
		{"zero attribute", func(g *Graph) {
			x := g.Input("x", Float32)
			g.Op("Softmax", []string{x}, Attr{})
		}, `attribute without a name or type`},
		{"undefined element type", func(g *Graph) { g.Input("x", Undefined) }, `input "x": element type is undefined`},
		{"no outputs", func(g *Graph) { g.Input("x", Float32) }, `graph "g": no outputs declared`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := New("g")
			tc.build(g)
			_, err := g.Marshal(ModelOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Marshal error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestFresh(t *testing.T) {
	g := New("g")
	g.Input("mul", Float32)
	g.Input("mul_1", Float32)
	var got []string
	for range 3 {
		n := g.Fresh("mul")
		got = append(got, n)
		g.InitFloat32(n, nil, []float32{0})
	}
	if diff := cmp.Diff([]string{"mul_2", "mul_3", "mul_4"}, got); diff != "" {
		t.Errorf("Fresh (-want +got):\n%s", diff)
	}
	if g.Err() != nil {
		t.Error(g.Err())
	}
}
