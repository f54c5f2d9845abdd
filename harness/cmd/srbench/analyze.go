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
policy and bootstrap settings are kept; flags change them (e.g. --policy imagereward).`,
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
