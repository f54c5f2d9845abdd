package main

import (
	"context"
	"math"
	"testing"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/internal/testmodels"
)

func TestScoresAreReferenceCosines(t *testing.T) {
	dir, w := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{Text: true, Vision: true}, 9)
	items := testmodels.GoldenItems(t)
	want := testmodels.ReferenceCosines(t, w, items, "", testmodels.Shared(t, "data/clip/bpe_simple_vocab_16e6.txt.gz"), "openai")

	sc, err := New(context.Background(), scorer.Config{ModelDir: dir, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.(*SocialReward).Close()
	inproc, err := scorer.ScoreItems(context.Background(), sc, items)
	if err != nil {
		t.Fatal(err)
	}

	bin, err := testmodels.BuildPlugin(t.TempDir(), "socialreward", "./plugins/socialreward")
	if err != nil {
		t.Fatal(err)
	}
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
	viaPlugin, err := scorer.ScoreItems(context.Background(), p, items)
	if err != nil {
		t.Fatal(err)
	}
	for name, res := range map[string][]scorer.Result{"in process": inproc, "plugin binary": viaPlugin} {
		for i, r := range res {
			if r.Failed() || math.Abs(r.Score-want[i]) > 1e-5 {
				t.Errorf("%s: item %d: %+v, want %.8f", name, i, r, want[i])
			}
		}
	}
}

// TestModelWithoutAttentionMask (issue #13): Social Reward's OpenAI-format CLIP,
// exported with torch.onnx.export, has no attention_mask input; such a model.onnx
// (the same weights written with clipmodel's NoAttentionMask) loads and scores the
// plain-Go reference cosines, which use the mask.
func TestModelWithoutAttentionMask(t *testing.T) {
	files := clipmodel.WriteOptions{Combined: true, GraphOptions: clipmodel.GraphOptions{NoAttentionMask: true}}
	dir, w := testmodels.CLIPDir(t, "socialreward", "", files, 9)
	items := testmodels.GoldenItems(t)
	want := testmodels.ReferenceCosines(t, w, items, "", testmodels.Shared(t, "data/clip/bpe_simple_vocab_16e6.txt.gz"), "openai")
	sc, err := New(context.Background(), scorer.Config{ModelDir: dir, BatchSize: 2, IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.(*SocialReward).Close()
	res, err := scorer.ScoreItems(context.Background(), sc, items)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Failed() || math.Abs(r.Score-want[i]) > 1e-5 {
			t.Errorf("item %d: %+v, want %.8f", i, r, want[i])
		}
	}
}
