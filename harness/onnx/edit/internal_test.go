package edit

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

func runtimeOrFatal(t testing.TB) *onnx.Runtime {
	t.Helper()
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatalf("these tests need ONNX Runtime: %v", err)
	}
	return rt
}

func mustParse(t *testing.T, b []byte) *model {
	t.Helper()
	m, err := parseModel(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func writeModel(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runFile(t *testing.T, rt *onnx.Runtime, path string, in map[string]onnx.Tensor) map[string]onnx.Tensor {
	t.Helper()
	s, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1, InterOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUntouchedBytes checks that an edit re-encodes only what it must: the
// ModelProto fields around the graph (opset, metadata, doc string) and
// every graph field other than the edited output's producer, its readers
// and its value_info keep their bytes and their order.
func TestUntouchedBytes(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, clipmodel.WriteOptions{Combined: true}); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, clipmodel.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	// Give text_embeds a value_info entry (a copy of its output entry).
	m := mustParse(t, src)
	vi, _, err := m.output(TextEmbeds)
	if err != nil {
		t.Fatal(err)
	}
	_, outEntry, _ := m.output(TextEmbeds)
	if err := m.insert(wire.GraphValueInfo, [][]byte{outEntry.f.Payload}); err != nil {
		t.Fatal(err)
	}
	if vi.ElemType != int64(graph.Float32) {
		t.Fatalf("text_embeds element type %d", vi.ElemType)
	}
	src, err = m.bytes()
	if err != nil {
		t.Fatal(err)
	}
	orig := mustParse(t, src)

	steps := []Step{{Op: OpLinear, W: [][]float64{{2, 0}, {0, 3}}}} // wrong width on purpose: rejected first
	if _, err := AppendToOutput(src, TextEmbeds, steps); err == nil {
		t.Fatal("a 2-column W on a 32-wide output was accepted")
	}
	ed, err := AppendToOutput(src, TextEmbeds, []Step{{Op: OpReLU}, {Op: OpNormalize}})
	if err != nil {
		t.Fatal(err)
	}
	got := mustParse(t, ed)

	// ModelProto fields other than the graph: identical, in order.
	var want, have [][]byte
	for i, f := range orig.top {
		if i != orig.graphAt {
			want = append(want, f.Raw)
		}
	}
	for i, f := range got.top {
		if i != got.graphAt {
			have = append(have, f.Raw)
		}
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("ModelProto fields outside the graph changed (-orig +edited):\n%s", diff)
	}

	// Graph fields: the surviving ones are a subsequence of the new graph.
	var newRaw []string
	for _, e := range got.entries {
		newRaw = append(newRaw, string(e.f.Raw))
	}
	var changed []string
	k := 0
	for _, e := range orig.entries {
		j := slices.Index(newRaw[k:], string(e.f.Raw))
		if j < 0 {
			what := e.f.Field.String()
			if e.node != nil {
				what = e.node.op + " -> " + strings.Join(e.node.outputs, ",")
			} else if e.f.Field == wire.GraphValueInfo {
				what = "value_info"
			}
			changed = append(changed, what)
			continue
		}
		k += j + 1
	}
	slices.Sort(changed)
	wantChanged := []string{"Div -> text_embeds", "MatMul -> matmul_" + orig.matmulSuffix(t), "value_info"}
	slices.Sort(wantChanged)
	if diff := cmp.Diff(wantChanged, changed); diff != "" {
		t.Errorf("re-encoded graph fields (-want +got):\n%s", diff)
	}
	// The value_info now describes the renamed old value.
	var names []string
	_ = got.live(wire.GraphValueInfo, func(e *entry) error {
		v, err := wire.ParseValueInfo(e.f)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, v.Name)
		return nil
	})
	if diff := cmp.Diff([]string{"srbench_edit/text_embeds/input"}, names); diff != "" {
		t.Errorf("value_info names (-want +got):\n%s", diff)
	}

	// The edited model runs; its logits still come from the old embeddings.
	in := map[string]onnx.Tensor{
		clipmodel.InputIDs:      {Shape: []int64{1, 3}, Int64: []int64{49406, 320, 49407}},
		clipmodel.AttentionMask: {Shape: []int64{1, 3}, Int64: []int64{1, 1, 1}},
		clipmodel.PixelValues:   {Shape: []int64{1, 3, 224, 224}, Float32: make([]float32, 3*224*224)},
	}
	a := runFile(t, rt, writeModel(t, src), in)
	b := runFile(t, rt, writeModel(t, ed), in)
	if diff := cmp.Diff(a[LogitsPerImage].Float32, b[LogitsPerImage].Float32); diff != "" {
		t.Errorf("logits changed (-orig +edited):\n%s", diff)
	}
	var ss float64
	for _, v := range a[TextEmbeds].Float32 {
		r := math.Max(float64(v), 0)
		ss += r * r
	}
	for i, v := range a[TextEmbeds].Float32 {
		want := math.Max(float64(v), 0) / math.Sqrt(ss)
		if d := math.Abs(float64(b[TextEmbeds].Float32[i]) - want); d > 1e-6 {
			t.Fatalf("text_embeds[%d] = %v, want %v", i, b[TextEmbeds].Float32[i], want)
		}
	}
}

// matmulSuffix returns the builder-made name suffix of the MatMul reading
// text_embeds in clipmodel's combined graph ("matmul_N").
func (m *model) matmulSuffix(t *testing.T) string {
	t.Helper()
	for _, e := range m.nodes() {
		if e.node.op == "MatMul" && slices.Contains(e.node.inputs, TextEmbeds) {
			return strings.TrimPrefix(e.node.outputs[0], "matmul_")
		}
	}
	t.Fatal("no MatMul reads text_embeds")
	return ""
}

// branch builds a subgraph payload for an If attribute: the builder graph
// with its declared inputs removed (the branch reads the outer scope).
func branch(t *testing.T, build func(g *graph.Graph) string) []byte {
	t.Helper()
	g := graph.New("branch")
	out := build(g)
	g.Output(out, graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	b, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, b)
	var fs wire.Fields
	for _, e := range m.entries {
		if e.f.Field != wire.GraphInput {
			fs = append(fs, e.f)
		}
	}
	return fs.Bytes()
}

func graphAttr(name string, g []byte) []byte {
	a := wire.AppendString(nil, wire.AttributeName, name)
	a = wire.AppendVarint(a, wire.AttributeType, wire.AttributeTypeGraph)
	return wire.AppendBytes(a, wire.AttributeG, g)
}

// TestSubgraphReaders edits an output that an If node's branches read
// from the outer scope: the then-branch must keep reading the old value
// (the else-branch reads only x).
func TestSubgraphReaders(t *testing.T) {
	rt := runtimeOrFatal(t)
	src := subgraphModel(t)
	ed, err := AppendToOutput(src, "y", []Step{{Op: OpLinear, W: [][]float64{{1, 0, 0}, {0, 0, 1}, {0, 1, 0}}, B: []float64{0.5, 0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	srcPath, edPath := writeModel(t, src), writeModel(t, ed)
	for _, tc := range []struct {
		name string
		x    []float32
		z    []float32 // the If output (unchanged by the edit)
	}{
		{"then: reads the outer y", []float32{1, 2, 3}, []float32{-2, -4, -6}},
		{"else: reads x", []float32{-1, -2, 0}, []float32{-10, -20, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]onnx.Tensor{"x": {Shape: []int64{1, 3}, Float32: tc.x}}
			before := runFile(t, rt, srcPath, in)
			after := runFile(t, rt, edPath, in)
			if diff := cmp.Diff(tc.z, before["z"].Float32); diff != "" {
				t.Fatalf("the test model is wrong: z (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.z, after["z"].Float32); diff != "" {
				t.Errorf("z after the edit (-want +got):\n%s", diff)
			}
			y := []float32{2*tc.x[0] + 0.5, 2 * tc.x[2], 2 * tc.x[1]}
			if diff := cmp.Diff(y, after["y"].Float32); diff != "" {
				t.Errorf("y after the edit (-want +got):\n%s", diff)
			}
		})
	}
}

// tensorWithLocation encodes an external TensorProto stored at loc.
func tensorWithLocation(name, loc string) []byte {
	b := wire.AppendVarint(nil, wire.TensorDims, 4)
	b = wire.AppendVarint(b, wire.TensorDataType, uint64(graph.Float32))
	b = wire.AppendString(b, wire.TensorName, name)
	if loc != "" {
		b = wire.AppendEntry(b, wire.TensorExternalData, "location", loc)
	}
	return wire.AppendVarint(b, wire.TensorDataLocation, wire.DataLocationExternal)
}

func TestExternalLocations(t *testing.T) {
	g := graph.New("m")
	x := g.Input("x", graph.Float32, graph.Fixed(4))
	g.Output(g.Op("Relu", []string{x}), graph.Float32, graph.Fixed(4))
	b, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		locs    []string
		want    []string
		wantErr string
	}{
		{"nested and repeated", []string{"weights/a.bin", "b.bin", "weights/./a.bin"}, []string{filepath.Join("weights", "a.bin"), "b.bin"}, ""},
		{"escapes the directory", []string{"../shared/w.bin"}, nil, `"../shared/w.bin" is not a relative path inside the model's directory`},
		{"absolute", []string{"/data/w.bin"}, nil, "not a relative path"},
		{"no location", []string{""}, nil, `tensor "t0" is stored externally but names no location`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, b)
			var ts [][]byte
			for i, l := range tc.locs {
				ts = append(ts, tensorWithLocation("t"+string(rune('0'+i)), l))
			}
			if err := m.insert(wire.GraphInitializer, ts); err != nil {
				t.Fatal(err)
			}
			got, err := m.externalLocations()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("locations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetLastDim(t *testing.T) {
	g := graph.New("m")
	x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(7), graph.Fixed(32))
	g.Output(g.Op("Relu", []string{x}), graph.Float32, graph.Sym("batch"), graph.Fixed(7), graph.Fixed(32))
	b, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, b)
	_, e, err := m.output("relu")
	if err != nil {
		t.Fatal(err)
	}
	p, err := setLastDim(e.f.Payload, 8)
	if err != nil {
		t.Fatal(err)
	}
	vi, err := wire.ParseValueInfo(wire.NewValue(wire.GraphOutput, p))
	if err != nil {
		t.Fatal(err)
	}
	want := wire.ValueInfo{Name: "relu", ElemType: int64(graph.Float32), HasShape: true, IsTensor: true, Dims: []wire.Dim{{Param: "batch"}, {Value: 7, Known: true}, {Value: 8, Known: true}}}
	if diff := cmp.Diff(want, vi); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
