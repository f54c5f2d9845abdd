package blipmodel_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
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

func tinyModel(t testing.TB, opts blipmodel.WriteOptions) (*blipmodel.Weights, string) {
	t.Helper()
	w, err := blipmodel.NewWeights(blipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	path, err := w.WriteDir(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return w, path
}

func open(t testing.TB, rt *onnx.Runtime, path string) *onnx.Session {
	t.Helper()
	s, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// textBatch makes ImageReward-like rows: [CLS]=101, n random WordPiece ids
// (from the whole range up to [ENC]=30523, so folding is exercised),
// [SEP]=102, then [PAD]=0 up to seq.
func textBatch(r *rand.Rand, seq int, lengths []int) (ids, mask [][]int64) {
	for _, n := range lengths {
		row := make([]int64, seq)
		m := make([]int64, seq)
		row[0], m[0] = 101, 1
		for i := 1; i <= n; i++ {
			row[i], m[i] = 999+r.Int64N(30524-999), 1
		}
		row[n+1], m[n+1] = 102, 1
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
// base colour, a random gradient and a little noise.
func pixels(r *rand.Rand, n int) []float32 {
	const hw = 224
	px := make([]float32, n*3*hw*hw)
	for b := range n {
		for c := range 3 {
			base, gx, gy := r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
			plane := px[(b*3+c)*hw*hw:]
			for y := range hw {
				for x := range hw {
					plane[y*hw+x] = float32(base + gx*(float64(x)/hw-0.5) + gy*(float64(y)/hw-0.5) + 0.2*r.NormFloat64())
				}
			}
		}
	}
	return px
}

func run(t *testing.T, s *onnx.Session, ids, mask [][]int64, px []float32) []float32 {
	t.Helper()
	b, seq := int64(len(ids)), int64(len(ids[0]))
	out, err := s.Run(map[string]onnx.Tensor{
		blipmodel.InputIDs:      {Shape: []int64{b, seq}, Int64: flat(ids)},
		blipmodel.AttentionMask: {Shape: []int64{b, seq}, Int64: flat(mask)},
		blipmodel.PixelValues:   {Shape: []int64{b, 3, 224, 224}, Float32: px},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := out[blipmodel.RewardRaw]
	if diff := cmp.Diff([]int64{b, 1}, raw.Shape); diff != "" {
		t.Fatalf("%s shape (-want +got):\n%s", blipmodel.RewardRaw, diff)
	}
	return raw.Float32
}

func compare(t *testing.T, what string, got []float32, want []float64) float64 {
	t.Helper()
	var worst float64
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		worst = max(worst, d)
		if !(d <= tol) {
			t.Errorf("%s: %s[%d] = %.8f, reference %.8f (|diff| %.3g > %g)", what, blipmodel.RewardRaw, i, got[i], want[i], d, tol)
		}
	}
	return worst
}

// TestMatchesReference runs the Tiny model in ONNX Runtime and compares
// reward_raw with the plain-Go forward pass, for batches of three rows with
// different padding.
func TestMatchesReference(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, path := tinyModel(t, blipmodel.WriteOptions{})
	s := open(t, rt, path)
	for _, tc := range []struct {
		name    string
		seq     int
		lengths []int // word pieces per row, between [CLS] and [SEP]
	}{
		{"ImageReward length 35: short, medium and unpadded rows", blipmodel.SequenceLength, []int{1, 12, 33}},
		{"short sequence", 8, []int{6, 2, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.seq), 5))
			ids, mask := textBatch(r, tc.seq, tc.lengths)
			px := pixels(r, 3)
			got := run(t, s, ids, mask, px)
			want, err := w.RawRewards(ids, mask, px)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("reward_raw %v; max |ORT - Go| %.2g", want, compare(t, "batch", got, want))

			// The outputs are not degenerate: rows differ by far more
			// than the tolerance.
			for i := range want {
				for j := range i {
					if math.Abs(want[i]-want[j]) < 100*tol {
						t.Errorf("rows %d and %d: reward_raw %.8f and %.8f; random inputs should differ", i, j, want[i], want[j])
					}
				}
			}

			// The image matters: rotating the images changes every row's
			// reward, and ORT agrees with the reference on the new pairs.
			n := 3 * 224 * 224
			rot := append(append([]float32(nil), px[n:]...), px[:n]...)
			gotRot := run(t, s, ids, mask, rot)
			wantRot, err := w.RawRewards(ids, mask, rot)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "images rotated", gotRot, wantRot)
			for i := range want {
				if math.Abs(wantRot[i]-want[i]) < 100*tol {
					t.Errorf("row %d: another image changed reward_raw only from %.8f to %.8f", i, want[i], wantRot[i])
				}
			}

			// Each row alone gives the same as in the batch.
			for i := range ids {
				one := run(t, s, ids[i:i+1], mask[i:i+1], px[i*n:(i+1)*n])
				if d := math.Abs(float64(one[0] - got[i])); d > tol {
					t.Errorf("row %d: alone %.8f, in the batch %.8f", i, one[0], got[i])
				}
			}
		})
	}
}

// TestTextMasking checks BERT's padding semantics on ONNX Runtime's output:
// ids under a zero mask do not matter; unmasking one does; ids equal modulo
// the folded vocabulary give the same reward.
func TestTextMasking(t *testing.T) {
	rt := runtimeOrFatal(t)
	w, path := tinyModel(t, blipmodel.WriteOptions{})
	s := open(t, rt, path)
	px := pixels(rand.New(rand.NewPCG(9, 9)), 1)
	base := []int64{101, 2158, 4937, 102, 0, 0, 0, 0}
	baseMask := []int64{1, 1, 1, 1, 0, 0, 0, 0}
	ref := run(t, s, [][]int64{base}, [][]int64{baseMask}, px)[0]
	vocab := int64(w.Config.Vocab)
	for _, tc := range []struct {
		name      string
		ids, mask []int64
		same      bool
	}{
		{"other ids under the padding mask", []int64{101, 2158, 4937, 102, 7, 30000, 1996, 102}, baseMask, true},
		{"ids shifted by the vocabulary size", []int64{101, 2158 + vocab, 4937 - 3*vocab, 102, 0, 0, 0, 0}, baseMask, true},
		{"a padding position unmasked", base, []int64{1, 1, 1, 1, 1, 0, 0, 0}, false},
		{"another word", []int64{101, 2158, 3899, 102, 0, 0, 0, 0}, baseMask, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, s, [][]int64{tc.ids}, [][]int64{tc.mask}, px)[0]
			want, err := w.RawRewards([][]int64{tc.ids}, [][]int64{tc.mask}, px)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, tc.name, []float32{got}, want)
			d := math.Abs(float64(got - ref))
			if tc.same && d > 1e-6 {
				t.Errorf("reward_raw %.8f, want %.8f as for the base row", got, ref)
			}
			if !tc.same && d < 100*tol {
				t.Errorf("reward_raw %.8f barely differs from the base row's %.8f", got, ref)
			}
		})
	}
}

// TestNaNTokenID checks the test variant: rows containing the id give NaN,
// the others exactly what the plain model gives.
func TestNaNTokenID(t *testing.T) {
	rt := runtimeOrFatal(t)
	const poison = 4937
	_, plainPath := tinyModel(t, blipmodel.WriteOptions{})
	_, nanPath := tinyModel(t, blipmodel.WriteOptions{GraphOptions: blipmodel.GraphOptions{NaNTokenID: poison}})
	ids := [][]int64{
		{101, 2158, 102, 0, 0},
		{101, 2158, poison, 102, 0},
		{101, 3899, 1037, 2158, 102},
	}
	mask := [][]int64{{1, 1, 1, 0, 0}, {1, 1, 1, 1, 0}, {1, 1, 1, 1, 1}}
	px := pixels(rand.New(rand.NewPCG(4, 4)), 3)
	plain := run(t, open(t, rt, plainPath), ids, mask, px)
	poisoned := run(t, open(t, rt, nanPath), ids, mask, px)
	for i := range ids {
		wantNaN := i == 1
		if got := math.IsNaN(float64(poisoned[i])); got != wantNaN {
			t.Errorf("row %d: reward_raw %v, want NaN: %v", i, poisoned[i], wantNaN)
		}
		if !wantNaN && poisoned[i] != plain[i] {
			t.Errorf("row %d: %v, plain model %v", i, poisoned[i], plain[i])
		}
	}
}

// TestSignature checks the written file against Signature, the graph's
// symbolic dimensions and the Tiny file size.
func TestSignature(t *testing.T) {
	rt := runtimeOrFatal(t)
	_, path := tinyModel(t, blipmodel.WriteOptions{})
	s := open(t, rt, path)
	if err := s.CheckSignature(blipmodel.Signature(224)); err != nil {
		t.Error(err)
	}
	want := onnx.Signature{
		Inputs: []onnx.TensorSpec{
			{Name: "input_ids", Type: onnx.Int64, Shape: []int64{-1, -1}},
			{Name: "attention_mask", Type: onnx.Int64, Shape: []int64{-1, -1}},
			{Name: "pixel_values", Type: onnx.Float32, Shape: []int64{-1, 3, 224, 224}},
		},
		Outputs: []onnx.TensorSpec{{Name: "reward_raw", Type: onnx.Float32, Shape: []int64{-1, 1}}},
	}
	if diff := cmp.Diff(want, s.Signature()); diff != "" {
		t.Errorf("signature (-want +got):\n%s", diff)
	}
	if err := s.CheckSignature(blipmodel.Signature(384)); err == nil || !strings.Contains(err.Error(), `input "pixel_values" dimension 2 is 224, want 384`) {
		t.Errorf("CheckSignature(Signature(384)) = %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 1200<<10 {
		t.Errorf("%s is %d bytes, want at most 1.2 MB", filepath.Base(path), st.Size())
	}
}

// Textbook parameter counts: timm's vit_base_patch16_224 has 86,567,656
// parameters and vit_large_patch16_224 304,326,632, including a 1000-class
// head (768·1000+1000 and 1024·1000+1000), which BLIP's ViT does not have;
// Hugging Face's bert-base-uncased BertModel has 109,482,240, including a
// pooler (768·768+768) and token type embeddings (2·768) that BLIP's text
// encoder does not have, and 2 fewer word rows than its 30524.
const (
	vitB16Headless = 86567656 - (768*1000 + 1000)
	vitL16Headless = 304326632 - (1024*1000 + 1000)
	blipBERTNoXA   = 109482240 - (768*768 + 768) - 2*768 + 2*768
)

// crossAttention counts one BertAttention whose keys and values map from
// kvIn to 768: query and output dense 768→768, key and value kvIn→768, a
// LayerNorm.
func crossAttention(kvIn int64) int64 {
	return 2*(768*768+768) + 2*(kvIn*768+768) + 2*768
}

// imageRewardMLP counts 768→1024→128→64→16→1.
const imageRewardMLP = (768*1024 + 1024) + (1024*128 + 128) + (128*64 + 64) + (64*16 + 16) + (16*1 + 1)

func TestWeights(t *testing.T) {
	a, err := blipmodel.NewWeights(blipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := blipmodel.NewWeights(blipmodel.Tiny())
	if a.Vision.PatchWeight[100] != b.Vision.PatchWeight[100] || a.Text.WordEmbeddings[7] != b.Text.WordEmbeddings[7] || a.Head[2].W[3] != b.Head[2].W[3] {
		t.Error("same seed, different weights")
	}
	if h := blipmodel.NewHead(blipmodel.Tiny()); h[0].W[5] != a.Head[0].W[5] {
		t.Error("a head drawn alone differs from the full model's")
	}
	cfg := blipmodel.Tiny()
	cfg.Seed = 2
	c, _ := blipmodel.NewWeights(cfg)
	if c.Text.WordEmbeddings[7] == a.Text.WordEmbeddings[7] {
		t.Error("different seeds, same weights")
	}
	if got, want := a.NumParameters(), blipmodel.Tiny().NumParameters(); got != want {
		t.Errorf("Tiny weights hold %d parameters, the config formula says %d", got, want)
	}

	for _, tc := range []struct {
		name string
		cfg  blipmodel.Config
		want int64
	}{
		{"BaseB16", blipmodel.BaseB16(), vitB16Headless + blipBERTNoXA + 12*crossAttention(768) + imageRewardMLP},
		{"LargeL16", blipmodel.LargeL16(), vitL16Headless + blipBERTNoXA + 12*crossAttention(1024) + imageRewardMLP},
	} {
		if got := tc.cfg.NumParameters(); got != tc.want {
			t.Errorf("%s has %d parameters, want %d", tc.name, got, tc.want)
		}
	}

	for _, tc := range []struct {
		name   string
		mutate func(*blipmodel.Config)
		want   string
	}{
		{"heads do not divide width", func(c *blipmodel.Config) { c.TextHeads = 3 }, "TextWidth 32 is not a multiple of TextHeads 3"},
		{"patch does not divide image", func(c *blipmodel.Config) { c.PatchSize = 30 }, "ImageSize 224 is not a multiple of PatchSize 30"},
		{"zero head width", func(c *blipmodel.Config) { c.HeadWidths = []int{8, 0} }, "HeadWidths[1] is 0, want > 0"},
		{"no positions", func(c *blipmodel.Config) { c.MaxPositions = 0 }, "MaxPositions is 0, want > 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := blipmodel.Tiny()
			tc.mutate(&cfg)
			_, err := blipmodel.NewWeights(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := (&blipmodel.Weights{Config: blipmodel.Tiny()}).Graph(blipmodel.GraphOptions{}); err == nil {
		t.Error("Graph without weights succeeded")
	}
}
