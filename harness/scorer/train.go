package scorer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/srbench/srbench/harness/scorer/internal/scorerpb"
)

// TrainRequest asks a trainable scorer to train on triplet datasets.
type TrainRequest struct {
	// Config is the trainer-specific configuration as JSON; "" = defaults.
	Config string
	// Train and Validation are triplet datasets: pairs JSONL with the
	// preferred image as image_a, or Social Reward parquet.
	Train, Validation string
	Format            string // dataset format name; "" = detect
	Images            string // images root; "" = each dataset file's directory
	// OutDir is where the trained model directory is written.
	OutDir string
}

// TrainEvent is a progress report; the last event of a successful run
// carries CheckpointDir (the trained model directory) and Metrics (JSON).
type TrainEvent struct {
	Epoch         int
	Step          int64
	TotalSteps    int64
	Loss          float64
	HasValidation bool
	ValAccuracy   float64
	Message       string
	CheckpointDir string
	Metrics       string
}

// Trainer is the optional ability of a scorer to be trained. A Scorer that
// implements it is trainable through the plugin's Trainer service; emit
// sends a progress event to the host (an error means the host went away).
type Trainer interface {
	Train(ctx context.Context, req TrainRequest, emit func(TrainEvent) error) error
}

// ErrNotTrainable is returned by Client.Train when the plugin's scorer
// cannot be trained.
var ErrNotTrainable = errors.New("this scorer cannot be trained (its plugin has no Trainer)")

// trainServer adapts the configured scorer's Trainer to gRPC.
type trainServer struct {
	pb.UnimplementedTrainerServer
	s *server
}

func (t *trainServer) Train(req *pb.TrainRequest, stream pb.Trainer_TrainServer) error {
	sc, err := t.s.current()
	if err != nil {
		return err
	}
	tr, ok := sc.(Trainer)
	if !ok {
		return status.Error(codes.Unimplemented, ErrNotTrainable.Error())
	}
	r := TrainRequest{Config: req.GetConfigJson(), Train: req.GetTrainPath(), Validation: req.GetValidationPath(),
		Format: req.GetFormat(), Images: req.GetImagesRoot(), OutDir: req.GetOutDir()}
	err = tr.Train(stream.Context(), r, func(e TrainEvent) error {
		return stream.Send(&pb.TrainEvent{Epoch: int32(e.Epoch), Step: e.Step, TotalSteps: e.TotalSteps, Loss: e.Loss,
			HasValidation: e.HasValidation, ValidationAccuracy: e.ValAccuracy, Message: e.Message,
			CheckpointDir: e.CheckpointDir, MetricsJson: e.Metrics})
	})
	if err != nil {
		if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
			return err
		}
		return status.Error(codes.Internal, err.Error())
	}
	return nil
}

// Train implements Trainer on the host side, in the plugin's own shape: it
// runs training in the plugin and passes every event to emit (an error
// from emit stops training and is returned); the last event names the
// trained model directory, and training that ends without one is an error.
// It returns ErrNotTrainable when the plugin cannot train.
func (c *Client) Train(ctx context.Context, req TrainRequest, emit func(TrainEvent) error) error {
	if c.trainer == nil {
		return ErrNotTrainable
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.trainer.Train(ctx, &pb.TrainRequest{ConfigJson: req.Config, TrainPath: req.Train,
		ValidationPath: req.Validation, Format: req.Format, ImagesRoot: req.Images, OutDir: req.OutDir})
	if err != nil {
		return unwrapTrainErr(err)
	}
	var last TrainEvent
	for {
		x, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return unwrapTrainErr(err)
		}
		last = TrainEvent{Epoch: int(x.GetEpoch()), Step: x.GetStep(), TotalSteps: x.GetTotalSteps(), Loss: x.GetLoss(),
			HasValidation: x.GetHasValidation(), ValAccuracy: x.GetValidationAccuracy(), Message: x.GetMessage(),
			CheckpointDir: x.GetCheckpointDir(), Metrics: x.GetMetricsJson()}
		if emit != nil {
			if err := emit(last); err != nil {
				return err
			}
		}
	}
	if last.CheckpointDir == "" {
		return fmt.Errorf("training ended without naming a checkpoint")
	}
	return nil
}

// LastEvent returns an emit function that keeps the last event in *last
// and passes each event to progress (which may be nil).
func LastEvent(last *TrainEvent, progress func(TrainEvent)) func(TrainEvent) error {
	return func(e TrainEvent) error {
		*last = e
		if progress != nil {
			progress(e)
		}
		return nil
	}
}

func unwrapTrainErr(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return ErrNotTrainable
	}
	return unwrapStatus(err)
}
