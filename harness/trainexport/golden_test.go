package trainexport_test

import (
	"flag"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/train"
	"github.com/srbench/srbench/harness/trainexport"
	"github.com/srbench/srbench/internal/testmodels"
)

var update = flag.Bool("update", false, "rewrite testdata/export.sha256")

// TestGoldenExport pins the exact bytes `srbench train export` writes for a
// trained directory holding all three CLIP files, with an MLP text adapter
// and a low-rank image adapter whose parameters are all non-zero.
func TestGoldenExport(t *testing.T) {
	dir, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{}, 6)
	r := rand.New(rand.NewPCG(15, 5))
	adapter := func(spec train.AdapterSpec) *train.Adapter {
		a, err := train.NewAdapter(spec, clipmodel.Tiny().EmbedDim, r)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range a.Params() {
			for i := range p.Data {
				p.Data[i] += 0.05 * r.NormFloat64()
			}
		}
		return a
	}
	m := &train.Model{
		TextAdapter:  adapter(train.AdapterSpec{Kind: train.MLP, Hidden: 16}),
		ImageAdapter: adapter(train.AdapterSpec{Kind: train.LowRank, Rank: 4}),
	}
	if err := train.SaveCheckpoint(filepath.Join(dir, trainexport.AdaptersFile), m, map[string]string{"backbone_fingerprint": "golden"}, train.CheckpointOptions{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "exported")
	if _, err := trainexport.Export(dir, out); err != nil {
		t.Fatal(err)
	}
	testmodels.CheckHashes(t, out, filepath.Join("testdata", "export.sha256"), *update)
}
