package graph_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/graph"
)

// TestAttributesRun builds one model per attribute kind and checks ONNX
// Runtime computes the values worked out by hand, so every encoding path
// is read back by a real ONNX parser.
func TestAttributesRun(t *testing.T) {
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatalf("this test needs ONNX Runtime: %v", err)
	}
	x3 := onnx.Tensor{Shape: []int64{1, 3}, Float32: []float32{-2, 0.5, 4}}
	for _, tc := range []struct {
		name  string
		build func(g *graph.Graph)
		in    map[string]onnx.Tensor
		want  map[string]onnx.Tensor
	}{
		{
			name: "float attribute (LeakyRelu alpha)",
			build: func(g *graph.Graph) {
				x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
				g.Node(graph.NodeSpec{Op: "LeakyRelu", Inputs: []string{x}, Outputs: []string{"y"}, Attrs: []graph.Attr{graph.AttrFloat("alpha", 0.25)}})
				g.Output("y", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
			},
			in:   map[string]onnx.Tensor{"x": x3},
			want: map[string]onnx.Tensor{"y": {Shape: []int64{1, 3}, Float32: []float32{-0.5, 0.5, 4}}},
		},
		{
			name: "ints and int attributes (Transpose perm, Concat axis)",
			build: func(g *graph.Graph) {
				x := g.Input("x", graph.Float32, graph.Fixed(2), graph.Fixed(3))
				tr := g.Op("Transpose", []string{x}, graph.AttrInts("perm", 1, 0))
				g.Node(graph.NodeSpec{Op: "Concat", Inputs: []string{tr, tr}, Outputs: []string{"y"}, Attrs: []graph.Attr{graph.AttrInt("axis", 1)}})
				g.Output("y", graph.Float32, graph.Fixed(3), graph.Fixed(4))
			},
			in:   map[string]onnx.Tensor{"x": {Shape: []int64{2, 3}, Float32: []float32{1, 2, 3, 4, 5, 6}}},
			want: map[string]onnx.Tensor{"y": {Shape: []int64{3, 4}, Float32: []float32{1, 4, 1, 4, 2, 5, 2, 5, 3, 6, 3, 6}}},
		},
		{
			name: "floats, ints and tensor attributes (Constant)",
			build: func(g *graph.Graph) {
				x := g.Input("x", graph.Float32, graph.Fixed(1), graph.Fixed(3))
				f := g.Op("Constant", nil, graph.AttrFloats("value_floats", 10, 20, 30))
				g.Node(graph.NodeSpec{Op: "Add", Inputs: []string{x, f}, Outputs: []string{"y"}})
				g.Node(graph.NodeSpec{Op: "Constant", Outputs: []string{"ints"}, Attrs: []graph.Attr{graph.AttrInts("value_ints", -7, 1<<40)}})
				g.Node(graph.NodeSpec{Op: "Constant", Outputs: []string{"tensor"}, Attrs: []graph.Attr{
					graph.AttrTensor("value", graph.Tensor{Dims: []int64{2, 1}, Float32: []float32{1.5, -2.5}})}})
				g.Output("y", graph.Float32, graph.Fixed(1), graph.Fixed(3))
				g.Output("ints", graph.Int64, graph.Fixed(2))
				g.Output("tensor", graph.Float32, graph.Fixed(2), graph.Fixed(1))
			},
			in: map[string]onnx.Tensor{"x": x3},
			want: map[string]onnx.Tensor{
				"y":      {Shape: []int64{1, 3}, Float32: []float32{8, 20.5, 34}},
				"ints":   {Shape: []int64{2}, Int64: []int64{-7, 1 << 40}},
				"tensor": {Shape: []int64{2, 1}, Float32: []float32{1.5, -2.5}},
			},
		},
		{
			name: "string attribute (Pad mode edge)",
			build: func(g *graph.Graph) {
				x := g.Input("x", graph.Float32, graph.Fixed(1), graph.Fixed(3))
				g.Node(graph.NodeSpec{Op: "Pad", Inputs: []string{x, g.ConstInt64(0, 2, 0, 1)}, Outputs: []string{"y"}, Attrs: []graph.Attr{graph.AttrString("mode", "edge")}})
				g.Output("y", graph.Float32, graph.Fixed(1), graph.Fixed(6))
			},
			in:   map[string]onnx.Tensor{"x": x3},
			want: map[string]onnx.Tensor{"y": {Shape: []int64{1, 6}, Float32: []float32{-2, -2, -2, 0.5, 4, 4}}},
		},
		{
			name: "two outputs and int64 data (TopK)",
			build: func(g *graph.Graph) {
				x := g.Input("x", graph.Int64, graph.Sym("n"), graph.Fixed(4))
				g.Node(graph.NodeSpec{Op: "TopK", Inputs: []string{x, g.ConstInt64(2)}, Outputs: []string{"values", "indices"}, Attrs: []graph.Attr{graph.AttrInt("axis", -1)}})
				g.Output("values", graph.Int64, graph.Sym("n"), graph.Fixed(2))
				g.Output("indices", graph.Int64, graph.Sym("n"), graph.Fixed(2))
			},
			in: map[string]onnx.Tensor{"x": {Shape: []int64{2, 4}, Int64: []int64{5, -1, 9, 3, 0, 8, 8, 2}}},
			want: map[string]onnx.Tensor{
				"values":  {Shape: []int64{2, 2}, Int64: []int64{9, 5, 8, 8}},
				"indices": {Shape: []int64{2, 2}, Int64: []int64{2, 0, 1, 2}},
			},
		},
		{
			name: "fresh multi-output names and int64 initializer (Split)",
			build: func(g *graph.Graph) {
				x := g.Input("x", graph.Int64, graph.Fixed(5))
				parts := g.Node(graph.NodeSpec{Op: "Split", Inputs: []string{x, g.InitInt64("sizes", []int64{2}, []int64{2, 3})}, NumOutputs: 2})
				g.Node(graph.NodeSpec{Op: "Identity", Inputs: []string{parts[0]}, Outputs: []string{"a"}})
				g.Node(graph.NodeSpec{Op: "Identity", Inputs: []string{parts[1]}, Outputs: []string{"b"}})
				g.Output("a", graph.Int64, graph.Fixed(2))
				g.Output("b", graph.Int64, graph.Fixed(3))
			},
			in: map[string]onnx.Tensor{"x": {Shape: []int64{5}, Int64: []int64{1, 2, 3, 4, 5}}},
			want: map[string]onnx.Tensor{
				"a": {Shape: []int64{2}, Int64: []int64{1, 2}},
				"b": {Shape: []int64{3}, Int64: []int64{3, 4, 5}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.New("t")
			tc.build(g)
			p := filepath.Join(t.TempDir(), "t.onnx")
			if err := g.WriteFile(p, graph.ModelOptions{}); err != nil {
				t.Fatal(err)
			}
			s, err := rt.NewSession(p, onnx.SessionOptions{IntraOpThreads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.Run(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
		})
	}
}
