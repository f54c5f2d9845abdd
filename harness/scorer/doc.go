// Package scorer is the srbench plugin contract: the types, the Scorer
// interface and the gRPC glue that the host and every scorer plugin share.
//
// # Writing a scorer plugin in Go
//
// A plugin is a small program that srbench launches as a subprocess through
// hashicorp/go-plugin and talks to over gRPC. You write two things.
//
// First, the logic, in a file beside main.go, testable without any gRPC:
//
//	type lengthScorer struct{ dir string }
//
//	func newLengthScorer(ctx context.Context, cfg scorer.Config) (scorer.Scorer, error) {
//		if err := cfg.CheckOptions(); err != nil { // reject options you don't know
//			return nil, err
//		}
//		return &lengthScorer{dir: cfg.ModelDir}, nil
//	}
//
//	func (s *lengthScorer) Describe(ctx context.Context) (scorer.Description, error) {
//		return scorer.Description{Name: "length", Version: "0.1.0", Kind: "length",
//			Formula: "len(prompt)"}, nil
//	}
//
//	func (s *lengthScorer) Score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
//		out := make([]scorer.Result, len(items))
//		for i, it := range items {
//			out[i] = scorer.Result{Score: float64(len(it.Prompt))}
//		}
//		return out, nil
//	}
//
// Second, main.go, which is one line:
//
//	func main() { scorer.Serve(newLengthScorer) }
//
// Build the binary into the plugins directory (bin/plugins/ beside the
// srbench binary, or any directory given with --plugin-dir); its file name is
// the scorer's name. `srbench plugins list` launches it and shows Describe.
//
// # The rules of the contract
//
//   - The host calls Configure (which calls your Factory) once with the model
//     directory and options, then Describe, then Score many times, possibly
//     concurrently: `srbench run` keeps two calls in flight, so that a
//     plugin can prepare one call's inputs (decode images) while its model
//     runs the other's. A plugin whose model already uses every CPU should
//     run it for one call at a time (the srbench plugins hold a mutex around
//     ONNX Runtime) rather than oversubscribe the cores.
//   - Score returns exactly one Result per Item, in order. A bad item (image
//     that does not decode, non-finite output) is a per-item Result.Err; the
//     rest of the batch still scores. Return an error from Score only when
//     the whole batch failed. Non-finite scores are turned into per-item
//     errors by the shim, never passed on as numbers.
//   - An Item carries either ImagePath (absolute, readable by the plugin) or
//     ImageBytes (an encoded image file).
//   - Describe's Fingerprint ties every reported number to exact weights:
//     hash the model files (sha256) and report it as "sha256:<hex>".
//   - Unknown options are an error (Config.CheckOptions), so a typo in a
//     benchmark spec cannot silently run the default.
//   - Scores are plain float64; larger means preferred.
//
// # Versioning
//
// Handshake carries ProtocolVersion, the contract's major version; the host
// refuses a plugin built for another one. Within a major version, new
// abilities arrive as optional services that the host probes for (a plugin
// that lacks one answers codes.Unimplemented) and as new optional fields.
//
// # Plugins in other languages
//
// Implement the service in proto/srbench/scorer/v1/scorer.proto and
// go-plugin's handshake: check that the environment variable
// SRBENCH_SCORER_PLUGIN equals the cookie value in Handshake, listen on a
// local socket, and print "1|1|unix|/path/to.sock|grpc|" (core protocol 1,
// app protocol ProtocolVersion) on stdout. AutoMTLS is negotiated through
// PLUGIN_CLIENT_CERT; see go-plugin's docs for non-Go plugins.
package scorer
