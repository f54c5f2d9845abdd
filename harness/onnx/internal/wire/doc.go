// Package wire is srbench's one codec for the ONNX protobuf wire format: the
// table of the onnx/onnx.proto messages and fields srbench touches, a reader
// that iterates over a message's fields, and a writer that appends them.
// The graph builder (harness/onnx/graph), the model editor
// (harness/onnx/edit) and the signature reader behind onnx.CheckModelFile
// all encode and decode through it, on top of protowire's primitives, so
// no field number appears anywhere else.
//
// # Fields
//
// A Field names one field of one message, e.g. GraphInput is
// GraphProto.input (11); its String is "GraphProto.input (11)", which is
// how errors name it. Fields the table does not list (newer ONNX versions,
// other tools' additions) are still read, as Fields that are not Known, and
// the editor copies them byte for byte.
//
// # Reading
//
// A Reader iterates over the fields of one message, from a byte slice
// (NewReader; each Value's Raw and Payload share the slice's memory) or a
// stream (NewStreamReader; payloads that are not asked for are skipped, by
// seeking when the stream can, so the weights of a large model are never
// read to find its inputs). Reader.Message descends into a nested message.
// Parse reads all fields of a message in memory, and Fields' accessors
// pick values out of them. Every length is checked against the end of
// its enclosing message before anything is read or allocated; malformed
// input is an *Error that names the field (or, for an unreadable tag,
// the message) and the byte offset. As in protobuf, a field written more
// than once counts by its last occurrence, and a known field number
// written with another wire type is not that field (Value.Is reports
// false; Value's accessors report the mismatch as an error naming it).
// Groups, which ONNX does not use, are refused.
//
// # Writing
//
// The Append functions append one field to a byte slice, as protowire's
// do; AppendMessage builds a nested message in place, AppendBytesHeader
// starts a field whose payload is streamed afterwards, and
// AppendPackedInt64s writes a packed repeated field. Writing a known field
// with the wrong wire type panics (a programmer error).
//
// ParseValueInfo is the one reader of ValueInfoProto (graph inputs and
// outputs) that the runtime's signature check and the editor share.
//
// The package holds no state; everything in it is safe for concurrent use
// (a Reader itself is used by one goroutine at a time).
package wire
