package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

// policyFlags are the statistics flags shared by run and analyze.
type policyFlags struct {
	policy    string
	predTies  string
	labelTies string
	averaging string
	epsilon   float64
	bootB     int
	bootSeed  uint64
	alpha     float64
}

func (p *policyFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&p.policy, "policy", "", "accuracy policy preset: srbench (default), socialreward, pickscore, imagereward, hpsv2, tiecal")
	fl.StringVar(&p.predTies, "ties", "", "prediction ties: correct, half or wrong (overrides the policy)")
	fl.StringVar(&p.labelTies, "label-ties", "", "label ties: skip, half, match or correct (overrides the policy)")
	fl.StringVar(&p.averaging, "averaging", "", "micro (over pairs) or macro (per prompt, then mean)")
	fl.Float64Var(&p.epsilon, "epsilon", 0, "score differences up to epsilon count as predicted ties")
	fl.IntVar(&p.bootB, "bootstrap", 0, "bootstrap resamples (default 1000)")
	fl.Uint64Var(&p.bootSeed, "bootstrap-seed", 0, "seed of the bootstrap resampling")
	fl.Float64Var(&p.alpha, "alpha", 0, "family-wise significance level of the paired tests (default 0.05)")
	alias(fl, "seed", "bootstrap-seed")
}

// apply overrides spec's statistics fields with the flags that were set.
func (p *policyFlags) apply(fl *pflag.FlagSet, spec *bench.Spec) {
	if fl.Changed("policy") {
		spec.Policy = p.policy
		spec.Ties, spec.Averaging, spec.Epsilon = nil, "", nil
	}
	if fl.Changed("ties") || fl.Changed("label-ties") {
		t := bench.TiesSpec{}
		if spec.Ties != nil {
			t = *spec.Ties
		}
		if fl.Changed("ties") {
			t.Prediction = p.predTies
		}
		if fl.Changed("label-ties") {
			t.Label = p.labelTies
		}
		spec.Ties = &t
	}
	if fl.Changed("averaging") {
		spec.Averaging = p.averaging
	}
	if fl.Changed("epsilon") {
		spec.Epsilon = &p.epsilon
	}
	if fl.Changed("bootstrap") {
		spec.Bootstrap.B = p.bootB
	}
	if fl.Changed("bootstrap-seed") {
		spec.Bootstrap.Seed = p.bootSeed
	}
	if fl.Changed("alpha") {
		spec.Alpha = p.alpha
	}
}

// scoreFlags are the flags of the commands that score pairs into a run
// directory: run and resume.
type scoreFlags struct {
	noBar   bool
	cache   string
	noCache bool
	// maxFailures is --max-failures: how many failed pairs a scorer may have.
	maxFailures string
}

func (s *scoreFlags) register(fl *pflag.FlagSet) {
	fl.BoolVar(&s.noBar, "no-progress", false, "no progress bar")
	cacheFlag(fl, &s.cache, "score cache (SQLite)")
	fl.BoolVar(&s.noCache, "no-cache", false, "neither read nor write the score cache")
	fl.StringVar(&s.maxFailures, "max-failures", "0", "failed pairs a scorer may have before the command exits with status 3 (after writing everything): a count, or a share such as 1%")
}

// open parses --max-failures (exit status 2 when it is unusable) and opens
// the score cache, nil with --no-cache; close it when done.
func (s *scoreFlags) open() (bench.FailureLimit, *bench.Cache, error) {
	limit, err := bench.ParseFailureLimit(s.maxFailures)
	if err != nil {
		return limit, nil, &exitError{code: 2, err: err}
	}
	if s.noCache {
		return limit, nil, nil
	}
	cache, err := bench.OpenCache(s.cache)
	return limit, cache, err
}

type runFlags struct {
	policyFlags
	scoreFlags
	benchDir  string
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
	// resume is the deprecated run --resume RUN_DIR (now srbench resume RUN_DIR).
	resume string
	// Limits on untrusted input.
	maxImageBytes, decodeMemory string
	allowOutside                bool
	// shard is --shard I/N; shardFromEnv is --shard-from-env.
	shard        string
	shardFromEnv bool
}

// runExample is `srbench run --help`'s Example: commands that work verbatim from
// the repository root after `make demo` (TestRunExamplesWork runs them on a small
// demo).
const runExample = `  # From the repository root, after ` + "`make demo`" + ` (data and models in demo-out/):
  bin/srbench run demo-social --models demo-out/models --scorers pickscore,socialreward
  bin/srbench run benchmarks/demo-alignment.yaml --models demo-out/models --scorers clipscore,imagereward --limit 100
  bin/srbench run --dataset demo-out/curated/test.jsonl --format pairs --models demo-out/models --scorers clipscore --out runs/curated-test`

func newRunCmd(g *globalFlags) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [SPEC]",
		Short: "Score a pairwise dataset with scorer plugins and write a run directory",
		Long: `Run a benchmark: a spec (a YAML file, or a name in benchmarks/) and/or flags.
Flags override the spec's fields, so no spec file is needed at all.`,
		Example: runExample,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.resume != "" {
				if len(args) > 0 {
					return fmt.Errorf("--resume takes the run's recorded configuration; do not give a SPEC")
				}
				if f.shard != "" || f.shardFromEnv {
					return &exitError{code: 2, err: fmt.Errorf("--resume finishes the shard the run recorded; do not give --shard or --shard-from-env")}
				}
				return resumeRun(cmd, g, &f.scoreFlags, f.resume)
			}
			limit, cache, err := f.open()
			if err != nil {
				return err
			}
			if cache != nil {
				defer cache.Close()
			}
			h := newHost(g)
			defer h.Close()
			cfg, err := f.config(cmd, args)
			if err != nil {
				return err
			}
			if err := pinLocations(&cfg, g); err != nil {
				return err
			}
			cfg.AllowUnpinned = g.allowUnpinned
			g.setRun(cfg.OutDir)
			cfg.Cache = cache
			total := 0
			if !f.noBar {
				total, _ = bench.CountShardPairs(cfg.Dataset, cfg.Shard) // only for the ETA; errors surface in the run
			}
			return runAndPrint(cmd, total, func(progress func(int)) (*results.Results, string, error) {
				cfg.Progress = progress
				res, err := bench.Run(cmd.Context(), cfg, launcher(g, h))
				return res, cfg.OutDir, err
			}, f.noBar, limit)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.benchDir, "benchmarks", "benchmarks", "directory of benchmark specs (for SPEC given by name)")
	f.policyFlags.register(fl)
	fl.StringVar(&f.name, "name", "", "benchmark name recorded in results (default: the dataset file name)")
	fl.StringVar(&f.dataset, "dataset", "", "dataset file (required without a SPEC, else it replaces the spec's)")
	fl.StringVar(&f.format, "format", "", "dataset format: "+formatList()+" (default: detected)")
	fl.StringVar(&f.images, "images", "", "images root (default: the dataset file's directory)")
	fl.StringSliceVar(&f.scorers, "scorers", nil, "scorers to run, comma-separated; NAME or NAME=MODEL_DIR")
	fl.StringVar(&f.out, "out", "", "run directory to write (default: runs/<name>-<time>, with -shard-I-of-N for a shard)")
	fl.IntVar(&f.batchSize, "batch-size", 0, "items per plugin call (default: each plugin's preference)")
	fl.IntVar(&f.threads, "threads", 0, "ONNX Runtime intra-op threads of each plugin's one model run at a time (default: one single-threaded run per CPU available to the plugin, a batch split between them; CPUs as Go's GOMAXPROCS counts them: the affinity mask and cgroup quota)")
	fl.StringVar(&f.provider, "provider", "", "execution provider: cpu (default) or cuda")
	fl.IntVar(&f.limit, "limit", 0, "score only the first N pairs")
	fl.BoolVar(&f.lenient, "lenient", false, "skip malformed dataset records (counted and reported) instead of stopping")
	f.scoreFlags.register(fl)
	fl.StringVar(&f.resume, "resume", "", "finish an interrupted run in RUN_DIR (journaled pairs are not rescored)")
	deprecate(fl, "resume", "use `srbench resume RUN_DIR` instead")
	fl.StringVar(&f.maxImageBytes, "max-image-bytes", "64MiB", "largest image file (or embedded image) read; larger ones fail per item (\"none\": no limit)")
	fl.StringVar(&f.decodeMemory, "decode-memory", "512MiB", "memory each plugin may spend decoding images at once; a batch of large images decodes within it (\"none\": no budget)")
	fl.BoolVar(&f.allowOutside, "allow-outside-images", false, "read images that resolve (through symbolic links) outside the images root")
	fl.StringVar(&f.shard, "shard", "", "score only shard I of N (I/N, 0-based: 0/4 to 3/4), chosen by pair id; merge the shards' run directories with srbench merge (see docs/shards.md)")
	fl.BoolVar(&f.shardFromEnv, "shard-from-env", false, "take the shard from a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, SRBENCH_SHARD_COUNT)")
	g.addModels(fl, "")
	g.addLaunchFlags(fl, "")
	return cmd
}

func newResumeCmd(g *globalFlags) *cobra.Command {
	s := &scoreFlags{}
	cmd := &cobra.Command{
		Use:   "resume RUN_DIR",
		Short: "Finish an interrupted run (or ranking) without rescoring what it journaled",
		Long: `Finishes the run in RUN_DIR that srbench run started and was interrupted (Ctrl-C,
SIGTERM, a kill or a crash), with the configuration it recorded: dataset, scorers, model
directories, policy, and the models root and plugin directory, so no flag is needed and
it works from any directory. Journaled pairs are not scored again. It refuses to go on
when the dataset, a model, a variant or a plugin binary changed since the run started.
--models and --plugin-dir replace the recorded models root and plugin directory.
A directory srbench rank left unfinished (rank.json without leaderboard.json) is finished
the same way: the images in its images.jsonl are not scored again.`,
		Example: "  srbench resume runs/demo-social",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return resumeRun(cmd, g, s, args[0])
		},
	}
	fl := cmd.Flags()
	s.register(fl)
	g.addModels(fl, "models root to use instead of the one the run recorded")
	fl.Lookup("models").DefValue = "" // the recorded one (models/ for a run that recorded none)
	g.addLaunchFlags(fl, "directory of scorer plugin binaries (default: the one the run recorded)")
	return cmd
}

// resumeRun finishes the interrupted run in dir (srbench resume, and the
// deprecated run --resume).
func resumeRun(cmd *cobra.Command, g *globalFlags, s *scoreFlags, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, bench.RankJournalName)); err == nil {
		h := newHost(g)
		defer h.Close()
		return resumeRank(cmd, g, s, dir, h)
	}
	limit, cache, err := s.open()
	if err != nil {
		return err
	}
	if cache != nil {
		defer cache.Close()
	}
	h := newHost(g)
	defer h.Close()
	journal, err := bench.ReadJournal(dir)
	if err != nil {
		return err
	}
	g.setRun(dir)
	// The recorded plugin directory and models root, unless given again.
	pluginDir, models := journal.PluginDir, journal.ModelsRoot
	if pluginDir == "" || cmd.Flags().Changed("plugin-dir") {
		pluginDir = g.resolvePluginDir()
	}
	if models == "" || cmd.Flags().Changed("models") {
		models = g.models
	}
	return runAndPrint(cmd, resumeTotal(journal, s.noBar), func(progress func(int)) (*results.Results, string, error) {
		res, err := bench.Resume(cmd.Context(), dir, cache, progress, launcherAt(pluginDir, models, h))
		return res, dir, err
	}, s.noBar, limit)
}

// formatList is the --format help: every canonical format name with its aliases.
func formatList() string {
	return dataset.FormatNames() + "; case, '-' and '_' are ignored, the canonical name is recorded"
}

func (f *runFlags) config(cmd *cobra.Command, args []string) (bench.Config, error) {
	spec := &bench.Spec{}
	if len(args) == 1 {
		path, err := bench.ResolveSpec(args[0], f.benchDir)
		if err != nil {
			return bench.Config{}, err
		}
		if spec, err = bench.LoadSpec(path); err != nil {
			return bench.Config{}, err
		}
	}
	fl := cmd.Flags()
	if fl.Changed("dataset") {
		spec.Dataset.Path = f.dataset
	}
	if fl.Changed("format") {
		spec.Dataset.Format = f.format
	}
	if fl.Changed("images") {
		spec.Dataset.Images = f.images
	}
	if fl.Changed("limit") {
		spec.Dataset.Limit = f.limit
	}
	if fl.Changed("lenient") {
		spec.Dataset.Lenient = f.lenient
	}
	if fl.Changed("name") {
		spec.Name = f.name
	}
	f.policyFlags.apply(fl, spec)
	if fl.Changed("scorers") {
		spec.Scorers = nil
		for _, s := range f.scorers {
			name, dir, _ := strings.Cut(s, "=")
			spec.Scorers = append(spec.Scorers, bench.ScorerEntry{Name: strings.TrimSpace(name), Model: dir})
		}
	}
	if spec.Dataset.Path == "" {
		return bench.Config{}, fmt.Errorf("no dataset: give a SPEC or --dataset")
	}
	if len(spec.Scorers) == 0 {
		return bench.Config{}, fmt.Errorf("no scorers: the spec names none; pass --scorers (e.g. --scorers clipscore)")
	}
	if spec.Name == "" {
		spec.Name = strings.TrimSuffix(filepath.Base(spec.Dataset.Path), filepath.Ext(spec.Dataset.Path))
	}
	cfg, err := spec.Config()
	if err != nil {
		return bench.Config{}, err
	}
	for i := range cfg.Scorers {
		s := &cfg.Scorers[i]
		if fl.Changed("batch-size") {
			s.BatchSize = f.batchSize
		}
		if fl.Changed("threads") {
			s.Threads = f.threads
		}
		if fl.Changed("provider") {
			s.Provider = f.provider
		}
	}
	maxImage, err := parseSize("--max-image-bytes", f.maxImageBytes)
	if err != nil {
		return bench.Config{}, err
	}
	decodeMem, err := parseSize("--decode-memory", f.decodeMemory)
	if err != nil {
		return bench.Config{}, err
	}
	cfg.MaxImageBytes, cfg.AllowOutsideImages = maxImage, f.allowOutside
	for i := range cfg.Scorers {
		cfg.Scorers[i].DecodeMemoryBytes = decodeMem
	}
	if cfg.Shard, err = f.shardOf(fl); err != nil {
		return bench.Config{}, err
	}
	cfg.OutDir = f.out
	if cfg.OutDir == "" {
		cfg.OutDir = filepath.Join("runs", spec.Name+"-"+time.Now().UTC().Format("20060102-150405"))
		if cfg.Shard != nil {
			cfg.OutDir += fmt.Sprintf("-shard-%d-of-%d", cfg.Shard.Index, cfg.Shard.Count)
		}
	}
	cfg.Command = os.Args
	cfg.Version, cfg.Commit = version, commit()
	return cfg, nil
}

// shardOf is the shard --shard or --shard-from-env names, nil without them.
func (f *runFlags) shardOf(fl *pflag.FlagSet) (*results.Shard, error) {
	if !fl.Changed("shard") && !f.shardFromEnv {
		return nil, nil
	}
	if fl.Changed("shard") && f.shardFromEnv {
		return nil, &exitError{code: 2, err: fmt.Errorf("--shard and --shard-from-env both name the shard: give one")}
	}
	var s results.Shard
	var err error
	if f.shardFromEnv {
		s, err = bench.ShardFromEnv(os.Getenv)
	} else {
		s, err = bench.ParseShard(f.shard)
	}
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return &s, nil
}

// runAndPrint runs a benchmark with a progress bar and prints the summary.
// A scorer that failed on more pairs than limit allows makes it return an
// error with exit status bench.ExitFailures, after everything is written.
func runAndPrint(cmd *cobra.Command, total int, run func(progress func(int)) (*results.Results, string, error), noBar bool, limit bench.FailureLimit) error {
	var progress func(int)
	if !noBar {
		if total <= 0 {
			total = -1
		}
		bar := progressbar.NewOptions(total,
			progressbar.OptionSetDescription("scoring pairs"),
			progressbar.OptionSetWriter(cmd.ErrOrStderr()),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("pairs"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		progress = func(done int) { _ = bar.Set(done) }
	}
	res, dir, err := run(progress)
	if err != nil {
		return err
	}
	if err := report.Write(dir, report.Options{}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	printSummary(cmd.OutOrStdout(), res, dir)
	fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(dir, report.MarkdownFile))
	return failureError(res, dir, limit)
}

// failureError is the exit-status-3 error for scorers over the failure limit.
func failureError(res *results.Results, dir string, limit bench.FailureLimit) error {
	over := limit.Exceeded(res)
	if len(over) == 0 {
		return nil
	}
	return &exitError{code: bench.ExitFailures, err: fmt.Errorf(
		"%s (--max-failures %s); the run is written to %s, but its numbers leave those pairs out. Fix the inputs (see the failures above), or accept them with --max-failures N or P%%",
		strings.Join(over, "; "), limit, dir)}
}

func printSummary(w io.Writer, res *results.Results, dir string) {
	of := ""
	if res.Shard != nil {
		of = fmt.Sprintf(" of SHARD %d/%d only", res.Shard.Index, res.Shard.Count)
	}
	fmt.Fprintf(w, "\n%s: %d pairs%s, %d prompts (%s, sha256 %s)\n", res.Benchmark.Name, res.Dataset.NPairs, of, res.Dataset.NPrompts, res.Dataset.Format, short(res.Dataset.SHA256))
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	bench.PrintTable(w, res)
	bench.PrintWarnings(w, res)
	printPolicy(w, res)
	if res.Provenance.Cached > 0 {
		fmt.Fprintf(w, "score cache: %d item scores reused\n", res.Provenance.Cached)
	}
	printScoring(w, res)
	fmt.Fprintf(w, "run directory: %s\n", dir)
}

// printScoring prints how fast each plugin scored: items per second over
// all its calls, and after the first call (which also loads the model).
func printScoring(w io.Writer, res *results.Results) {
	for _, sr := range res.Scorers {
		t, ok := res.Provenance.Scoring[sr.Name]
		if !ok || t.Seconds <= 0 {
			continue
		}
		line := fmt.Sprintf("scoring %s: %d items in %d calls, %.1f s (%.1f items/s", sr.Name, t.Items, t.Calls, t.Seconds, float64(t.Items)/t.Seconds)
		if steady := t.SteadyItemsPerSecond(); steady > 0 {
			line += fmt.Sprintf("; %.1f items/s after the first call, which took %.1f s", steady, t.FirstCallSeconds)
		}
		fmt.Fprintln(w, line+")")
	}
}

func printPolicy(w io.Writer, res *results.Results) {
	fmt.Fprintf(w, "policy %s: prediction ties %s, label ties %s, %s average; 95%% CI: bootstrap over %ss (B=%d, seed %d)\n",
		res.Policy.Name, res.Policy.PredictionTies, res.Policy.LabelTies, res.Policy.Averaging, res.Bootstrap.Unit, res.Bootstrap.B, res.Bootstrap.Seed)
	if len(res.Comparisons) > 0 {
		fmt.Fprintf(w, "paired comparisons: difference [95%% CI: paired prompt bootstrap, † exact], exact McNemar p, Holm p\n")
	}
	for _, c := range res.Comparisons {
		if c.NPairs == 0 {
			fmt.Fprintf(w, "  %s vs %s: n/a (%s)\n", c.A, c.B, c.Note)
			continue
		}
		verdict := "no significant difference"
		if c.Significant {
			if c.Diff > 0 {
				verdict = c.A + " better"
			} else {
				verdict = c.B + " better"
			}
		}
		dagger := ""
		if c.CIMethod != "" && !results.IsBootstrap(c.CIMethod) {
			dagger = "†"
		}
		note := ""
		if c.Note != "" {
			note = " (" + c.Note + ")"
		}
		fmt.Fprintf(w, "  %s vs %s: %+.1f points [%+.1f, %+.1f]%s, McNemar p=%.3g, Holm p=%.3g: %s%s\n",
			c.A, c.B, 100*c.Diff, 100*c.CI95[0], 100*c.CI95[1], dagger, c.PMcNemar, c.PHolm, verdict, note)
	}
}

// resumeTotal counts the pairs of an interrupted run's dataset, for the ETA.
func resumeTotal(cfg bench.Config, noBar bool) int {
	if noBar {
		return 0
	}
	n, _ := bench.CountShardPairs(cfg.Dataset, cfg.Shard)
	return n
}

// pinLocations makes a run resumable from anywhere with no flag repeated:
// the dataset, images root and every scorer's model directory become
// absolute paths (a scorer without one gets <models root>/<plugin>), and
// the models root and plugin directory are recorded.
func pinLocations(cfg *bench.Config, g *globalFlags) error {
	abs := func(p string) (string, error) {
		if p == "" {
			return "", nil
		}
		return filepath.Abs(p)
	}
	var err error
	if cfg.Dataset.Path, err = abs(cfg.Dataset.Path); err != nil {
		return err
	}
	if cfg.Dataset.Images, err = abs(cfg.Dataset.Images); err != nil {
		return err
	}
	if cfg.ModelsRoot, err = abs(g.models); err != nil {
		return err
	}
	if cfg.PluginDir, err = abs(g.resolvePluginDir()); err != nil {
		return err
	}
	for i := range cfg.Scorers {
		s := &cfg.Scorers[i]
		if s.ModelDir == "" {
			s.ModelDir = filepath.Join(cfg.ModelsRoot, s.PluginName())
		}
		if s.ModelDir, err = abs(s.ModelDir); err != nil {
			return err
		}
	}
	return nil
}

// parseSize reads a byte size such as "64MiB", "500MB" or "1048576"; "none"
// is -1 (no limit). Zero and negative sizes are refused, naming the flag.
func parseSize(flag, s string) (int64, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return -1, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 || n > math.MaxInt64 {
		return 0, &exitError{code: 2, err: fmt.Errorf("%s %q: want a size such as 64MiB or 500MB, or none", flag, s)}
	}
	return int64(n), nil
}
