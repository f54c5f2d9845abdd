package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/demo"
)

func newModelsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Build model directories"}
	var opts demo.ModelOptions
	var out string
	d := &cobra.Command{
		Use:   "demo",
		Short: "Build deterministic demo model directories for every scorer (no downloads)",
		Long: `Builds, with srbench's own ONNX graph builder, one model directory per scorer under
--out (default: the models root): the same inputs and outputs as real Optimum exports, with
--size tiny (default) builds small models designed for the synthetic world of
srbench simulate (they read colour, subject, saturation, contrast, centring and artefacts
from pixels) in well under a second; --size base builds real-sized graphs with random
weights for performance work (ViT-B/32-shaped CLIP, BLIP ViT-B/16-shaped ImageReward).
These are not the real scorers: results on them say nothing about the real models.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				out = g.models
			}
			dirs, err := demo.BuildModels(out, opts)
			if err != nil {
				return err
			}
			for _, d := range dirs {
				fmt.Fprintln(cmd.OutOrStdout(), d)
			}
			return nil
		},
	}
	d.Flags().StringVar(&out, "out", "", "directory to write the model directories into (default: --models)")
	d.Flags().StringVar(&opts.Size, "size", "tiny", "tiny or base")
	d.Flags().Uint64Var(&opts.Seed, "seed", 0, "weight seed")
	d.Flags().StringSliceVar(&opts.Scorers, "scorers", nil, "build only these scorers' directories")
	cmd.AddCommand(d)
	return cmd
}
