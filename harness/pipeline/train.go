package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/train"
)

// ReadTrainingData reads the training dataset (and the validation one,
// when its Path is set) into a TrainRequest writing to out: the host reads
// the datasets, in any format srbench loads, and the trainer plugin
// receives triplets. A line per dataset on log says how many triplets it
// gave and how many tied pairs it left out.
func ReadTrainingData(train, val dataset.Spec, config, out string, log io.Writer) (scorer.TrainRequest, error) {
	req := scorer.TrainRequest{Config: config, OutDir: out}
	if a, err := filepath.Abs(out); err == nil {
		req.OutDir = a
	}
	for _, d := range []struct {
		what string
		spec dataset.Spec
		dst  *[]scorer.Triplet
	}{{"training", train, &req.Train}, {"validation", val, &req.Validation}} {
		if d.spec.Path == "" {
			continue
		}
		ts, st, err := dataset.ReadTriplets(d.spec)
		if err != nil {
			return req, fmt.Errorf("%s data: %w", d.what, err)
		}
		*d.dst = ts
		if log != nil {
			fmt.Fprintf(log, "%s data %s: %d triplets from %d pairs", d.what, d.spec.Path, st.Triplets, st.Pairs)
			if st.Ties > 0 {
				fmt.Fprintf(log, " (%d tied pairs left out: a tie has no preferred image)", st.Ties)
			}
			fmt.Fprintln(log)
		}
	}
	return req, nil
}

// TrainSocialReward trains Social Reward through the socialreward plugin,
// launched with the backbone directory, on pairs-jsonl triplet files, into
// out; progress lines go to log. It returns the last event (which names the
// trained model directory) and stops the plugin when done.
func TrainSocialReward(ctx context.Context, launch bench.Launcher, backbone, trainPath, valPath, out, config string, log io.Writer) (scorer.TrainEvent, error) {
	return trainWith(ctx, launch, route{plugin: "socialreward", model: backbone, config: config, fraction: 1}, trainPath, valPath, out, log)
}

// trainWith trains with r's trainer plugin launched on its model.
func trainWith(ctx context.Context, launch bench.Launcher, r route, trainPath, valPath, out string, log io.Writer) (scorer.TrainEvent, error) {
	req, err := ReadTrainingData(dataset.Spec{Format: dataset.PairsJSONL, Path: trainPath},
		dataset.Spec{Format: dataset.PairsJSONL, Path: valPath}, r.config, out, nil)
	if err != nil {
		return scorer.TrainEvent{}, err
	}
	req.Train = train.Fraction(req.Train, r.fraction, r.seed)
	p, err := launch(ctx, bench.ScorerSpec{Name: r.plugin, ModelDir: r.model})
	if err != nil {
		return scorer.TrainEvent{}, err
	}
	defer p.Kill()
	var last scorer.TrainEvent
	err = p.Train(ctx, req,
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
