// Package edit is a small ONNX model editor that appends operations to a
// model's outputs, so trained adapters (linear maps, small residual MLPs and
// L2 normalisation on CLIP text and image embeddings) can be folded into an
// existing model and shipped as a standalone model any ONNX consumer runs.
//
// It works on any Hugging Face Optimum-style CLIP export, not only models
// srbench built: text_model.onnx (output text_embeds), vision_model.onnx
// (image_embeds) or a combined model.onnx (text_embeds, image_embeds,
// logits_per_image, logits_per_text).
//
// # Surgery
//
// The model is edited as protobuf wire format (onnx/onnx.proto fields, read
// and written through harness/onnx/internal/wire) without a schema round
// trip: only what changes is re-encoded and every other field is copied
// byte for byte, so opset imports, metadata, doc strings, value_info,
// functions, fields of newer ONNX versions and the weights survive
// unchanged. AppendToOutput renames the edited output's
// value inside the graph (its producing node's output, its other readers —
// also inside If/Loop/Scan subgraphs — its value_info and quantization
// annotations) to "srbench_edit/<output>/input", appends the steps' nodes
// and float32 initializers (names under "srbench_edit/"), and lets the last
// new node produce the output under its old name, so its element type,
// rank and dynamic batch dimension are unchanged. The operators used
// (MatMul, Add, Relu, Mul, ReduceSum with axes as an input, Sqrt, Div,
// Transpose) need the default-domain opset 13 or newer; older models are
// refused with an error that says so. Only float32 outputs can be edited.
//
// Steps are validated before the model is touched: W must be rectangular
// and finite, B must match W's rows, and W's columns must equal the width
// of the value it applies to — the output's static last dimension when the
// model declares one, else the previous linear step's rows. A residual
// (OpAddInput) must add values of equal width.
//
// # Combined models
//
// In a combined model the logits are computed from the embeddings, so
// editing the embeddings alone would leave logits from the old ones.
// RecomputeCLIPLogits (and Apply, automatically, when text_embeds or
// image_embeds changed) recognises the Optimum/Hugging Face form
// logits_per_text = s · text_embeds · image_embedsᵀ with
// logits_per_image its transpose (Mul of a MatMul with a Transpose, or of a
// Gemm with transB=1; s a one-element constant such as exp(logit_scale),
// folded or not) and rebuilds it from the new outputs with the model's own
// s. Other forms (a logit bias, a scale that depends on the inputs, values
// shared with other outputs) are refused with an error wrapping
// ErrUnsupportedLogits that points to the split text/vision models.
//
// # Files
//
// ExportFile reads a model, applies the edits and writes the result
// atomically. Tensors stored as external data (data_location EXTERNAL,
// such as model.onnx_data) keep their relative locations, and the data
// files are copied — or hard-linked with FileOptions.LinkExternalData —
// beside the output.
//
// The package holds no state; its functions are safe for concurrent use.
package edit
