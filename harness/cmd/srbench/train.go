package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/pipeline"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/trainexport"
)

type trainFlags struct {
	scorer, model, trainPath, valPath, format, images, out, config string
	overrides                                                      map[string]string
	noBar                                                          bool
}

func newTrainCmd(g *globalFlags) *cobra.Command {
	f := &trainFlags{}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a scorer (Social Reward adapters) inside its plugin and write a model directory",
		Long: `Trains a trainable scorer plugin on preference datasets in any format srbench reads
(pairs JSONL as written by srbench curate, Social Reward or Pick-a-Pic parquet, ...): srbench
reads --dataset (and --val-dataset), turns every pair with a preferred image into a triplet
(prompt, preferred image, other image; tied pairs are counted and left out) and streams the
triplets to the plugin, which trains and writes a new model directory to --out.
The socialreward plugin embeds the triplets with the frozen backbone of --model (cached) and
trains adapters; socialreward-torch fine-tunes CLIP's last transformer blocks (docs/training.md).

--config is a JSON or YAML file of training settings (loss, margin, side, adapter, lr,
weight_decay, batch_size, epochs, patience, seed, train_fraction); --set key=value overrides
single settings.`,
		Example: `  srbench train --model models/socialreward --dataset curated/train.jsonl --val-dataset curated/validation.jsonl --out models/socialreward-trained
  srbench train --model models/socialreward --dataset curated/train.jsonl --out out --set loss=logistic --set epochs=20`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.model == "" || f.trainPath == "" || f.out == "" {
				return fmt.Errorf("--model, --dataset and --out are required")
			}
			cfgJSON, err := trainConfigJSON(f.config, f.overrides)
			if err != nil {
				return err
			}
			var format dataset.Format
			if f.format != "" {
				if format, err = dataset.ParseFormat(f.format); err != nil {
					return err
				}
			}
			req, err := pipeline.ReadTrainingData(dataset.Spec{Format: format, Path: f.trainPath, Images: f.images},
				dataset.Spec{Format: format, Path: f.valPath, Images: f.images}, cfgJSON, f.out, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			h := newHost(g)
			defer h.Close()
			p, err := launcher(g, h)(cmd.Context(), bench.ScorerSpec{Name: f.scorer, ModelDir: f.model})
			if err != nil {
				return err
			}
			defer p.Kill()
			var bar *progressbar.ProgressBar
			start := time.Now()
			var last scorer.TrainEvent
			err = p.Train(cmd.Context(), req, scorer.LastEvent(&last, func(e scorer.TrainEvent) {
				if e.Message != "" {
					fmt.Fprintln(cmd.ErrOrStderr(), e.Message)
					return
				}
				if e.CheckpointDir != "" {
					return // the last event: its directory and metrics are printed below
				}
				if f.noBar || e.TotalSteps == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "epoch %d step %d loss %.4f val %s\n", e.Epoch, e.Step, e.Loss, valAccuracy(e, "%.2f%%"))
					return
				}
				if bar == nil {
					bar = progressbar.NewOptions64(e.TotalSteps, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
						progressbar.OptionSetDescription("training"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
				}
				bar.Describe(fmt.Sprintf("epoch %d loss %.4f val %s", e.Epoch, e.Loss, valAccuracy(e, "%.1f%%")))
				_ = bar.Set64(e.Step)
			}))
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "trained in %.1fs: %s\nmetrics: %s\n", time.Since(start).Seconds(), last.CheckpointDir, last.Metrics)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scorer, "scorer", "socialreward", "trainable scorer plugin")
	fl.StringVar(&f.model, "model", "", "backbone model directory")
	fl.StringVar(&f.trainPath, "dataset", "", "training triplets (pairs JSONL or Social Reward parquet)")
	fl.StringVar(&f.valPath, "val-dataset", "", "validation triplets (early stopping)")
	fl.StringVar(&f.format, "format", "", "dataset format, a name or alias as for run --format (default: detected)")
	fl.StringVar(&f.images, "images", "", "images root (default: each dataset file's directory)")
	fl.StringVar(&f.out, "out", "", "directory for the trained model")
	fl.StringVar(&f.config, "config", "", "training settings (JSON or YAML file)")
	fl.StringToStringVar(&f.overrides, "set", nil, "override a training setting: key=value (repeatable)")
	fl.BoolVar(&f.noBar, "no-progress", false, "print one line per epoch instead of a progress bar")
	g.addLaunchFlags(fl, "")
	alias(fl, "train", "dataset")
	alias(fl, "val", "val-dataset")
	cmd.AddCommand(newTrainExportCmd(g))
	return cmd
}

// valAccuracy formats an event's validation accuracy, "n/a" when the
// training has no validation data.
func valAccuracy(e scorer.TrainEvent, format string) string {
	if !e.HasValidation {
		return "n/a"
	}
	return fmt.Sprintf(format, 100*e.ValAccuracy)
}

// trainConfigJSON merges a JSON/YAML settings file with key=value overrides
// into the JSON the plugin reads. Values parse as YAML scalars (numbers,
// booleans, strings).
func trainConfigJSON(path string, overrides map[string]string) (string, error) {
	cfg := map[string]any{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("training config: %w", err)
		}
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			return "", fmt.Errorf("training config %s: %w", path, err)
		}
	}
	for k, v := range overrides {
		var x any
		if err := yaml.Unmarshal([]byte(v), &x); err != nil {
			return "", fmt.Errorf("--set %s=%s: %w", k, v, err)
		}
		// Nested keys: adapter.kind=mlp
		parts := strings.Split(k, ".")
		m := cfg
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = x
	}
	if len(cfg) == 0 {
		return "", nil
	}
	b, err := json.Marshal(cfg)
	return string(b), err
}

func newTrainExportCmd(_ *globalFlags) *cobra.Command {
	var model, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Fold trained adapters into the ONNX models: a standalone model directory",
		Long: `Writes --out: the trained model directory's ONNX files with the adapters appended to
text_embeds and image_embeds (and a combined model's logits recomputed), so the plain
cosine of the exported model is the trained Social Reward score in any ONNX consumer.`,
		Example: "  srbench train export --model models/socialreward-trained --out models/socialreward-exported",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if model == "" || out == "" {
				return fmt.Errorf("--model and --out are required")
			}
			files, err := trainexport.Export(model, out)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), f)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "trained model directory (with adapters.safetensors)")
	cmd.Flags().StringVar(&out, "out", "", "directory to write")
	return cmd
}
