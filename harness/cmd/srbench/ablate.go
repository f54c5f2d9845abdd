package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/ablate"
	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/pipeline"
)

func newAblateCmd(g *globalFlags) *cobra.Command {
	var in pipeline.AblationInputs
	var out, benchDir string
	cmd := &cobra.Command{
		Use:   "ablate SPEC",
		Short: "Train and evaluate a grid of Social Reward fine-tuning configurations",
		Long: `Runs an ablation grid (benchmarks/ablations/*.yaml): every cell (loss, trained side,
margin, adapter, curation preset, training fraction) is trained with each seed through the
socialreward plugin on curations of --log, evaluated on the same held-out test split with
the benchmark runner, and summarised in OUT/ablation.md with seed intervals, paired tests
against the reference cell, bar charts, learning curves and a data-scaling curve. Rerunning
with the same OUT resumes: finished cells are never retrained.

An axis "trainer: [adapters, torch-blocks]" compares the two trainers: adapters on frozen
embeddings (socialreward plugin, --model) and the paper's recipe, the last vision_blocks /
text_blocks transformer blocks of a CLIP fine-tuned in PyTorch (socialreward-torch plugin,
--torch-model); both models are scored by the socialreward plugin. Settings only one trainer
reads are left out of the other's config (docs/training.md).`,
		Example: "  srbench ablate benchmarks/ablations/social-reward.yaml --log demo-out/world/log.jsonl --model demo-out/models/socialreward-backbone --out demo-out/ablation",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if in.Log == "" || in.Backbone == "" || out == "" {
				return fmt.Errorf("--log, --model and --out are required")
			}
			path, err := bench.ResolveSpec(args[0], benchDir)
			if err != nil {
				return err
			}
			spec, err := ablate.LoadSpec(path)
			if err != nil {
				return err
			}
			h := newHost(g)
			defer h.Close()
			sum, err := ablate.Run(cmd.Context(), spec, out, pipeline.AblationDeps(in, out, launcher(g, h), cmd.ErrOrStderr()), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			for _, t := range sum.Findings.Text {
				fmt.Fprintln(cmd.OutOrStdout(), t)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", filepath.Join(out, ablate.ReportFile))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Log, "log", "", "engagement log to curate (once per curation preset)")
	f.StringVar(&in.Backbone, "model", "", "socialreward backbone model directory, which every adapters cell trains on")
	f.StringVar(&in.TorchModel, "torch-model", "", "OpenAI-format CLIP directory (model.pt) that cells with trainer torch-blocks fine-tune (socialreward-torch plugin)")
	f.Uint64Var(&in.Seed, "split-seed", 0, "seed of the curations' split by prompt (the training seeds are the spec's)")
	f.StringVar(&out, "out", "", "ablation directory (rerun to resume)")
	f.StringVar(&benchDir, "benchmarks", "benchmarks", "directory for SPEC given by name")
	g.addLaunchFlags(f, "")
	alias(f, "backbone", "model")
	alias(f, "seed", "split-seed")
	return cmd
}
