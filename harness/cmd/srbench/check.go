package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/check"
	"github.com/srbench/srbench/harness/results"
)

type checkFlags struct {
	baseline string
	junit    string
	update   bool
	alpha    float64
	// allowDatasetChange compares a run on another dataset than the baseline's.
	allowDatasetChange bool
}

func newCheckCmd(g *globalFlags) *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check --baseline FILE RUN_DIR",
		Short: "Fail when a run's accuracy or a leaderboard's strengths regressed against a baseline (a CI gate)",
		Long: "check compares RUN_DIR/results.json with a baseline file. A scorer fails when it is missing,\n" +
			"when its accuracy fell by more than its tolerance or is undefined (no pair counted), when it\n" +
			"failed on more pairs than in the baseline, or - when the baseline's run directory\n" +
			"(run_dir in the baseline) has samples.jsonl for the same pairs - when an exact one-sided\n" +
			"McNemar test (Holm over the scorers) says the run is significantly worse.\n" +
			"A run on another dataset (sha256) than the baseline's is refused unless --allow-dataset-change.\n\n" +
			"A leaderboard baseline (\"kind\": \"leaderboard\") gates RUN_DIR/leaderboard.json of srbench rank\n" +
			"instead: for every judge and generator in the baseline, z = (strength now - baseline) /\n" +
			"sqrt(SE_now^2 + SE_base^2) of the Bradley-Terry log-strength, and the generator fails when\n" +
			"z < -z(1-alpha) (one-sided; --alpha 0.05: z < -1.645), when it or its judge is missing, or\n" +
			"when the judge failed on more images than in the baseline. Strengths are relative (they sum\n" +
			"to 0 over the generators): a generator joining the field moves all of them. A leaderboard of\n" +
			"another gallery (sha256) is refused unless --allow-dataset-change; one whose judge has another\n" +
			"model fingerprint is refused. The directory's file must match the baseline's kind.\n\n" +
			"It prints a Markdown summary, also appended to $GITHUB_STEP_SUMMARY when set.\n" +
			"Exit status: 0 pass, 1 regression, 2 unusable input (the message names the file and field).\n" +
			"--update-baseline writes the baseline from RUN_DIR instead (a results or a leaderboard\n" +
			"baseline, as RUN_DIR holds results.json or leaderboard.json), keeping existing tolerances\n" +
			"(new scorers get 0.02, two points). See docs/ci-gate.md.",
		Example: "  srbench check --baseline benchmarks/baseline.json runs/pr --junit junit.xml\n" +
			"  srbench check --baseline benchmarks/baseline.json reports/baseline-run --update-baseline\n" +
			"  srbench check --baseline benchmarks/leaderboard-baseline.json reports/leaderboard",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &exitError{code: 2, err: fmt.Errorf("want one RUN_DIR, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(cmd, f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.baseline, "baseline", "", "baseline file (JSON, see docs/ci-gate.md); required")
	fl.StringVar(&f.junit, "junit", "", "also write JUnit XML here (one test case per scorer)")
	fl.BoolVar(&f.update, "update-baseline", false, "write the baseline from RUN_DIR instead of checking")
	fl.Float64Var(&f.alpha, "alpha", 0.05, "family-wise level of the one-sided paired tests; for a leaderboard, the one-sided level of each strength test")
	fl.BoolVar(&f.allowDatasetChange, "allow-dataset-change", false, "compare a run on another dataset (or a leaderboard on another gallery; sha256) than the baseline's instead of refusing it (no paired test)")
	return cmd
}

// unusable marks an error as exit status 2: the gate could not decide.
func unusable(err error) error { return &exitError{code: 2, err: err} }

func runCheck(cmd *cobra.Command, f *checkFlags, runDir string) error {
	if f.baseline == "" {
		return unusable(errors.New("--baseline FILE is required"))
	}
	resultsPath := filepath.Join(runDir, results.ResultsFile)
	lbPath := filepath.Join(runDir, results.LeaderboardFile)
	hasResults, hasLB := fileExists(resultsPath), fileExists(lbPath)
	if f.update {
		old, err := check.LoadBaseline(f.baseline)
		if errors.Is(err, fs.ErrNotExist) {
			old, err = nil, nil
		}
		if err != nil {
			return unusable(fmt.Errorf("%w (fix or remove it; --update-baseline keeps its tolerances)", err))
		}
		leaderboard := hasLB && !hasResults
		if hasLB && hasResults {
			if old == nil {
				return unusable(fmt.Errorf("%s holds both %s and %s: keep a run and a leaderboard in separate directories (or update an existing baseline, whose kind decides)",
					runDir, results.ResultsFile, results.LeaderboardFile))
			}
			leaderboard = old.IsLeaderboard()
		}
		if leaderboard {
			lb, err := results.ReadLeaderboard(lbPath)
			if err != nil {
				return unusable(err)
			}
			return updateLeaderboardBaseline(cmd, f, old, lb, runDir)
		}
		run, err := readRun(resultsPath)
		if err != nil {
			return err
		}
		return updateBaseline(cmd, f, old, run, runDir)
	}
	b, err := check.LoadBaseline(f.baseline)
	if err != nil {
		return unusable(err)
	}
	// The baseline's kind says which file to gate; the other kind alone in
	// the directory is a mix-up, said plainly.
	if b.IsLeaderboard() {
		if !hasLB && hasResults {
			return unusable(fmt.Errorf("%s is a leaderboard baseline (kind %q), but %s holds %s (a run's results), not %s: check a leaderboard directory of srbench rank, or use a results baseline",
				f.baseline, b.Kind, runDir, results.ResultsFile, results.LeaderboardFile))
		}
		return runCheckLeaderboard(cmd, f, b, lbPath)
	}
	if !hasResults && hasLB {
		return unusable(fmt.Errorf("%s is a results baseline, but %s holds %s (a leaderboard), not %s: check it against a leaderboard baseline (make one with --update-baseline into another file)",
			f.baseline, runDir, results.LeaderboardFile, results.ResultsFile))
	}
	run, err := readRun(resultsPath)
	if err != nil {
		return err
	}
	return runCheckResults(cmd, f, b, run, runDir)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// readRun reads a run's results.json for check, refusing a shard.
func readRun(resultsPath string) (*results.Results, error) {
	run, err := results.ReadResults(resultsPath)
	if err != nil {
		return nil, unusable(err)
	}
	if run.Shard != nil {
		// Neither a gate nor a baseline may rest on part of the dataset.
		return nil, unusable(fmt.Errorf("%s is %s: merge the shards (srbench merge SHARD_DIR... --out RUN_DIR) and check the merged run", resultsPath, run.Shard.Note()))
	}
	return run, nil
}

// printGateSummary prints the gate's Markdown summary and appends it to
// $GITHUB_STEP_SUMMARY when set.
func printGateSummary(cmd *cobra.Command, md string) {
	fmt.Fprint(cmd.OutOrStdout(), md)
	if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendFile(p, md+"\n"); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "srbench: warning: GITHUB_STEP_SUMMARY: %v\n", err)
		}
	}
}

// runCheckLeaderboard gates a leaderboard.json (see check.CheckLeaderboard
// for the rule).
func runCheckLeaderboard(cmd *cobra.Command, f *checkFlags, b *check.Baseline, lbPath string) error {
	lb, err := results.ReadLeaderboard(lbPath)
	if err != nil {
		return unusable(err)
	}
	o, err := check.CheckLeaderboard(b, lb, check.Options{Alpha: f.alpha, BaselineFile: f.baseline, RunFile: lbPath, AllowDatasetChange: f.allowDatasetChange})
	if err != nil {
		return unusable(err)
	}
	printGateSummary(cmd, o.Markdown())
	if f.junit != "" {
		if err := writeXML(f.junit, o.JUnit); err != nil {
			return unusable(fmt.Errorf("--junit %s: %w", f.junit, err))
		}
	}
	if check.LeaderboardExitCode(o, nil) == 1 {
		var names []string
		for _, r := range o.Failed() {
			names = append(names, fmt.Sprintf("judge %s: generator %s", r.Judge, r.Generator))
		}
		for _, j := range o.FailuresRose() {
			names = append(names, fmt.Sprintf("judge %s: failures", j.Judge))
		}
		return &exitError{code: 1, err: fmt.Errorf("regression in %s (see the summary above)", strings.Join(names, ", "))}
	}
	return nil
}

func updateLeaderboardBaseline(cmd *cobra.Command, f *checkFlags, old *check.Baseline, lb *results.Leaderboard, dir string) error {
	b, notes, err := check.UpdateLeaderboard(old, lb, relToBaseline(f.baseline, dir))
	if err := writeBaseline(cmd, f, b, notes, err); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "wrote leaderboard baseline %s from %s: %d judge(s), run_dir %q\n", f.baseline, dir, len(b.Judges), b.RunDir)
	for _, j := range b.Judges {
		fmt.Fprintf(w, "  %s (%d failed images allowed)\n", j.Name, j.NFailed)
		for _, g := range j.Generators {
			fmt.Fprintf(w, "    %-16s strength %+.3f ± %.3f\n", g.Name, g.Strength, g.SE)
		}
	}
	return nil
}

// relToBaseline is dir relative to the baseline file's directory (so the
// pair can move together), or dir when that fails.
func relToBaseline(baseline, dir string) string {
	if absB, err := filepath.Abs(filepath.Dir(baseline)); err == nil {
		if absR, err := filepath.Abs(dir); err == nil {
			if r, err := filepath.Rel(absB, absR); err == nil {
				return r
			}
		}
	}
	return dir
}

func runCheckResults(cmd *cobra.Command, f *checkFlags, b *check.Baseline, run *results.Results, runDir string) error {
	resultsPath := filepath.Join(runDir, results.ResultsFile)
	opts := check.Options{Alpha: f.alpha, BaselineFile: f.baseline, RunFile: resultsPath, AllowDatasetChange: f.allowDatasetChange}
	var missing []string
	if b.RunDir != "" {
		baseRun := filepath.FromSlash(b.RunDir)
		if !filepath.IsAbs(baseRun) {
			baseRun = filepath.Join(filepath.Dir(f.baseline), baseRun)
		}
		bs, rs := filepath.Join(baseRun, results.SamplesFile), filepath.Join(runDir, results.SamplesFile)
		for _, p := range []string{bs, rs} {
			if _, err := os.Stat(p); err != nil {
				missing = append(missing, p)
			}
		}
		if len(missing) == 0 {
			opts.BaselineSamples, opts.RunSamples = check.SamplesFile(bs), check.SamplesFile(rs)
		}
	}
	o, err := check.Check(b, run, opts)
	if err != nil {
		return unusable(err)
	}
	for _, p := range missing {
		o.Warnings = append(o.Warnings, fmt.Sprintf("paired test skipped: %s not found", p))
	}
	printGateSummary(cmd, o.Markdown())
	if f.junit != "" {
		if err := writeXML(f.junit, o.JUnit); err != nil {
			return unusable(fmt.Errorf("--junit %s: %w", f.junit, err))
		}
	}
	if check.ExitCode(o, nil) == 1 {
		var names []string
		for _, s := range o.Failed() {
			names = append(names, s.Name)
		}
		return &exitError{code: 1, err: fmt.Errorf("regression in %s (see the summary above)", strings.Join(names, ", "))}
	}
	return nil
}

func updateBaseline(cmd *cobra.Command, f *checkFlags, old *check.Baseline, run *results.Results, runDir string) error {
	// The run directory is recorded relative to the baseline file, so the
	// pair can move together (e.g. both committed to the repository).
	b, notes, err := check.Update(old, run, relToBaseline(f.baseline, runDir))
	if err := writeBaseline(cmd, f, b, notes, err); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "wrote baseline %s from %s: %d scorer(s), run_dir %q\n", f.baseline, runDir, len(b.Scorers), b.RunDir)
	for _, s := range b.Scorers {
		fmt.Fprintf(w, "  %-16s %s (tolerance %.1f points, %d failed pairs allowed)\n", s.Name, results.Percent(s.Accuracy), 100*s.Tolerance, s.NFailed)
	}
	return nil
}

func appendFile(path, s string) error {
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.WriteString(s); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

func writeXML(path string, write func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// writeBaseline writes the baseline an update made (err: why it could not)
// and prints the update's notes.
func writeBaseline(cmd *cobra.Command, f *checkFlags, b *check.Baseline, notes []string, err error) error {
	if err != nil {
		var ie *check.InputError
		if errors.As(err, &ie) && ie.File == "baseline" {
			ie.File = f.baseline
		}
		return unusable(err)
	}
	if err := b.WriteFile(f.baseline); err != nil {
		return unusable(err)
	}
	w := cmd.OutOrStdout()
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	return nil
}
