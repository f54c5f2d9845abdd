package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

type rankFlags struct {
	scoreFlags
	scorers  []string
	out      string
	name     string
	b        int
	seed     uint64
	alpha    float64
	bestOfN  []int
	maxImage string
}

const rankExample = `  # From the repository root, after ` + "`make demo`" + ` (the demo writes a gallery of four generators):
  bin/srbench rank demo-out/gallery/gallery.jsonl --models demo-out/models --scorers clipscore,socialreward --out runs/gallery
  # A directory gallery (<generator>/<prompt id>/<n>.png and prompts.jsonl); after an interruption, finish it with srbench resume:
  bin/srbench rank my-gallery/ --scorers pickscore --models models --out runs/mine
  bin/srbench resume runs/mine`

func newRankCmd(g *globalFlags) *cobra.Command {
	f := &rankFlags{}
	cmd := &cobra.Command{
		Use:   "rank GALLERY",
		Short: "Rank text-to-image generators on a gallery with every scorer: leaderboard, win rates, best-of-N",
		Long: `Score every image of a gallery (a JSONL manifest of {"prompt", "generator", "image",
"seed"?, "prompt_id"?, "truth"?} lines, or a directory <generator>/<prompt id>/<n>.png with
prompts.jsonl) with each scorer, and rank the generators per scorer: mean score, head-to-head
win rates on shared prompts (Holm-corrected sign tests), Bradley–Terry strengths with rank
probabilities, Kendall's tau between the scorers' rankings, and best-of-N selection by one
scorer measured by another (and by the gallery's "truth" labels when it has them). Writes
leaderboard.json (docs/leaderboards.md), images.jsonl and leaderboard.md/.html in --out.
Scores go through the same cache as srbench run; an interrupted ranking is finished by
srbench resume DIR without rescoring what it journaled.`,
		Example: rankExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			limit, cache, err := f.open()
			if err != nil {
				return err
			}
			if cache != nil {
				defer cache.Close()
			}
			h := newHost(g)
			defer h.Close()
			galleryPath, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			if len(f.scorers) == 0 {
				return &exitError{code: 2, err: fmt.Errorf("no scorers: pass --scorers (e.g. --scorers clipscore,socialreward)")}
			}
			name := f.name
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(galleryPath), filepath.Ext(galleryPath))
			}
			maxImage, err := parseSize("--max-image-bytes", f.maxImage)
			if err != nil {
				return err
			}
			cfg := bench.RankConfig{
				Benchmark: results.Benchmark{Name: name}, Gallery: galleryPath, OutDir: f.out,
				MaxImageBytes: maxImage, AllowUnpinned: g.allowUnpinned, Cache: cache,
				Stats:   bench.RankStats{B: f.b, Seed: f.seed, Alpha: f.alpha, BestOfN: f.bestOfN},
				Command: os.Args, Version: version, Commit: commit(),
			}
			if cfg.OutDir == "" {
				cfg.OutDir = filepath.Join("runs", "rank-"+name+"-"+time.Now().UTC().Format("20060102-150405"))
			}
			if cfg.ModelsRoot, err = filepath.Abs(g.models); err != nil {
				return err
			}
			if cfg.PluginDir, err = filepath.Abs(g.resolvePluginDir()); err != nil {
				return err
			}
			for _, s := range f.scorers {
				n, dir, _ := strings.Cut(s, "=")
				spec := bench.ScorerSpec{Name: strings.TrimSpace(n), ModelDir: dir}
				if spec.ModelDir == "" {
					spec.ModelDir = filepath.Join(cfg.ModelsRoot, spec.PluginName())
				}
				if spec.ModelDir, err = filepath.Abs(spec.ModelDir); err != nil {
					return err
				}
				cfg.Scorers = append(cfg.Scorers, spec)
			}
			g.setRun(cfg.OutDir)
			return rankAndPrint(cmd, cfg, launcher(g, h), f.noBar, limit)
		},
	}
	fl := cmd.Flags()
	f.scoreFlags.register(fl)
	fl.Lookup("max-failures").Usage = "failed images a scorer may have before the command exits with status 3 (after writing everything): a count, or a share such as 1%"
	fl.StringSliceVar(&f.scorers, "scorers", nil, "scorers to rank with, comma-separated; NAME or NAME=MODEL_DIR")
	fl.StringVar(&f.out, "out", "", "leaderboard directory to write (default: runs/rank-<name>-<time>)")
	fl.StringVar(&f.name, "name", "", "name recorded in the leaderboard (default: the gallery's file name)")
	fl.IntVar(&f.b, "bootstrap", 0, "Poisson bootstrap replicates over prompts (default 1000)")
	fl.Uint64Var(&f.seed, "bootstrap-seed", 0, "seed of the bootstrap")
	fl.Float64Var(&f.alpha, "alpha", 0, "family-wise level of each scorer's Holm-corrected win-rate tests (default 0.05)")
	fl.IntSliceVar(&f.bestOfN, "best-of-n", nil, "N of best-of-N (default 1,2,4,... up to the samples per prompt and generator)")
	fl.StringVar(&f.maxImage, "max-image-bytes", "64MiB", "largest image file read; larger ones fail per item (\"none\": no limit)")
	g.addModels(fl, "")
	g.addLaunchFlags(fl, "")
	return cmd
}

// rankAndPrint ranks with a progress bar (unless noBar), writes the report,
// prints the leaderboard, and returns the exit-status-3 error for scorers
// over the failure limit.
func rankAndPrint(cmd *cobra.Command, cfg bench.RankConfig, launch bench.Launcher, noBar bool, limit bench.FailureLimit) error {
	if !noBar {
		// Rank checks the gallery before scoring and gives its size with
		// the first call.
		var bar *progressbar.ProgressBar
		cfg.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total,
					progressbar.OptionSetDescription("scoring images"),
					progressbar.OptionSetWriter(cmd.ErrOrStderr()),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("images"),
					progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}
		defer func() {
			if bar != nil {
				_ = bar.Finish()
			}
		}()
	}
	lb, err := bench.Rank(cmd.Context(), cfg, launch)
	if err != nil {
		return err
	}
	if err := report.WriteLeaderboard(cfg.OutDir, report.LeaderboardOptions{}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	w := cmd.OutOrStdout()
	PrintLeaderboard(w, lb)
	fmt.Fprintf(w, "report: %s\nleaderboard directory: %s\n", filepath.Join(cfg.OutDir, report.LeaderboardMarkdownFile), cfg.OutDir)
	return rankFailureError(lb, cfg.OutDir, limit)
}

// resumeRank finishes the interrupted ranking in dir with the configuration
// it recorded (srbench resume).
func resumeRank(cmd *cobra.Command, g *globalFlags, s *scoreFlags, dir string, h *host.Host) error {
	limit, cache, err := s.open()
	if err != nil {
		return err
	}
	if cache != nil {
		defer cache.Close()
	}
	cfg, err := bench.ReadRankJournal(dir)
	if err != nil {
		return err
	}
	cfg.OutDir, cfg.Resume, cfg.Cache = dir, true, cache
	pluginDir, models := cfg.PluginDir, cfg.ModelsRoot
	if pluginDir == "" || cmd.Flags().Changed("plugin-dir") {
		pluginDir = g.resolvePluginDir()
	}
	if models == "" || cmd.Flags().Changed("models") {
		models = g.models
	}
	g.setRun(dir)
	return rankAndPrint(cmd, cfg, launcherAt(pluginDir, models, h), s.noBar, limit)
}

// rankFailureError is the exit-status-3 error for scorers over the failure
// limit.
func rankFailureError(lb *results.Leaderboard, dir string, limit bench.FailureLimit) error {
	var over []string
	for _, j := range lb.Judges {
		if j.Kind != "scorer" || j.NFailed == 0 {
			continue
		}
		total := j.NFailed + j.NScored
		if (limit.Share && float64(j.NFailed) > limit.Rate/100*float64(total)) || (!limit.Share && j.NFailed > limit.Count) {
			over = append(over, fmt.Sprintf("%s failed on %d of %d images", j.Name, j.NFailed, total))
		}
	}
	if len(over) == 0 {
		return nil
	}
	return &exitError{code: bench.ExitFailures, err: fmt.Errorf(
		"%s (--max-failures %s); the leaderboard is written to %s, but its numbers leave those images out",
		strings.Join(over, "; "), limit, dir)}
}

// PrintLeaderboard prints every judge's board, the rankings side by side,
// the best-of-N summary and the warnings.
func PrintLeaderboard(w io.Writer, lb *results.Leaderboard) {
	g := lb.Gallery
	fmt.Fprintf(w, "\n%s: %d images, %d prompts, %d generators (%s, sha256 %s)\n", lb.Benchmark.Name, g.NImages, g.NPrompts, len(g.Generators), g.Format, short(g.SHA256))
	for _, n := range lb.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	pct := int(lb.Bootstrap.Level*100 + 0.5)
	for _, b := range lb.Boards {
		reg := ""
		if b.Regularised {
			reg = " (REGULARISED: no maximum-likelihood fit exists)"
		}
		fmt.Fprintf(w, "\nleaderboard by %s%s\n", b.Judge, reg)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "rank\tgenerator\tstrength [%d%% CI]\tmean [%d%% CI]\tP(rank 1)\tprompts\n", pct, pct)
		for _, r := range b.Generators {
			p1 := 0.0
			if len(r.RankProb) > 0 {
				p1 = r.RankProb[0]
			}
			fmt.Fprintf(tw, "%d\t%s\t%+.3f [%+.3f, %+.3f]\t%.4g [%.4g, %.4g]\t%.2f\t%d\n", r.Rank, r.Generator,
				r.Strength.Value, r.Strength.CI[0], r.Strength.CI[1], r.Mean.Value, r.Mean.CI[0], r.Mean.CI[1], p1, r.NPrompts)
		}
		tw.Flush()
	}
	if len(lb.Boards) > 1 {
		fmt.Fprintln(w, "\nrankings side by side")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprint(tw, "rank")
		for _, b := range lb.Boards {
			fmt.Fprintf(tw, "\t%s", b.Judge)
		}
		fmt.Fprintln(tw)
		for i := range g.Generators {
			fmt.Fprintf(tw, "%d", i+1)
			for _, b := range lb.Boards {
				name := ""
				if i < len(b.Generators) {
					name = b.Generators[i].Generator
				}
				fmt.Fprintf(tw, "\t%s", name)
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	printBestOfN(w, lb)
	for _, x := range lb.Warnings {
		fmt.Fprintf(w, "WARNING (%s): %s\n", x.Kind, x.Message)
	}
	fmt.Fprintf(w, "intervals: %d%% Poisson bootstrap over prompts (B = %d, seed %d)\n", pct, lb.Bootstrap.B, lb.Bootstrap.Seed)
}

// printBestOfN prints, for the largest N, each selector's gain as its own
// judge and as every other judge sees it.
func printBestOfN(w io.Writer, lb *results.Leaderboard) {
	maxN := 0
	for _, e := range lb.BestOfN {
		maxN = max(maxN, e.N)
	}
	if maxN < 2 {
		return
	}
	pct := int(lb.Bootstrap.Level*100 + 0.5)
	fmt.Fprintf(w, "\nbest-of-%d: gain over a random sample, in standard deviations of the measuring judge\n", maxN)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "selected by\tmeasured by\tz-gain [%d%% CI]\tover-optimisation [%d%% CI]\n", pct, pct)
	for _, e := range lb.BestOfN {
		if e.N != maxN {
			continue
		}
		over := "(itself)"
		if e.Selector != e.Measure {
			over = fmt.Sprintf("%+.3f [%+.3f, %+.3f]", e.OverOptimisation.Value, e.OverOptimisation.CI[0], e.OverOptimisation.CI[1])
		}
		fmt.Fprintf(tw, "%s\t%s\t%+.3f [%+.3f, %+.3f]\t%s\n", e.Selector, e.Measure, e.ZGain.Value, e.ZGain.CI[0], e.ZGain.CI[1], over)
	}
	tw.Flush()
}
