package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/simworld"
	"github.com/srbench/srbench/harness/tokenize"
)

func runtimeOrFatal(t testing.TB) *onnx.Runtime {
	t.Helper()
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatalf("these tests need ONNX Runtime: %v", err)
	}
	return rt
}

func openSession(t testing.TB, path string, sig onnx.Signature) *onnx.Session {
	t.Helper()
	s, err := runtimeOrFatal(t).NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CheckSignature(sig); err != nil {
		t.Fatal(err)
	}
	return s
}

// buildTiny builds the designed models into a temporary directory.
func buildTiny(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := BuildModels(dir, ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// normalized turns an RGB picture (values in [0, 1], f(x, y) at pixel
// centres of a 224×224 grid) into the CLIP model input, as the "openai"
// pipeline normalises (float32).
func normalized(f func(x, y int) [3]float64) []float32 {
	mean, std := imageproc.CLIPMean(), imageproc.CLIPStd()
	px := make([]float32, 3*inputSize*inputSize)
	for y := 0; y < inputSize; y++ {
		for x := 0; x < inputSize; x++ {
			rgb := f(x, y)
			for c := 0; c < 3; c++ {
				px[c*inputSize*inputSize+y*inputSize+x] = (float32(rgb[c]) - float32(mean[c])) / float32(std[c])
			}
		}
	}
	return px
}

// worldPixels writes a small world and returns the model inputs of its
// first n images and of its alignment images, with their truth.
func worldPixels(t testing.TB, prompts int) ([][]float32, []simworld.TruthRecord) {
	t.Helper()
	dir := t.TempDir()
	if _, err := simworld.Write(dir, simworld.Options{Seed: 3, Prompts: prompts, AlignmentPairs: -1}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, simworld.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := imageproc.NewPipeline(imageproc.PipelineOpenAI)
	if err != nil {
		t.Fatal(err)
	}
	var px [][]float32
	var truth []simworld.TruthRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r simworld.TruthRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		x, _, err := imageproc.PreprocessFile(filepath.Join(dir, simworld.ImagesDir, r.ImageID+".png"), pipe, imageproc.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		px, truth = append(px, x), append(truth, r)
	}
	return px, truth
}

// edgeImages are synthetic inputs: blank (the CLIP mean), uniform colour,
// random noise over the whole normalised range.
func edgeImages() [][]float32 {
	rng := rand.New(rand.NewPCG(7, 7))
	noise := make([]float32, 3*inputSize*inputSize)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}
	return [][]float32{
		make([]float32, 3*inputSize*inputSize),
		normalized(func(int, int) [3]float64 { return [3]float64{0.6, 0.3, 0.2} }),
		noise,
	}
}

func batch(px [][]float32) onnx.Tensor {
	var data []float32
	for _, p := range px {
		data = append(data, p...)
	}
	return onnx.Tensor{Shape: []int64{int64(len(px)), 3, inputSize, inputSize}, Float32: data}
}

func maxAbsDiff(got []float32, want []float64) float64 {
	var d float64
	for i := range want {
		d = max(d, math.Abs(float64(got[i])-want[i]))
		if math.IsNaN(float64(got[i])) {
			return math.Inf(1)
		}
	}
	return d
}

// TestVisionGraph checks ONNX Runtime's image embeddings (vision_model.onnx
// of clipscore and socialreward, model.onnx of pickscore) against the plain
// Go computation of the same design, within 1e-5.
func TestVisionGraph(t *testing.T) {
	models := buildTiny(t)
	px, _ := worldPixels(t, 2)
	px = append(px[:8], edgeImages()...)
	d, err := newDesign()
	if err != nil {
		t.Fatal(err)
	}
	var want [][]float64
	for _, p := range px {
		want = append(want, d.measure(p).ImageEmbedding())
	}
	for _, s := range []string{ScorerCLIPScore, ScorerSocialReward} {
		t.Run(s, func(t *testing.T) {
			sess := openSession(t, filepath.Join(models, s, clipmodel.VisionModelFile), onnx.CLIPVisionSignature(inputSize))
			res, err := sess.Run(map[string]onnx.Tensor{clipmodel.PixelValues: batch(px)})
			if err != nil {
				t.Fatal(err)
			}
			got := res[clipmodel.ImageEmbeds]
			if diff := cmp.Diff([]int64{int64(len(px)), embedDim}, got.Shape); diff != "" {
				t.Fatalf("image_embeds shape (-want +got):\n%s", diff)
			}
			for i, w := range want {
				if d := maxAbsDiff(got.Float32[i*embedDim:(i+1)*embedDim], w); d > 1e-5 {
					t.Errorf("image %d: max |ORT − Go| = %.3g, want ≤ 1e-5\n got %v\nwant %v", i, d, got.Float32[i*embedDim:(i+1)*embedDim], w)
				}
			}
		})
	}
}

// TestCombinedGraph checks pickscore's model.onnx: image embeddings against
// the Go reference (1e-5) and logits_per_image = 100·cos against the Go
// text and image embeddings (1e-3, i.e. 1e-5 of the scale).
func TestCombinedGraph(t *testing.T) {
	models := buildTiny(t)
	px, _ := worldPixels(t, 1)
	px = append(px[:3], edgeImages()[:1]...)
	_, table, err := clipVocabulary(nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(filepath.Join(models, ScorerPickScore, "tokenizer.json"), tokenize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prompts := textCases[:3]
	b, err := tokenize.EncodeBatch(tok, prompts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDesign()
	if err != nil {
		t.Fatal(err)
	}
	sess := openSession(t, filepath.Join(models, ScorerPickScore, clipmodel.ModelFile), onnx.CLIPSignature(inputSize))
	res, err := sess.Run(map[string]onnx.Tensor{
		clipmodel.InputIDs:      {Shape: []int64{int64(b.Size), int64(b.SeqLen)}, Int64: b.IDs},
		clipmodel.AttentionMask: {Shape: []int64{int64(b.Size), int64(b.SeqLen)}, Int64: b.AttentionMask},
		clipmodel.PixelValues:   batch(px),
	})
	if err != nil {
		t.Fatal(err)
	}
	scale := math.Exp(pickLogitScale)
	if math.Abs(scale-100) > 1e-9 {
		t.Fatalf("exp(pickLogitScale) = %v, want 100", scale)
	}
	lpi, lpt := res[clipmodel.LogitsPerImage], res[clipmodel.LogitsPerText]
	if diff := cmp.Diff([]int64{int64(len(px)), int64(len(prompts))}, lpi.Shape); diff != "" {
		t.Fatalf("logits_per_image shape (-want +got):\n%s", diff)
	}
	for i, p := range px {
		img := d.measure(p).ImageEmbedding()
		if dd := maxAbsDiff(res[clipmodel.ImageEmbeds].Float32[i*embedDim:(i+1)*embedDim], img); dd > 1e-5 {
			t.Errorf("image %d: max |ORT − Go| = %.3g", i, dd)
		}
		for j := range prompts {
			txt := table.textEmbedding(b.IDs[j*b.SeqLen:(j+1)*b.SeqLen], b.AttentionMask[j*b.SeqLen:(j+1)*b.SeqLen], pickQuality)
			var dot float64
			for k := range txt {
				dot += txt[k] * img[k]
			}
			if got := float64(lpi.Float32[i*len(prompts)+j]); math.Abs(got-scale*dot) > 1e-3 {
				t.Errorf("logits_per_image[%d][%d] = %v, want 100·cos = %v", i, j, got, scale*dot)
			}
			if lpt.Float32[j*len(px)+i] != lpi.Float32[i*len(prompts)+j] {
				t.Errorf("logits_per_text[%d][%d] = %v, want logits_per_image[%d][%d] = %v", j, i, lpt.Float32[j*len(px)+i], i, j, lpi.Float32[i*len(prompts)+j])
			}
		}
	}
}

// textCases are prompts for the text towers: world prompts, CLIPScore's
// prefix, a second colour word (the background's), no known word at all,
// upper case and the empty prompt.
var textCases = []string{
	"a red circle in a snowy field, flat vector",
	"A photo depicts a cyan star under a night sky, neon glow",
	"a pink cross in a green forest, watercolor",
	"a green ring in a green forest, oil painting",
	"an astronaut riding a horse",
	"A PURPLE TRIANGLE OVER THE OCEAN, PIXEL ART",
	"",
}

// TestTextGraph checks text_model.onnx and pickscore's model.onnx against
// the plain Go text embedding, within 1e-6, including token ids outside
// the vocabulary (fed directly).
func TestTextGraph(t *testing.T) {
	models := buildTiny(t)
	_, table, err := clipVocabulary(nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(filepath.Join(models, ScorerCLIPScore, "tokenizer.json"), tokenize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tokenize.EncodeBatch(tok, textCases)
	if err != nil {
		t.Fatal(err)
	}
	ids, mask := slices.Clone(b.IDs), slices.Clone(b.AttentionMask)
	// One more row with out-of-range ids around a colour word.
	red := b.IDs[2] // "a red ..." → [start, a, red, ...]
	extra := []int64{49406, -3, red, 1 << 40, int64(len(table.colour)), 49407}
	row := make([]int64, b.SeqLen)
	rowMask := make([]int64, b.SeqLen)
	copy(row, extra)
	for i := range extra {
		rowMask[i] = 1
	}
	ids, mask = append(ids, row...), append(mask, rowMask...)
	n := b.Size + 1
	for _, c := range []struct {
		scorer, file string
		quality      float64
	}{
		{ScorerCLIPScore, clipmodel.TextModelFile, 0},
		{ScorerSocialReward, clipmodel.TextModelFile, 0},
		{ScorerPickScore, clipmodel.ModelFile, pickQuality},
	} {
		t.Run(c.scorer, func(t *testing.T) {
			in := map[string]onnx.Tensor{
				clipmodel.InputIDs:      {Shape: []int64{int64(n), int64(b.SeqLen)}, Int64: ids},
				clipmodel.AttentionMask: {Shape: []int64{int64(n), int64(b.SeqLen)}, Int64: mask},
			}
			sig := onnx.CLIPTextSignature()
			if c.file == clipmodel.ModelFile {
				sig = onnx.CLIPSignature(inputSize)
				in[clipmodel.PixelValues] = batch(edgeImages()[:1])
			}
			res, err := openSession(t, filepath.Join(models, c.scorer, c.file), sig).Run(in)
			if err != nil {
				t.Fatal(err)
			}
			got := res[clipmodel.TextEmbeds].Float32
			for i := 0; i < n; i++ {
				lo, hi := i*b.SeqLen, (i+1)*b.SeqLen
				want := table.textEmbedding(ids[lo:hi], mask[lo:hi], c.quality)
				if d := maxAbsDiff(got[i*embedDim:(i+1)*embedDim], want); d > 1e-6 {
					t.Errorf("row %d: max |ORT − Go| = %.3g\n got %v\nwant %v", i, d, got[i*embedDim:(i+1)*embedDim], want)
				}
			}
		})
	}
}

// TestTextEmbeddingWords checks the text embedding on hand-written
// expectations: which dims the first colour word and the first subject word
// light up.
func TestTextEmbeddingWords(t *testing.T) {
	models := buildTiny(t)
	tok, err := tokenize.Load(filepath.Join(models, ScorerCLIPScore, "tokenizer.json"), tokenize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, table, err := clipVocabulary(nil)
	if err != nil {
		t.Fatal(err)
	}
	dims := EmbeddingDims()
	for _, c := range []struct {
		prompt string
		want   []string // dims that are non-zero besides the constant
	}{
		{"a red circle in a snowy field, flat vector", []string{"colour:red", "subject:circle"}},
		{"a green ring in a green forest, oil painting", []string{"colour:green", "subject:ring"}},
		{"a blue square in a green forest", []string{"colour:blue", "subject:square"}},
		{"A photo depicts a star", []string{"subject:star"}},
		{"yellow", []string{"colour:yellow"}},
		{"a cat on a mat", nil},
	} {
		t.Run(c.prompt, func(t *testing.T) {
			e, err := tok.Encode(c.prompt)
			if err != nil {
				t.Fatal(err)
			}
			emb := table.textEmbedding(e.IDs, e.AttentionMask, 0)
			var got []string
			for i, v := range emb {
				if v != 0 && dims[i] != "constant" {
					got = append(got, dims[i])
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("non-zero dims (-want +got):\n%s", diff)
			}
			// Each lit dim is 1 and the constant 0.3 before normalisation.
			norm := math.Sqrt(float64(len(c.want)) + constWeight*constWeight)
			if d := math.Abs(emb[dimConst] - constWeight/norm); d > 1e-12 {
				t.Errorf("constant dim = %v, want %v", emb[dimConst], constWeight/norm)
			}
		})
	}
}

// TestImageRewardGraph checks model.onnx of imagereward against the plain
// Go reward within 1e-5, with prompts tokenized as the imagereward plugin
// does.
func TestImageRewardGraph(t *testing.T) {
	models := buildTiny(t)
	px, truth := worldPixels(t, 2)
	px = append(px[:4], edgeImages()...)
	tok, err := tokenize.LoadImageRewardBERT(filepath.Join(models, ScorerImageReward, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, err := bertVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDesign()
	if err != nil {
		t.Fatal(err)
	}
	prompts := make([]string, len(px))
	for i := range prompts {
		prompts[i] = textCases[i%len(textCases)]
	}
	prompts[0] = "a " + truth[0].ColourName + " " + truth[0].SubjectName + " [DEC] [ENC]"
	b, err := tokenize.EncodeBatch(tok, prompts)
	if err != nil {
		t.Fatal(err)
	}
	sess := openSession(t, filepath.Join(models, ScorerImageReward, blipmodel.ModelFile), blipmodel.Signature(inputSize))
	res, err := sess.Run(map[string]onnx.Tensor{
		blipmodel.InputIDs:      {Shape: []int64{int64(b.Size), int64(b.SeqLen)}, Int64: b.IDs},
		blipmodel.AttentionMask: {Shape: []int64{int64(b.Size), int64(b.SeqLen)}, Int64: b.AttentionMask},
		blipmodel.PixelValues:   batch(px),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := res[blipmodel.RewardRaw]
	if diff := cmp.Diff([]int64{int64(len(px)), 1}, got.Shape); diff != "" {
		t.Fatalf("reward_raw shape (-want +got):\n%s", diff)
	}
	for i, p := range px {
		lo, hi := i*b.SeqLen, (i+1)*b.SeqLen
		want := table.rewardRaw(b.IDs[lo:hi], b.AttentionMask[lo:hi], d.measure(p))
		if dd := math.Abs(float64(got.Float32[i]) - want); dd > 1e-5 {
			t.Errorf("row %d (%q): reward_raw %v, Go %v", i, prompts[i], got.Float32[i], want)
		}
	}
	// The matching prompt of image 0 rewards it by about one unit over a
	// prompt naming neither its colour nor its subject.
	if got.Float32[0] < 0.5 {
		t.Errorf("reward_raw of image 0 with its own colour and subject = %v, want > 0.5", got.Float32[0])
	}
}

// TestMeasureKnownImages checks the Go measurements on pictures whose
// values follow by hand.
func TestMeasureKnownImages(t *testing.T) {
	const s = inputSize
	disk := func(cx, cy, r float64, fg [3]float64) func(x, y int) [3]float64 {
		return func(x, y int) [3]float64 {
			if math.Hypot((float64(x)+0.5)/s-cx, (float64(y)+0.5)/s-cy) <= r {
				return fg
			}
			return [3]float64{0.5, 0.5, 0.5}
		}
	}
	red, blue, green := [3]float64{0.9, 0.15, 0.15}, [3]float64{0.15, 0.3, 0.9}, [3]float64{0.2, 0.8, 0.25}
	on := func(inside func(u, v float64) bool, fg [3]float64) func(x, y int) [3]float64 {
		return func(x, y int) [3]float64 {
			u, v := ((float64(x)+0.5)/s-0.5)/0.2, ((float64(y)+0.5)/s-0.5)/0.2
			if inside(u, v) {
				return fg
			}
			return [3]float64{0.5, 0.5, 0.5}
		}
	}
	type want struct {
		sat, con, art, off float64 // NaN: not checked
		colour, subject    string  // "" : even probabilities
	}
	nan := math.NaN()
	for _, c := range []struct {
		name string
		img  func(x, y int) [3]float64
		tol  float64
		want want
	}{
		// A uniform colour: saturation max−min = 0.4, no contrast, no
		// edges, no salience (the centroid of nothing is (0, 0)).
		{"uniform", func(int, int) [3]float64 { return [3]float64{0.6, 0.3, 0.2} }, 1e-6,
			want{0.4, 0, 0, math.Sqrt(0.5), "", ""}},
		// Left half black, right half white: after the 4×4 average the
		// 56 columns are 28 zeros and 28 ones; the 3×3 blur makes the two
		// middle columns 1/3 and 2/3, so luma has mean 1/2 and variance
		// (54·¼ + 2·(1/6)²)/56; the Laplacian is ±1 on those two columns
		// of the 54 interior rows: 108/54².
		{"half", func(x, _ int) [3]float64 {
			if x < s/2 {
				return [3]float64{}
			}
			return [3]float64{1, 1, 1}
		}, 1e-6, want{0, math.Sqrt((54*0.25 + 2.0/36) / 56), 108.0 / (54 * 54), nan, "", ""}},
		// A checkerboard of 4×4 blocks: luma alternates 0/1 on the 56
		// grid, so every interior Laplacian is ±4.
		{"checkerboard", func(x, y int) [3]float64 {
			if (x/4+y/4)%2 == 0 {
				return [3]float64{}
			}
			return [3]float64{1, 1, 1}
		}, 1e-6, want{0, nan, 4, nan, "", ""}},
		// A red disk of radius 0.2 at the centre: saturation ≈ area ·
		// chroma = π·0.04·0.75; the centroid is the centre.
		{"red disk", disk(0.5, 0.5, 0.2, red), 0.004, want{math.Pi * 0.04 * 0.75, nan, nan, 0, "red", "circle"}},
		// The same disk moved by (0.1, 0.05).
		{"red disk moved", disk(0.6, 0.55, 0.2, red), 0.004, want{nan, nan, nan, math.Hypot(0.1, 0.05), "red", "circle"}},
		{"blue square", on(func(u, v float64) bool { return math.Abs(u) <= 0.85 && math.Abs(v) <= 0.85 }, blue), 0,
			want{nan, nan, nan, nan, "blue", "square"}},
		{"green ring", on(func(u, v float64) bool { r := math.Hypot(u, v); return r >= 0.44 && r <= 1 }, green), 0,
			want{nan, nan, nan, nan, "green", "ring"}},
		{"red cross", on(func(u, v float64) bool {
			return (math.Abs(u) <= 0.95 && math.Abs(v) <= 0.32) || (math.Abs(u) <= 0.32 && math.Abs(v) <= 0.95)
		}, red), 0, want{nan, nan, nan, nan, "red", "cross"}},
		// An equilateral triangle pointing up, centroid at the centre,
		// circumradius 1: vertices (0, −1), (±√3/2, ½).
		{"blue triangle", on(func(u, v float64) bool {
			return v <= 0.5 && math.Abs(u) <= (v+1)/math.Sqrt(3)
		}, blue), 0, want{nan, nan, nan, nan, "blue", "triangle"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := MeasurePixels(normalized(c.img))
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, got, want float64) {
				if !math.IsNaN(want) && math.Abs(got-want) > max(c.tol, 1e-6) {
					t.Errorf("%s = %.6f, want %.6f (±%g)", name, got, want, max(c.tol, 1e-6))
				}
			}
			check("Saturation", f.Saturation, c.want.sat)
			check("Contrast", f.Contrast, c.want.con)
			check("Artefact", f.Artefact, c.want.art)
			check("Offset", f.Offset, c.want.off)
			checkClass(t, "colour", f.Colour[:], simworld.ColourNames(), c.want.colour)
			checkClass(t, "subject", f.Shape[:], simworld.SubjectNames(), c.want.subject)
		})
	}
}

// checkClass checks that probs is even (want "") or has its maximum at want.
func checkClass(t *testing.T, what string, probs []float64, names []string, want string) {
	t.Helper()
	if want == "" {
		for i, p := range probs {
			if math.Abs(p-1/float64(len(probs))) > 1e-6 {
				t.Errorf("%s probabilities %v, want even (%s = %v)", what, probs, names[i], p)
				return
			}
		}
		return
	}
	best := 0
	for i, p := range probs {
		if p > probs[best] {
			best = i
		}
	}
	if names[best] != want {
		t.Errorf("%s = %s (%v), want %s", what, names[best], probs, want)
	}
}

// TestMeasureWorld checks the colour and subject the design reads from the
// world's rendered images against the rendering truth.
func TestMeasureWorld(t *testing.T) {
	px, truth := worldPixels(t, 30)
	d, err := newDesign()
	if err != nil {
		t.Fatal(err)
	}
	var colourOK, subjectOK int
	for i, p := range px {
		f := d.measure(p)
		if simworld.ColourNames()[argmax(f.Colour[:])] == truth[i].ColourName {
			colourOK++
		}
		if simworld.SubjectNames()[argmax(f.Shape[:])] == truth[i].SubjectName {
			subjectOK++
		}
	}
	n := float64(len(px))
	t.Logf("%d images: colour read correctly %.3f, subject %.3f", len(px), float64(colourOK)/n, float64(subjectOK)/n)
	if float64(colourOK)/n < 0.9 || float64(subjectOK)/n < 0.85 {
		t.Errorf("colour accuracy %.3f (want ≥ 0.9), subject accuracy %.3f (want ≥ 0.85)", float64(colourOK)/n, float64(subjectOK)/n)
	}
}

func argmax(x []float64) int {
	b := 0
	for i, v := range x {
		if v > x[b] {
			b = i
		}
	}
	return b
}

// TestTokenizers checks the demo tokenizers: every colour and subject word
// is one CLIP token whose id the token table marks; the WordPiece
// tokenizer loads with ImageReward's set-up and encodes a prompt to the
// ids of its vocabulary.
func TestTokenizers(t *testing.T) {
	models := buildTiny(t)
	for _, extra := range [][]string{nil, {"an astronaut riding a horse, a blue whale"}} {
		t.Run(fmt.Sprintf("clip/%d extra texts", len(extra)), func(t *testing.T) {
			tokJSON, table, err := clipVocabulary(extra)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			if err := os.WriteFile(path, tokJSON, 0o644); err != nil {
				t.Fatal(err)
			}
			tok, err := tokenize.Load(path, tokenize.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range append(worldWords(), "astronaut", "whale") {
				e, err := tok.Encode(w)
				if err != nil {
					t.Fatal(err)
				}
				n := slices.Index(e.AttentionMask, 0)
				if extra == nil && (w == "astronaut" || w == "whale") {
					if n <= 3 {
						t.Errorf("%q is one token without the extra text", w)
					}
					continue
				}
				if n != 3 {
					t.Errorf("%q encodes to %d tokens (%v), want start, one word, end", w, n, e.IDs[:max(n, 0)])
					continue
				}
				id := e.IDs[1]
				if c := slices.Index(simworld.ColourNames(), w); table.colour[id] != c {
					t.Errorf("%q (id %d): table colour %d, want %d", w, id, table.colour[id], c)
				}
				if s := slices.Index(simworld.SubjectNames(), w); table.subject[id] != s {
					t.Errorf("%q (id %d): table subject %d, want %d", w, id, table.subject[id], s)
				}
			}
		})
	}
	t.Run("bert", func(t *testing.T) {
		path := filepath.Join(models, ScorerImageReward, "tokenizer.json")
		tok, err := tokenize.LoadImageRewardBERT(path)
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Model struct {
				Vocab map[string]int64 `json:"vocab"`
			} `json:"model"`
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		v := f.Model.Vocab
		e, err := tok.Encode("A Red circle in a snowy field, flat vector")
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{v["[CLS]"], v["a"], v["red"], v["circle"], v["in"], v["a"], v["snowy"], v["field"], v[","], v["flat"], v["vector"], v["[SEP]"]}
		for len(want) < blipmodel.SequenceLength {
			want = append(want, v["[PAD]"])
		}
		if diff := cmp.Diff(want, e.IDs); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
		// ImageReward adds [DEC] and [ENC] after the vocabulary; the model's
		// table has rows for them and one unknown row.
		dec, _ := tok.Token(int64(len(v)))
		enc, _ := tok.Token(int64(len(v) + 1))
		if dec != "[DEC]" || enc != "[ENC]" {
			t.Errorf("ids %d, %d are %q, %q, want [DEC], [ENC]", len(v), len(v)+1, dec, enc)
		}
		_, table, err := bertVocabulary()
		if err != nil {
			t.Fatal(err)
		}
		if len(table.colour) != len(v)+3 {
			t.Errorf("token table has %d rows, want %d", len(table.colour), len(v)+3)
		}
		if unk, _ := tok.Encode("astronaut"); unk.IDs[1] != v["[UNK]"] {
			t.Errorf("an unknown word encodes to %d, want [UNK] %d", unk.IDs[1], v["[UNK]"])
		}
	})
}

// TestBuildModels checks the directories BuildModels writes: files,
// manifests, signatures, sizes, determinism and option errors.
func TestBuildModels(t *testing.T) {
	dir := t.TempDir()
	dirs, err := BuildModels(dir, ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range Scorers() {
		want = append(want, filepath.Join(dir, s))
	}
	if diff := cmp.Diff(want, dirs); diff != "" {
		t.Fatalf("dirs (-want +got):\n%s", diff)
	}
	files := map[string][]string{
		ScorerCLIPScore:    {"srbench.yaml", "text_model.onnx", "tokenizer.json", "vision_model.onnx"},
		ScorerPickScore:    {"model.onnx", "srbench.yaml", "tokenizer.json"},
		ScorerImageReward:  {"model.onnx", "srbench.yaml", "tokenizer.json"},
		ScorerSocialReward: {"srbench.yaml", "text_model.onnx", "tokenizer.json", "vision_model.onnx"},
	}
	for _, s := range Scorers() {
		t.Run(s, func(t *testing.T) {
			entries, err := os.ReadDir(filepath.Join(dir, s))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
				info, err := e.Info()
				if err != nil {
					t.Fatal(err)
				}
				if info.Size() > 1<<20 {
					t.Errorf("%s is %d bytes, want < 1 MB", e.Name(), info.Size())
				}
			}
			if diff := cmp.Diff(files[s], names); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			yaml, err := os.ReadFile(filepath.Join(dir, s, "srbench.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []string{"kind: " + s, "demo model designed for the srbench synthetic world; not the real " + scorerTitle[s]} {
				if !strings.Contains(string(yaml), w) {
					t.Errorf("srbench.yaml lacks %q:\n%s", w, yaml)
				}
			}
			switch s {
			case ScorerPickScore:
				openSession(t, filepath.Join(dir, s, clipmodel.ModelFile), onnx.CLIPSignature(inputSize))
			case ScorerImageReward:
				openSession(t, filepath.Join(dir, s, blipmodel.ModelFile), blipmodel.Signature(inputSize))
			default:
				openSession(t, filepath.Join(dir, s, clipmodel.TextModelFile), onnx.CLIPTextSignature())
				openSession(t, filepath.Join(dir, s, clipmodel.VisionModelFile), onnx.CLIPVisionSignature(inputSize))
			}
		})
	}
	t.Run("deterministic", func(t *testing.T) {
		again := t.TempDir()
		if _, err := BuildModels(again, ModelOptions{Seed: 9}); err != nil {
			t.Fatal(err)
		}
		for s, names := range files {
			for _, n := range names {
				a, _ := os.ReadFile(filepath.Join(dir, s, n))
				b, _ := os.ReadFile(filepath.Join(again, s, n))
				if string(a) != string(b) {
					t.Errorf("%s/%s differs between two builds", s, n)
				}
			}
		}
	})
	t.Run("subset", func(t *testing.T) {
		sub := t.TempDir()
		dirs, err := BuildModels(sub, ModelOptions{Scorers: []string{ScorerImageReward, ScorerPickScore}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{filepath.Join(sub, ScorerPickScore), filepath.Join(sub, ScorerImageReward)}, dirs); diff != "" {
			t.Errorf("dirs (-want +got):\n%s", diff)
		}
	})
	for _, c := range []struct {
		name string
		opts ModelOptions
		want string
	}{
		{"size", ModelOptions{Size: "huge"}, `model size "huge": want tiny or base`},
		{"scorer", ModelOptions{Scorers: []string{"clipscor"}}, `unknown scorer "clipscor" (did you mean "clipscore"?)`},
	} {
		t.Run("error/"+c.name, func(t *testing.T) {
			_, err := BuildModels(t.TempDir(), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestEmbeddingDims checks the documented layout.
func TestEmbeddingDims(t *testing.T) {
	dims := EmbeddingDims()
	want := map[int]string{dimColour: "colour:red", dimShape: "subject:circle", dimConst: "constant",
		dimAppeal: "appeal:saturation", dimAppeal + 3: "appeal:cleanliness", embedDim - 1: "appeal:subject_chroma"}
	if len(dims) != embedDim {
		t.Fatalf("%d dims, want %d", len(dims), embedDim)
	}
	for i, w := range want {
		if dims[i] != w {
			t.Errorf("dim %d = %q, want %q", i, dims[i], w)
		}
	}
}
