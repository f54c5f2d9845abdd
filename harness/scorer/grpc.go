package scorer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/srbench/srbench/harness/scorer/internal/scorerpb"
)

// MaxMessageBytes bounds one gRPC message in either direction: a batch of
// encoded images can be far larger than gRPC's 4 MiB default.
const MaxMessageBytes = 512 << 20

// GRPCPlugin is the go-plugin glue for the scorer contract. The host uses it
// with a nil Factory (client side); Serve uses it with the plugin's Factory.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Factory Factory
}

// GRPCServer registers the scorer service (plugin side).
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Factory == nil {
		return errors.New("scorer: GRPCPlugin.Factory is nil on the plugin side")
	}
	srv := &server{factory: p.Factory}
	pb.RegisterScorerServer(s, srv)
	pb.RegisterTrainerServer(s, &trainServer{s: srv})
	return nil
}

// GRPCClient returns a *Client (host side).
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &Client{rpc: pb.NewScorerClient(c), trainer: pb.NewTrainerClient(c)}, nil
}

// PluginSet is the go-plugin plugin map for a scorer; factory is nil on the host side.
func PluginSet(factory Factory) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Factory: factory}}
}

// server adapts a Factory/Scorer to the generated gRPC service.
type server struct {
	pb.UnimplementedScorerServer
	factory Factory

	mu     sync.RWMutex
	scorer Scorer
}

func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	cfg := Config{
		ModelDir:       req.GetModelDir(),
		IntraOpThreads: int(req.GetIntraOpThreads()),
		MaxImageBytes:  req.GetMaxImageBytes(), DecodeMemoryBytes: req.GetDecodeMemoryBytes(),
		BatchSize: int(req.GetBatchSize()),
		Provider:  req.GetProvider(),
		Options:   req.GetOptions(),
	}
	sc, err := s.factory(ctx, cfg)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if sc == nil {
		return nil, status.Error(codes.Internal, "scorer factory returned a nil Scorer without an error")
	}
	s.mu.Lock()
	old := s.scorer
	s.scorer = sc
	s.mu.Unlock()
	if c, ok := old.(io.Closer); ok {
		_ = c.Close()
	}
	return &pb.ConfigureResponse{}, nil
}

func (s *server) current() (Scorer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.scorer == nil {
		return nil, status.Error(codes.FailedPrecondition, "scorer is not configured: the host must call Configure with a model directory first")
	}
	return s.scorer, nil
}

func (s *server) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	sc, err := s.current()
	if err != nil {
		return nil, err
	}
	d, err := sc.Describe(ctx, DescribeRequest{})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	d.ProtocolVersion = ProtocolVersion
	if len(d.Capabilities) == 0 {
		d.Capabilities = []string{CapabilityScore}
	}
	return descriptionToPB(d), nil
}

func (s *server) Score(ctx context.Context, req *pb.ScoreRequest) (*pb.ScoreResponse, error) {
	sc, err := s.current()
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(req.GetItems()))
	for i, it := range req.GetItems() {
		items[i] = itemFromPB(it)
	}
	resp, err := sc.Score(ctx, ScoreRequest{Items: items})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	res := resp.Results
	if len(res) != len(items) {
		return nil, status.Errorf(codes.Internal, "scorer returned %d results for %d items", len(res), len(items))
	}
	out := &pb.ScoreResponse{Results: make([]*pb.Result, len(res))}
	for i, r := range res {
		out.Results[i] = resultToPB(sanitize(r))
	}
	return out, nil
}

// sanitize turns a non-finite score into a per-item error, so a NaN never
// reaches the statistics as if it were a score.
func sanitize(r Result) Result {
	if r.Err == "" && (math.IsNaN(r.Score) || math.IsInf(r.Score, 0)) {
		return Result{Err: fmt.Sprintf("scorer produced a non-finite score (%v)", r.Score)}
	}
	if r.Err != "" {
		r.Score = 0
	}
	return r
}

// Client is the host's typed view of a scorer plugin. It implements Scorer.
type Client struct {
	rpc     pb.ScorerClient
	trainer pb.TrainerClient
}

var _ Scorer = (*Client)(nil)

// Configure loads the model in the plugin.
func (c *Client) Configure(ctx context.Context, cfg Config) error {
	_, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{
		ModelDir:       cfg.ModelDir,
		IntraOpThreads: int32(cfg.IntraOpThreads),
		MaxImageBytes:  cfg.MaxImageBytes, DecodeMemoryBytes: cfg.DecodeMemoryBytes,
		BatchSize: int32(cfg.BatchSize),
		Provider:  cfg.Provider,
		Options:   cfg.Options,
	})
	return unwrapStatus(err)
}

// Describe asks the plugin what it is.
func (c *Client) Describe(ctx context.Context, _ DescribeRequest) (Description, error) {
	r, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Description{}, unwrapStatus(err)
	}
	return descriptionFromPB(r), nil
}

// Score scores a batch. It fails if the plugin answers with a different
// number of results than items.
func (c *Client) Score(ctx context.Context, sr ScoreRequest) (ScoreResponse, error) {
	items := sr.Items
	req := &pb.ScoreRequest{Items: make([]*pb.Item, len(items))}
	for i, it := range items {
		req.Items[i] = itemToPB(it)
	}
	r, err := c.rpc.Score(ctx, req, grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes))
	if err != nil {
		return ScoreResponse{}, unwrapStatus(err)
	}
	if len(r.GetResults()) != len(items) {
		return ScoreResponse{}, fmt.Errorf("plugin returned %d results for %d items", len(r.GetResults()), len(items))
	}
	out := make([]Result, len(items))
	for i, x := range r.GetResults() {
		out[i] = sanitize(resultFromPB(x))
	}
	return ScoreResponse{Results: out}, nil
}

// StatusError is a contract call that the plugin refused or failed; Code lets
// callers branch (e.g. codes.Unavailable when the plugin process died).
type StatusError struct {
	Code    codes.Code
	Message string
}

func (e *StatusError) Error() string { return e.Message }

func unwrapStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	return &StatusError{Code: st.Code(), Message: st.Message()}
}

// IsUnavailable reports whether err means the plugin process is gone or
// unreachable (as opposed to the plugin refusing the request).
func IsUnavailable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == codes.Unavailable
	}
	return false
}
