// Package demo builds what `srbench demo` and the tests run on: model
// directories for every scorer, made with the project's own ONNX graph
// builder (no downloaded weights), and the end-to-end demo.
//
// # Designed demo models
//
// BuildModels with the default size ("tiny") writes models designed for the
// synthetic world of harness/simworld. They have the inputs and outputs of
// the real exports (CLIP: input_ids, attention_mask, pixel_values →
// text_embeds, image_embeds, logits; ImageReward: → reward_raw), but each
// graph is a short, fixed image-processing pipeline rather than a trained
// transformer. Every number in it is a named constant or a table computed
// from the world's definitions: its colour hues and subject outlines.
// Nothing is fitted to rendered images.
//
// Vision (shared by all four models). The input is the CLIP tensor
// pixel_values [batch, 3, 224, 224]:
//
//  1. Undo the CLIP normalisation, average 4×4 blocks (56×56 RGB, P) and
//     box-blur 3×3 (Bl).
//  2. Appeal measurements: saturation = mean of max(R,G,B) − min(R,G,B)
//     of P; contrast = standard deviation of the luma of Bl; artefact =
//     mean |4-neighbour Laplacian| of the luma of P.
//  3. Salience. Each row's background is the per-channel median of the 4
//     leftmost and 4 rightmost pixels of Bl (the world keeps subjects
//     away from the edges). With d = Bl − background and m = mean_c d,
//     the salience is S = Σ_c |d_c − m| + ½|m|. The median and the 98th
//     percentile of S (TopK) give the subject mask M = clip((S − median) /
//     (p98 − median + 1/255), 0, 1) and the weights w = relu(S − median)².
//  4. Composition: offset = distance of the w-weighted centroid from the
//     image centre. Subject chroma = length of the opponent vector of the
//     w-weighted mean colour.
//  5. Colour. A pixel's opponent vector (R − (G+B)/2, √3/2·(G − B)) has an
//     angle close to the HSV hue. The world's saturation and contrast
//     transforms scale it but do not turn it. Each pixel votes
//     softmax(20·cos(angle − hue of each world colour)), weighted by M².
//     The votes plus 0.01 are squared and renormalised into 8 colour
//     probabilities: a decision about the colour, not its visibility.
//  6. Subject. M is averaged to 28×28 and correlated (Conv) with
//     zero-mean templates of the six world subjects at radii 0.15, 0.20
//     and 0.25 of the width. The correlation is normalised by each
//     window's spread (normalised cross-correlation). The best value over
//     centres within 0.22 of the image centre and over scales gives
//     softmax(10·score): 6 subject probabilities.
//
// The CLIP embedding has 20 dims (EmbeddingDims): the 8 colour
// probabilities, the 6 subject probabilities, a constant 0.3, and five
// appeal dims. Each appeal dim is 0.1·(x − mean)/spread of saturation,
// contrast, centring (−offset), cleanliness (−artefact) and subject
// chroma; mean and spread are round numbers near the default world's. The
// vector is L2-normalised.
//
// Text. The demo BPE vocabulary is learned from the world's prompt words
// (DemoCorpus), so each word is one token. A word-vector table maps the
// first colour word of the prompt to its colour dim and the first subject
// word to its subject dim. In "a green ring in a green forest" the second
// "green" is the background's colour. Other words map to zero. The
// constant 0.3 is added and the sum is normalised.
//
// Why the cosine is about alignment. The text is zero on the appeal dims,
// so they enter the cosine only through the image norm, which they change
// by a few per cent. The demo CLIPScore, 2.5·max(cos, 0), therefore
// follows P(prompt colour) + P(prompt subject).
//
// Why Social Reward can learn appeal. The appeal measurements are
// linearly present in the image embedding: a least-squares readout
// predicts truth appeal on held-out images with R² ≈ 0.6. A Linear
// adapter (harness/train) can point the text embedding into those dims
// with a bias and scale them on the image side, so a trained cosine ranks
// images by appeal. socialreward's backbone is the clipscore model itself,
// with a different srbench.yaml kind: Social Reward starts from CLIP.
//
// PickScore proxy: the same CLIP in one model.onnx with logit scale ln 100.
// Its text side adds a constant 1 on the cleanliness dim (every prompt
// also asks for a clean image), so it responds to alignment and, less, to
// artefacts.
//
// ImageReward proxy: model.onnx with ImageReward's signature (one batch
// for text and image). reward_raw = (P(prompt colour) + P(prompt subject)
// − 1) + 0.2·z(cleanliness) + 0.16717, so after the scorer's
// normalisation an aligned, clean image scores about +1. Its
// tokenizer.json is a small bert-style WordPiece vocabulary: [PAD] [UNK]
// [CLS] [SEP] [MASK], ASCII punctuation and the world's words.
// ImageReward's loader appends [DEC] and [ENC] after it. The model reads
// every id outside its table (including those two) as an unknown word.
//
// MeasurePixels, VisionFeatures.ImageEmbedding and the unexported text
// and reward functions compute the same numbers in plain Go (float64). The
// tests check ONNX Runtime's outputs against them within 1e-5, check the
// plain-Go measurements on pictures whose values follow by hand, and
// measure the models on a generated world.
//
// The designed models only make sense on the synthetic world. Any other
// image is scored by the same measurements, and a prompt without the
// world's colour and subject words gets the constant text embedding. The
// word tables are indexed by the demo tokenizers' ids: ids from another
// tokenizer mean nothing to them.
//
// # Base models
//
// Size "base" writes real-sized graphs with seeded random weights for
// performance work: ViT-B/32-shaped CLIPs (clipmodel.BaseB32) and a
// BLIP-base-shaped ImageReward (blipmodel.BaseB16), with the same
// tokenizers.
package demo
