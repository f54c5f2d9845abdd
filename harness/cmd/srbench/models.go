package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/demo"
)

func newModelsCmd(_ *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Build model directories"}
	var opts demo.ModelOptions
	var out, oldModels string
	d := &cobra.Command{
		Use:   "demo",
		Short: "Build deterministic demo model directories for every scorer (no downloads)",
		Long: `Builds, with srbench's own ONNX graph builder, one model directory per scorer under
--out (default: models/, the models root run reads by default): the same inputs and outputs as real Optimum exports, with
--size tiny (default) builds small models designed for the synthetic world of
srbench simulate (they read colour, subject, saturation, contrast, centring and artefacts
from pixels) in well under a second; --size base builds real-sized graphs with random
weights for performance work (ViT-B/32-shaped CLIP, BLIP ViT-B/16-shaped ImageReward).
These are not the real scorers: results on them say nothing about the real models.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The deprecated --models (the old global models root) stands for --out.
			if !cmd.Flags().Changed("out") && cmd.Flags().Changed("models") {
				out = oldModels
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
	fl := d.Flags()
	fl.StringVar(&out, "out", defaultModelsRoot, "models root to write the model directories into (one per scorer)")
	fl.StringVar(&opts.Size, "size", "tiny", "tiny or base")
	fl.Uint64Var(&opts.Seed, "weight-seed", 0, "seed of the models' random weights")
	fl.StringSliceVar(&opts.Scorers, "scorers", nil, "build only these scorers' directories")
	alias(fl, "seed", "weight-seed")
	fl.StringVar(&oldModels, "models", "", "models root to write into")
	deprecate(fl, "models", "use --out instead")
	cmd.AddCommand(d)
	return cmd
}
