package main

import (
	"io"
	"slices"
	"strings"

	"fmt"
	"github.com/srbench/srbench/harness/results"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/ablate"
	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/demo"
	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/report"
)

func newDemoCmd(g *globalFlags) *cobra.Command {
	var opts demo.Options
	noGenerators := false
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run Social Reward's story end to end on a synthetic creative community",
		Long: `Simulates a creative community, curates its engagement log into preference triplets,
builds demo models designed for that world, benchmarks every scorer plugin on prompt
alignment (demo-alignment) and on community preference (demo-social), and writes the
reports. Everything is synthetic: the numbers are not results about the real scorers.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plugins, err := host.Discover(g.resolvePluginDir())
			if err != nil {
				return err
			}
			have := map[string]bool{}
			for _, p := range plugins {
				have[p.Name] = true
			}
			opts.Available = func(n string) bool { return have[n] }
			opts.Log = cmd.ErrOrStderr()
			opts.Version, opts.Commit = version, commit()
			opts.Render = func(dir string) error { return report.Write(dir, report.Options{}) }
			if !noGenerators {
				opts.RenderLeaderboard = func(dir string) error { return report.WriteLeaderboard(dir, report.LeaderboardOptions{}) }
			}
			h := newHost(g)
			defer h.Close()
			res, err := demo.Run(cmd.Context(), opts, launcher(g, h))
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if len(res.Skipped) > 0 {
				fmt.Fprintf(w, "\nnote: no plugin for %v in %s; those scorers were left out\n", res.Skipped, g.resolvePluginDir())
			}
			names := make([]string, 0, len(res.Runs))
			for n := range res.Runs {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				printSummary(w, res.Runs[n], res.RunDirs[n])
			}
			if res.Ablation != nil {
				fmt.Fprintf(w, "\nablation (%s):\n", res.Ablation.Name)
				for _, t := range res.Ablation.Findings.Text {
					fmt.Fprintf(w, "  %s\n", t)
				}
			}
			if res.Leaderboard != nil {
				printGeneratorStory(w, res)
			}
			fmt.Fprintln(w, "\nreports:")
			for _, n := range names {
				fmt.Fprintf(w, "  %s\n  %s\n", filepath.Join(res.RunDirs[n], report.MarkdownFile), filepath.Join(res.RunDirs[n], report.HTMLFile))
			}
			if res.LeaderboardDir != "" {
				fmt.Fprintf(w, "  %s\n  %s\n", filepath.Join(res.LeaderboardDir, report.LeaderboardMarkdownFile), filepath.Join(res.LeaderboardDir, report.LeaderboardHTMLFile))
			}
			if res.AblationDir != "" {
				fmt.Fprintf(w, "  %s\n", filepath.Join(res.AblationDir, ablate.ReportFile))
			}
			// The demo's scorers must score every pair: any failure is a bug.
			for _, n := range names {
				if err := failureError(res.Runs[n], res.RunDirs[n], bench.FailureLimit{}); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "demo-out", "demo output directory (recreated)")
	f.Uint64Var(&opts.Seed, "seed", 0, "the demo's one seed: of the world, the curation split and the models")
	f.IntVar(&opts.Prompts, "prompts", 0, "world size in prompts (default 300)")
	f.StringVar(&opts.Benchmarks, "benchmarks", "benchmarks", "directory with demo-social.yaml, demo-alignment.yaml and ablations/")
	f.BoolVar(&opts.NoAblation, "no-ablation", false, "skip the small ablation grid")
	f.BoolVar(&noGenerators, "no-generators", false, "skip the generators gallery and its leaderboard")
	f.IntVar(&opts.GalleryPrompts, "gallery-prompts", 0, "prompts of the generators gallery (default 100)")
	f.IntVar(&opts.GallerySamples, "gallery-samples", 0, "samples per prompt and generator of the gallery (default 4)")
	g.addLaunchFlags(f, "")
	return cmd
}

// printGeneratorStory prints the generator leaderboard and what it shows:
// which scorers rank the synthetic generators as the ground truth does (by
// community appeal) and which as prompt alignment does, and what best-of-N
// selection by each scorer buys in true appeal.
func printGeneratorStory(w io.Writer, res *demo.Result) {
	lb := res.Leaderboard
	PrintLeaderboard(w, lb)
	order := func(b results.Board) []string {
		var out []string
		for _, r := range b.Generators {
			out = append(out, r.Generator)
		}
		return out
	}
	appeal, align := res.Gallery.AppealRanking, res.Gallery.AlignmentRanking
	fmt.Fprintf(w, "\nknown answer: by community appeal %s; by prompt alignment %s\n", strings.Join(appeal, " > "), strings.Join(align, " > "))
	for _, b := range lb.Boards {
		if b.Judge == results.TruthJudge {
			continue
		}
		got := order(b)
		verdict := "matches neither known ranking"
		switch {
		case slices.Equal(got, appeal):
			verdict = "RECOVERS the ranking by community appeal (the ground truth)"
		case slices.Equal(got, align):
			verdict = "ranks exactly by prompt alignment, not by community appeal"
		case orderTau(got, align) > orderTau(got, appeal):
			verdict = "ranks closer to prompt alignment than to community appeal"
		}
		p := 0.0
		if len(b.Generators) > 0 && len(b.Generators[0].RankProb) > 0 {
			p = b.Generators[0].RankProb[0]
		}
		fmt.Fprintf(w, "  %-12s %s: Kendall tau %+.2f with the appeal ranking, %+.2f with the alignment ranking (top: %s, P(rank 1) = %.2f)\n",
			b.Judge, verdict, orderTau(got, appeal), orderTau(got, align), got[0], p)
	}
	maxN := 0
	for _, e := range lb.BestOfN {
		maxN = max(maxN, e.N)
	}
	for _, e := range lb.BestOfN {
		if e.N != maxN || e.Measure != results.TruthJudge || e.Selector == results.TruthJudge {
			continue
		}
		fmt.Fprintf(w, "  best-of-%d by %-12s raises true appeal by %+.2f SD [%+.2f, %+.2f]; it judges its own gain %+.2f SD higher\n",
			e.N, e.Selector, e.ZGain.Value, e.ZGain.CI[0], e.ZGain.CI[1], e.OverOptimisation.Value)
	}
}

// orderTau is Kendall's tau between two orderings of the same names
// (no ties): concordant minus discordant pairs over all pairs.
func orderTau(a, b []string) float64 {
	pos := map[string]int{}
	for i, x := range b {
		pos[x] = i
	}
	var c, n int
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			n++
			if pos[a[i]] < pos[a[j]] {
				c++
			} else {
				c--
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(c) / float64(n)
}
