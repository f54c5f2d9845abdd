package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/report"
)

func newMergeCmd(_ *globalFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge SHARD_DIR... --out RUN_DIR",
		Short: "Merge the run directories of all shards of a run (run --shard) into one run directory",
		Long: `Merge the run directories that srbench run --shard I/N (or --shard-from-env) wrote for
shards 0 to N-1 of one run into RUN_DIR: samples.jsonl in dataset order and results.json with
every statistic computed on the merged samples, the same as one machine running the spec
would write (timestamps and timings aside), and the report.

It refuses, naming every problem, unless the shards are every shard of one run exactly once:
the same dataset (sha256), benchmark, scorers (model fingerprints, plugin sha256s, options),
policy and bootstrap; the same N; every index 0 to N-1 once; every pair in exactly one shard;
every shard finished. See docs/shards.md.`,
		Example: "  srbench merge runs/x/shard-* --out runs/x/merged",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &exitError{code: 2, err: fmt.Errorf("merge: --out RUN_DIR is required")}
			}
			res, err := bench.Merge(args, out, os.Args)
			if err != nil {
				return err
			}
			if err := report.Write(out, report.Options{}); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "merged %d shards\n", len(args))
			printSummary(w, res, out)
			fmt.Fprintf(w, "report: %s\n", filepath.Join(out, report.MarkdownFile))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "run directory to write (must not hold a run)")
	return cmd
}
