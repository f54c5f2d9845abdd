package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/simworld"
	"github.com/srbench/srbench/harness/train"
	"github.com/srbench/srbench/harness/trainexport"
	"github.com/srbench/srbench/internal/testmodels"
)

// smallWorld writes a small synthetic world and its curated triplets.
func smallWorld(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := simworld.Write(filepath.Join(dir, "world"), simworld.Options{Seed: 3, Prompts: 40, ImagesPerPrompt: 6}); err != nil {
		t.Fatal(err)
	}
	if _, err := curate.Run(filepath.Join(dir, "world", simworld.LogJSONL), filepath.Join(dir, "curated"), curate.Options{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "curated")
}

func trainOnce(t *testing.T, backbone, curated, out, config string) ([]scorer.TrainEvent, error) {
	t.Helper()
	sc, err := New(context.Background(), scorer.Config{ModelDir: backbone})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.(*SocialReward).Close()
	var events []scorer.TrainEvent
	req := scorer.TrainRequest{Config: config, OutDir: out}
	for _, d := range []struct {
		name string
		dst  *[]scorer.Triplet
	}{{"train.jsonl", &req.Train}, {"validation.jsonl", &req.Validation}} {
		if *d.dst, _, err = dataset.ReadTriplets(dataset.Spec{Path: filepath.Join(curated, d.name)}); err != nil {
			t.Fatal(err)
		}
	}
	err = sc.(*SocialReward).Train(context.Background(), req, func(e scorer.TrainEvent) error { events = append(events, e); return nil })
	return events, err
}

func TestTrainedModelScoresThroughAdapters(t *testing.T) {
	backbone, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{Text: true, Vision: true}, 4)
	curated := smallWorld(t)
	cache := filepath.Join(t.TempDir(), "emb.sqlite")
	cfg := `{"epochs": 4, "seed": 1, "embedding_cache": "` + cache + `"}`
	out1, out2 := filepath.Join(t.TempDir(), "m1"), filepath.Join(t.TempDir(), "m2")
	events, err := trainOnce(t, backbone, curated, out1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.CheckpointDir != out1 || !strings.Contains(last.Metrics, "best_val_accuracy") {
		t.Fatalf("last event %+v", last)
	}
	epochs := 0
	for _, e := range events {
		if e.Message == "" && e.CheckpointDir == "" && e.Epoch >= 1 {
			epochs++
		}
	}
	if epochs == 0 || epochs > 4 {
		t.Errorf("%d epoch events", epochs)
	}

	// Same seed, second run (embeddings now come from the cache): identical checkpoint bytes.
	if _, err := trainOnce(t, backbone, curated, out2, cfg); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(out1, AdaptersFile))
	b, _ := os.ReadFile(filepath.Join(out2, AdaptersFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two runs with one seed gave different checkpoints (%d vs %d bytes)", len(a), len(b))
	}

	// The trained directory scores through the adapters: compare with the
	// adapters applied in Go to the backbone's embeddings of the same items.
	trained, err := New(context.Background(), scorer.Config{ModelDir: out1})
	if err != nil {
		t.Fatal(err)
	}
	defer trained.(*SocialReward).Close()
	base, err := New(context.Background(), scorer.Config{ModelDir: backbone})
	if err != nil {
		t.Fatal(err)
	}
	defer base.(*SocialReward).Close()
	items := testmodels.GoldenItems(t)
	got, err := scorer.ScoreItems(context.Background(), trained, items)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := base.(*SocialReward).enc.Embed(context.Background(), items, "")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := train.LoadCheckpoint(filepath.Join(out1, AdaptersFile))
	if err != nil {
		t.Fatal(err)
	}
	differs := false
	for i := range items {
		want := m.Score(emb.Text[i], emb.Image[i])
		if math.Abs(got[i].Score-want) > 1e-9 {
			t.Errorf("item %d: %v, want %v", i, got[i].Score, want)
		}
		if math.Abs(want-backboneCos(emb.Text[i], emb.Image[i])) > 1e-6 {
			differs = true
		}
	}
	if !differs {
		t.Error("trained adapters score exactly like the backbone: training changed nothing")
	}
	d, _ := trained.Describe(context.Background(), scorer.DescribeRequest{})
	if d.Variant != "adapters" || d.Details["backbone_fingerprint"] == "" {
		t.Errorf("Describe %+v", d)
	}
}

func backboneCos(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

// TestTrainBadInput: the plugin refuses what it cannot train on with the
// reason (bad datasets are the host's to refuse: see dataset.ReadTriplets).
func TestTrainBadInput(t *testing.T) {
	backbone, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{Text: true, Vision: true}, 4)
	img := testmodels.Shared(t, "golden/images/astronaut_tiny_10x7.png")
	ok := []scorer.Triplet{{ID: "t1", Prompt: "p", Preferred: scorer.ImageRef{Path: img}, Other: scorer.ImageRef{Path: img}}}
	tests := []struct {
		name   string
		train  []scorer.Triplet
		config string
		want   string
	}{
		{"no triplets", nil, "", "no training triplets"},
		{"missing image", []scorer.Triplet{{ID: "t9", Prompt: "p", Preferred: scorer.ImageRef{Path: img}, Other: scorer.ImageRef{Path: "/nonexistent/gone.png"}}}, "", `triplet "t9"`},
		{"undecodable image", []scorer.Triplet{{ID: "t3", Prompt: "p", Preferred: scorer.ImageRef{Path: img}, Other: scorer.ImageRef{Data: []byte("not an image")}}}, "", "image of 12 bytes"},
		{"unknown loss", ok, `{"loss":"tripplet","embedding_cache":"off"}`, `did you mean "triplet"`},
		{"unknown setting", ok, `{"epoch":3}`, `unknown field "epoch"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := New(context.Background(), scorer.Config{ModelDir: backbone})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.(*SocialReward).Close()
			cfg := tc.config
			if cfg == "" {
				cfg = `{"embedding_cache":"off"}`
			}
			err = sc.(*SocialReward).Train(context.Background(), scorer.TrainRequest{Config: cfg, Train: tc.train, OutDir: filepath.Join(t.TempDir(), "o")},
				func(scorer.TrainEvent) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestExportScoresLikeAdapters folds trained adapters into the ONNX models
// and checks the exported directory, scored as a plain cosine, matches the
// adapters applied in Go (split models and the combined model).
func TestExportScoresLikeAdapters(t *testing.T) {
	backbone, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{}, 6) // all three ONNX files
	curated := smallWorld(t)
	trainedDir := filepath.Join(t.TempDir(), "trained")
	if _, err := trainOnce(t, backbone, curated, trainedDir, `{"epochs": 3, "seed": 2, "embedding_cache": "off", "adapter": {"kind": "mlp", "hidden": 16}}`); err != nil {
		t.Fatal(err)
	}
	exported := filepath.Join(t.TempDir(), "exported")
	if _, err := trainexport.Export(trainedDir, exported); err != nil {
		t.Fatal(err)
	}
	combinedOnly := filepath.Join(t.TempDir(), "combined")
	if _, err := trainexport.Export(trainedDir, combinedOnly); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(combinedOnly, "text_model.onnx"))
	os.Remove(filepath.Join(combinedOnly, "vision_model.onnx"))

	items := testmodels.GoldenItems(t)
	score := func(dir string) []scorer.Result {
		sc, err := New(context.Background(), scorer.Config{ModelDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer sc.(*SocialReward).Close()
		r, err := scorer.ScoreItems(context.Background(), sc, items)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := score(trainedDir)
	for _, dir := range []string{exported, combinedOnly} {
		if _, err := os.Stat(filepath.Join(dir, AdaptersFile)); err == nil {
			t.Fatalf("%s still has adapters: the test would not test the export", dir)
		}
		got := score(dir)
		for i := range items {
			if math.Abs(got[i].Score-want[i].Score) > 1e-5 {
				t.Errorf("%s item %d: exported %.8f, adapters in Go %.8f", filepath.Base(dir), i, got[i].Score, want[i].Score)
			}
		}
	}
}
