package pipeline

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/srbench/srbench/harness/ablate"
	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/results"
)

// AblationInputs are what an ablation grid trains and evaluates on.
type AblationInputs struct {
	// Log is the engagement log curated once per curation preset.
	Log string
	// Backbone is the socialreward model directory adapters are trained on.
	Backbone string
	// TorchModel is the OpenAI-format CLIP directory (model.pt) the
	// socialreward-torch plugin fine-tunes in cells whose trainer is
	// torch-blocks; "" when the grid has no such cell.
	TorchModel string
	// Seed is the curation seed (the split by prompt).
	Seed uint64
	// Bootstrap is the bootstrap resamples of each cell's evaluation;
	// 0 = DefaultCellBootstrap. A cell's own interval is not what the
	// ablation reports (its seed intervals and paired tests are), so it is
	// kept small.
	Bootstrap int
}

// DefaultCellBootstrap is the bootstrap resamples of an ablation cell's
// evaluation run when AblationInputs.Bootstrap is 0.
const DefaultCellBootstrap = 200

// AblationDeps returns the ablation dependencies backed by curate, the
// socialreward plugin (through launch) and the benchmark runner. Every
// preset's triplets are curated into outDir/data/<preset>; the held-out test
// split is the debiased preset's, the same for every cell, and training and
// validation triplets of its prompts are removed from other presets' splits
// (counted in the log), so no test prompt is ever trained on.
func AblationDeps(in AblationInputs, outDir string, launch bench.Launcher, log io.Writer) ablate.Deps {
	var mu sync.Mutex
	curated := map[string]bool{}
	dataDir := func(preset string) string { return filepath.Join(outDir, "data", preset) }
	cur := func(preset string) error {
		mu.Lock()
		defer mu.Unlock()
		if curated[preset] {
			return nil
		}
		if _, err := os.Stat(filepath.Join(dataDir(preset), "metadata.json")); err != nil {
			if _, err := curate.Run(in.Log, dataDir(preset), curate.Options{Preset: preset, Seed: in.Seed}); err != nil {
				return fmt.Errorf("curate %s: %w", preset, err)
			}
		}
		curated[preset] = true
		return nil
	}
	return ablate.Deps{
		Data: func(ctx context.Context, preset string) (string, string, string, error) {
			if err := cur(curate.PresetDebiased); err != nil {
				return "", "", "", err
			}
			test := filepath.Join(dataDir(curate.PresetDebiased), "test.jsonl")
			if err := cur(preset); err != nil {
				return "", "", "", err
			}
			tr, va := filepath.Join(dataDir(preset), "train.jsonl"), filepath.Join(dataDir(preset), "validation.jsonl")
			if preset == curate.PresetDebiased {
				return tr, va, test, nil
			}
			held, err := promptIDs(test)
			if err != nil {
				return "", "", "", err
			}
			var out [2]string
			for i, p := range []string{tr, va} {
				dst := filepath.Join(dataDir(preset), "heldout-free-"+filepath.Base(p))
				n, err := dropPrompts(p, dst, held)
				if err != nil {
					return "", "", "", err
				}
				if n > 0 {
					fmt.Fprintf(log, "    %s: removed %d triplets of held-out test prompts from %s\n", preset, n, filepath.Base(p))
				}
				out[i] = dst
			}
			return out[0], out[1], test, nil
		},
		Train: func(ctx context.Context, trainPath, valPath, configJSON, outDir string) error {
			r, err := routeTraining(configJSON, in)
			if err != nil {
				return err
			}
			_, err = trainWith(ctx, launch, r, trainPath, valPath, outDir, io.Discard)
			return err
		},
		Evaluate: func(ctx context.Context, modelDir, testPath, runDir string) (*results.Results, error) {
			spec, err := bench.PolicyOptions("", nil, "", nil, bench.BootstrapSpec{B: cmp.Or(in.Bootstrap, DefaultCellBootstrap)}, 0)
			if err != nil {
				return nil, err
			}
			return bench.Run(ctx, bench.Config{
				Benchmark: results.Benchmark{Name: "ablation-cell"},
				Dataset:   dataset.Spec{Format: dataset.PairsJSONL, Path: testPath},
				Scorers:   []bench.ScorerSpec{{Name: "socialreward", ModelDir: modelDir}},
				OutDir:    runDir,
				Analyze:   spec,
			}, launch)
		},
	}
}

// Settings that only one trainer reads: routeTraining leaves them out of the
// other's config (a spec's base settings are shared by every cell).
var (
	adapterOnly = []string{"adapter", "side", "scale", "temperature", "beta1", "beta2", "eps", "patience", "max_steps", "embedding_cache"}
	torchOnly   = []string{"vision_blocks", "text_blocks"}
)

// route is where a cell trains: the plugin, its base model, the config it
// reads, and the share of the training triplets the host keeps for it
// (Fraction < 1 only for trainers that do not subsample themselves).
type route struct {
	plugin, model, config string
	fraction              float64
	seed                  uint64
}

// routeTraining picks the plugin and base model of a cell's trainer
// (config key "trainer", default adapters) and returns the config that
// plugin reads. The torch-blocks trainer implements only the triplet loss,
// so another loss is an error there rather than silently ignored; its
// train_fraction is applied by the host with the adapters plugin's own
// seeded draw (train.Fraction), so both trainers of a seed see the same
// triplets.
func routeTraining(configJSON string, in AblationInputs) (route, error) {
	cfg := map[string]any{}
	if err := json.Unmarshal([]byte(configJSON), &cfg); err != nil {
		return route{}, fmt.Errorf("training config: %w", err)
	}
	trainer, _ := cfg["trainer"].(string)
	delete(cfg, "trainer")
	drop := torchOnly
	r := route{plugin: "socialreward", model: in.Backbone, fraction: 1}
	switch trainer {
	case "", ablate.TrainerAdapters:
	case ablate.TrainerTorchBlocks:
		if in.TorchModel == "" {
			return route{}, fmt.Errorf("a cell trains with %s, which needs a PyTorch CLIP model directory (--torch-model)", trainer)
		}
		if l, ok := cfg["loss"]; ok && l != "triplet" {
			return route{}, fmt.Errorf("trainer %s implements the triplet loss only, the cell asks for loss %v", trainer, l)
		}
		if f, ok := cfg["train_fraction"].(float64); ok {
			r.fraction = f
		}
		if s, ok := cfg["seed"].(float64); ok {
			r.seed = uint64(s)
		}
		delete(cfg, "loss")
		delete(cfg, "train_fraction")
		drop = adapterOnly
		r.plugin, r.model = "socialreward-torch", in.TorchModel
	default:
		return route{}, fmt.Errorf("unknown trainer %q", trainer)
	}
	for _, k := range drop {
		delete(cfg, k)
	}
	b, err := json.Marshal(cfg)
	r.config = string(b)
	return r, err
}

// promptIDs reads the prompt ids of a pairs JSONL file.
func promptIDs(path string) (map[string]bool, error) {
	ids := map[string]bool{}
	err := eachLine(path, func(line []byte, row map[string]any) error {
		if id, ok := row["prompt_id"].(string); ok {
			ids[id] = true
		}
		return nil
	})
	return ids, err
}

// dropPrompts copies a pairs JSONL file without the rows of the given prompts.
func dropPrompts(src, dst string, drop map[string]bool) (int, error) {
	f, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	n := 0
	err = eachLine(src, func(line []byte, row map[string]any) error {
		if id, ok := row["prompt_id"].(string); ok && drop[id] {
			n++
			return nil
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		return w.WriteByte('\n')
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

func eachLine(path string, f func(line []byte, row map[string]any) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return fmt.Errorf("%s: line %d: %w", path, n, err)
		}
		if err := f(sc.Bytes(), row); err != nil {
			return err
		}
	}
	return sc.Err()
}
