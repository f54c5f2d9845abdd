package ablate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/srbench/srbench/harness/results"
)

// Deps are the operations Run needs from the rest of srbench; the CLI
// provides them (curation, the socialreward plugin's Train RPC and a
// benchmark run), tests provide fakes.
type Deps struct {
	// Data returns the (train, validation, test) files for a curate preset.
	// The test split must be the same for every preset (one held-out split,
	// made once with the default preset): Run checks that every run scored
	// the same test file (results.json dataset.sha256) and the same pair ids.
	Data func(ctx context.Context, curation string) (train, val, test string, err error)
	// Train trains one model into outDir; configJSON is Spec.ConfigJSON of
	// the cell and seed. outDir must end up holding training.json
	// ({"config": ..., "result": {"history": [...], "train_size": ..., ...}}).
	Train func(ctx context.Context, trainPath, valPath, configJSON, outDir string) error
	// Evaluate scores the test split with the model dir and writes a run
	// directory (results.json + samples.jsonl) to runDir.
	Evaluate func(ctx context.Context, modelDir, testPath, runDir string) (*results.Results, error)
}

// Files and directories of an ablation's output directory.
const (
	SummaryFile  = "ablation.json"
	ReportFile   = "ablation.md"
	CellsDir     = "cells"
	PlotsDir     = "plots"
	ModelDir     = "model"
	RunDir       = "run"
	ConfigFile   = "config.json"  // per cell-seed: the training config
	TrainedFile  = "trained.json" // per cell-seed: written once Train succeeded
	TrainingFile = "training.json"
)

// SeedDir returns the directory of one cell-seed under outDir.
func SeedDir(outDir, cell string, seed uint64) string {
	return filepath.Join(outDir, CellsDir, cell, fmt.Sprintf("seed-%d", seed))
}

// job is one cell trained and scored with one seed.
type job struct {
	cell   Cell
	seed   uint64
	config string
	dir    string
}

func (j job) String() string { return fmt.Sprintf("cell %q seed %d", j.cell.Name, j.seed) }

// Run trains and scores every cell of spec with every seed under outDir,
// then writes the summary (ablation.json), the report (ablation.md) and the
// figures (plots/). A cell-seed whose run/results.json exists is neither
// retrained nor rescored, so rerunning an interrupted ablation continues it;
// one trained (trained.json) but not scored is only scored. A cell-seed
// whose stored config.json differs from the spec's is an error (the spec
// changed: use a new output directory). Up to Spec.Parallel cell-seeds run
// at once; the summary does not depend on the scheduling. Progress lines go
// to log (nil = discard).
func Run(ctx context.Context, spec *Spec, outDir string, deps Deps, log io.Writer) (*Summary, error) {
	if deps.Data == nil || deps.Train == nil || deps.Evaluate == nil {
		return nil, errors.New("ablation: Deps.Data, Deps.Train and Deps.Evaluate must all be set")
	}
	if log == nil {
		log = io.Discard
	}
	cells, err := spec.Cells()
	if err != nil {
		return nil, err
	}
	var logMu sync.Mutex
	logf := func(format string, a ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(log, format+"\n", a...)
	}

	var jobs, pending []job
	for _, c := range cells {
		for _, seed := range spec.Seeds {
			cfg, err := spec.ConfigJSON(c, seed)
			if err != nil {
				return nil, fmt.Errorf("ablation: cell %q: %w", c.Name, err)
			}
			j := job{cell: c, seed: seed, config: cfg, dir: SeedDir(outDir, c.Name, seed)}
			jobs = append(jobs, j)
			done, err := j.check()
			if err != nil {
				return nil, err
			}
			if !done {
				pending = append(pending, j)
			}
		}
	}
	logf("ablation %q: %d cells × %d seeds = %d trainings; %d already done", spec.Name, len(cells), len(spec.Seeds), len(jobs), len(jobs)-len(pending))

	// Data for the curations that still have work, in cell order.
	type split struct{ train, val, test string }
	data := map[string]split{}
	for _, j := range pending {
		cur := spec.curation(j.cell)
		if _, ok := data[cur]; ok {
			continue
		}
		tr, va, te, err := deps.Data(ctx, cur)
		if err != nil {
			return nil, fmt.Errorf("ablation: data for curation %q: %w", cur, err)
		}
		data[cur] = split{tr, va, te}
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan job)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	for range min(spec.parallel(), max(1, len(pending))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if ctx.Err() != nil {
					continue
				}
				d := data[spec.curation(j.cell)]
				if err := j.run(ctx, deps, d.train, d.val, d.test, logf); err != nil {
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
					cancel()
				}
			}
		}()
	}
	for _, j := range pending {
		work <- j
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("ablation %q: %w (finished cell-seeds are kept; rerun to continue)", spec.Name, errors.Join(errs...))
	}
	if err := parent.Err(); err != nil {
		return nil, fmt.Errorf("ablation %q: %w (finished cell-seeds are kept; rerun to continue)", spec.Name, err)
	}

	sum, err := summarize(spec, cells, outDir)
	if err != nil {
		return nil, err
	}
	if err := writeOutputs(outDir, sum); err != nil {
		return nil, err
	}
	logf("ablation %q: wrote %s, %s and %s/", spec.Name, filepath.Join(outDir, SummaryFile), filepath.Join(outDir, ReportFile), filepath.Join(outDir, PlotsDir))
	return sum, nil
}

// check reports whether the cell-seed is finished, and fails when its stored
// config differs from the spec's.
func (j job) check() (done bool, err error) {
	old, err := os.ReadFile(filepath.Join(j.dir, ConfigFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("ablation: %s: %w", j, err)
	}
	if !bytes.Equal(bytes.TrimSpace(old), []byte(j.config)) {
		return false, fmt.Errorf("ablation: %s: %s holds training config %s, the spec now gives %s: the spec changed since this directory was made; use a new output directory",
			j, filepath.Join(j.dir, ConfigFile), bytes.TrimSpace(old), j.config)
	}
	_, err = os.Stat(filepath.Join(j.dir, RunDir, "results.json"))
	return err == nil, nil
}

// run trains (unless already trained) and scores one cell-seed.
func (j job) run(ctx context.Context, deps Deps, trainPath, valPath, testPath string, logf func(string, ...any)) error {
	model, run := filepath.Join(j.dir, ModelDir), filepath.Join(j.dir, RunDir)
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", j, err)
	}
	if err := os.WriteFile(filepath.Join(j.dir, ConfigFile), []byte(j.config+"\n"), 0o644); err != nil {
		return fmt.Errorf("%s: %w", j, err)
	}
	if _, err := os.Stat(filepath.Join(j.dir, TrainedFile)); err == nil {
		logf("%s: trained before, scoring only", j)
	} else {
		logf("%s: training", j)
		if err := os.RemoveAll(model); err != nil {
			return fmt.Errorf("%s: %w", j, err)
		}
		if err := deps.Train(ctx, trainPath, valPath, j.config, model); err != nil {
			return fmt.Errorf("%s: train: %w", j, err)
		}
		if _, err := os.Stat(filepath.Join(model, TrainingFile)); err != nil {
			return fmt.Errorf("%s: train wrote no %s: %w", j, TrainingFile, err)
		}
		if err := os.WriteFile(filepath.Join(j.dir, TrainedFile), []byte(j.config+"\n"), 0o644); err != nil {
			return fmt.Errorf("%s: %w", j, err)
		}
	}
	logf("%s: scoring the test split", j)
	if err := os.RemoveAll(run); err != nil {
		return fmt.Errorf("%s: %w", j, err)
	}
	if _, err := deps.Evaluate(ctx, model, testPath, run); err != nil {
		return fmt.Errorf("%s: evaluate: %w", j, err)
	}
	if _, err := os.Stat(filepath.Join(run, "results.json")); err != nil {
		return fmt.Errorf("%s: evaluate wrote no results.json: %w", j, err)
	}
	return nil
}

func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
