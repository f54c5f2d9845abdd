package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/report"
)

type runFlags struct {
	name      string
	dataset   string
	format    string
	images    string
	scorers   []string
	out       string
	batchSize int
	threads   int
	provider  string
	limit     int
	lenient   bool
	noBar     bool
}

func newRunCmd(g *globalFlags) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Score a pairwise dataset with scorer plugins and write a run directory",
		Example: `  srbench run --dataset pairs.jsonl --scorers clipscore --out runs/first
  srbench run --format hpdv2-json --dataset test.json --images test/ --scorers clipscore,pickscore --out runs/hpd`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(cmd)
			if err != nil {
				return err
			}
			h := newHost(g)
			defer h.Close()
			return runAndPrint(cmd, cfg, launcher(g, h), f.noBar)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "benchmark name recorded in results (default: the dataset file name)")
	fl.StringVar(&f.dataset, "dataset", "", "dataset file (required)")
	fl.StringVar(&f.format, "format", "", "dataset format: "+formatList()+" (default: detected)")
	fl.StringVar(&f.images, "images", "", "images root (default: the dataset file's directory)")
	fl.StringSliceVar(&f.scorers, "scorers", nil, "scorers to run, comma-separated; NAME or NAME=MODEL_DIR")
	fl.StringVar(&f.out, "out", "", "run directory to write (default: runs/<name>-<time>)")
	fl.IntVar(&f.batchSize, "batch-size", 0, "items per plugin call (default: each plugin's preference)")
	fl.IntVar(&f.threads, "threads", 0, "ONNX Runtime intra-op threads per plugin (default: runtime default)")
	fl.StringVar(&f.provider, "provider", "", "execution provider: cpu (default) or cuda")
	fl.IntVar(&f.limit, "limit", 0, "score only the first N pairs")
	fl.BoolVar(&f.lenient, "lenient", false, "skip malformed dataset records (counted and reported) instead of stopping")
	fl.BoolVar(&f.noBar, "no-progress", false, "no progress bar")
	return cmd
}

func formatList() string {
	var s []string
	for _, f := range dataset.Formats() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

func (f *runFlags) config(cmd *cobra.Command) (bench.Config, error) {
	if f.dataset == "" {
		return bench.Config{}, fmt.Errorf("--dataset is required")
	}
	if len(f.scorers) == 0 {
		return bench.Config{}, fmt.Errorf("--scorers is required (e.g. --scorers clipscore)")
	}
	var format dataset.Format
	if f.format != "" {
		var err error
		if format, err = dataset.ParseFormat(f.format); err != nil {
			return bench.Config{}, err
		}
	}
	name := f.name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(f.dataset), filepath.Ext(f.dataset))
	}
	out := f.out
	if out == "" {
		out = filepath.Join("runs", name+"-"+time.Now().UTC().Format("20060102-150405"))
	}
	cfg := bench.Config{
		Benchmark: report.Benchmark{Name: name},
		Dataset:   dataset.Spec{Format: format, Path: f.dataset, Images: f.images, Limit: f.limit, Lenient: f.lenient},
		OutDir:    out,
		Command:   os.Args,
		Version:   version,
	}
	for _, s := range f.scorers {
		name, dir, _ := strings.Cut(s, "=")
		cfg.Scorers = append(cfg.Scorers, bench.ScorerSpec{
			Name: strings.TrimSpace(name), ModelDir: dir,
			BatchSize: f.batchSize, Threads: f.threads, Provider: f.provider,
		})
	}
	return cfg, nil
}

// runAndPrint runs a benchmark with a progress bar and prints the summary.
func runAndPrint(cmd *cobra.Command, cfg bench.Config, launch bench.Launcher, noBar bool) error {
	if !noBar {
		bar := progressbar.NewOptions(-1,
			progressbar.OptionSetDescription("scoring pairs"),
			progressbar.OptionSetWriter(cmd.ErrOrStderr()),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("pairs"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		cfg.Progress = func(done int) { _ = bar.Set(done) }
	}
	res, err := bench.Run(cmd.Context(), cfg, launch)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\n%s: %d pairs (%s, sha256 %s)\n", res.Benchmark.Name, res.Dataset.NPairs, res.Dataset.Format, short(res.Dataset.SHA256))
	for _, warn := range res.Dataset.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	bench.PrintTable(w, res)
	fmt.Fprintf(w, "policy: prediction ties %s, label ties %s, %s average\n", res.Policy.PredictionTies, res.Policy.LabelTies, res.Policy.Averaging)
	fmt.Fprintf(w, "run directory: %s\n", cfg.OutDir)
	return nil
}
