package edit_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/edit"
	"github.com/srbench/srbench/harness/onnx/graph"
)

const tol = 1e-5

func runtimeOrFatal(t testing.TB) *onnx.Runtime {
	t.Helper()
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatalf("these tests need ONNX Runtime: %v", err)
	}
	return rt
}

// tinyDir writes the Tiny CLIP files selected by opts into a new directory.
func tinyDir(t *testing.T, opts clipmodel.WriteOptions) (*clipmodel.Weights, string) {
	t.Helper()
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, opts); err != nil {
		t.Fatal(err)
	}
	return w, dir
}

func open(t *testing.T, rt *onnx.Runtime, path string) *onnx.Session {
	t.Helper()
	s, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1, InterOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func run(t *testing.T, s *onnx.Session, in map[string]onnx.Tensor) map[string]onnx.Tensor {
	t.Helper()
	out, err := s.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// textInputs makes n rows of CLIP-like token ids (start, random words, end,
// zero padding) of length 12.
func textInputs(r *rand.Rand, n int) map[string]onnx.Tensor {
	const seq = 12
	ids := make([]int64, n*seq)
	mask := make([]int64, n*seq)
	for b := range n {
		words := 1 + r.IntN(seq-2)
		row, m := ids[b*seq:(b+1)*seq], mask[b*seq:(b+1)*seq]
		row[0], m[0] = 49406, 1
		for i := 1; i <= words; i++ {
			row[i], m[i] = 1+r.Int64N(49405), 1
		}
		row[words+1], m[words+1] = 49407, 1
	}
	shape := []int64{int64(n), seq}
	return map[string]onnx.Tensor{
		clipmodel.InputIDs:      {Shape: shape, Int64: ids},
		clipmodel.AttentionMask: {Shape: shape, Int64: mask},
	}
}

// imageInputs makes n random images [n, 3, 224, 224].
func imageInputs(r *rand.Rand, n int) map[string]onnx.Tensor {
	px := make([]float32, n*3*224*224)
	for i := range px {
		px[i] = float32(r.NormFloat64())
	}
	return map[string]onnx.Tensor{clipmodel.PixelValues: {Shape: []int64{int64(n), 3, 224, 224}, Float32: px}}
}

// rows splits a [n, d] float32 tensor into float64 rows.
func rows(t *testing.T, x onnx.Tensor) [][]float64 {
	t.Helper()
	if len(x.Shape) != 2 {
		t.Fatalf("shape %v, want rank 2", x.Shape)
	}
	n, d := int(x.Shape[0]), int(x.Shape[1])
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, d)
		for j := range d {
			out[i][j] = float64(x.Float32[i*d+j])
		}
	}
	return out
}

// reference applies steps to one row in float64, written from the
// documented semantics independently of the graph the package builds.
func reference(steps []edit.Step, x []float64) []float64 {
	v := append([]float64(nil), x...)
	for _, s := range steps {
		switch s.Op {
		case edit.OpLinear:
			y := make([]float64, len(s.W))
			for i, row := range s.W {
				for j, w := range row {
					y[i] += w * v[j]
				}
				if s.B != nil {
					y[i] += s.B[i]
				}
			}
			v = y
		case edit.OpReLU:
			for i := range v {
				v[i] = math.Max(v[i], 0)
			}
		case edit.OpAddInput:
			for i := range v {
				v[i] += x[i]
			}
		case edit.OpNormalize:
			var ss float64
			for _, e := range v {
				ss += e * e
			}
			n := math.Sqrt(ss)
			for i := range v {
				v[i] /= n
			}
		default:
			panic(fmt.Sprint("reference: unknown op ", s.Op))
		}
	}
	return v
}

func referenceRows(steps []edit.Step, xs [][]float64) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = reference(steps, x)
	}
	return out
}

// check compares got with want element by element within tol.
func check(t *testing.T, name string, got onnx.Tensor, want [][]float64, tol float64) {
	t.Helper()
	if diff := cmp.Diff([]int64{int64(len(want)), int64(len(want[0]))}, got.Shape); diff != "" {
		t.Fatalf("%s shape (-want +got):\n%s", name, diff)
	}
	g := rows(t, got)
	worst := 0.0
	for i := range want {
		for j := range want[i] {
			d := math.Abs(g[i][j] - want[i][j])
			if !(d <= tol) {
				t.Errorf("%s[%d][%d] = %.8g, want %.8g (|diff| %.3g > %g)", name, i, j, g[i][j], want[i][j], d, tol)
				return
			}
			worst = max(worst, d)
		}
	}
	t.Logf("%s: max |diff| %.3g", name, worst)
}

func randMatrix(r *rand.Rand, out, in int, std float64) [][]float64 {
	w := make([][]float64, out)
	for i := range w {
		w[i] = make([]float64, in)
		for j := range w[i] {
			w[i][j] = std * r.NormFloat64()
		}
	}
	return w
}

func randVector(r *rand.Rand, n int, std float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = std * r.NormFloat64()
	}
	return v
}

func identity(n int) [][]float64 {
	w := make([][]float64, n)
	for i := range w {
		w[i] = make([]float64, n)
		w[i][i] = 1
	}
	return w
}

// stepCases are the step sequences the split-model test applies to an
// embedding of width d.
func stepCases(d int) []struct {
	name  string
	steps []edit.Step
	tol   float64
} {
	r := rand.New(rand.NewPCG(7, 11))
	return []struct {
		name  string
		steps []edit.Step
		tol   float64
	}{
		{"identity", []edit.Step{{Op: edit.OpLinear, W: identity(d), B: make([]float64, d)}}, 1e-6},
		{"linear+bias+normalize", []edit.Step{
			{Op: edit.OpLinear, W: randMatrix(r, d, d, 1/math.Sqrt(float64(d))), B: randVector(r, d, 0.1)},
			{Op: edit.OpNormalize},
		}, tol},
		{"mlp residual", []edit.Step{
			{Op: edit.OpLinear, W: randMatrix(r, 16, d, 0.5), B: randVector(r, 16, 0.1)},
			{Op: edit.OpReLU},
			{Op: edit.OpLinear, W: randMatrix(r, d, 16, 0.5), B: randVector(r, d, 0.1)},
			{Op: edit.OpAddInput},
			{Op: edit.OpNormalize},
		}, tol},
		{"narrower, no bias", []edit.Step{{Op: edit.OpLinear, W: randMatrix(r, 8, d, 0.3)}}, tol},
	}
}

// TestSplitModels edits text_model.onnx and vision_model.onnx and compares
// ONNX Runtime's new output with the steps computed in Go on the original
// model's output, at batch sizes 1 and 3.
func TestSplitModels(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, dir := tinyDir(t, clipmodel.WriteOptions{Text: true, Vision: true})
	d := w.Config.EmbedDim
	towers := []struct {
		file, output string
		inputs       func(*rand.Rand, int) map[string]onnx.Tensor
	}{
		{clipmodel.TextModelFile, clipmodel.TextEmbeds, textInputs},
		{clipmodel.VisionModelFile, clipmodel.ImageEmbeds, imageInputs},
	}
	for _, tw := range towers {
		orig := open(t, rt, filepath.Join(dir, tw.file))
		src, err := os.ReadFile(filepath.Join(dir, tw.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range stepCases(d) {
			t.Run(tw.output+"/"+tc.name, func(t *testing.T) {
				b, err := edit.AppendToOutput(src, tw.output, tc.steps)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), tw.file)
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				s := open(t, rt, path)
				outW := int64(len(reference(tc.steps, make([]float64, d))))
				if diff := cmp.Diff(orig.Inputs(), s.Inputs()); diff != "" {
					t.Errorf("inputs changed (-orig +edited):\n%s", diff)
				}
				wantOut := []onnx.TensorSpec{{Name: tw.output, Type: onnx.Float32, Shape: []int64{-1, outW}}}
				if diff := cmp.Diff(wantOut, s.Outputs()); diff != "" {
					t.Errorf("outputs (-want +got):\n%s", diff)
				}
				for _, n := range []int{1, 3} {
					in := tw.inputs(rand.New(rand.NewPCG(uint64(n), 5)), n)
					x := rows(t, run(t, orig, in)[tw.output])
					check(t, fmt.Sprintf("batch %d", n), run(t, s, in)[tw.output], referenceRows(tc.steps, x), tc.tol)
				}
			})
		}
	}
}

// TestCombinedModel edits both embeddings of model.onnx and checks that
// the logits are recomputed from the new embeddings with the model's logit
// scale: logits_per_image = exp(logit_scale) · image · textᵀ.
func TestCombinedModel(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, dir := tinyDir(t, clipmodel.WriteOptions{Combined: true})
	d := w.Config.EmbedDim
	src, err := os.ReadFile(filepath.Join(dir, clipmodel.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	orig := open(t, rt, filepath.Join(dir, clipmodel.ModelFile))
	cases := stepCases(d)
	textSteps, imageSteps := cases[1].steps, cases[2].steps
	unnormalised := []edit.Step{{Op: edit.OpLinear, W: randMatrix(rand.New(rand.NewPCG(3, 4)), d, d, 0.4), B: randVector(rand.New(rand.NewPCG(5, 6)), d, 0.2)}}
	scale := math.Exp(float64(w.Config.LogitScale)) // from the config, not the graph
	for _, tc := range []struct {
		name        string
		edits       []edit.Edit
		text, image []edit.Step // what Go applies to each embedding
	}{
		{"both towers, normalised", []edit.Edit{{Output: edit.TextEmbeds, Steps: textSteps}, {Output: edit.ImageEmbeds, Steps: imageSteps}}, textSteps, imageSteps},
		{"text only", []edit.Edit{{Output: edit.TextEmbeds, Steps: textSteps}}, textSteps, nil},
		{"image only, not normalised", []edit.Edit{{Output: edit.ImageEmbeds, Steps: unnormalised}}, nil, unnormalised},
		{"image twice", []edit.Edit{{Output: edit.ImageEmbeds, Steps: imageSteps}, {Output: edit.ImageEmbeds, Steps: unnormalised}}, nil, append(append([]edit.Step(nil), imageSteps...), unnormalised...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := edit.Apply(src, tc.edits)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), clipmodel.ModelFile)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			s := open(t, rt, path)
			if diff := cmp.Diff(orig.Signature(), s.Signature()); diff != "" {
				t.Errorf("signature changed (-orig +edited):\n%s", diff)
			}
			for _, n := range [][2]int{{1, 1}, {3, 2}} {
				in := textInputs(rand.New(rand.NewPCG(1, uint64(n[0]))), n[0])
				for k, v := range imageInputs(rand.New(rand.NewPCG(2, uint64(n[1]))), n[1]) {
					in[k] = v
				}
				old := run(t, orig, in)
				got := run(t, s, in)
				txt := referenceRows(tc.text, rows(t, old[edit.TextEmbeds]))
				img := referenceRows(tc.image, rows(t, old[edit.ImageEmbeds]))
				lpi := make([][]float64, len(img))
				lpt := make([][]float64, len(txt))
				for i := range img {
					lpi[i] = make([]float64, len(txt))
					for j := range txt {
						var dot float64
						for k := range img[i] {
							dot += img[i][k] * txt[j][k]
						}
						lpi[i][j] = scale * dot
					}
				}
				for j := range txt {
					lpt[j] = make([]float64, len(img))
					for i := range img {
						lpt[j][i] = lpi[i][j]
					}
				}
				name := fmt.Sprintf("%d texts, %d images: ", n[0], n[1])
				check(t, name+edit.TextEmbeds, got[edit.TextEmbeds], txt, tol)
				check(t, name+edit.ImageEmbeds, got[edit.ImageEmbeds], img, tol)
				// Logits are exp(2.66) ≈ 14 times the dot products.
				check(t, name+edit.LogitsPerImage, got[edit.LogitsPerImage], lpi, 20*tol)
				check(t, name+edit.LogitsPerText, got[edit.LogitsPerText], lpt, 20*tol)
			}
		})
	}

	t.Run("embedding widths differ", func(t *testing.T) {
		_, err := edit.Apply(src, []edit.Edit{{Output: edit.TextEmbeds, Steps: cases[3].steps}})
		if err == nil || !strings.Contains(err.Error(), `"text_embeds" has width 8 and "image_embeds" width 32`) {
			t.Errorf("err = %v", err)
		}
	})

	// AppendToOutput alone keeps the logits on the old embeddings; applying
	// RecomputeCLIPLogits afterwards equals Apply.
	t.Run("append then recompute", func(t *testing.T) {
		b, err := edit.AppendToOutput(src, edit.TextEmbeds, textSteps)
		if err != nil {
			t.Fatal(err)
		}
		p1 := filepath.Join(t.TempDir(), "appended.onnx")
		if err := os.WriteFile(p1, b, 0o644); err != nil {
			t.Fatal(err)
		}
		b2, err := edit.RecomputeCLIPLogits(b)
		if err != nil {
			t.Fatal(err)
		}
		b3, err := edit.Apply(src, []edit.Edit{{Output: edit.TextEmbeds, Steps: textSteps}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b2, b3) {
			t.Errorf("AppendToOutput+RecomputeCLIPLogits (%d bytes) differs from Apply (%d bytes)", len(b2), len(b3))
		}
		again, err := edit.RecomputeCLIPLogits(b2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b2) {
			t.Error("RecomputeCLIPLogits on up-to-date logits changed the model")
		}
		in := textInputs(rand.New(rand.NewPCG(9, 9)), 2)
		for k, v := range imageInputs(rand.New(rand.NewPCG(8, 8)), 2) {
			in[k] = v
		}
		old := run(t, orig, in)
		got := run(t, open(t, rt, p1), in)
		check(t, "old logits kept", got[edit.LogitsPerImage], rows(t, old[edit.LogitsPerImage]), 0)
		check(t, "new text_embeds", got[edit.TextEmbeds], referenceRows(textSteps, rows(t, old[edit.TextEmbeds])), tol)
	})
}

// logitsGraph builds a small combined-like model: text_embeds = t·1 and
// image_embeds = i·1 (inputs t, i float32 [batch, 4]) and logits from
// the variant's builder.
func logitsGraph(t *testing.T, build func(g *graph.Graph, te, ie string)) []byte {
	t.Helper()
	g := graph.New("logits")
	ti := g.Input("t", graph.Float32, graph.Sym("nt"), graph.Fixed(4))
	ii := g.Input("i", graph.Float32, graph.Sym("ni"), graph.Fixed(4))
	te := g.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{ti, g.ScalarFloat32(1)}, Outputs: []string{edit.TextEmbeds}})[0]
	ie := g.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{ii, g.ScalarFloat32(1)}, Outputs: []string{edit.ImageEmbeds}})[0]
	build(g, te, ie)
	g.Output(te, graph.Float32, graph.Sym("nt"), graph.Fixed(4))
	g.Output(ie, graph.Float32, graph.Sym("ni"), graph.Fixed(4))
	b, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func named(g *graph.Graph, op string, inputs []string, out string, attrs ...graph.Attr) string {
	return g.Node(graph.NodeSpec{Op: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs})[0]
}

// TestLogitsForms recomputes logits written in other forms than
// clipmodel's, and refuses forms it cannot rewire.
func TestLogitsForms(t *testing.T) {
	rt := runtimeOrFatal(t)
	perm := graph.AttrInts("perm", 1, 0)
	lpiOut := func(g *graph.Graph) {
		g.Output(edit.LogitsPerImage, graph.Float32, graph.Sym("ni"), graph.Sym("nt"))
	}
	lptOut := func(g *graph.Graph) {
		g.Output(edit.LogitsPerText, graph.Float32, graph.Sym("nt"), graph.Sym("ni"))
	}
	ok := []struct {
		name  string
		scale float64
		build func(g *graph.Graph, te, ie string)
	}{
		{"folded scale, Gemm, separate logits_per_image", 7.5, func(g *graph.Graph, te, ie string) {
			s := g.InitFloat32("folded_scale", nil, []float32{7.5})
			named(g, "Mul", []string{g.Op("Gemm", []string{te, ie}, graph.AttrInt("transB", 1)), s}, edit.LogitsPerText)
			named(g, "Mul", []string{g.Op("MatMul", []string{ie, g.Op("Transpose", []string{te}, perm)}), s}, edit.LogitsPerImage)
			lptOut(g)
			lpiOut(g)
		}},
		{"Constant scale first, only logits_per_image via transpose", 3, func(g *graph.Graph, te, ie string) {
			s := g.Op("Constant", nil, graph.AttrTensor("value", graph.Tensor{Dims: []int64{1}, Float32: []float32{3}}))
			lpt := g.Op("Mul", []string{s, g.Op("MatMul", []string{te, g.Op("Transpose", []string{ie})})})
			named(g, "Transpose", []string{lpt}, edit.LogitsPerImage, perm)
			lpiOut(g)
		}},
		{"identities around the product", 2, func(g *graph.Graph, te, ie string) {
			mm := g.Op("Identity", []string{g.Op("MatMul", []string{te, g.Op("Transpose", []string{ie}, perm)})})
			lpt := g.Op("Identity", []string{g.Op("Mul", []string{mm, g.ScalarFloat32(2)})})
			named(g, "Identity", []string{g.Op("Transpose", []string{lpt}, perm)}, edit.LogitsPerImage)
			lpiOut(g)
		}},
		{"exp of a log scale", math.Exp(0.5), func(g *graph.Graph, te, ie string) {
			s := g.Op("Exp", []string{g.InitFloat32("logit_scale", nil, []float32{0.5})})
			named(g, "Mul", []string{g.Op("MatMul", []string{te, g.Op("Transpose", []string{ie}, perm)}), s}, edit.LogitsPerText)
			lptOut(g)
		}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	steps := []edit.Step{{Op: edit.OpLinear, W: randMatrix(r, 4, 4, 0.7), B: randVector(r, 4, 0.3)}, {Op: edit.OpNormalize}}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			b, err := edit.Apply(logitsGraph(t, tc.build), []edit.Edit{{Output: edit.TextEmbeds, Steps: steps}})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.onnx")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			s := open(t, rt, path)
			tx := randVector(r, 3*4, 1)
			ix := randVector(r, 2*4, 1)
			f32 := func(v []float64) []float32 {
				out := make([]float32, len(v))
				for i, x := range v {
					out[i] = float32(x)
				}
				return out
			}
			got := run(t, s, map[string]onnx.Tensor{
				"t": {Shape: []int64{3, 4}, Float32: f32(tx)},
				"i": {Shape: []int64{2, 4}, Float32: f32(ix)},
			})
			var txt, img [][]float64
			for k := range 3 {
				txt = append(txt, reference(steps, []float64{float64(float32(tx[4*k])), float64(float32(tx[4*k+1])), float64(float32(tx[4*k+2])), float64(float32(tx[4*k+3]))}))
			}
			for k := range 2 {
				img = append(img, []float64{float64(float32(ix[4*k])), float64(float32(ix[4*k+1])), float64(float32(ix[4*k+2])), float64(float32(ix[4*k+3]))})
			}
			lpi := make([][]float64, 2)
			lpt := make([][]float64, 3)
			for j := range lpt {
				lpt[j] = make([]float64, 2)
			}
			for i := range img {
				lpi[i] = make([]float64, 3)
				for j := range txt {
					var dot float64
					for k := range 4 {
						dot += img[i][k] * txt[j][k]
					}
					lpi[i][j] = tc.scale * dot
					lpt[j][i] = lpi[i][j]
				}
			}
			check(t, edit.TextEmbeds, got[edit.TextEmbeds], txt, tol)
			if v, ok := got[edit.LogitsPerImage]; ok {
				check(t, edit.LogitsPerImage, v, lpi, 10*tol)
			}
			if v, ok := got[edit.LogitsPerText]; ok {
				check(t, edit.LogitsPerText, v, lpt, 10*tol)
			}
		})
	}

	bad := []struct {
		name, want string
		build      func(g *graph.Graph, te, ie string)
	}{
		{"logit bias", `"logits_per_text" is computed by a Add node`, func(g *graph.Graph, te, ie string) {
			mm := g.Op("Mul", []string{g.Op("MatMul", []string{te, g.Op("Transpose", []string{ie}, perm)}), g.ScalarFloat32(10)})
			named(g, "Add", []string{mm, g.ScalarFloat32(-10)}, edit.LogitsPerText)
			lptOut(g)
		}},
		{"scale from an input", "constant scalar logit scale", func(g *graph.Graph, te, ie string) {
			temp := g.Input("temperature", graph.Float32)
			named(g, "Mul", []string{g.Op("MatMul", []string{te, g.Op("Transpose", []string{ie}, perm)}), temp}, edit.LogitsPerText)
			lptOut(g)
		}},
		{"logits from other values", `which is not text_embeds · image_embedsᵀ`, func(g *graph.Graph, te, ie string) {
			named(g, "Mul", []string{g.Op("MatMul", []string{"t", g.Op("Transpose", []string{"i"}, perm)}), g.ScalarFloat32(2)}, edit.LogitsPerText)
			lptOut(g)
		}},
		{"swapped roles", `which is not text_embeds · image_embedsᵀ`, func(g *graph.Graph, te, ie string) {
			named(g, "Mul", []string{g.Op("MatMul", []string{ie, g.Op("Transpose", []string{te}, perm)}), g.ScalarFloat32(2)}, edit.LogitsPerText)
			lptOut(g)
		}},
		{"shared intermediate", `is also read by`, func(g *graph.Graph, te, ie string) {
			mm := g.Op("MatMul", []string{te, g.Op("Transpose", []string{ie}, perm)})
			named(g, "Mul", []string{mm, g.ScalarFloat32(2)}, edit.LogitsPerText)
			named(g, "Relu", []string{mm}, "other")
			lptOut(g)
			g.Output("other", graph.Float32, graph.Sym("nt"), graph.Sym("ni"))
		}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := edit.Apply(logitsGraph(t, tc.build), []edit.Edit{{Output: edit.TextEmbeds, Steps: steps}})
			if !errors.Is(err, edit.ErrUnsupportedLogits) {
				t.Fatalf("err = %v, want ErrUnsupportedLogits", err)
			}
			for _, want := range []string{tc.want, "combined-model export is unsupported", "text_model.onnx and vision_model.onnx"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}
