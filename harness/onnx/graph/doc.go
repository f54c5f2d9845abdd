// Package graph is a small builder that writes ONNX models (ModelProto,
// GraphProto, NodeProto, TensorProto, ValueInfoProto) as protobuf wire format
// without generated code.
//
// A Graph collects typed inputs with fixed or symbolic dimensions, float32 and
// int64 initializers, nodes with attributes (int, float, ints, floats,
// string, strings, tensor) and outputs. Values are referred to by name: every
// method that creates a value returns its name, and node inputs must name a
// value that already exists, so graphs are topologically sorted by
// construction. Builder misuse (an unknown input, a duplicate name) is
// recorded as the graph's first error and returned by Encode, Marshal and
// WriteFile, so call sites need no error checks of their own.
//
// The encoding follows onnx/onnx.proto field for field, written through
// srbench's one ONNX wire codec (harness/onnx/internal/wire, which holds the
// field table). Models default to IR version 8 and the default-domain opset
// 17 (the first with LayerNormalization). Encoding streams: initializer data
// is written straight from the Go slices in chunks, so a model of hundreds
// of megabytes is never materialised in memory a second time. WriteFile can
// move large initializers to an ONNX external-data file (needed above
// protobuf's 2 GB limit).
//
// A Graph is not safe for concurrent use.
package graph
