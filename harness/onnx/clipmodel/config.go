package clipmodel

import (
	"errors"
	"fmt"
	"math"
)

// Names of the model files, inputs and outputs (the Hugging Face Optimum
// layout for CLIP).
const (
	ModelFile       = "model.onnx"
	TextModelFile   = "text_model.onnx"
	VisionModelFile = "vision_model.onnx"

	InputIDs       = "input_ids"
	AttentionMask  = "attention_mask"
	PixelValues    = "pixel_values"
	TextEmbeds     = "text_embeds"
	ImageEmbeds    = "image_embeds"
	LogitsPerImage = "logits_per_image"
	LogitsPerText  = "logits_per_text"

	// Symbolic dimension names, as Optimum names them.
	TextBatchDim  = "text_batch_size"
	ImageBatchDim = "image_batch_size"
	SequenceDim   = "sequence_length"
)

// CLIPVocab is the size of OpenAI CLIP's BPE vocabulary; its largest id,
// 49407, is <|endoftext|>.
const CLIPVocab = 49408

// LayerNormEpsilon is the epsilon of every LayerNormalization (as in CLIP).
const LayerNormEpsilon = 1e-5

// maskValue is the additive attention-mask value for a masked key. It is
// finite so a fully masked row still has a defined softmax.
const maskValue = -1e9

// quickGELUAlpha is the constant of CLIP's quick_gelu: x*sigmoid(1.702x).
const quickGELUAlpha = 1.702

// Config is the shape of a CLIP dual encoder and the seed of its random
// weights.
type Config struct {
	// Vocab is the number of rows of the token embedding.
	Vocab int
	// FoldTokenIDs reduces token ids modulo Vocab before the embedding
	// lookup, so a small table accepts the full CLIP id range (a real
	// tokenizer's ids up to 49407). The EOS position is still found on the
	// unreduced ids.
	FoldTokenIDs bool
	// ContextLength is the longest token sequence (77 in CLIP).
	ContextLength int

	TextWidth, TextLayers, TextHeads int

	ImageSize, PatchSize                   int
	VisionWidth, VisionLayers, VisionHeads int

	// EmbedDim is the size of the joint embedding space.
	EmbedDim int
	// LogitScale is the natural log of the logit multiplier, like CLIP's
	// logit_scale parameter: logits = exp(LogitScale) * cosine.
	LogitScale float32
	// Seed seeds the random weights.
	Seed uint64
}

// Tiny is a small CLIP for tests and the demo: widths 32, two layers per
// tower, patch 32 on 224x224 images (49 patches), a 512-row token table with
// folded ids. Its model.onnx is about 0.6 MB. LogitScale is CLIP's initial
// value ln(1/0.07).
func Tiny() Config {
	return Config{
		Vocab: 512, FoldTokenIDs: true, ContextLength: 77,
		TextWidth: 32, TextLayers: 2, TextHeads: 2,
		ImageSize: 224, PatchSize: 32,
		VisionWidth: 32, VisionLayers: 2, VisionHeads: 2,
		EmbedDim: 32,
		// float32(ln(1/0.07)); a literal keeps Config a plain constant.
		LogitScale: 2.6592600,
		Seed:       1,
	}
}

// BaseB32 has the shapes of OpenAI CLIP ViT-B/32 (about 151M parameters,
// 605 MB of float32): vision width 768, 12 layers, 12 heads, patch 32; text
// width 512, 12 layers, 8 heads, the full 49408-token vocabulary; embedding
// 512; logit scale ln(100) as in the trained model.
func BaseB32() Config {
	return Config{
		Vocab: CLIPVocab, ContextLength: 77,
		TextWidth: 512, TextLayers: 12, TextHeads: 8,
		ImageSize: 224, PatchSize: 32,
		VisionWidth: 768, VisionLayers: 12, VisionHeads: 12,
		EmbedDim:   512,
		LogitScale: float32(math.Log(100)),
		Seed:       1,
	}
}

// GridSize is the number of patches along one side of the image.
func (c Config) GridSize() int { return c.ImageSize / c.PatchSize }

// NumPatches is the number of image patches (without the class token).
func (c Config) NumPatches() int { return c.GridSize() * c.GridSize() }

// NumParameters is the number of parameters of the full model (both
// towers and the logit scale).
func (c Config) NumParameters() int64 {
	blocks := func(w, layers int) int64 {
		w64 := int64(w)
		// q, k, v, out: 4(w²+w); fc1: 4w²+4w; fc2: 4w²+w; two layer norms: 4w.
		return int64(layers) * (12*w64*w64 + 13*w64)
	}
	tw, vw, e := int64(c.TextWidth), int64(c.VisionWidth), int64(c.EmbedDim)
	text := int64(c.Vocab)*tw + int64(c.ContextLength)*tw + blocks(c.TextWidth, c.TextLayers) + 2*tw + tw*e
	p := int64(c.PatchSize)
	vision := vw*3*p*p + vw + int64(c.NumPatches()+1)*vw + 2*vw + blocks(c.VisionWidth, c.VisionLayers) + 2*vw + vw*e
	return text + vision + 1
}

// Validate checks that the configuration describes a buildable model.
func (c Config) Validate() error {
	var errs []error
	pos := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s is %d, want > 0", name, v))
		}
	}
	pos("Vocab", c.Vocab)
	pos("ContextLength", c.ContextLength)
	pos("TextWidth", c.TextWidth)
	pos("TextLayers", c.TextLayers)
	pos("TextHeads", c.TextHeads)
	pos("ImageSize", c.ImageSize)
	pos("PatchSize", c.PatchSize)
	pos("VisionWidth", c.VisionWidth)
	pos("VisionLayers", c.VisionLayers)
	pos("VisionHeads", c.VisionHeads)
	pos("EmbedDim", c.EmbedDim)
	if c.TextHeads > 0 && c.TextWidth%c.TextHeads != 0 {
		errs = append(errs, fmt.Errorf("TextWidth %d is not a multiple of TextHeads %d", c.TextWidth, c.TextHeads))
	}
	if c.VisionHeads > 0 && c.VisionWidth%c.VisionHeads != 0 {
		errs = append(errs, fmt.Errorf("VisionWidth %d is not a multiple of VisionHeads %d", c.VisionWidth, c.VisionHeads))
	}
	if c.PatchSize > 0 && c.ImageSize%c.PatchSize != 0 {
		errs = append(errs, fmt.Errorf("ImageSize %d is not a multiple of PatchSize %d", c.ImageSize, c.PatchSize))
	}
	if math.IsNaN(float64(c.LogitScale)) || math.IsInf(float64(c.LogitScale), 0) {
		errs = append(errs, fmt.Errorf("LogitScale is %v, want a finite number", c.LogitScale))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clipmodel: config: %w", err)
	}
	return nil
}
