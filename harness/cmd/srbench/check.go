package main

import (
	"errors"
	"fmt"
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
		Short: "Fail when a run's accuracy regressed against a baseline (a CI gate)",
		Long: "check compares RUN_DIR/results.json with a baseline file. A scorer fails when it is missing,\n" +
			"when its accuracy fell by more than its tolerance or is undefined (no pair counted), when it\n" +
			"failed on more pairs than in the baseline, or - when the baseline's run directory\n" +
			"(run_dir in the baseline) has samples.jsonl for the same pairs - when an exact one-sided\n" +
			"McNemar test (Holm over the scorers) says the run is significantly worse.\n" +
			"A run on another dataset (sha256) than the baseline's is refused unless --allow-dataset-change.\n\n" +
			"It prints a Markdown summary, also appended to $GITHUB_STEP_SUMMARY when set.\n" +
			"Exit status: 0 pass, 1 regression, 2 unusable input (the message names the file and field).\n" +
			"--update-baseline writes the baseline from RUN_DIR instead, keeping existing tolerances\n" +
			"(new scorers get 0.02, two points). See docs/ci-gate.md.",
		Example: "  srbench check --baseline benchmarks/baseline.json runs/pr --junit junit.xml\n" +
			"  srbench check --baseline benchmarks/baseline.json reports/baseline-run --update-baseline",
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
	fl.Float64Var(&f.alpha, "alpha", 0.05, "family-wise level of the one-sided paired tests")
	fl.BoolVar(&f.allowDatasetChange, "allow-dataset-change", false, "compare a run on another dataset (sha256) than the baseline's instead of refusing it (no paired test)")
	return cmd
}

// unusable marks an error as exit status 2: the gate could not decide.
func unusable(err error) error { return &exitError{code: 2, err: err} }

func runCheck(cmd *cobra.Command, f *checkFlags, runDir string) error {
	out := cmd.OutOrStdout()
	if f.baseline == "" {
		return unusable(errors.New("--baseline FILE is required"))
	}
	resultsPath := filepath.Join(runDir, results.ResultsFile)
	run, err := results.ReadResults(resultsPath)
	if err != nil {
		return unusable(err)
	}
	if run.Shard != nil {
		// Neither a gate nor a baseline may rest on part of the dataset.
		return unusable(fmt.Errorf("%s is %s: merge the shards (srbench merge SHARD_DIR... --out RUN_DIR) and check the merged run", resultsPath, run.Shard.Note()))
	}
	if f.update {
		return updateBaseline(cmd, f, run, runDir)
	}
	b, err := check.LoadBaseline(f.baseline)
	if err != nil {
		return unusable(err)
	}
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
	md := o.Markdown()
	fmt.Fprint(out, md)
	if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendFile(p, md+"\n"); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "srbench: warning: GITHUB_STEP_SUMMARY: %v\n", err)
		}
	}
	if f.junit != "" {
		if err := writeJUnit(f.junit, o); err != nil {
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

func updateBaseline(cmd *cobra.Command, f *checkFlags, run *results.Results, runDir string) error {
	old, err := check.LoadBaseline(f.baseline)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = nil, nil
	}
	if err != nil {
		return unusable(fmt.Errorf("%w (fix or remove it; --update-baseline keeps its tolerances)", err))
	}
	// The run directory is recorded relative to the baseline file, so the
	// pair can move together (e.g. both committed to the repository).
	rel := runDir
	if absB, err := filepath.Abs(filepath.Dir(f.baseline)); err == nil {
		if absR, err := filepath.Abs(runDir); err == nil {
			if r, err := filepath.Rel(absB, absR); err == nil {
				rel = r
			}
		}
	}
	b, notes, err := check.Update(old, run, rel)
	if err != nil {
		return unusable(err)
	}
	if err := b.WriteFile(f.baseline); err != nil {
		return unusable(err)
	}
	w := cmd.OutOrStdout()
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
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

func writeJUnit(path string, o *check.Outcome) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := o.JUnit(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
