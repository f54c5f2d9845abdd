// Package onnx is srbench's access to ONNX Runtime: it finds the shared
// library, initialises the process-wide runtime, and runs models through
// small sessions that exchange plain Go tensors.
//
// # Finding the library
//
// FindLibrary looks at Options.LibraryPath, then $ONNXRUNTIME_LIB, then the
// srbench cache ($SRBENCH_CACHE, else $XDG_CACHE_HOME/srbench, else
// ~/.cache/srbench; onnxruntime/<version>/libonnxruntime.so.1, newest version
// first — where `make setup` installs it), then $LD_LIBRARY_PATH and the
// standard loader directories. Options.Getenv and Options.SystemDirs replace
// the process environment and the directory list, so tests never touch the
// real environment. When nothing is found the *NotFoundError lists every
// place looked at and how to install the library.
//
// # The runtime
//
// ONNX Runtime (and its Go bindings, github.com/yalue/onnxruntime_go) keep
// one environment per process. Init wraps it: the first call loads the
// library after checking its version (1.24 or newer, read through
// OrtGetApiBase before the bindings touch it), later calls return the same
// *Runtime, and asking for a different library file is an error. The
// package keeps that one *Runtime in a mutex-guarded package variable, its
// only mutable global, because the state it mirrors is global in the C
// library. The environment lives until the process exits.
//
// # Sessions
//
// Runtime.NewSession loads a model file and reads its signature (names,
// element types, shapes with -1 for dynamic dimensions) from the ONNX
// protobuf itself, streaming it with the wire package's reader and seeking
// over the weights, so a large model is not loaded twice; a file whose
// fields run past their message or the file's end is refused as not an
// ONNX model, with the field and byte offset named. Session.Run takes
// and returns map[string]Tensor, where a Tensor is a shape and a float32 or
// int64 slice; inputs are validated against the signature first, so errors
// name the model, the input and what was expected. Any batch size is
// accepted on dynamic dimensions. Session.CheckSignature compares a model
// with the inputs and outputs a caller expects (CLIPSignature and friends
// give the Hugging Face Optimum CLIP layout) and reports every difference;
// an expected spec marked Optional may be absent (CLIP's attention_mask,
// which torch.onnx.export of an OpenAI-format CLIP drops), and
// Session.HasInput tells a caller whether to feed it.
//
// A Session is safe for concurrent use: several goroutines may Run at once
// (ONNX Runtime sessions are thread-safe for inference; each Run allocates
// its own inputs and outputs). Close waits for running calls, releases the
// session, and may be called more than once; Run after Close returns
// ErrClosed.
//
// SessionOptions{ExecutionProvider: "cuda"} asks for the CUDA provider. The
// library `make setup` installs is CPU-only, so this returns a
// *ProviderError; there is no silent fallback to the CPU.
//
// Subpackage graph writes ONNX models from Go; subpackage clipmodel builds
// CLIP-shaped test and benchmark models with it.
package onnx
