package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/scorer"
)

// TrainSocialReward trains Social Reward through the socialreward plugin,
// launched with the backbone directory, on pairs-jsonl triplet files, into
// out; progress lines go to log. It returns the last event (which names the
// trained model directory) and stops the plugin when done.
func TrainSocialReward(ctx context.Context, launch bench.Launcher, backbone, trainPath, valPath, out, config string, log io.Writer) (scorer.TrainEvent, error) {
	p, err := launch(ctx, bench.ScorerSpec{Name: "socialreward", ModelDir: backbone})
	if err != nil {
		return scorer.TrainEvent{}, err
	}
	defer p.Kill()
	abs := func(s string) string {
		a, err := filepath.Abs(s)
		if err != nil {
			return s
		}
		return a
	}
	var last scorer.TrainEvent
	err = p.Train(ctx, scorer.TrainRequest{Config: config, Train: abs(trainPath), Validation: abs(valPath), OutDir: abs(out)},
		scorer.LastEvent(&last, func(e scorer.TrainEvent) {
			switch {
			case e.Message != "":
				fmt.Fprintf(log, "    %s\n", e.Message)
			case e.CheckpointDir == "" && e.Epoch > 0:
				fmt.Fprintf(log, "    epoch %d: loss %.4f, validation accuracy %.1f%%\n", e.Epoch, e.Loss, 100*e.ValAccuracy)
			}
		}))
	return last, err
}
