package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/ablate"
	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/internal/testmodels"
)

// TestAblateTrainerAxis runs an ablation whose axis is the trainer:
// adapters (the Go socialreward plugin) against the paper's recipe in
// PyTorch (the socialreward-torch plugin of `make build`, on a small
// random-weight CLIP it initialises), both scored by the socialreward
// plugin on the same test split. It needs the prebuilt plugins (make test
// sets SRBENCH_PREBUILT) and Debian's python3-torch, which make test
// installs.
func TestAblateTrainerAxis(t *testing.T) {
	bin := os.Getenv(testmodels.PrebuiltEnv)
	if bin == "" {
		t.Skip("needs the prebuilt plugins: run through make test (SRBENCH_PREBUILT)")
	}
	plugins := filepath.Join(bin, "plugins")
	for _, p := range []string{"socialreward", "socialreward-torch"} {
		if _, err := os.Stat(filepath.Join(plugins, p)); err != nil {
			t.Fatalf("plugin %s not built: %v (make build)", p, err)
		}
	}
	dir := t.TempDir()
	world, models, clip, out := filepath.Join(dir, "world"), filepath.Join(dir, "models"), filepath.Join(dir, "clip"), filepath.Join(dir, "ablation")
	runOK(t, "simulate", "--out", world, "--prompts", "40", "--images-per-prompt", "6", "--world-seed", "5")
	runOK(t, "models", "demo", "--out", models, "--scorers", "socialreward")
	init := exec.Command(filepath.Join(plugins, "socialreward-torch"), "init-random", "--out", clip, "--seed", "1")
	if b, err := init.CombinedOutput(); err != nil {
		t.Fatalf("socialreward-torch init-random: %v\n%s", err, b)
	}
	spec := filepath.Join(dir, "trainers.yaml")
	if err := os.WriteFile(spec, []byte(`name: trainers
mode: one-at-a-time
reference: {trainer: adapters}
grid:
  trainer: [adapters, torch-blocks]
seeds: [1, 2, 3]
base: {epochs: 2, batch_size: 16}
parallel: 1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ablation := srbench("ablate", spec, "--log", filepath.Join(world, "log.jsonl"), "--model", filepath.Join(models, "socialreward"),
		"--torch-model", clip, "--out", out, "--plugin-dir", plugins)
	ablation.Env = append(ablation.Env, onnx.EnvLibrary+"="+rt.LibraryPath())
	if b, err := ablation.CombinedOutput(); err != nil {
		t.Fatalf("srbench ablate: %v\n%s", err, b)
	}

	b, err := os.ReadFile(filepath.Join(out, "ablation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum ablate.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Cells) != 2 {
		t.Fatalf("%d cells, want 2 (adapters, torch-blocks)", len(sum.Cells))
	}
	for _, c := range sum.Cells {
		if c.NSeeds != 3 || len(c.Seeds) != 3 {
			t.Errorf("cell %s: %d seeds, want 3", c.Name, c.NSeeds)
		}
		torch := c.Settings["trainer"] == ablate.TrainerTorchBlocks
		for _, s := range c.Seeds {
			model := filepath.Join(ablate.SeedDir(out, c.Name, s.Seed), ablate.ModelDir)
			// The torch trainer exports ONNX towers; adapters add a file to the backbone's.
			want := "adapters.safetensors"
			if torch {
				want = "vision_model.onnx"
			}
			if _, err := os.Stat(filepath.Join(model, want)); err != nil {
				t.Errorf("cell %s seed %d: %v", c.Name, s.Seed, err)
			}
			if s.NPairs == 0 || s.TrainTriplets == 0 {
				t.Errorf("cell %s seed %d: %d test pairs, %d training triplets", c.Name, s.Seed, s.NPairs, s.TrainTriplets)
			}
		}
		if torch {
			cfg, err := os.ReadFile(filepath.Join(ablate.SeedDir(out, c.Name, 1), "config.json"))
			if err != nil || !strings.Contains(string(cfg), `"trainer":"torch-blocks"`) {
				t.Errorf("torch cell config %s: %v", cfg, err)
			}
		}
	}
}
