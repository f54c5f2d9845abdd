package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// TestReadModelSignatureMatchesORT compares the signature read from the
// file with the one ONNX Runtime reports after loading the model.
func TestReadModelSignatureMatchesORT(t *testing.T) {
	if _, err := Init(Options{}); err != nil {
		t.Fatalf("this test needs ONNX Runtime: %v", err)
	}
	dir := t.TempDir()
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	paths, err := w.WriteDir(dir, clipmodel.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ext := filepath.Join(dir, "ext")
	extPaths, err := w.WriteDir(ext, clipmodel.WriteOptions{Vision: true, ExternalDataThreshold: 1024})
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, extPaths...)

	// Scalars, symbolic dimensions and several element types.
	g := graph.New("misc")
	a := g.Input("a", graph.Int64, graph.Sym("n"), graph.Fixed(2), graph.Sym("m"))
	s := g.Input("s", graph.Float32)
	g.Output(g.Op("Cast", []string{a}, graph.AttrInt("to", int64(graph.Float64))), graph.Float64, graph.Sym("n"), graph.Fixed(2), graph.Sym("m"))
	g.Output(g.Op("Neg", []string{s}), graph.Float32)
	misc := filepath.Join(dir, "misc.onnx")
	if err := g.WriteFile(misc, graph.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	paths = append(paths, misc)

	for _, p := range paths {
		t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func(t *testing.T) {
			got, err := readModelSignature(p)
			if err != nil {
				t.Fatal(err)
			}
			ins, outs, err := ort.GetInputOutputInfo(p)
			if err != nil {
				t.Fatal(err)
			}
			conv := func(infos []ort.InputOutputInfo) []TensorSpec {
				var specs []TensorSpec
				for _, in := range infos {
					specs = append(specs, TensorSpec{Name: in.Name, Type: ElementType(in.DataType), Shape: slices.Clone([]int64(in.Dimensions))})
				}
				return specs
			}
			want := Signature{Inputs: conv(ins), Outputs: conv(outs)}
			// ORT reports a scalar's shape as an empty slice, as we do.
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []int64) bool { return slices.Equal(a, b) })); diff != "" {
				t.Errorf("signature (-ORT +file):\n%s", diff)
			}
		})
	}
}

// External data: the reader finds every externally stored initializer, the
// ranges tile the .data file exactly, and CheckModelFile refuses a model
// whose data file is missing or short.
func TestExternalDataCheck(t *testing.T) {
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, clipmodel.WriteOptions{Vision: true, ExternalDataThreshold: 1024}); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, clipmodel.VisionModelFile)
	data := model + ".data"
	_, ext, err := readModelFile(model)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	for _, e := range ext {
		if e.location != filepath.Base(data) || e.length <= 0 {
			t.Errorf("initializer %q: location %q length %d", e.tensor, e.location, e.length)
		}
		end = max(end, e.offset+e.length)
	}
	if len(ext) == 0 || end > st.Size() || st.Size()-end >= 4096 {
		t.Fatalf("%d external initializers ending at byte %d of a %d-byte data file", len(ext), end, st.Size())
	}
	sig := CLIPVisionSignature(224)
	if err := CheckModelFile(model, sig); err != nil {
		t.Fatalf("intact model: %v", err)
	}
	full, _ := os.ReadFile(data)
	for _, tc := range []struct {
		name  string
		bytes []byte // nil: remove the data file
		want  string
	}{
		{"short data file", full[:end-1], "want at least"},
		{"missing data file", nil, "vision_model.onnx.data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bytes == nil {
				os.Remove(data)
			} else if err := os.WriteFile(data, tc.bytes, 0o644); err != nil {
				t.Fatal(err)
			}
			err := CheckModelFile(model, sig)
			var me *ModelError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a *ModelError containing %q", err, tc.want)
			}
		})
	}
}

// TestReadModelFileMalformed: what the signature reader refuses, and what
// it reads past as protobuf parsers (and so ONNX Runtime) do.
func TestReadModelFileMalformed(t *testing.T) {
	g := graph.New("g")
	x := g.Input("x", graph.Float32, graph.Sym("n"), graph.Fixed(2))
	g.Output(g.Op("Relu", []string{x}), graph.Float32, graph.Sym("n"), graph.Fixed(2))
	good, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	top, err := wire.Parse(wire.ModelProto, good)
	if err != nil {
		t.Fatal(err)
	}
	graphAt := slices.IndexFunc(top, func(v wire.Value) bool { return v.Is(wire.ModelGraph) })
	// withGraph returns good with extra GraphProto fields appended to its graph.
	withGraph := func(extra []byte) []byte {
		fs := slices.Clone(top)
		fs[graphAt] = fs[graphAt].WithPayload(append(slices.Clip(fs[graphAt].Payload), extra...))
		return fs.Bytes()
	}
	tensorWith := func(entries ...string) []byte {
		return wire.AppendMessage(nil, wire.GraphInitializer, func(b []byte) []byte {
			b = wire.AppendString(b, wire.TensorName, "w")
			for i := 0; i < len(entries); i += 2 {
				b = wire.AppendEntry(b, wire.TensorExternalData, entries[i], entries[i+1])
			}
			return b
		})
	}
	want := Signature{
		Inputs:  []TensorSpec{{Name: "x", Type: Float32, Shape: []int64{-1, 2}}},
		Outputs: []TensorSpec{{Name: "relu", Type: Float32, Shape: []int64{-1, 2}}},
	}
	opsetAt := slices.IndexFunc(top, func(v wire.Value) bool { return v.Is(wire.ModelOpsetImport) })
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr string // "" when the file is read, with the signature want
		ext     []externalData
	}{
		{"intact", good, "", nil},
		{"truncated in the graph", good[:len(good)/2], "ModelProto.graph (7) at byte", nil},
		// Before the wire package this file was accepted: lengths that ran
		// past the end of the file were seeked over.
		{"truncated in opset_import, after the graph", good[:top[opsetAt].Offset+2], "ModelProto.opset_import (8) at byte", nil},
		{"an input written as a varint is not an input", withGraph(protowire.AppendVarint(protowire.AppendTag(nil, wire.GraphInput.Number(), protowire.VarintType), 1)), "", nil},
		{"an input that is not a tensor", withGraph(wire.AppendMessage(nil, wire.GraphInput, func(b []byte) []byte {
			return wire.AppendString(b, wire.ValueInfoName, "untyped")
		})), `graph input/output: "untyped" is not a tensor`, nil},
		{"a malformed input", withGraph([]byte{0x5a, 0x02, 0x0a, 0x05}), "graph input/output: ValueInfoProto.name (1) at byte", nil},
		{"external data", withGraph(tensorWith("location", "w.bin", "offset", "4096", "length", "8")), "", []externalData{{tensor: "w", location: "w.bin", offset: 4096, length: 8}}},
		{"external data without a location", withGraph(tensorWith("offset", "4096")), "", nil},
		{"external data offset not a number", withGraph(tensorWith("location", "w.bin", "offset", "x")), `graph initializer: external_data offset "x": want a byte count`, nil},
		{"not a model", []byte("this is not a protobuf\n"), "ModelProto.metadata_props (14) at byte 0: wire type end-group is not supported", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "m.onnx")
			if err := os.WriteFile(p, tc.in, 0o644); err != nil {
				t.Fatal(err)
			}
			sig, ext, err := readModelFile(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, sig); diff != "" {
				t.Errorf("signature (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ext, ext, cmp.AllowUnexported(externalData{})); diff != "" {
				t.Errorf("external data (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTruncatedModel cuts a model (opset_import and metadata_props come
// after the graph) at every byte: the reader refuses every cut except
// those between two top-level fields after the graph, where what is left
// is a complete ModelProto with the same signature. (Before the wire
// package, cuts inside the fields after the graph were accepted too.)
func TestTruncatedModel(t *testing.T) {
	g := graph.New("g")
	x := g.Input("x", graph.Float32, graph.Sym("n"), graph.Fixed(2))
	g.Output(g.Op("Relu", []string{x}), graph.Float32, graph.Sym("n"), graph.Fixed(2))
	good, err := g.Marshal(graph.ModelOptions{Metadata: []graph.KeyValue{{Key: "k", Value: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	top, err := wire.Parse(wire.ModelProto, good)
	if err != nil {
		t.Fatal(err)
	}
	complete := map[int]bool{}
	for _, f := range top[slices.IndexFunc(top, func(v wire.Value) bool { return v.Is(wire.ModelGraph) })+1:] {
		complete[int(f.Offset)] = true
	}
	want, err := readModelSignature(writeTemp(t, good))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var accepted []int
	for n := range len(good) {
		p := filepath.Join(dir, "cut.onnx")
		if err := os.WriteFile(p, good[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		sig, err := readModelSignature(p)
		if err != nil {
			continue
		}
		accepted = append(accepted, n)
		if diff := cmp.Diff(want, sig); diff != "" {
			t.Errorf("cut at %d: signature (-whole +cut):\n%s", n, diff)
		}
	}
	var wantAccepted []int
	for n := range complete {
		wantAccepted = append(wantAccepted, n)
	}
	slices.Sort(wantAccepted)
	if diff := cmp.Diff(wantAccepted, accepted); diff != "" {
		t.Errorf("cuts accepted (-want +got):\n%s", diff)
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
