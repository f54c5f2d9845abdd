package edit_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/edit"
	"github.com/srbench/srbench/harness/onnx/graph"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportFileExternalData exports a vision model whose weights are in
// vision_model.onnx.data to other places and checks the data file follows
// and the result computes the edited embeddings.
func TestExportFileExternalData(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, dir := tinyDir(t, clipmodel.WriteOptions{Vision: true, ExternalDataThreshold: 4096})
	const dataFile = clipmodel.VisionModelFile + ".data"
	src := filepath.Join(dir, clipmodel.VisionModelFile)
	srcData := filepath.Join(dir, dataFile)
	srcBytes, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(srcData)
	if err != nil {
		t.Fatalf("the test model has no external data: %v", err)
	}
	if len(data) < 100<<10 {
		t.Fatalf("external data is only %d bytes", len(data))
	}
	steps := stepCases(w.Config.EmbedDim)[2].steps // MLP residual + normalize
	in := imageInputs(rand.New(rand.NewPCG(4, 4)), 2)
	want := referenceRows(steps, rows(t, run(t, open(t, rt, src), in)[clipmodel.ImageEmbeds]))

	inPlace := t.TempDir()
	copyFile(t, src, filepath.Join(inPlace, clipmodel.VisionModelFile))
	copyFile(t, srcData, filepath.Join(inPlace, dataFile))
	for _, tc := range []struct {
		name     string
		in, out  string
		opts     edit.FileOptions
		sameData bool // the output's data file is the input's (same inode)
	}{
		{"copy to another directory", src, filepath.Join(t.TempDir(), "exported", clipmodel.VisionModelFile), edit.FileOptions{}, false},
		{"link to another directory", src, filepath.Join(t.TempDir(), clipmodel.VisionModelFile), edit.FileOptions{LinkExternalData: true}, true},
		{"same directory, new name", src, filepath.Join(dir, "adapted.onnx"), edit.FileOptions{}, true},
		{"in place", filepath.Join(inPlace, clipmodel.VisionModelFile), filepath.Join(inPlace, clipmodel.VisionModelFile), edit.FileOptions{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "same directory, new name" && tc.name != "in place" {
				if err := os.MkdirAll(filepath.Dir(tc.out), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := edit.ExportFile(tc.in, tc.out, []edit.Edit{{Output: clipmodel.ImageEmbeds, Steps: steps}}, tc.opts); err != nil {
				t.Fatal(err)
			}
			outData := filepath.Join(filepath.Dir(tc.out), dataFile)
			got, err := os.ReadFile(outData)
			if err != nil {
				t.Fatalf("external data beside the output: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("external data beside the output differs from the input's (%d vs %d bytes)", len(got), len(data))
			}
			a, _ := os.Stat(filepath.Join(filepath.Dir(tc.in), dataFile))
			b, _ := os.Stat(outData)
			if same := os.SameFile(a, b); same != tc.sameData {
				t.Errorf("data file shared with the input: %v, want %v", same, tc.sameData)
			}
			mi, err := os.Stat(tc.out)
			if err != nil {
				t.Fatal(err)
			}
			if mi.Size() > 100<<10 {
				t.Errorf("exported model is %d bytes: the weights were inlined", mi.Size())
			}
			check(t, "exported", run(t, open(t, rt, tc.out), in)[clipmodel.ImageEmbeds], want, tol)
		})
	}
	if now, err := os.ReadFile(src); err != nil || !bytes.Equal(now, srcBytes) {
		t.Errorf("the input model changed (err %v)", err)
	}
	// The exports leave no temporary files behind.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "tmp") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// modelBytes marshals a builder graph with opts.
func modelBytes(t *testing.T, g *graph.Graph, opts graph.ModelOptions) []byte {
	t.Helper()
	b, err := g.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestErrors covers bad models, bad output names and bad steps.
func TestErrors(t *testing.T) {
	_, dir := tinyDir(t, clipmodel.WriteOptions{Text: true})
	textPath := filepath.Join(dir, clipmodel.TextModelFile)
	text, err := os.ReadFile(textPath)
	if err != nil {
		t.Fatal(err)
	}
	linear := func(out, in int) edit.Step {
		return edit.Step{Op: edit.OpLinear, W: randMatrix(rand.New(rand.NewPCG(1, 1)), out, in, 0.1)}
	}
	ragged := linear(32, 32)
	ragged.W[5] = ragged.W[5][:31]
	nan := linear(32, 32)
	nan.W[2][3] = math.NaN()
	badBias := linear(32, 32)
	badBias.B = make([]float64, 31)
	huge := linear(32, 32)
	huge.B = make([]float64, 32)
	huge.B[7] = 1e39

	affine := func(opts graph.ModelOptions, typ graph.DataType) []byte {
		g := graph.New("affine")
		x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
		y := g.Op("Mul", []string{x, g.ScalarFloat32(2)})
		if typ == graph.Int64 {
			y = g.Op("Cast", []string{y}, graph.AttrInt("to", int64(graph.Int64)))
		}
		g.Output(y, typ, graph.Sym("batch"), graph.Fixed(3))
		return modelBytes(t, g, opts)
	}
	passThrough := func() []byte {
		g := graph.New("pass")
		x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
		g.Output(x, graph.Float32, graph.Sym("batch"), graph.Fixed(3))
		return modelBytes(t, g, graph.ModelOptions{})
	}

	for _, tc := range []struct {
		name   string
		model  []byte
		output string
		steps  []edit.Step
		want   []string
	}{
		{"unknown output", text, "text_embed", []edit.Step{{Op: edit.OpNormalize}},
			[]string{`no output "text_embed"`, `did you mean "text_embeds"?`, `its outputs are "text_embeds"`}},
		{"unknown output without steps", text, "logits", nil, []string{`no output "logits"`, `"text_embeds"`}},
		{"W too narrow", text, "text_embeds", []edit.Step{linear(32, 16)},
			[]string{"step 0 (linear)", "W is [32][16]", "width 32", "expected 32 columns, got 16"}},
		{"second W does not fit the first", text, "text_embeds", []edit.Step{linear(16, 32), {Op: edit.OpReLU}, linear(32, 8)},
			[]string{"step 2 (linear)", "previous step produces width 16", "expected 16 columns, got 8"}},
		{"ragged W", text, "text_embeds", []edit.Step{ragged}, []string{"not rectangular", "row 5 has 31 values, row 0 has 32"}},
		{"empty W", text, "text_embeds", []edit.Step{{Op: edit.OpLinear}}, []string{"W has no rows"}},
		{"bias length", text, "text_embeds", []edit.Step{badBias}, []string{"B has 31 values, want 32"}},
		{"NaN weight", text, "text_embeds", []edit.Step{nan}, []string{"W[2][3] = NaN"}},
		{"bias beyond float32", text, "text_embeds", []edit.Step{huge}, []string{"B[7] = 1e+39 is not a finite float32"}},
		{"residual width", text, "text_embeds", []edit.Step{linear(16, 32), {Op: edit.OpAddInput}},
			[]string{"step 1 (add_input)", "adds the input (width 32) to a value of width 16"}},
		{"weights on relu", text, "text_embeds", []edit.Step{{Op: edit.OpReLU, B: []float64{1}}}, []string{"step 0 (relu)", "only used by linear steps"}},
		{"unknown op", text, "text_embeds", []edit.Step{{Op: 42}}, []string{"step 0: unknown op Op(42)"}},
		{"not ONNX: text", []byte("hello, world\n"), "y", nil, []string{"not an ONNX model"}},
		{"not ONNX: PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"), "y", nil, []string{"not an ONNX model"}},
		{"not ONNX: empty", nil, "y", nil, []string{"not an ONNX model"}},
		{"old opset", affine(graph.ModelOptions{Opset: 12}, graph.Float32), "mul", []edit.Step{{Op: edit.OpReLU}},
			[]string{"opset 12", "needs opset 13 or newer"}},
		{"int64 output", affine(graph.ModelOptions{}, graph.Int64), "cast", []edit.Step{{Op: edit.OpReLU}},
			[]string{`output "cast" has element type int64`, "only float32"}},
		{"output is an input", passThrough(), "x", []edit.Step{{Op: edit.OpReLU}}, []string{`output "x" is not computed by a node`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := edit.AppendToOutput(tc.model, tc.output, tc.steps)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	t.Run("recompute on a split model", func(t *testing.T) {
		_, err := edit.RecomputeCLIPLogits(text)
		if err == nil || !strings.Contains(err.Error(), `no output "image_embeds"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.onnx")
		err := edit.ExportFile(missing, filepath.Join(t.TempDir(), "out.onnx"), nil, edit.FileOptions{})
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "nope.onnx") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("missing external data", func(t *testing.T) {
		_, ext := tinyDir(t, clipmodel.WriteOptions{Text: true, ExternalDataThreshold: 4096})
		if err := os.Remove(filepath.Join(ext, clipmodel.TextModelFile+".data")); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), clipmodel.TextModelFile)
		err := edit.ExportFile(filepath.Join(ext, clipmodel.TextModelFile), out, []edit.Edit{{Output: "text_embeds", Steps: []edit.Step{{Op: edit.OpReLU}}}}, edit.FileOptions{})
		if err == nil || !strings.Contains(err.Error(), `external data "text_model.onnx.data"`) {
			t.Errorf("err = %v", err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("a model was written although its data could not be")
		}
	})
	t.Run("export error names the file", func(t *testing.T) {
		err := edit.ExportFile(textPath, filepath.Join(t.TempDir(), "o.onnx"), []edit.Edit{{Output: "image_embeds", Steps: []edit.Step{{Op: edit.OpReLU}}}}, edit.FileOptions{})
		if err == nil || !strings.Contains(err.Error(), textPath) || !strings.Contains(err.Error(), "edit 0") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestNoSteps leaves the model byte-identical.
func TestNoSteps(t *testing.T) {
	_, dir := tinyDir(t, clipmodel.WriteOptions{Combined: true})
	b, err := os.ReadFile(filepath.Join(dir, clipmodel.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := edit.Apply(b, []edit.Edit{{Output: "text_embeds"}, {Output: "image_embeds", Steps: []edit.Step{}}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Error("Apply without steps changed the model")
	}
	got, err = edit.RecomputeCLIPLogits(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Error("RecomputeCLIPLogits on an unedited model changed it")
	}
}

// TestOpsets runs the added nodes under the oldest supported opset, the
// common one and a recent one (ReduceL2 and friends changed at 18; the
// nodes used here did not).
func TestOpsets(t *testing.T) {
	rt := runtimeOrFatal(t)
	r := rand.New(rand.NewPCG(2, 3))
	steps := []edit.Step{
		{Op: edit.OpLinear, W: randMatrix(r, 5, 3, 1), B: randVector(r, 5, 0.5)},
		{Op: edit.OpReLU},
		{Op: edit.OpLinear, W: randMatrix(r, 3, 5, 1)},
		{Op: edit.OpAddInput},
		{Op: edit.OpNormalize},
	}
	x := []float32{1, -2, 0.5, 3, 0.25, -1}
	var want [][]float64
	for i := range 2 {
		want = append(want, reference(steps, []float64{2 * float64(x[3*i]), 2 * float64(x[3*i+1]), 2 * float64(x[3*i+2])}))
	}
	for _, opset := range []int64{13, 17, 21} {
		t.Run(fmt.Sprint("opset ", opset), func(t *testing.T) {
			g := graph.New("double")
			in := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
			y := g.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{in, g.ScalarFloat32(2)}, Outputs: []string{"y"}})[0]
			g.Output(y, graph.Float32, graph.Sym("batch"), graph.Fixed(3))
			b, err := edit.AppendToOutput(modelBytes(t, g, graph.ModelOptions{Opset: opset}), "y", steps)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.onnx")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			check(t, "y", run(t, open(t, rt, path), map[string]onnx.Tensor{"x": {Shape: []int64{2, 3}, Float32: x}})["y"], want, tol)
		})
	}
}
