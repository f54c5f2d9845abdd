package main

import (
	"fmt"
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
			fmt.Fprintln(w, "\nreports:")
			for _, n := range names {
				fmt.Fprintf(w, "  %s\n  %s\n", filepath.Join(res.RunDirs[n], report.MarkdownFile), filepath.Join(res.RunDirs[n], report.HTMLFile))
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
	g.addLaunchFlags(f, "")
	return cmd
}
