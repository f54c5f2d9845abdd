package blipmodel

import (
	"errors"
	"fmt"
)

// Names of the model file, inputs and output.
const (
	ModelFile = "model.onnx"

	InputIDs      = "input_ids"
	AttentionMask = "attention_mask"
	PixelValues   = "pixel_values"
	// RewardRaw is the output: the MLP head's value before ImageReward's
	// normalisation, float32 [batch_size, 1].
	RewardRaw = "reward_raw"

	// Symbolic dimension names. Text and image inputs share batch_size:
	// row i of input_ids is scored against image i.
	BatchDim    = "batch_size"
	SequenceDim = "sequence_length"
)

// SequenceLength is the token row length ImageReward uses (its tokenizer
// pads and truncates to max_length=35).
const SequenceLength = 35

// BERTVocab is the size of the BLIP text encoder's token table:
// bert-base-uncased's 30522 WordPieces plus ImageReward's [DEC] (30522) and
// [ENC] (30523).
const BERTVocab = 30524

// Layer-normalisation epsilons: BLIP's ViT builds LayerNorm(eps=1e-6); its
// BERT (med_config.json layer_norm_eps) uses 1e-12.
const (
	VisionLayerNormEpsilon = 1e-6
	TextLayerNormEpsilon   = 1e-12
)

// maskValue is the additive attention-mask value of a padding key:
// BERT's get_extended_attention_mask uses (1 - mask) * -10000.
const maskValue = -10000

// ImageRewardHead is the hidden widths of ImageReward's MLP head
// (768→1024→128→64→16→1).
func ImageRewardHead() []int { return []int{1024, 128, 64, 16} }

// Config is the shape of a BLIP-shaped ImageReward model and the seed of its
// random weights. Every transformer's MLP is 4× its width (ViT mlp_ratio 4,
// BERT intermediate_size 3072 = 4·768).
type Config struct {
	// ImageSize is the input side (224 in ImageReward); PatchSize the side
	// of one patch, which must divide it.
	ImageSize, PatchSize int
	// Vision transformer: width (embed_dim), blocks (depth), heads.
	VisionWidth, VisionLayers, VisionHeads int

	// Vocab is the number of rows of the word embedding.
	Vocab int
	// FoldTokenIDs reduces token ids modulo Vocab before the lookup, so a
	// small table accepts every id of the real tokenizer (up to 30523).
	FoldTokenIDs bool
	// MaxPositions is the number of rows of the position embedding, the
	// longest sequence the model takes (512 in BERT).
	MaxPositions int
	// Text encoder: width (hidden_size), layers, heads. Every layer has
	// self-attention, cross-attention to the image tokens and an FFN.
	TextWidth, TextLayers, TextHeads int

	// HeadWidths are the hidden widths of the MLP head between TextWidth
	// and the scalar output; ImageRewardHead gives ImageReward's.
	HeadWidths []int

	// Seed seeds the random weights.
	Seed uint64
}

// Tiny is a small model for tests and the demo: 224×224 images in 32×32
// patches (49 patches), vision width 48 with 3 heads and 2 blocks; text
// width 32 with 2 heads and 2 layers, so the cross-attention maps 48-wide
// image tokens into a 32-wide text stream as ViT-L's 1024 into BERT's 768;
// a 512-row word table with folded ids, 64 positions; head 32→64→16→8→4→1.
// 264,449 parameters; its model.onnx is about 1.1 MB.
func Tiny() Config {
	return Config{
		ImageSize: 224, PatchSize: 32,
		VisionWidth: 48, VisionLayers: 2, VisionHeads: 3,
		Vocab: 512, FoldTokenIDs: true, MaxPositions: 64,
		TextWidth: 32, TextLayers: 2, TextHeads: 2,
		HeadWidths: []int{64, 16, 8, 4},
		Seed:       1,
	}
}

// BaseB16 has BLIP-base shapes for performance work: a ViT-B/16 (width 768,
// 12 blocks, 12 heads, patch 16 at 224) and BERT-base with
// cross-attention (768, 12 layers, 12 heads, 30524 tokens, 512
// positions), and ImageReward's head. 223,985,121 parameters (about 896 MB
// of float32); build it only on demand.
func BaseB16() Config {
	return Config{
		ImageSize: 224, PatchSize: 16,
		VisionWidth: 768, VisionLayers: 12, VisionHeads: 12,
		Vocab: BERTVocab, MaxPositions: 512,
		TextWidth: 768, TextLayers: 12, TextHeads: 12,
		HeadWidths: ImageRewardHead(),
		Seed:       1,
	}
}

// LargeL16 has the shapes of the released ImageReward model (BLIP with
// vit='large' at 224: ViT-L/16 width 1024, 24 blocks, 16 heads; BERT-base
// cross-attending from 768 to 1024-wide image tokens; the 768→…→1 head):
// about 446M parameters, 1.8 GB of float32. Build it only on demand.
func LargeL16() Config {
	c := BaseB16()
	c.VisionWidth, c.VisionLayers, c.VisionHeads = 1024, 24, 16
	return c
}

// GridSize is the number of patches along one side of the image.
func (c Config) GridSize() int { return c.ImageSize / c.PatchSize }

// NumPatches is the number of image patches (without the class token).
func (c Config) NumPatches() int { return c.GridSize() * c.GridSize() }

// NumImageTokens is the length of the vision transformer's output: the
// class token and one token per patch.
func (c Config) NumImageTokens() int { return c.NumPatches() + 1 }

// NumParameters is the number of parameters of the model, from the
// layer shapes.
func (c Config) NumParameters() int64 {
	v, t := int64(c.VisionWidth), int64(c.TextWidth)
	p := int64(c.PatchSize)
	// Vision block: two norms 4v, qkv 3v²+3v, proj v²+v, fc1 4v²+4v, fc2 4v²+v.
	vision := v*3*p*p + v + v + int64(c.NumImageTokens())*v + int64(c.VisionLayers)*(12*v*v+13*v) + 2*v
	attn := func(kvIn int64) int64 { return 2*(t*t+t) + 2*(kvIn*t+t) + 2*t } // q, out, k, v, LayerNorm
	ffn := 4*t*t + 4*t + 4*t*t + t + 2*t
	text := int64(c.Vocab)*t + int64(c.MaxPositions)*t + 2*t + int64(c.TextLayers)*(attn(t)+attn(v)+ffn)
	var head int64
	in := t
	for _, w := range append(append([]int(nil), c.HeadWidths...), 1) {
		head += in*int64(w) + int64(w)
		in = int64(w)
	}
	return vision + text + head
}

// Validate checks that the configuration describes a buildable model.
func (c Config) Validate() error {
	var errs []error
	pos := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s is %d, want > 0", name, v))
		}
	}
	pos("ImageSize", c.ImageSize)
	pos("PatchSize", c.PatchSize)
	pos("VisionWidth", c.VisionWidth)
	pos("VisionLayers", c.VisionLayers)
	pos("VisionHeads", c.VisionHeads)
	pos("Vocab", c.Vocab)
	pos("MaxPositions", c.MaxPositions)
	pos("TextWidth", c.TextWidth)
	pos("TextLayers", c.TextLayers)
	pos("TextHeads", c.TextHeads)
	for i, w := range c.HeadWidths {
		pos(fmt.Sprintf("HeadWidths[%d]", i), w)
	}
	if c.VisionHeads > 0 && c.VisionWidth%c.VisionHeads != 0 {
		errs = append(errs, fmt.Errorf("VisionWidth %d is not a multiple of VisionHeads %d", c.VisionWidth, c.VisionHeads))
	}
	if c.TextHeads > 0 && c.TextWidth%c.TextHeads != 0 {
		errs = append(errs, fmt.Errorf("TextWidth %d is not a multiple of TextHeads %d", c.TextWidth, c.TextHeads))
	}
	if c.PatchSize > 0 && c.ImageSize%c.PatchSize != 0 {
		errs = append(errs, fmt.Errorf("ImageSize %d is not a multiple of PatchSize %d", c.ImageSize, c.PatchSize))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("blipmodel: config: %w", err)
	}
	return nil
}
