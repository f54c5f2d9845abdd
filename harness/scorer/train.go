package scorer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/srbench/srbench/harness/scorer/internal/scorerpb"
)

// TrainRequest asks a trainable scorer to train on triplets. The host has
// read the dataset already (whatever its format); the plugin sees only
// prompts and images.
type TrainRequest struct {
	// Config is the trainer-specific configuration as JSON; "" = defaults.
	Config string
	// OutDir is where the trained model directory is written.
	OutDir string
	// Train and Validation are the triplets to train on and to validate
	// with (Validation may be empty).
	Train, Validation []Triplet
}

// Triplet is a prompt with the image people preferred and the other one.
type Triplet struct {
	ID               string // the dataset's pair id, for diagnostics
	Prompt           string
	Preferred, Other ImageRef
	Weight           float64 // 0 means 1
}

// ImageRef is an image of a triplet: a path readable by the plugin, or the
// encoded file's bytes (Data wins when both are set).
type ImageRef struct {
	Path string
	Data []byte
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

// TrainTriplets receives the host's stream (start, triplets, end), checks
// it is whole, and then trains.
func (t *trainServer) TrainTriplets(stream pb.Trainer_TrainTripletsServer) error {
	sc, err := t.s.current()
	if err != nil {
		return err
	}
	tr, ok := sc.(Trainer)
	if !ok {
		return status.Error(codes.Unimplemented, ErrNotTrainable.Error())
	}
	r, err := receiveTraining(stream)
	if err != nil {
		return err
	}
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

// receiveTraining reads the whole TrainInput stream into a TrainRequest.
func receiveTraining(stream pb.Trainer_TrainTripletsServer) (TrainRequest, error) {
	bad := func(format string, a ...any) (TrainRequest, error) {
		return TrainRequest{}, status.Errorf(codes.InvalidArgument, "training stream: "+format, a...)
	}
	var r TrainRequest
	started := false
	for {
		in, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return bad("ended without its end message (%d training and %d validation triplets received)", len(r.Train), len(r.Validation))
		}
		if err != nil {
			return TrainRequest{}, err
		}
		if st := in.GetStart(); st != nil {
			if started {
				return bad("a second start message")
			}
			started = true
			r.Config, r.OutDir = st.GetConfigJson(), st.GetOutDir()
			if n := st.GetTrainCount(); n > 0 {
				r.Train = make([]Triplet, 0, min(n, 1<<20))
			}
			continue
		}
		if !started {
			return bad("the first message must be start")
		}
		switch {
		case in.GetTrain() != nil:
			r.Train = append(r.Train, tripletFromPB(in.GetTrain()))
		case in.GetValidation() != nil:
			r.Validation = append(r.Validation, tripletFromPB(in.GetValidation()))
		case in.GetEnd() != nil:
			e := in.GetEnd()
			if e.GetTrainCount() != int64(len(r.Train)) || e.GetValidationCount() != int64(len(r.Validation)) {
				return bad("end says %d training and %d validation triplets, %d and %d arrived",
					e.GetTrainCount(), e.GetValidationCount(), len(r.Train), len(r.Validation))
			}
			return r, nil
		default:
			return bad("an empty message")
		}
	}
}

// Train implements Trainer on the host side, in the plugin's own shape: it
// streams the triplets to the plugin, runs training there and passes every
// event to emit (an error from emit stops training and is returned); the
// last event names the trained model directory, and training that ends
// without one is an error. It returns ErrNotTrainable when the plugin
// cannot train.
func (c *Client) Train(ctx context.Context, req TrainRequest, emit func(TrainEvent) error) error {
	if c.trainer == nil {
		return ErrNotTrainable
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.trainer.TrainTriplets(ctx, grpc.MaxCallSendMsgSize(MaxMessageBytes))
	if err != nil {
		return unwrapTrainErr(err)
	}
	// Send in the background: the plugin may answer (or fail) while the
	// host is still streaming.
	sent := make(chan error, 1)
	go func() { sent <- sendTraining(stream, req) }()
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
	if err := <-sent; err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("streaming the triplets: %w", unwrapStatus(err))
	}
	if last.CheckpointDir == "" {
		return fmt.Errorf("training ended without naming a checkpoint")
	}
	return nil
}

func sendTraining(stream pb.Trainer_TrainTripletsClient, req TrainRequest) error {
	send := func(in *pb.TrainInput) error { return stream.Send(in) }
	if err := send(&pb.TrainInput{Kind: &pb.TrainInput_Start{Start: &pb.TrainStart{ConfigJson: req.Config, OutDir: req.OutDir,
		TrainCount: int64(len(req.Train)), ValidationCount: int64(len(req.Validation))}}}); err != nil {
		return err
	}
	for _, t := range req.Train {
		if err := send(&pb.TrainInput{Kind: &pb.TrainInput_Train{Train: tripletToPB(t)}}); err != nil {
			return err
		}
	}
	for _, t := range req.Validation {
		if err := send(&pb.TrainInput{Kind: &pb.TrainInput_Validation{Validation: tripletToPB(t)}}); err != nil {
			return err
		}
	}
	if err := send(&pb.TrainInput{Kind: &pb.TrainInput_End{End: &pb.TrainEnd{TrainCount: int64(len(req.Train)),
		ValidationCount: int64(len(req.Validation))}}}); err != nil {
		return err
	}
	return stream.CloseSend()
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
