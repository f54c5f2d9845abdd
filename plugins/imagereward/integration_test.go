package main

import (
	"context"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/internal/testmodels"
)

// TestPluginBinaryThroughHost builds the real imagereward binary, launches
// it as a go-plugin subprocess and checks its scores against ImageReward's
// formula on the plain-Go reference output of the same weights; a second
// model that outputs NaN for one prompt shows the NaN arriving at the host
// as a per-item error, never as a score.
func TestPluginBinaryThroughHost(t *testing.T) {
	bin, err := testmodels.BuildPlugin(t.TempDir(), "imagereward", "./plugins/imagereward")
	if err != nil {
		t.Fatal(err)
	}
	info, err := host.FromPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{})
	defer h.Close()
	items := testItems(t)

	t.Run("scores", func(t *testing.T) {
		dir, w := modelDir(t, dirSpec{seed: 11})
		p, err := h.Launch(context.Background(), info, scorer.Config{ModelDir: dir, BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		d, err := p.Describe(context.Background(), scorer.DescribeRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "imagereward" || d.Variant != DefaultVariant || d.Provider != "cpu" || d.PreferredBatchSize != 4 || !strings.HasPrefix(d.Fingerprint, "sha256:") {
			t.Errorf("Describe = %+v", d)
		}
		res, err := scorer.ScoreItems(context.Background(), p, items)
		if err != nil {
			t.Fatal(err)
		}
		checkScores(t, items, res, referenceRaw(t, w, items, "openai"), DefaultMean, DefaultStd)
	})

	t.Run("NaN output", func(t *testing.T) {
		tok, err := tokenize.LoadImageRewardBERT(bertTokenizerPath(t))
		if err != nil {
			t.Fatal(err)
		}
		e, err := tok.Encode("coffee")
		if err != nil {
			t.Fatal(err)
		}
		dir, _ := modelDir(t, dirSpec{seed: 11, nanTokenID: e.IDs[1]})
		p, err := h.Launch(context.Background(), info, scorer.Config{ModelDir: dir, BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		res, err := scorer.ScoreItems(context.Background(), p, items)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			coffee := strings.Contains(items[i].Prompt, "coffee")
			if coffee != r.Failed() {
				t.Errorf("item %d (%q): %+v; want failed: %v", i, items[i].Prompt, r, coffee)
			}
			if coffee && (r.Score != 0 || !strings.Contains(r.Err, "NaN")) {
				t.Errorf("item %d: %+v, want an error about the NaN output and no score", i, r)
			}
		}
	})
}
