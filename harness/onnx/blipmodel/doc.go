// Package blipmodel builds BLIP-shaped ImageReward models with seeded random
// weights as ONNX files, and runs the same network in plain Go as a
// reference.
//
// The architecture is ImageReward's (github.com/THUDM/ImageReward,
// ImageReward/ImageReward.py, BLIP's vit.py and med.py):
//
//   - Vision: a convolution with bias cutting the image into patches, a
//     class token, a position embedding, pre-norm blocks (LN → multi-head
//     attention with a fused qkv projection → residual; LN → MLP with the
//     exact GELU x·½·(1+erf(x/√2)) → residual; LayerNorm eps 1e-6) and a
//     final LayerNorm over every token, giving image tokens
//     [batch, 1+patches, VisionWidth].
//   - Text: BLIP's BERT in multimodal mode: word plus position embeddings
//     and a LayerNorm (no token types), then per layer self-attention with
//     the attention_mask padding mask ((1-mask)·-10000, as BERT), a
//     cross-attention to all image tokens (ImageReward's image mask is all
//     ones) whose keys and values map from VisionWidth, and an FFN with the
//     exact GELU; each of the three is post-norm (LayerNorm(x + sublayer),
//     eps 1e-12). Scores are q·kᵀ/√d.
//   - Head: the hidden state at position 0 ([CLS]) through ImageReward's
//     MLP, Linear → Dropout → Linear → Dropout → Linear → Dropout → Linear →
//     Linear (768→1024→128→64→16→1). The released code has the ReLUs
//     between them commented out, so there are no activations; the Dropouts
//     are identities at inference and are not in the graph.
//
// The output reward_raw [batch, 1] is the head's value before
// ImageReward's normalisation; a scorer applies
// (reward_raw − 0.16717362830052426) / 1.0333394966054072.
//
// Weights.WriteDir writes model.onnx with inputs input_ids and
// attention_mask (int64 [batch_size, sequence_length]; ImageReward pads to
// 35) and pixel_values (float32 [batch_size, 3, ImageSize, ImageSize]):
// one batch dimension for all three, row i of the text scored against image
// i. Signature is that layout as an onnx.Signature. Parameter names follow
// ImageReward's state dict. Linear weights are stored [in, out].
// GraphOptions.NaNTokenID builds a variant whose output is NaN for rows
// containing a given token, for testing how scorers treat non-finite
// outputs.
//
// Presets: Tiny (for tests and the demo; its 512-row word table folds ids
// modulo 512 so the real bert-base-uncased ids, up to 30523, are valid
// inputs), BaseB16 (ViT-B/16 and BERT-base shapes, about 224M parameters,
// for performance work) and LargeL16 (the released ImageReward's shapes,
// ViT-L/16, about 446M). Build the large ones only on demand.
//
// Weights come from math/rand/v2 PCG sources seeded with Config.Seed, one
// stream per part (vision, text, head). Weights.ImageTokens and
// Weights.RawRewards are the float64 reference forward pass; the package
// tests check ONNX Runtime's outputs against it. Building models is pure
// Go; the package imports the parent package onnx only for the Signature
// type.
package blipmodel
