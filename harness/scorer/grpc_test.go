package scorer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/srbench/srbench/harness/scorer"
	pb "github.com/srbench/srbench/harness/scorer/internal/scorerpb"
	"github.com/srbench/srbench/harness/scorer/scorertest"
)

// connect returns a host-side client talking over a real gRPC connection
// (in one process) to a server backed by the trivial scorer.
func connect(t *testing.T) *scorer.Client {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, scorer.PluginSet(scorertest.New))
	// Close asks the server to shut down (the controller's Shutdown stops
	// it); stopping it here as well would stop it twice, concurrently.
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(scorer.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := raw.(*scorer.Client)
	if !ok {
		t.Fatalf("dispensed %T, want *scorer.Client", raw)
	}
	return c
}

func TestContractRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := connect(t)

	// Nothing works before Configure.
	_, err := c.Describe(ctx, scorer.DescribeRequest{})
	var se *scorer.StatusError
	if !errors.As(err, &se) || se.Code != codes.FailedPrecondition {
		t.Fatalf("Describe before Configure: got %v, want FailedPrecondition", err)
	}

	if err := c.Configure(ctx, scorer.Config{ModelDir: "/m", Options: map[string]string{"fail_prompt": "FAIL", "nan_prompt": "NAN"}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.Describe(ctx, scorer.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := scorer.Description{
		Name: "trivial", Version: "1.0.0", Kind: "trivial", Variant: "length",
		Fingerprint: "sha256:trivial", Capabilities: []string{scorer.CapabilityScore},
		PreferredBatchSize: 4, Runtime: "none", Provider: "cpu",
		Formula: "len(prompt) + image_bytes/1000", ModelDir: "/m", ProtocolVersion: scorer.ProtocolVersion,
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("Describe (-want +got):\n%s", diff)
	}

	tests := []struct {
		name  string
		item  scorer.Item
		score float64
		err   string // substring of the per-item error; "" = success
	}{
		{"bytes", scorer.Item{Prompt: "a cat", ImageBytes: make([]byte, 2500)}, 5 + 2.5, ""},
		{"empty image bytes", scorer.Item{Prompt: "ab", ImageBytes: []byte{}}, 2, ""},
		{"per-item failure", scorer.Item{Prompt: "FAIL me", ImageBytes: []byte{1}}, 0, "asked to fail"},
		{"NaN becomes an error", scorer.Item{Prompt: "NAN", ImageBytes: []byte{1}}, 0, "non-finite"},
		{"missing file", scorer.Item{Prompt: "x", ImagePath: "/does/not/exist.png"}, 0, "no such file"},
	}
	items := make([]scorer.Item, len(tests))
	for i, tc := range tests {
		items[i] = tc.item
	}
	res, err := scorer.ScoreItems(ctx, c, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(tests) {
		t.Fatalf("got %d results for %d items", len(res), len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := res[i]
			if tc.err == "" {
				if r.Failed() || r.Score != tc.score {
					t.Errorf("got %+v, want score %v", r, tc.score)
				}
				return
			}
			if !strings.Contains(r.Err, tc.err) || r.Score != 0 {
				t.Errorf("got %+v, want error containing %q and score 0", r, tc.err)
			}
		})
	}
}

func TestConfigureRejectsUnknownOption(t *testing.T) {
	c := connect(t)
	err := c.Configure(context.Background(), scorer.Config{Options: map[string]string{"varaint": "x"}})
	if err == nil || !strings.Contains(err.Error(), "unknown option(s) varaint") {
		t.Fatalf("got %v, want an error naming the unknown option", err)
	}
}

func TestCheckOptions(t *testing.T) {
	tests := []struct {
		opts  map[string]string
		known []string
		want  string
	}{
		{nil, nil, ""},
		{map[string]string{"variant": "hessel"}, []string{"variant"}, ""},
		{map[string]string{"b": "1", "a": "2"}, []string{"variant"}, "unknown option(s) a, b; this scorer knows: variant"},
		{map[string]string{"x": "1"}, nil, "unknown option(s) x; this scorer takes no options"},
	}
	for _, tc := range tests {
		err := scorer.Config{Options: tc.opts}.CheckOptions(tc.known...)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("CheckOptions(%v, %v) = %q, want %q", tc.opts, tc.known, got, tc.want)
		}
	}
}

func TestTrainStreamsEventsOrIsUnsupported(t *testing.T) {
	tests := []struct {
		name      string
		trainable string
		wantErr   error
	}{
		{"trainable", "1", nil},
		{"not trainable", "", scorer.ErrNotTrainable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := connect(t)
			opts := map[string]string{}
			if tc.trainable != "" {
				opts["trainable"] = tc.trainable
			}
			if err := c.Configure(context.Background(), scorer.Config{Options: opts}); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			var events []scorer.TrainEvent
			var last scorer.TrainEvent
			req := scorer.TrainRequest{OutDir: out,
				Train: []scorer.Triplet{
					{ID: "p1", Prompt: "a cat", Preferred: scorer.ImageRef{Path: "/img/1.png"}, Other: scorer.ImageRef{Path: "/img/2.png"}},
					{ID: "p2", Prompt: "a dog", Preferred: scorer.ImageRef{Data: []byte("12345")}, Other: scorer.ImageRef{Path: "/img/3.png"}},
				},
				Validation: []scorer.Triplet{{ID: "v1", Prompt: "a fox", Preferred: scorer.ImageRef{Path: "/img/4.png"}, Other: scorer.ImageRef{Data: []byte{1}}}},
			}
			err := c.Train(context.Background(), req,
				scorer.LastEvent(&last, func(e scorer.TrainEvent) { events = append(events, e) }))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 4 || events[0].Epoch != 1 || events[1].Loss != 0.5 || last.CheckpointDir != out || last.Metrics != `{"loss":0.333}` {
				t.Fatalf("events %+v, last %+v", events, last)
			}
			// Every triplet reached the plugin, in order, paths and bytes alike.
			got, err := os.ReadFile(filepath.Join(out, "trained.txt"))
			if err != nil {
				t.Fatal(err)
			}
			want := "train\ta cat\t/img/1.png\t/img/2.png\ntrain\ta dog\t5 bytes\t/img/3.png\nvalidation\ta fox\t/img/4.png\t1 bytes\n"
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("triplets the plugin received (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrainStreamMustBeWhole: a plugin trains only on a whole stream: start
// first, then triplets, then an end whose counts match what arrived.
func TestTrainStreamMustBeWhole(t *testing.T) {
	tri := &pb.Triplet{Prompt: "p", Preferred: &pb.Image{Source: &pb.Image_Path{Path: "/a"}}, Other: &pb.Image{Source: &pb.Image_Path{Path: "/b"}}}
	start := &pb.TrainInput{Kind: &pb.TrainInput_Start{Start: &pb.TrainStart{OutDir: "/tmp/x"}}}
	train := &pb.TrainInput{Kind: &pb.TrainInput_Train{Train: tri}}
	end := func(n int64) *pb.TrainInput {
		return &pb.TrainInput{Kind: &pb.TrainInput_End{End: &pb.TrainEnd{TrainCount: n}}}
	}
	tests := []struct {
		name string
		msgs []*pb.TrainInput
		want string
	}{
		{"no start", []*pb.TrainInput{train, end(1)}, "the first message must be start"},
		{"two starts", []*pb.TrainInput{start, start}, "a second start message"},
		{"counts differ", []*pb.TrainInput{start, train, train, end(3)}, "end says 3 training and 0 validation triplets, 2 and 0 arrived"},
		{"no end", []*pb.TrainInput{start, train}, "ended without its end message (1 training and 0 validation triplets received)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, _ := plugin.TestPluginGRPCConn(t, false, scorer.PluginSet(scorertest.New))
			t.Cleanup(func() { client.Close() })
			raw, err := client.Dispense(scorer.PluginName)
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.(*scorer.Client).Configure(context.Background(), scorer.Config{Options: map[string]string{"trainable": "1"}}); err != nil {
				t.Fatal(err)
			}
			stream, err := pb.NewTrainerClient(client.Conn).TrainTriplets(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tc.msgs {
				if err := stream.Send(m); err != nil {
					break // the plugin has already refused the stream
				}
			}
			stream.CloseSend()
			_, err = stream.Recv()
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want InvalidArgument containing %q", err, tc.want)
			}
		})
	}
}
