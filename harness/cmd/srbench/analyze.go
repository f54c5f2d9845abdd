package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

func newAnalyzeCmd(_ *globalFlags) *cobra.Command {
	p := &policyFlags{}
	cmd := &cobra.Command{
		Use:   "analyze RUN_DIR",
		Short: "Recompute every statistic of a run from samples.jsonl, without rescoring",
		Long: `Recompute accuracy, intervals, paired tests, agreement and calibration from a run
directory's samples.jsonl and rewrite its results.json. Without flags the run's recorded
policy and bootstrap settings are kept; flags change them (e.g. --policy imagereward).
A srbench rank directory is re-analysed from its images.jsonl the same way (--bootstrap,
--bootstrap-seed and --alpha apply; the pair policies do not).`,
		Example: "  srbench analyze runs/demo --policy pickscore\n  srbench analyze runs/demo --ties wrong --averaging macro",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			path := filepath.Join(dir, "results.json")
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				unlock, err := bench.LockRunDir(dir, "srbench analyze")
				if err != nil {
					return err
				}
				defer unlock()
			}
			if isLeaderboardDir(dir) {
				return analyzeLeaderboard(cmd, p, dir)
			}
			res, err := results.ReadResults(path)
			if err != nil {
				return err
			}
			eps := res.Policy.Epsilon
			spec := &bench.Spec{
				Ties:      &bench.TiesSpec{Prediction: res.Policy.PredictionTies, Label: res.Policy.LabelTies},
				Averaging: res.Policy.Averaging, Epsilon: &eps,
				Bootstrap: bench.BootstrapSpec{B: res.Bootstrap.B, Seed: res.Bootstrap.Seed}, Alpha: res.Policy.Alpha,
			}
			p.apply(cmd.Flags(), spec)
			opts, err := spec.AnalyzeOptions()
			if err != nil {
				return err
			}
			if err := bench.Analyze(dir, res, opts); err != nil {
				return err
			}
			if err := results.WriteJSON(path, res); err != nil {
				return err
			}
			if err := report.Write(dir, report.Options{}); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s: %d pairs\n", res.Benchmark.Name, res.Dataset.NPairs)
			bench.PrintTable(w, res)
			printPolicy(w, res)
			fmt.Fprintf(w, "rewrote %s and the report\n", path)
			return nil
		},
	}
	p.register(cmd.Flags())
	return cmd
}

// analyzeLeaderboard recomputes a ranking's statistics from its
// images.jsonl (srbench analyze on a srbench rank directory): the recorded
// bootstrap and alpha unless --bootstrap, --bootstrap-seed or --alpha
// change them.
func analyzeLeaderboard(cmd *cobra.Command, p *policyFlags, dir string) error {
	fl := cmd.Flags()
	for _, name := range []string{"policy", "ties", "label-ties", "averaging", "epsilon"} {
		if fl.Changed(name) {
			return &exitError{code: 2, err: fmt.Errorf("--%s is a pairwise-accuracy policy; %s is a generator leaderboard (srbench rank), which has none", name, dir)}
		}
	}
	path := filepath.Join(dir, results.LeaderboardFile)
	lb, err := results.ReadLeaderboard(path)
	if err != nil {
		return err
	}
	st := bench.RankStats{B: lb.Bootstrap.B, Seed: lb.Bootstrap.Seed, Level: lb.Bootstrap.Level, Alpha: lb.Alpha}
	if cfg, err := bench.ReadRankJournalAny(dir); err == nil {
		st.BestOfN, st.Extremes = cfg.Stats.BestOfN, cfg.Stats.Extremes
	}
	if fl.Changed("bootstrap") {
		st.B = p.bootB
	}
	if fl.Changed("bootstrap-seed") || fl.Changed("seed") {
		st.Seed = p.bootSeed
	}
	if fl.Changed("alpha") {
		st.Alpha = p.alpha
	}
	if err := st.Validate(); err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := bench.AnalyzeGallery(dir, lb, st); err != nil {
		return err
	}
	if err := results.WriteJSON(path, lb); err != nil {
		return err
	}
	if err := report.WriteLeaderboard(dir, report.LeaderboardOptions{}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	w := cmd.OutOrStdout()
	PrintLeaderboard(w, lb)
	fmt.Fprintf(w, "rewrote %s and the report\n", path)
	return nil
}
