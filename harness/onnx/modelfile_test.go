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
