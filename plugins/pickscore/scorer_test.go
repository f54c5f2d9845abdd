package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/internal/testmodels"
)

// pickDir is a tiny CLIP model directory in PickScore's layout: a
// tokenizer.json (Hugging Face semantics) instead of the OpenAI vocabulary.
func pickDir(t *testing.T, files clipmodel.WriteOptions, constants map[string]float64) (string, *clipmodel.Weights) {
	dir, w := testmodels.CLIPDir(t, "pickscore", "", files, 5)
	vocab := filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz")
	js, err := tokenize.OpenAIVocabToTokenizerJSON(vocab)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(vocab)
	if err := modeldir.Write(dir, modeldir.Manifest{Kind: "pickscore", Constants: constants}); err != nil {
		t.Fatal(err)
	}
	return dir, w
}

func TestScoresMatchFormula(t *testing.T) {
	tiny := clipmodel.Tiny()
	tests := []struct {
		name      string
		files     clipmodel.WriteOptions
		constants map[string]float64
		scale     float64
	}{
		{"scale from srbench.yaml", clipmodel.WriteOptions{Text: true, Vision: true}, map[string]float64{"logit_scale": math.Log(100)}, 100},
		{"scale read from model.onnx", clipmodel.WriteOptions{Combined: true}, nil, math.Exp(float64(tiny.LogitScale))},
		// An export without the attention_mask input (issue #13): the scale is read and
		// the scores computed without feeding a mask.
		{"scale read from model.onnx without attention_mask", clipmodel.WriteOptions{Combined: true, GraphOptions: clipmodel.GraphOptions{NoAttentionMask: true}}, nil, math.Exp(float64(tiny.LogitScale))},
		{"split without attention_mask", clipmodel.WriteOptions{Text: true, Vision: true, GraphOptions: clipmodel.GraphOptions{NoAttentionMask: true}}, map[string]float64{"logit_scale": math.Log(100)}, 100},
	}
	items := testmodels.GoldenItems(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, w := pickDir(t, tc.files, tc.constants)
			sc, err := New(context.Background(), scorer.Config{ModelDir: dir, BatchSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.(*PickScore).Close()
			res, err := scorer.ScoreItems(context.Background(), sc, items)
			if err != nil {
				t.Fatal(err)
			}
			cos := testmodels.ReferenceCosines(t, w, items, "", filepath.Join(dir, "tokenizer.json"), "hf")
			for i, r := range res {
				want := tc.scale * cos[i]
				if r.Failed() || math.Abs(r.Score-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("item %d: %+v, want %.8f", i, r, want)
				}
			}
		})
	}
}

func TestNoLogitScaleIsAnError(t *testing.T) {
	dir, _ := pickDir(t, clipmodel.WriteOptions{Text: true, Vision: true}, nil)
	_, err := New(context.Background(), scorer.Config{ModelDir: dir})
	if err == nil || !strings.Contains(err.Error(), "set constants.logit_scale") {
		t.Fatalf("got %v", err)
	}
}

func TestPluginBinaryThroughHost(t *testing.T) {
	bin, err := testmodels.BuildPlugin(t.TempDir(), "pickscore", "./plugins/pickscore")
	if err != nil {
		t.Fatal(err)
	}
	dir, w := pickDir(t, clipmodel.WriteOptions{Text: true, Vision: true}, map[string]float64{"logit_scale": 2})
	info, err := host.FromPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{})
	defer h.Close()
	p, err := h.Launch(context.Background(), info, scorer.Config{ModelDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	items := testmodels.GoldenItems(t)
	res, err := scorer.ScoreItems(context.Background(), p, items)
	if err != nil {
		t.Fatal(err)
	}
	cos := testmodels.ReferenceCosines(t, w, items, "", filepath.Join(dir, "tokenizer.json"), "hf")
	for i, r := range res {
		if want := math.Exp(2) * cos[i]; r.Failed() || math.Abs(r.Score-want) > 1e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("item %d: %+v, want %.8f", i, r, want)
		}
	}
}
