// Package scorer is the srbench plugin contract: the types, the Scorer
// interface and the gRPC glue that the host and every scorer plugin share.
//
// This package is its own Go module (github.com/srbench/srbench/harness/scorer),
// the SDK: it depends on go-plugin, grpc and protobuf only, so a plugin
// author imports it without the harness. Python authors have the same
// contract in harness/scorer/python (docs/python-plugins.md).
//
// # Writing a scorer plugin in Go
//
// A plugin is a small program that srbench launches as a subprocess through
// hashicorp/go-plugin and talks to over gRPC. You write a Factory, which
// loads the model the host names, and a Scorer. Requests and responses are
// structs, so a field added to the contract later breaks no plugin. The
// SDK's example plugin (examples/filesize) scores an image by its encoded
// size per pixel; its core:
//
//	type fileSize struct{ maxBytes int64 }
//
//	func newFileSize(ctx context.Context, cfg scorer.Config) (scorer.Scorer, error) {
//		if err := cfg.CheckOptions(); err != nil { // reject options you don't know
//			return nil, err
//		}
//		return &fileSize{maxBytes: 64 << 20}, nil
//	}
//
//	func (s *fileSize) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
//		return scorer.Description{Name: "filesize", Version: "0.2.0", Kind: "filesize",
//			Fingerprint: scorer.NoFingerprint, Formula: "8 · encoded bytes / (width · height)"}, nil
//	}
//
//	func (s *fileSize) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
//		out := make([]scorer.Result, len(req.Items))
//		for i, it := range req.Items {
//			bpp, err := s.bitsPerPixel(it) // reads the file, image.DecodeConfig for its size
//			if err != nil {
//				out[i].Err = err.Error() // a per-item error; the batch still scores
//				continue
//			}
//			out[i].Score = bpp
//		}
//		return scorer.ScoreResponse{Results: out}, nil
//	}
//
//	func main() { scorer.Serve(newFileSize) }
//
// Build the binary into the plugins directory (bin/plugins/ beside the
// srbench binary, or any directory given with --plugin-dir); its file name is
// the scorer's name. Pin it with `srbench plugins lock`; `srbench plugins
// list` launches it and shows Describe, and `srbench plugins test NAME`
// checks it against every rule below.
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
//     hash the model files (sha256) and report it as "sha256:<hex>"; a
//     scorer without model files says NoFingerprint ("none"), never "".
//   - The same input scores the same whatever batch it arrives in (batch 1
//     or 32, any neighbours) and on every call.
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
// go-plugin's side of the handshake: check the cookie (the environment
// variable SRBENCH_SCORER_PLUGIN equals Handshake's MagicCookieValue),
// serve gRPC on a local socket with the health service ("plugin" SERVING)
// and go-plugin's GRPCController (Shutdown stops the process), and print
// "1|1|unix|/path/to.sock|grpc|CERT" on stdout. With AutoMTLS, which
// srbench always uses, the host passes its certificate in
// PLUGIN_CLIENT_CERT (PEM); the plugin serves TLS with a fresh
// certificate of its own, requires the host's, and CERT is its own
// certificate's DER in standard base64 without padding (go-plugin decodes
// it with RawStdEncoding). docs/python-plugins.md spells out every step,
// and the Python SDK in harness/scorer/python does all of it for Python.
package scorer
