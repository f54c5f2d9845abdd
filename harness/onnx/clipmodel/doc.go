// Package clipmodel builds CLIP-shaped dual encoders with seeded random
// weights as ONNX models, and runs the same network in plain Go as a
// reference.
//
// The architecture is OpenAI CLIP's. Text: token embedding plus positional
// embedding, pre-LN transformer blocks (LN → multi-head attention with a
// causal mask and the attention_mask padding mask → residual; LN → MLP with
// quick_gelu x·σ(1.702x) → residual), final LN at the EOS position (the
// first position of the largest id, via ArgMax on input_ids as OpenAI and
// Hugging Face do) and a linear projection. Vision: a bias-free convolution
// cutting the image into patches, a class token, positional embedding,
// ln_pre, blocks, ln_post on the class token and a projection. Both
// embeddings are L2-normalised and logits_per_image = exp(logit_scale) ·
// image_embeds · text_embedsᵀ.
//
// Weights.WriteDir writes the Hugging Face Optimum file layout: model.onnx
// (inputs input_ids, attention_mask, pixel_values; outputs logits_per_image,
// logits_per_text, text_embeds, image_embeds; independent dynamic batch
// dimensions text_batch_size and image_batch_size) and the split
// text_model.onnx and vision_model.onnx from the same weights;
// GraphOptions.NoAttentionMask leaves out attention_mask, as torch.onnx.export
// of an OpenAI-format CLIP does (the same embeddings for right-padded input,
// since the causal mask already hides padding from the pooled end token). Parameter
// names follow Hugging Face's CLIPModel state dict. Linear weights are
// stored [in, out].
//
// AddTextTower and AddVisionTower put a tower into a caller's graph, so
// later models can add layers (adapters, heads) on top of the embeddings.
//
// Presets: Tiny (171,841 parameters, a 0.7 MB model.onnx, for tests and
// the demo; its 512-row token table folds ids modulo 512 so a real CLIP
// tokenizer's ids are valid inputs) and BaseB32 (the shapes of ViT-B/32,
// about 151M parameters, 605 MB; build it only on demand).
//
// Weights come from math/rand/v2 PCG sources seeded with Config.Seed, one
// stream per tower, so a single tower can be built alone and equals the
// same tower of the full model. The package is pure Go (no cgo); running
// the models is the parent package onnx's job.
//
// Weights.TextEmbeds, ImageEmbeds and LogitsPerImage are the float64
// reference forward pass; the package tests check ONNX Runtime's outputs
// against it.
package clipmodel
