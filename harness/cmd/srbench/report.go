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

func newReportCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Write report.md, report.html and plots/ of a run directory (or a leaderboard's)",
		Long: "report renders a run directory's results.json and samples.jsonl (nothing else is read) into\n" +
			"report.md (GitHub-flavoured Markdown, fit for a pull-request comment), report.html (one\n" +
			"self-contained page with the figures inline) and plots/*.svg, plots/*.png. The same run\n" +
			"directory always gives the same files. A srbench rank directory (leaderboard.json) is\n" +
			"rendered into leaderboard.md and leaderboard.html with its galleries' images.",
		Example: "  srbench report runs/first\n  gh pr comment --body-file runs/first/report.md",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err == nil && st.IsDir() {
				unlock, err := bench.LockRunDir(dir, "srbench report")
				if err != nil {
					return err
				}
				defer unlock()
			}
			if isLeaderboardDir(dir) {
				if err := report.WriteLeaderboard(dir, report.LeaderboardOptions{}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s, %s and %s/\n",
					filepath.Join(dir, report.LeaderboardMarkdownFile), filepath.Join(dir, report.LeaderboardHTMLFile), filepath.Join(dir, report.PlotsDir))
				return nil
			}
			if err := report.Write(dir, report.Options{}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s, %s and %s/\n",
				filepath.Join(dir, report.MarkdownFile), filepath.Join(dir, report.HTMLFile), filepath.Join(dir, report.PlotsDir))
			return nil
		},
	}
}

// isLeaderboardDir reports whether dir holds a srbench rank leaderboard
// rather than a run.
func isLeaderboardDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, results.LeaderboardFile))
	return err == nil
}
