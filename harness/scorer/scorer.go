package scorer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the major version of the plugin protocol. The host
// refuses plugins built for another major version; additions within a major
// version are new optional fields or new optional services.
const ProtocolVersion = 1

// PluginName is the key under which a scorer is dispensed in go-plugin's plugin set.
const PluginName = "scorer"

// Handshake returns the go-plugin handshake shared by host and plugins. The
// magic cookie only keeps users from running a plugin binary by hand; it is
// not a security measure (checksum pinning is, see harness/host).
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  ProtocolVersion,
		MagicCookieKey:   "SRBENCH_SCORER_PLUGIN",
		MagicCookieValue: "c4f1b0a2-srbench-scorer",
	}
}

// NoFingerprint is the Description.Fingerprint of a scorer that reads no
// model files (a heuristic, a metric): it says so explicitly. An empty
// fingerprint is a contract violation (`srbench plugins test` fails it):
// a number must be tied to exact weights, or say it has none.
const NoFingerprint = "none"

// Capability names a contract ability a plugin reports in Describe.
const (
	CapabilityScore = "score"
	CapabilityTrain = "train"
)

// Config is what the host tells a plugin when it loads a model.
type Config struct {
	// ModelDir is the directory with the model files (layout: docs/models.md).
	ModelDir string
	// IntraOpThreads is the ONNX Runtime intra-op thread count; 0 = runtime default.
	IntraOpThreads int
	// BatchSize is the largest batch the plugin should run at once; 0 = its preference.
	BatchSize int
	// Provider is the execution provider, "cpu" (also "") or "cuda".
	Provider string
	// Options are scorer-specific settings such as "variant". A scorer must
	// reject keys it does not know (see Config.CheckOptions).
	Options map[string]string
	// MaxImageBytes is the largest image file (or embedded image) the
	// plugin may read; 0 = its default (64 MiB in srbench's plugins).
	MaxImageBytes int64
	// DecodeMemoryBytes bounds the memory spent on decoding images at once
	// (a batch of large images is decoded within it rather than all
	// together); 0 = the plugin's default.
	DecodeMemoryBytes int64
}

// CheckOptions returns an error naming every option key that is not in known.
func (c Config) CheckOptions(known ...string) error {
	var bad []string
	for k := range c.Options {
		found := false
		for _, kk := range known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	if len(known) == 0 {
		return fmt.Errorf("unknown option(s) %s; this scorer takes no options", strings.Join(bad, ", "))
	}
	sort.Strings(known)
	return fmt.Errorf("unknown option(s) %s; this scorer knows: %s",
		strings.Join(bad, ", "), strings.Join(known, ", "))
}

// Item is one (prompt, image) input to score. Exactly one of ImagePath and
// ImageBytes is set.
type Item struct {
	ID         string // the caller's id, for diagnostics
	Prompt     string
	ImagePath  string // absolute path readable by the plugin
	ImageBytes []byte // encoded image file
}

// Result is the score of one item, or why it could not be scored.
type Result struct {
	Score float64
	// Err is non-empty when the item failed (undecodable image, NaN output,
	// ...). A failed item never carries a usable score.
	Err string
}

// Failed reports whether the item failed.
func (r Result) Failed() bool { return r.Err != "" }

// Description says what a scorer is and exactly which model it runs; it goes
// into every report.
type Description struct {
	Name               string
	Version            string
	Kind               string
	Variant            string
	Fingerprint        string // "sha256:<hex>" over the model files
	Capabilities       []string
	PreferredBatchSize int
	Runtime            string // e.g. "onnxruntime 1.24.1"
	Provider           string // the execution provider actually in use
	Preprocessing      string
	Tokenizer          string
	Formula            string
	ModelDir           string
	ProtocolVersion    int
	Details            map[string]string
}

// Description.Details keys that describe the plugin process's resources
// rather than the scorer (they change speed, never a score): reproducible
// runs (SRBENCH_REPRODUCIBLE) leave them out of results.json, and they are
// not part of any cache key.
const (
	DetailIntraOpThreads = "intra_op_threads"
	DetailDecodeWorkers  = "decode_workers"
	// DetailModelRuns is how many model runs the plugin makes at once
	// (each on part of a batch).
	DetailModelRuns = "model_runs"
)

// MachineDetails lists the Details keys above.
var MachineDetails = []string{DetailIntraOpThreads, DetailDecodeWorkers, DetailModelRuns}

// DescribeRequest is the argument of Scorer.Describe. It is empty today;
// it is a struct so that a field added later breaks no implementer.
type DescribeRequest struct{}

// ScoreRequest is a batch of items to score.
type ScoreRequest struct {
	Items []Item
}

// ScoreResponse holds one Result per item of the request, in order.
type ScoreResponse struct {
	Results []Result
}

// Scorer is what a plugin author implements. Score must return exactly one
// Result per item, in order; per-item failures go into Result.Err and the
// call itself fails only when the whole batch cannot be scored. Methods may
// be called concurrently. Requests and responses are structs, so a field
// added to the contract later breaks no implementer.
type Scorer interface {
	Describe(ctx context.Context, req DescribeRequest) (Description, error)
	Score(ctx context.Context, req ScoreRequest) (ScoreResponse, error)
}

// Factory loads a model and returns a ready Scorer. Serve calls it when the
// host sends Configure. If the returned Scorer implements io.Closer, it is
// closed when it is replaced or the plugin exits.
type Factory func(ctx context.Context, cfg Config) (Scorer, error)

// ScoreItems is a convenience for hosts and tests: it scores items with sc
// and returns the results.
func ScoreItems(ctx context.Context, sc Scorer, items []Item) ([]Result, error) {
	resp, err := sc.Score(ctx, ScoreRequest{Items: items})
	return resp.Results, err
}
