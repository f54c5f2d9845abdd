package clipmodel_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
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

// tinyDir builds the Tiny model files once per test.
func tinyDir(t *testing.T) (*clipmodel.Weights, string) {
	t.Helper()
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := w.WriteDir(dir, clipmodel.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return w, dir
}

func open(t *testing.T, rt *onnx.Runtime, path string) *onnx.Session {
	t.Helper()
	s, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// textBatch makes rows of CLIP-like token ids: <|startoftext|>, n random
// word ids (from the whole CLIP range, so folding is exercised), then
// <|endoftext|> and zero padding up to seq.
func textBatch(r *rand.Rand, seq int, lengths []int) (ids, mask [][]int64) {
	for _, n := range lengths {
		row := make([]int64, seq)
		m := make([]int64, seq)
		row[0], m[0] = 49406, 1
		for i := 1; i <= n; i++ {
			row[i], m[i] = 1+r.Int64N(49405), 1
		}
		row[n+1], m[n+1] = 49407, 1
		ids, mask = append(ids, row), append(mask, m)
	}
	return ids, mask
}

func flat(rows [][]int64) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// pixels makes n normalised images [n, 3, 224, 224]: per channel a random
// base colour, a random linear gradient and a little noise, so images differ
// the way photographs do (in colour and layout), not only in pixel noise.
func pixels(r *rand.Rand, n int) []float32 {
	const hw = 224
	px := make([]float32, n*3*hw*hw)
	for b := range n {
		for c := range 3 {
			base, gx, gy := r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
			plane := px[(b*3+c)*hw*hw:]
			for y := range hw {
				for x := range hw {
					v := base + gx*(float64(x)/hw-0.5) + gy*(float64(y)/hw-0.5) + 0.2*r.NormFloat64()
					plane[y*hw+x] = float32(v)
				}
			}
		}
	}
	return px
}

// compare checks got (row-major, shape [len(want), len(want[0])]) against
// want within tol and returns the largest difference.
func compare(t *testing.T, name string, got onnx.Tensor, want [][]float64) float64 {
	t.Helper()
	wantShape := []int64{int64(len(want)), int64(len(want[0]))}
	if fmt.Sprint(got.Shape) != fmt.Sprint(wantShape) {
		t.Fatalf("%s: shape %v, want %v", name, got.Shape, wantShape)
	}
	var worst float64
	cols := len(want[0])
	for i := range want {
		for j := range want[i] {
			d := math.Abs(float64(got.Float32[i*cols+j]) - want[i][j])
			worst = max(worst, d)
			if d > tol || math.IsNaN(d) {
				t.Errorf("%s[%d][%d] = %v, reference %v (|diff| %.3g > %g)", name, i, j, got.Float32[i*cols+j], want[i][j], d, tol)
			}
		}
	}
	return worst
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

// TestMatchesReference runs the Tiny model in ONNX Runtime and compares it
// with the plain-Go forward pass.
func TestMatchesReference(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, dir := tinyDir(t)
	combined := open(t, rt, filepath.Join(dir, clipmodel.ModelFile))
	textOnly := open(t, rt, filepath.Join(dir, clipmodel.TextModelFile))
	visionOnly := open(t, rt, filepath.Join(dir, clipmodel.VisionModelFile))

	for _, tc := range []struct {
		name    string
		seq     int
		lengths []int // word tokens per row (plus start and end tokens)
		hole    int   // when > 0, row 0's token at this index is masked out
	}{
		{name: "context 77, three paddings", seq: 77, lengths: []int{3, 20, 75}},
		{name: "short sequence", seq: 9, lengths: []int{1, 7, 4}},
		{name: "masked token before EOS", seq: 16, lengths: []int{6, 2, 14}, hole: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.seq), 7))
			ids, mask := textBatch(r, tc.seq, tc.lengths)
			if tc.hole > 0 {
				mask[0][tc.hole] = 0
			}
			px := pixels(r, 2)
			in := map[string]onnx.Tensor{
				clipmodel.InputIDs:      {Shape: []int64{3, int64(tc.seq)}, Int64: flat(ids)},
				clipmodel.AttentionMask: {Shape: []int64{3, int64(tc.seq)}, Int64: flat(mask)},
				clipmodel.PixelValues:   {Shape: []int64{2, 3, 224, 224}, Float32: px},
			}
			out, err := combined.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			wantText, err := w.TextEmbeds(ids, mask)
			if err != nil {
				t.Fatal(err)
			}
			wantImage, err := w.ImageEmbeds(px, 2)
			if err != nil {
				t.Fatal(err)
			}
			wantLogits, err := w.LogitsPerImage(wantImage, wantText)
			if err != nil {
				t.Fatal(err)
			}
			wantLogitsT := [][]float64{{}, {}, {}}
			for i := range wantLogits {
				for j := range wantLogits[i] {
					wantLogitsT[j] = append(wantLogitsT[j], wantLogits[i][j])
				}
			}
			t.Logf("max |ORT - Go|: text_embeds %.2g, image_embeds %.2g, logits_per_image %.2g, logits_per_text %.2g",
				compare(t, clipmodel.TextEmbeds, out[clipmodel.TextEmbeds], wantText),
				compare(t, clipmodel.ImageEmbeds, out[clipmodel.ImageEmbeds], wantImage),
				compare(t, clipmodel.LogitsPerImage, out[clipmodel.LogitsPerImage], wantLogits),
				compare(t, clipmodel.LogitsPerText, out[clipmodel.LogitsPerText], wantLogitsT))

			// The split models give the same embeddings as the combined one.
			tOut, err := textOnly.Run(map[string]onnx.Tensor{clipmodel.InputIDs: in[clipmodel.InputIDs], clipmodel.AttentionMask: in[clipmodel.AttentionMask]})
			if err != nil {
				t.Fatal(err)
			}
			vOut, err := visionOnly.Run(map[string]onnx.Tensor{clipmodel.PixelValues: in[clipmodel.PixelValues]})
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "text_model "+clipmodel.TextEmbeds, tOut[clipmodel.TextEmbeds], wantText)
			compare(t, "vision_model "+clipmodel.ImageEmbeds, vOut[clipmodel.ImageEmbeds], wantImage)
			for i, v := range tOut[clipmodel.TextEmbeds].Float32 {
				if d := math.Abs(float64(v - out[clipmodel.TextEmbeds].Float32[i])); d > 1e-6 {
					t.Errorf("text_model.onnx text_embeds[%d] = %v, model.onnx %v", i, v, out[clipmodel.TextEmbeds].Float32[i])
				}
			}
			for i, v := range vOut[clipmodel.ImageEmbeds].Float32 {
				if d := math.Abs(float64(v - out[clipmodel.ImageEmbeds].Float32[i])); d > 1e-6 {
					t.Errorf("vision_model.onnx image_embeds[%d] = %v, model.onnx %v", i, v, out[clipmodel.ImageEmbeds].Float32[i])
				}
			}

			// Embeddings are not degenerate: different texts and images
			// point in clearly different directions.
			for i := range wantText {
				for j := range i {
					if c := cosine(wantText[i], wantText[j]); c > 0.95 {
						t.Errorf("text rows %d and %d have cosine %.4f; random texts should differ", i, j, c)
					}
				}
			}
			if c := cosine(wantImage[0], wantImage[1]); c > 0.95 {
				t.Errorf("the two images have cosine %.4f; random images should differ", c)
			}

			if tc.hole > 0 {
				// The padding mask must matter: unmasking the hole changes row 0.
				mask[0][tc.hole] = 1
				unmasked, err := w.TextEmbeds(ids[:1], mask[:1])
				if err != nil {
					t.Fatal(err)
				}
				if c := cosine(unmasked[0], wantText[0]); c > 0.9999 {
					t.Errorf("masking token %d left the embedding unchanged (cosine %.6f)", tc.hole, c)
				}
			}
		})
	}
}

// TestTextInvariances checks properties of CLIP text encoding on ONNX
// Runtime's outputs: tokens after the EOS position do not matter (causal
// attention and EOS pooling); ids that agree modulo the folded vocabulary
// give the same embedding; embeddings have unit norm.
func TestTextInvariances(t *testing.T) {
	rt := runtimeOrFatal(t)
	_, dir := tinyDir(t)
	s := open(t, rt, filepath.Join(dir, clipmodel.TextModelFile))
	vocab := int64(clipmodel.Tiny().Vocab)
	run := func(ids, mask []int64) []float32 {
		t.Helper()
		out, err := s.Run(map[string]onnx.Tensor{
			clipmodel.InputIDs:      {Shape: []int64{1, int64(len(ids))}, Int64: ids},
			clipmodel.AttentionMask: {Shape: []int64{1, int64(len(mask))}, Int64: mask},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out[clipmodel.TextEmbeds].Float32
	}
	base := run([]int64{49406, 320, 1125, 49407, 0, 0}, []int64{1, 1, 1, 1, 0, 0})
	for _, tc := range []struct {
		name      string
		ids, mask []int64
	}{
		{"different padding after EOS", []int64{49406, 320, 1125, 49407, 77, 9000}, []int64{1, 1, 1, 1, 1, 1}},
		{"shorter sequence", []int64{49406, 320, 1125, 49407}, []int64{1, 1, 1, 1}},
		{"ids shifted by the vocabulary size", []int64{49406, 320 + vocab, 1125 - 2*vocab, 49407, 0, 0}, []int64{1, 1, 1, 1, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(tc.ids, tc.mask)
			var norm float64
			for i := range got {
				norm += float64(got[i]) * float64(got[i])
				if d := math.Abs(float64(got[i] - base[i])); d > 1e-6 {
					t.Errorf("text_embeds[%d] = %v, want %v", i, got[i], base[i])
				}
			}
			if math.Abs(math.Sqrt(norm)-1) > 1e-6 {
				t.Errorf("norm %v, want 1", math.Sqrt(norm))
			}
		})
	}
	// And a different word does change it.
	other := run([]int64{49406, 321, 1125, 49407, 0, 0}, []int64{1, 1, 1, 1, 0, 0})
	var diff float64
	for i := range other {
		diff = max(diff, math.Abs(float64(other[i]-base[i])))
	}
	if diff < 1e-3 {
		t.Errorf("changing a word changed the embedding by only %g", diff)
	}
}

// TestSignatures checks the written files against the Optimum CLIP layout
// as the onnx package spells it, and the file sizes of the Tiny preset.
func TestSignatures(t *testing.T) {
	rt := runtimeOrFatal(t)
	_, dir := tinyDir(t)
	for _, tc := range []struct {
		file    string
		want    onnx.Signature
		maxSize int64
	}{
		{clipmodel.ModelFile, onnx.CLIPSignature(224), 1 << 20},
		{clipmodel.TextModelFile, onnx.CLIPTextSignature(), 300 << 10},
		{clipmodel.VisionModelFile, onnx.CLIPVisionSignature(224), 600 << 10},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			s := open(t, rt, path)
			if err := s.CheckSignature(tc.want); err != nil {
				t.Error(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > tc.maxSize {
				t.Errorf("%s is %d bytes, want at most %d", tc.file, st.Size(), tc.maxSize)
			}
		})
	}
}

// TestExternalData writes the Tiny model with large initializers in an
// external file and checks it computes the same as the inline model.
func TestExternalData(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, dir := tinyDir(t)
	extDir := t.TempDir()
	if _, err := w.WriteDir(extDir, clipmodel.WriteOptions{Vision: true, ExternalDataThreshold: 4096}); err != nil {
		t.Fatal(err)
	}
	data, err := os.Stat(filepath.Join(extDir, clipmodel.VisionModelFile+".data"))
	if err != nil {
		t.Fatalf("external data file: %v", err)
	}
	model, err := os.Stat(filepath.Join(extDir, clipmodel.VisionModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if model.Size() > 100<<10 || data.Size() < 400<<10 {
		t.Errorf("model %d bytes, data %d bytes: the large initializers did not move out", model.Size(), data.Size())
	}
	px := pixels(rand.New(rand.NewPCG(3, 3)), 1)
	in := map[string]onnx.Tensor{clipmodel.PixelValues: {Shape: []int64{1, 3, 224, 224}, Float32: px}}
	a, err := open(t, rt, filepath.Join(dir, clipmodel.VisionModelFile)).Run(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := open(t, rt, filepath.Join(extDir, clipmodel.VisionModelFile)).Run(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a[clipmodel.ImageEmbeds].Float32 {
		if a[clipmodel.ImageEmbeds].Float32[i] != b[clipmodel.ImageEmbeds].Float32[i] {
			t.Fatalf("image_embeds[%d]: inline %v, external %v", i, a[clipmodel.ImageEmbeds].Float32[i], b[clipmodel.ImageEmbeds].Float32[i])
		}
	}
}

// TestWeights covers the seeded generation: determinism, independent tower
// streams, parameter counts from the CLIP formulas, and Validate.
func TestWeights(t *testing.T) {
	a, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	b, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	if a.Vision.PatchEmbedding[100] != b.Vision.PatchEmbedding[100] || a.Text.TokenEmbedding[7] != b.Text.TokenEmbedding[7] {
		t.Error("same seed, different weights")
	}
	if v := clipmodel.NewVisionWeights(clipmodel.Tiny()); v.Projection[5] != a.Vision.Projection[5] {
		t.Error("a vision tower made alone differs from the full model's")
	}
	cfg := clipmodel.Tiny()
	cfg.Seed = 2
	c, _ := clipmodel.NewWeights(cfg)
	if c.Text.TokenEmbedding[7] == a.Text.TokenEmbedding[7] {
		t.Error("different seeds, same weights")
	}

	// OpenAI's CLIP ViT-B/32 has 151,277,313 parameters (the sum of
	// numel over its state dict, logit_scale included).
	if got := clipmodel.BaseB32().NumParameters(); got != 151277313 {
		t.Errorf("BaseB32 has %d parameters, want 151277313", got)
	}
	if got, want := a.NumParameters(), clipmodel.Tiny().NumParameters(); got != want {
		t.Errorf("Tiny weights hold %d parameters, the config formula says %d", got, want)
	}

	for _, tc := range []struct {
		name   string
		mutate func(*clipmodel.Config)
		want   string
	}{
		{"heads do not divide width", func(c *clipmodel.Config) { c.TextHeads = 3 }, "TextWidth 32 is not a multiple of TextHeads 3"},
		{"patch does not divide image", func(c *clipmodel.Config) { c.PatchSize = 30 }, "ImageSize 224 is not a multiple of PatchSize 30"},
		{"zero width", func(c *clipmodel.Config) { c.VisionWidth = 0 }, "VisionWidth is 0, want > 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := clipmodel.Tiny()
			tc.mutate(&cfg)
			_, err := clipmodel.NewWeights(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestAddTowerWithHead puts a layer on top of an embedding, the way later
// models append adapters and heads, and checks the result against the
// reference.
func TestAddTowerWithHead(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New("head")
	emb, err := w.AddVisionTower(g, "embedding")
	if err != nil {
		t.Fatal(err)
	}
	// score = 3 · Σ embedding
	score := g.Op("ReduceSum", []string{g.Op("Mul", []string{emb, g.ScalarFloat32(3)}), g.ConstInt64(1)}, graph.AttrInt("keepdims", 0))
	g.Node(graph.NodeSpec{Op: "Identity", Inputs: []string{score}, Outputs: []string{"score"}})
	g.Output("score", graph.Float32, graph.Sym(clipmodel.ImageBatchDim))
	p := filepath.Join(t.TempDir(), "head.onnx")
	if err := g.WriteFile(p, graph.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	px := pixels(rand.New(rand.NewPCG(5, 5)), 2)
	out, err := open(t, rt, p).Run(map[string]onnx.Tensor{clipmodel.PixelValues: {Shape: []int64{2, 3, 224, 224}, Float32: px}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := w.ImageEmbeds(px, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range ref {
		var want float64
		for _, v := range e {
			want += 3 * v
		}
		if got := float64(out["score"].Float32[i]); math.Abs(got-want) > tol {
			t.Errorf("score[%d] = %v, want %v", i, got, want)
		}
	}
	if _, err := (&clipmodel.Weights{Config: clipmodel.Tiny()}).AddTextTower(graph.New("x"), "e"); err == nil {
		t.Error("AddTextTower without text weights succeeded")
	}
}
