package onnx

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	ort "github.com/yalue/onnxruntime_go"

	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
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
