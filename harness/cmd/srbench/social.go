package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/simworld"
)

func newSimulateCmd(_ *globalFlags) *cobra.Command {
	var opts simworld.Options
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate a synthetic creative community: images, an engagement log and ground truth",
		Long: `Renders procedural images for templated prompts and simulates how a creative community
remixes them (appeal, exposure, follower reach, prompt popularity). Writes images/,
log.jsonl and log.parquet (the engagement log), truth.jsonl (latent attributes, never read
by curation or training), alignment_pairs.jsonl and world.json. Deterministic per --world-seed.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			if err := refuseNonEmpty(out, force); err != nil {
				return err
			}
			start := time.Now()
			w, err := simworld.Write(out, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "simulated %d prompts, %d images, %d alignment pairs in %.1fs -> %s\n",
				len(w.Prompts), len(w.Images), len(w.AlignmentPairs), time.Since(start).Seconds(), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output directory")
	f.BoolVar(&force, "force", false, "write into an --out directory that is not empty")
	f.Uint64Var(&opts.Seed, "world-seed", 0, "seed of the simulated world")
	f.IntVar(&opts.Prompts, "prompts", 0, "number of prompts (default 300)")
	f.IntVar(&opts.ImagesPerPrompt, "images-per-prompt", 0, "mean images per prompt (default 10)")
	f.BoolVar(&opts.Views, "views", false, "write the views column into the log")
	alias(f, "seed", "world-seed")
	return cmd
}

func newCurateCmd(_ *globalFlags) *cobra.Command {
	var opts curate.Options
	var log, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "curate",
		Short: "Curate an engagement log into preference triplets with bias controls",
		Long: `Turns an engagement log (one row per image: prompt, author followers, exposure, remixes)
into (prompt, positive, negative) triplets: pairs within a prompt, exposure normalisation,
author/follower-bias control, minimum remix ratio and counts, creator signal,
near-duplicate removal, a per-prompt cap, and a seeded train/validation/test split by
prompt. Writes Social Reward parquet (prompt, pos_path, neg_path) and pairs JSONL per split,
funnel.json and metadata.json. See docs/social-data.md.`,
		Example: "  srbench curate --log world/log.jsonl --out curated\n  srbench curate --log world/log.jsonl --out curated-raw --preset raw",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if log == "" || out == "" {
				return fmt.Errorf("--log and --out are required")
			}
			if err := refuseNonEmpty(out, force); err != nil {
				return err
			}
			start := time.Now()
			f, err := curate.Run(log, out, opts)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), f.String())
			fmt.Fprintf(cmd.OutOrStdout(), "%d triplets in %.1fs -> %s (funnel: %s)\n", f.Triplets, time.Since(start).Seconds(), out, filepath.Join(out, "funnel.json"))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&log, "log", "", "engagement log to curate (.jsonl or .parquet)")
	f.StringVar(&out, "out", "", "output directory")
	f.StringVar(&opts.Preset, "preset", "", "debiased (default) or raw")
	f.StringVar(&opts.Exposure, "exposure", "", "auto, per_day, per_view or none")
	f.StringVar(&opts.FollowerControl, "follower-control", "", "none, normalize or bands")
	f.Float64Var(&opts.MinRatio, "min-ratio", 0, "least remix-rate ratio positive/negative")
	f.IntVar(&opts.MinPosRemixes, "min-pos-remixes", 0, "least remixes of the positive (negative: none)")
	f.StringVar(&opts.CreatorSignal, "creator-signal", "", "off, veto or promote")
	f.IntVar(&opts.DedupHamming, "dedup-hamming", 0, "near-duplicate dHash distance (negative: no dedup)")
	f.IntVar(&opts.MaxPairsPerPrompt, "max-pairs-per-prompt", 0, "cap on pairs per prompt (negative: none)")
	f.Uint64Var(&opts.Seed, "split-seed", 0, "seed of the train/validation/test split by prompt (also of the per-prompt cap's sample and the balanced a/b order)")
	f.BoolVar(&opts.Lenient, "lenient", false, "skip malformed log rows (counted) instead of failing")
	f.BoolVar(&force, "force", false, "write into an --out directory that is not empty (its curation files are replaced)")
	alias(f, "in", "log")
	alias(f, "seed", "split-seed")
	return cmd
}

// refuseNonEmpty refuses to write into a directory that already holds
// files, unless force: a curation or simulation must not silently replace
// another one (which a run or a trained model may have been made from).
func refuseNonEmpty(dir string, force bool) error {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 || force {
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("--out %s is not empty (it holds %s, ...): choose a new directory, or pass --force to replace what it holds", dir, ents[0].Name())}
}
