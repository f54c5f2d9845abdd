// Command imagereward is the ImageReward scorer plugin (Xu et al. 2023,
// github.com/THUDM/ImageReward) for srbench.
//
// It loads a model directory with srbench.yaml kind "imagereward", a
// model.onnx in the layout of harness/onnx/blipmodel.Signature (input_ids,
// attention_mask [batch, 35], pixel_values [batch, 3, 224, 224] →
// reward_raw [batch, 1]), the bert-base-uncased tokenizer.json (loaded with
// ImageReward's set-up: [DEC] and [ENC] added, padding and truncation to 35)
// and, optionally, a preprocessor_config.json. Without one the image
// pipeline is ImageReward's own _transform: Resize(224, BICUBIC) of the
// shorter side, CenterCrop(224), RGB last, ToTensor, Normalize with the CLIP
// mean and std — imageproc's "openai" pipeline.
//
// The score is ImageReward's reward: (reward_raw − mean) / std with
// mean 0.16717362830052426 and std 1.0333394966054072, overridable in
// srbench.yaml (constants: {mean: ..., std: ...}). srbench.yaml may also
// name the tokenizer file and the pipeline (strings: {tokenizer: ...,
// pipeline: openai|hf}).
//
// ImageReward has no standard ONNX export: a real model must be exported
// with these input and output names (the MLP output, before
// normalisation, as reward_raw).
//
// Items are scored in batches of the configured size (default 16); while
// ONNX Runtime runs one batch, a worker pool decodes and preprocesses the
// next. An image that does not decode, a prompt that is not valid UTF-8 and
// a non-finite model output are per-item errors; the rest of the batch
// still scores.
package main

import "github.com/srbench/srbench/harness/scorer"

func main() { scorer.Serve(New) }
