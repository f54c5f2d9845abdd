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

// TestPluginBinaryThroughHost builds the real clipscore binary, launches it
// as a go-plugin subprocess and checks its scores against Hessel's formula
// computed in Go from the plain-Go reference embeddings of the same weights.
func TestPluginBinaryThroughHost(t *testing.T) {
	bin, err := testmodels.BuildPlugin(t.TempDir(), "clipscore", "./plugins/clipscore")
	if err != nil {
		t.Fatal(err)
	}
	dir, w := testmodels.CLIPDir(t, "clipscore", "hessel", clipmodel.WriteOptions{Text: true, Vision: true}, 11)
	info, err := host.FromPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{})
	defer h.Close()
	p, err := h.Launch(context.Background(), info, scorer.Config{ModelDir: dir, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Describe(context.Background(), scorer.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "clipscore" || d.Variant != "hessel" || d.Provider != "cpu" || d.PreferredBatchSize != 4 {
		t.Errorf("Describe = %+v", d)
	}
	items := testItems(t)
	res, err := scorer.ScoreItems(context.Background(), p, items)
	if err != nil {
		t.Fatal(err)
	}
	cos := reference(t, w, items, "A photo depicts ")
	for i, r := range res {
		want := 2.5 * math.Max(cos[i], 0)
		if r.Failed() || math.Abs(r.Score-want) > 1e-5 {
			t.Errorf("item %d: %+v, want %.8f", i, r, want)
		}
	}
}
