package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/scorer"
)

// ScorerSpec names one scorer in a run.
type ScorerSpec struct {
	// Name is the plugin name (its binary's file name) and the key in results.
	Name string
	// ModelDir is the model directory; "" = <models root>/<Name>.
	ModelDir string
	// Options are scorer-specific (e.g. variant).
	Options map[string]string
	// BatchSize is items per Score call; 0 = the plugin's preference.
	BatchSize int
	// Threads is ONNX Runtime intra-op threads; 0 = runtime default.
	Threads int
	// Provider is "cpu" (default) or "cuda".
	Provider string
}

// Launcher starts a configured scorer. The CLI passes one backed by
// harness/host; tests can pass in-process scorers.
type Launcher func(ctx context.Context, spec ScorerSpec) (scorer.Scorer, error)

// Config describes a run.
type Config struct {
	Benchmark report.Benchmark
	Dataset   dataset.Spec
	Scorers   []ScorerSpec
	// OutDir is the run directory (created; must not hold a previous run).
	OutDir string
	// ChunkPairs is how many pairs are read and scored together; 0 = 256.
	ChunkPairs int
	// Command is recorded in provenance.
	Command []string
	// Version is srbench's version, recorded in provenance.
	Version string
	// Notes are recorded in results (e.g. "synthetic data, demo models").
	Notes []string
	// Analyze chooses the statistics (policy, bootstrap).
	Analyze AnalyzeOptions
	// Progress, if set, is called after each chunk with pairs done so far.
	Progress func(pairsDone int)
}

// Restarter is implemented by scorers that can report plugin restarts.
type Restarter interface{ Restarts() int }

// Run executes the benchmark and writes the run directory.
func Run(ctx context.Context, cfg Config, launch Launcher) (*report.Results, error) {
	start := time.Now()
	if len(cfg.Scorers) == 0 {
		return nil, errors.New("no scorers: name at least one (--scorers)")
	}
	if err := checkUnique(cfg.Scorers); err != nil {
		return nil, err
	}
	if cfg.ChunkPairs <= 0 {
		cfg.ChunkPairs = 256
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.OutDir, "results.json")); err == nil {
		return nil, fmt.Errorf("run directory %s already holds a finished run (results.json); choose another --out", cfg.OutDir)
	}
	dsHash, err := dataset.Hash(cfg.Dataset.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	src, err := dataset.Open(cfg.Dataset)
	if err != nil {
		return nil, err
	}
	defer src.Close()

	type running struct {
		spec ScorerSpec
		sc   scorer.Scorer
		desc scorer.Description
	}
	runs := make([]*running, len(cfg.Scorers))
	for i, spec := range cfg.Scorers {
		sc, err := launch(ctx, spec)
		if err != nil {
			return nil, fmt.Errorf("scorer %q: %w", spec.Name, err)
		}
		d, err := sc.Describe(ctx)
		if err != nil {
			return nil, fmt.Errorf("scorer %q: describe: %w", spec.Name, err)
		}
		if spec.BatchSize <= 0 {
			spec.BatchSize = d.PreferredBatchSize
		}
		if spec.BatchSize <= 0 {
			spec.BatchSize = 16
		}
		runs[i] = &running{spec: spec, sc: sc, desc: d}
	}

	sf, err := os.Create(filepath.Join(cfg.OutDir, "samples.jsonl"))
	if err != nil {
		return nil, err
	}
	defer sf.Close()
	sw := bufio.NewWriter(sf)
	enc := json.NewEncoder(sw)

	done := 0
	chunk := make([]dataset.Pair, 0, cfg.ChunkPairs)
	for {
		chunk = chunk[:0]
		for len(chunk) < cfg.ChunkPairs {
			p, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			chunk = append(chunk, p)
		}
		if len(chunk) == 0 {
			break
		}
		items := make([]scorer.Item, 0, 2*len(chunk))
		for _, p := range chunk {
			items = append(items, toItem(p, p.A, "a"), toItem(p, p.B, "b"))
		}
		results := make([][]scorer.Result, len(runs))
		errs := make([]error, len(runs))
		var wg sync.WaitGroup
		for i, r := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = scoreAll(ctx, r.sc, items, r.spec.BatchSize)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("scorer %q: %w", runs[i].spec.Name, err)
			}
		}
		for k, p := range chunk {
			s := report.Sample{
				Index: p.Index, ID: p.ID, PromptID: p.PromptID, Prompt: p.Prompt,
				ImageA: p.A.Name, ImageB: p.B.Name, Label: p.Label.String(), Weight: p.Weight,
				Scores: make(map[string]report.SampleScore, len(runs)),
			}
			if !math.IsNaN(p.Strength) {
				v := p.Strength
				s.Strength = &v
			}
			for i, r := range runs {
				a, b := results[i][2*k], results[i][2*k+1]
				ss := report.SampleScore{A: a.Score, B: b.Score}
				switch {
				case a.Failed():
					ss = report.SampleScore{Error: "image a: " + a.Err}
				case b.Failed():
					ss = report.SampleScore{Error: "image b: " + b.Err}
				}
				s.Scores[r.spec.Name] = ss
			}
			if err := enc.Encode(&s); err != nil {
				return nil, err
			}
		}
		done += len(chunk)
		if cfg.Progress != nil {
			cfg.Progress(done)
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	if err := sf.Close(); err != nil {
		return nil, err
	}

	st := src.Stats()
	res := &report.Results{
		SchemaVersion: report.SchemaVersion,
		Benchmark:     cfg.Benchmark,
		Dataset: report.DatasetInfo{
			Format: string(st.Format), Path: cfg.Dataset.Path, SHA256: dsHash, NPairs: done,
			NSkippedRows: st.Skipped, SkipReasons: st.SkipReasons,
			NFilteredRows: st.Filtered, FilterReasons: st.FilterReasons, Warnings: st.Warnings(),
		},
		Notes: cfg.Notes,
		Provenance: report.Provenance{
			Command: cfg.Command, GoVersion: runtime.Version(), Srbench: cfg.Version,
			StartedAt: start.UTC().Format(time.RFC3339), Seconds: time.Since(start).Seconds(),
		},
	}
	for _, r := range runs {
		sr := report.ScorerResult{
			Name: r.spec.Name, Kind: r.desc.Kind, Variant: r.desc.Variant, Version: r.desc.Version,
			Fingerprint: r.desc.Fingerprint, Runtime: r.desc.Runtime, Provider: r.desc.Provider,
			Formula: r.desc.Formula, ModelDir: r.desc.ModelDir, Details: r.desc.Details,
			Preprocess: r.desc.Preprocessing, Tokenizer: r.desc.Tokenizer,
		}
		if rs, ok := r.sc.(Restarter); ok {
			sr.Restarts = rs.Restarts()
		}
		res.Scorers = append(res.Scorers, sr)
	}
	if err := Analyze(cfg.OutDir, res, cfg.Analyze); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	res.Provenance.Seconds = time.Since(start).Seconds()
	if err := report.WriteJSON(filepath.Join(cfg.OutDir, "results.json"), res); err != nil {
		return nil, err
	}
	return res, nil
}

func checkUnique(specs []ScorerSpec) error {
	seen := map[string]bool{}
	for _, s := range specs {
		if s.Name == "" {
			return errors.New("a scorer has no name")
		}
		if seen[s.Name] {
			return fmt.Errorf("scorer %q is listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

func toItem(p dataset.Pair, im dataset.ImageRef, side string) scorer.Item {
	return scorer.Item{ID: p.ID + "/" + side, Prompt: p.Prompt, ImagePath: im.Path, ImageBytes: im.Bytes}
}

// scoreAll scores items in batches of at most batch.
func scoreAll(ctx context.Context, sc scorer.Scorer, items []scorer.Item, batch int) ([]scorer.Result, error) {
	out := make([]scorer.Result, 0, len(items))
	for i := 0; i < len(items); i += batch {
		j := min(i+batch, len(items))
		res, err := sc.Score(ctx, items[i:j])
		if err != nil {
			return nil, err
		}
		if len(res) != j-i {
			return nil, fmt.Errorf("got %d results for %d items", len(res), j-i)
		}
		out = append(out, res...)
	}
	return out, nil
}

// reasonKey groups failure messages: the text after the last ": " names the
// cause without the per-file part.
func reasonKey(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// PrintTable writes the summary table.
func PrintTable(w io.Writer, r *report.Results) {
	fmt.Fprintf(w, "%-14s %-12s %9s  %-14s %7s %7s  %s\n", "scorer", "variant", "accuracy", "95% CI", "pairs", "failed", "fingerprint")
	ss := append([]report.ScorerResult(nil), r.Scorers...)
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].Accuracy > ss[j].Accuracy })
	for _, s := range ss {
		fp := s.Fingerprint
		if len(fp) > 19 {
			fp = fp[:19]
		}
		fmt.Fprintf(w, "%-14s %-12s %8.2f%%  [%5.1f, %5.1f] %7d %7d  %s\n", s.Name, s.Variant, 100*s.Accuracy, 100*s.CI95[0], 100*s.CI95[1], s.NPairs, s.NFailed, fp)
	}
}
