package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/internal/testmodels"
)

func testItems(t *testing.T) []scorer.Item { return testmodels.GoldenItems(t) }

func reference(t *testing.T, w *clipmodel.Weights, items []scorer.Item, prefix string) []float64 {
	return testmodels.ReferenceCosines(t, w, items, prefix, testmodels.Shared(t, "data/clip/bpe_simple_vocab_16e6.txt.gz"), "openai")
}

func TestScoresMatchFormulaOnReferenceEmbeddings(t *testing.T) {
	tests := []struct {
		variant string
		files   clipmodel.WriteOptions
		prefix  string
		formula func(float64) float64
	}{
		{"hessel", clipmodel.WriteOptions{Text: true, Vision: true}, "A photo depicts ", func(c float64) float64 { return 2.5 * math.Max(c, 0) }},
		{"hessel", clipmodel.WriteOptions{Combined: true}, "A photo depicts ", func(c float64) float64 { return 2.5 * math.Max(c, 0) }},
		{"torchmetrics", clipmodel.WriteOptions{Text: true, Vision: true}, "", func(c float64) float64 { return 100 * c }},
		{"cosine", clipmodel.WriteOptions{Combined: true}, "", func(c float64) float64 { return c }},
	}
	items := testItems(t)
	for _, tc := range tests {
		name := tc.variant
		if tc.files.Combined {
			name += "/model.onnx"
		} else {
			name += "/split"
		}
		t.Run(name, func(t *testing.T) {
			dir, w := testmodels.CLIPDir(t, "clipscore", "", tc.files, 7)
			sc, err := New(context.Background(), scorer.Config{ModelDir: dir, IntraOpThreads: 1, BatchSize: 2, Options: map[string]string{"variant": tc.variant}})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.(*ClipScore).Close()
			res, err := scorer.ScoreItems(context.Background(), sc, items)
			if err != nil {
				t.Fatal(err)
			}
			cos := reference(t, w, items, tc.prefix)
			positive := 0
			for i, r := range res {
				if r.Failed() {
					t.Fatalf("item %d failed: %s", i, r.Err)
				}
				want := tc.formula(cos[i])
				if math.Abs(r.Score-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("item %d (%s): score %.8f, want %.8f (cos %.8f)", i, items[i].ID, r.Score, want, cos[i])
				}
				if cos[i] > 0 {
					positive++
				}
			}
			if positive == 0 || positive == len(items) {
				t.Logf("note: %d of %d cosines positive", positive, len(items))
			}
			d, err := sc.Describe(context.Background(), scorer.DescribeRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Variant != tc.variant || !strings.HasPrefix(d.Fingerprint, "sha256:") || !strings.HasPrefix(d.Runtime, "onnxruntime 1.") {
				t.Errorf("Describe = %+v", d)
			}
		})
	}
}

func TestBatchSizeInvariance(t *testing.T) {
	dir, _ := testmodels.CLIPDir(t, "clipscore", "cosine", clipmodel.WriteOptions{Text: true, Vision: true}, 3)
	items := testItems(t)
	score := func(batch int, its []scorer.Item) []scorer.Result {
		sc, err := New(context.Background(), scorer.Config{ModelDir: dir, BatchSize: batch})
		if err != nil {
			t.Fatal(err)
		}
		defer sc.(*ClipScore).Close()
		r, err := scorer.ScoreItems(context.Background(), sc, its)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	whole := score(32, items)
	for i, it := range items {
		one := score(1, []scorer.Item{it})[0]
		if math.Abs(one.Score-whole[i].Score) > 1e-5 {
			t.Errorf("item %d: alone %.8f, in a batch %.8f", i, one.Score, whole[i].Score)
		}
	}
}

func TestBadInput(t *testing.T) {
	good, _ := testmodels.CLIPDir(t, "clipscore", "", clipmodel.WriteOptions{Text: true, Vision: true}, 1)
	tests := []struct {
		name  string
		setup func(dir string) // mutates a copy of a good model dir
		opts  map[string]string
		want  []string
	}{
		{"no ONNX model", func(d string) {
			os.Remove(filepath.Join(d, "text_model.onnx"))
			os.Remove(filepath.Join(d, "vision_model.onnx"))
		}, nil, []string{"no ONNX model: expected model.onnx, or text_model.onnx and vision_model.onnx"}},
		{"wrong signature", func(d string) {
			// A vision model where the combined model should be.
			os.Rename(filepath.Join(d, "vision_model.onnx"), filepath.Join(d, "model.onnx"))
			os.Remove(filepath.Join(d, "text_model.onnx"))
		}, nil, []string{"model.onnx", "input_ids", "pixel_values"}},
		{"no tokenizer", func(d string) { os.Remove(filepath.Join(d, "bpe_simple_vocab_16e6.txt.gz")) }, nil,
			[]string{"no tokenizer: expected one of tokenizer.json, bpe_simple_vocab_16e6.txt.gz"}},
		{"unknown variant", func(string) {}, map[string]string{"variant": "hesel"}, []string{`unknown variant "hesel"`, "cosine, hessel, torchmetrics"}},
		{"unknown option", func(string) {}, map[string]string{"prefix": "x"}, []string{"unknown option(s) prefix"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ents, _ := os.ReadDir(good)
			for _, e := range ents {
				b, _ := os.ReadFile(filepath.Join(good, e.Name()))
				os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
			}
			tc.setup(dir)
			_, err := New(context.Background(), scorer.Config{ModelDir: dir, Options: tc.opts})
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
}

func TestUndecodableImageIsPerItemError(t *testing.T) {
	dir, _ := testmodels.CLIPDir(t, "clipscore", "", clipmodel.WriteOptions{Text: true, Vision: true}, 1)
	sc, err := New(context.Background(), scorer.Config{ModelDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.(*ClipScore).Close()
	items := testItems(t)[:2]
	bad := filepath.Join(t.TempDir(), "truncated.jpg")
	b, _ := os.ReadFile(testmodels.Shared(t, "golden/images/rocket.jpg"))
	os.WriteFile(bad, b[:len(b)/3], 0o644)
	items = append(items, scorer.Item{ID: "bad", Prompt: "x", ImagePath: bad}, scorer.Item{ID: "junk", Prompt: "y", ImageBytes: []byte("not an image")})
	res, err := scorer.ScoreItems(context.Background(), sc, items)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if res[i].Failed() {
			t.Errorf("good item %d failed: %s", i, res[i].Err)
		}
	}
	if !res[2].Failed() || !strings.Contains(res[2].Err, "truncated.jpg") {
		t.Errorf("truncated JPEG: %+v, want a per-item error naming the file", res[2])
	}
	if !res[3].Failed() {
		t.Errorf("junk bytes: %+v, want a per-item error", res[3])
	}
}

func TestVariantFormulas(t *testing.T) {
	tests := []struct {
		variant string
		cos     float64
		want    float64
	}{
		{"hessel", 0.4, 1.0},
		{"hessel", -0.3, 0}, // clipped at zero (Hessel et al. 2021, eq. 1)
		{"hessel", 0, 0},
		{"torchmetrics", 0.25, 25},
		{"torchmetrics", -0.1, -10},
		{"cosine", -0.5, -0.5},
	}
	for _, tc := range tests {
		if got := variants[tc.variant].score(tc.cos); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s(%v) = %v, want %v", tc.variant, tc.cos, got, tc.want)
		}
	}
	if variants["hessel"].prefix != "A photo depicts " || variants["cosine"].prefix != "" || variants["torchmetrics"].prefix != "" {
		t.Error("prefixes changed")
	}
}

// ONNX Runtime loads the model on first use: configuring checks the files'
// signatures and the execution provider, so those fail at once, while a
// model whose weights cannot be loaded fails every Score with the reason.
func TestModelLoadsOnFirstUse(t *testing.T) {
	dir, _ := testmodels.CLIPDir(t, "clipscore", "", clipmodel.WriteOptions{Text: true, Vision: true, ExternalDataThreshold: 1}, 1)
	items := testItems(t)[:2]
	t.Run("unavailable provider fails when configured", func(t *testing.T) {
		_, err := New(context.Background(), scorer.Config{ModelDir: dir, Provider: "cuda"})
		if err == nil || !strings.Contains(err.Error(), `"cuda"`) {
			t.Fatalf("error %v, want the cuda provider named", err)
		}
	})
	t.Run("missing weights fail when configured", func(t *testing.T) {
		data := filepath.Join(dir, "vision_model.onnx.data")
		saved, err := os.ReadFile(data)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(data, saved, 0o644)
		os.Remove(data)
		_, err = New(context.Background(), scorer.Config{ModelDir: dir})
		if err == nil || !strings.Contains(err.Error(), "vision_model.onnx.data") {
			t.Fatalf("configure: %v, want an error naming vision_model.onnx.data", err)
		}
	})
	t.Run("weights ONNX Runtime refuses fail every score", func(t *testing.T) {
		// Declare one initializer's external data a byte longer than its
		// shape needs (same number of digits, so the file stays valid
		// protobuf): the file checks pass, ONNX Runtime's load does not.
		model := filepath.Join(dir, "text_model.onnx")
		b, err := os.ReadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		key := []byte("\x0a\x06length\x12")
		i := bytes.Index(b, key)
		if i < 0 {
			t.Fatal("no external data length in text_model.onnx")
		}
		last := i + len(key) + int(b[i+len(key)]) // the value's last digit
		if b[last] == '9' {
			b[last] = '8'
		} else {
			b[last]++
		}
		if err := os.WriteFile(model, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := New(context.Background(), scorer.Config{ModelDir: dir})
		if err != nil {
			t.Fatalf("configure: %v (the model is loaded on first use)", err)
		}
		defer sc.(*ClipScore).Close()
		for range 2 {
			_, err := scorer.ScoreItems(context.Background(), sc, items)
			if err == nil || !strings.Contains(err.Error(), "text_model.onnx") {
				t.Fatalf("score: %v, want an error naming text_model.onnx", err)
			}
			t.Logf("score: %v", err)
		}
	})
}

// TestModelWithoutAttentionMask (issue #13): torch.onnx.export of an OpenAI-format
// CLIP drops the unused attention_mask input. Such a model (here the same weights
// written with clipmodel's NoAttentionMask, split and combined) is accepted, and
// since OpenAI CLIP pools at the argmax of input_ids under a causal mask, its scores
// equal those of the export with the mask within 1e-6, and the plain-Go reference.
func TestModelWithoutAttentionMask(t *testing.T) {
	const seed = 7
	noMask := clipmodel.GraphOptions{NoAttentionMask: true}
	tests := []struct {
		name       string
		with, sans clipmodel.WriteOptions
		textFile   string // the file whose inputs lose attention_mask
	}{
		{"split", clipmodel.WriteOptions{Text: true, Vision: true}, clipmodel.WriteOptions{Text: true, Vision: true, GraphOptions: noMask}, clipmodel.TextModelFile},
		{"combined", clipmodel.WriteOptions{Combined: true}, clipmodel.WriteOptions{Combined: true, GraphOptions: noMask}, clipmodel.ModelFile},
	}
	items := testItems(t) // prompts of 2 to 7 words: rows padded by different amounts
	score := func(t *testing.T, dir string) []scorer.Result {
		sc, err := New(context.Background(), scorer.Config{ModelDir: dir, IntraOpThreads: 1, BatchSize: 2, Options: map[string]string{"variant": "cosine"}})
		if err != nil {
			t.Fatal(err)
		}
		defer sc.(*ClipScore).Close()
		res, err := scorer.ScoreItems(context.Background(), sc, items)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withDir, w := testmodels.CLIPDir(t, "clipscore", "cosine", tc.with, seed)
			sansDir, _ := testmodels.CLIPDir(t, "clipscore", "cosine", tc.sans, seed)
			// The model really lacks the input: a signature requiring it refuses the file.
			strict := onnx.CLIPTextSignature()
			if tc.textFile == clipmodel.ModelFile {
				strict = onnx.CLIPSignature(224)
			}
			for i := range strict.Inputs {
				strict.Inputs[i].Optional = false
			}
			if err := onnx.CheckModelFile(filepath.Join(sansDir, tc.textFile), strict); err == nil || !strings.Contains(err.Error(), `input "attention_mask" is missing`) {
				t.Fatalf("%s without the mask against a signature requiring it: %v", tc.textFile, err)
			}
			with, sans := score(t, withDir), score(t, sansDir)
			cos := reference(t, w, items, "")
			for i := range items {
				if with[i].Failed() || sans[i].Failed() {
					t.Fatalf("item %d: with mask %+v, without %+v", i, with[i], sans[i])
				}
				if d := math.Abs(with[i].Score - sans[i].Score); !(d <= 1e-6) {
					t.Errorf("item %d (%q): with mask %.9f, without %.9f (|diff| %.2g > 1e-6)", i, items[i].Prompt, with[i].Score, sans[i].Score, d)
				}
				if math.Abs(sans[i].Score-cos[i]) > 1e-5 {
					t.Errorf("item %d: without mask %.8f, reference cosine %.8f", i, sans[i].Score, cos[i])
				}
			}
		})
	}
}
