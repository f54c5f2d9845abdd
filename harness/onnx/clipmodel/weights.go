package clipmodel

import (
	"math"
	"math/rand/v2"
)

// Linear is an affine map y = x·W + B. W is row-major [In, Out] (the
// transpose of PyTorch's nn.Linear.weight); B has Out entries, or is nil for
// a map without bias.
type Linear struct {
	In, Out int
	W       []float32
	B       []float32
}

// LayerNorm holds a layer normalisation's gain and bias (Width entries each).
type LayerNorm struct {
	Scale, Bias []float32
}

// Block is one pre-LN transformer residual block:
// x += Out(MHA(LN1(x))); x += FC2(quick_gelu(FC1(LN2(x)))).
type Block struct {
	LN1      LayerNorm
	Q, K, V  Linear
	Out      Linear
	LN2      LayerNorm
	FC1, FC2 Linear
}

// TextWeights are the text tower's parameters.
type TextWeights struct {
	TokenEmbedding    []float32 // [Vocab, TextWidth]
	PositionEmbedding []float32 // [ContextLength, TextWidth]
	Blocks            []Block
	FinalLN           LayerNorm
	Projection        []float32 // [TextWidth, EmbedDim], no bias
}

// VisionWeights are the vision tower's parameters.
type VisionWeights struct {
	PatchEmbedding    []float32 // convolution [VisionWidth, 3, PatchSize, PatchSize], no bias
	ClassEmbedding    []float32 // [VisionWidth]
	PositionEmbedding []float32 // [NumPatches+1, VisionWidth]; row 0 is the class token's
	PreLN             LayerNorm
	Blocks            []Block
	PostLN            LayerNorm
	Projection        []float32 // [VisionWidth, EmbedDim], no bias
}

// Weights are a CLIP dual encoder's parameters. Text or Vision may be nil
// for a model with one tower only.
type Weights struct {
	Config Config
	Text   *TextWeights
	Vision *VisionWeights
	// LogitScale is the log of the logit multiplier (Config.LogitScale).
	LogitScale float32
}

// NewWeights draws both towers' weights from the seeded source (see
// NewTextWeights and NewVisionWeights).
func NewWeights(cfg Config) (*Weights, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Weights{Config: cfg, Text: NewTextWeights(cfg), Vision: NewVisionWeights(cfg), LogitScale: cfg.LogitScale}, nil
}

// Random streams per tower, so one tower can be made without the other and
// still equal the same tower of the full model.
const (
	textStream   = 0x74657874 // "text"
	visionStream = 0x76697369 // "visi"
)

type initRNG struct{ r *rand.Rand }

func (g initRNG) normal(n int, std float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.r.NormFloat64() * std)
	}
	return out
}

// around returns n values 1 + N(0, std²), for layer-norm gains.
func (g initRNG) around1(n int, std float64) []float32 {
	out := g.normal(n, std)
	for i := range out {
		out[i]++
	}
	return out
}

func (g initRNG) linear(in, out int, std float64, bias bool) Linear {
	l := Linear{In: in, Out: out, W: g.normal(in*out, std)}
	if bias {
		l.B = g.normal(out, biasStd)
	}
	return l
}

func (g initRNG) layerNorm(width int) LayerNorm {
	return LayerNorm{Scale: g.around1(width, lnGainStd), Bias: g.normal(width, lnBiasStd)}
}

// Scales of the parameters CLIP initialises to constants; they are random
// here so that a test comparing two implementations exercises every
// parameter.
const (
	biasStd   = 0.02
	lnGainStd = 0.1
	lnBiasStd = 0.05
)

// blocks draws transformer blocks with CLIP's initialisation scales:
// attention projections N(0, width^-1), the attention output and MLP output
// N(0, width^-1 / (2·layers)), the MLP input N(0, 1/(2·width)).
func (g initRNG) blocks(width, layers int) []Block {
	attnStd := 1 / math.Sqrt(float64(width))
	projStd := attnStd / math.Sqrt(float64(2*layers))
	fcStd := 1 / math.Sqrt(float64(2*width))
	bs := make([]Block, layers)
	for i := range bs {
		bs[i] = Block{
			LN1: g.layerNorm(width),
			Q:   g.linear(width, width, attnStd, true),
			K:   g.linear(width, width, attnStd, true),
			V:   g.linear(width, width, attnStd, true),
			Out: g.linear(width, width, projStd, true),
			LN2: g.layerNorm(width),
			FC1: g.linear(width, 4*width, fcStd, true),
			FC2: g.linear(4*width, width, projStd, true),
		}
	}
	return bs
}

// NewTextWeights draws the text tower: token embedding N(0, 0.02²),
// positional embedding N(0, 0.01²) and the projection N(0, 1/width) as in
// CLIP; layer-norm gains 1+N(0, 0.1²), biases N(0, 0.05²) and linear biases
// N(0, 0.02²) instead of CLIP's constants. cfg must be valid.
func NewTextWeights(cfg Config) *TextWeights {
	g := initRNG{rand.New(rand.NewPCG(cfg.Seed, textStream))}
	w := cfg.TextWidth
	return &TextWeights{
		TokenEmbedding:    g.normal(cfg.Vocab*w, 0.02),
		PositionEmbedding: g.normal(cfg.ContextLength*w, 0.01),
		Blocks:            g.blocks(w, cfg.TextLayers),
		FinalLN:           g.layerNorm(w),
		Projection:        g.normal(w*cfg.EmbedDim, 1/math.Sqrt(float64(w))),
	}
}

// NewVisionWeights draws the vision tower: the patch convolution
// N(0, 1/(3·patch²)) so patch embeddings of unit-variance pixels have unit
// scale, class and positional embeddings and the projection N(0, 1/width) as
// in CLIP, and the blocks as in NewTextWeights. cfg must be valid.
func NewVisionWeights(cfg Config) *VisionWeights {
	g := initRNG{rand.New(rand.NewPCG(cfg.Seed, visionStream))}
	w := cfg.VisionWidth
	p := cfg.PatchSize
	scale := 1 / math.Sqrt(float64(w))
	return &VisionWeights{
		PatchEmbedding:    g.normal(w*3*p*p, 1/math.Sqrt(float64(3*p*p))),
		ClassEmbedding:    g.normal(w, scale),
		PositionEmbedding: g.normal((cfg.NumPatches()+1)*w, scale),
		PreLN:             g.layerNorm(w),
		Blocks:            g.blocks(w, cfg.VisionLayers),
		PostLN:            g.layerNorm(w),
		Projection:        g.normal(w*cfg.EmbedDim, scale),
	}
}

// NumParameters counts the parameters of the towers present.
func (w *Weights) NumParameters() int64 {
	var n int64
	add := func(s []float32) { n += int64(len(s)) }
	addBlocks := func(bs []Block) {
		for _, b := range bs {
			for _, ln := range []LayerNorm{b.LN1, b.LN2} {
				add(ln.Scale)
				add(ln.Bias)
			}
			for _, l := range []Linear{b.Q, b.K, b.V, b.Out, b.FC1, b.FC2} {
				add(l.W)
				add(l.B)
			}
		}
	}
	if t := w.Text; t != nil {
		add(t.TokenEmbedding)
		add(t.PositionEmbedding)
		addBlocks(t.Blocks)
		add(t.FinalLN.Scale)
		add(t.FinalLN.Bias)
		add(t.Projection)
	}
	if v := w.Vision; v != nil {
		add(v.PatchEmbedding)
		add(v.ClassEmbedding)
		add(v.PositionEmbedding)
		add(v.PreLN.Scale)
		add(v.PreLN.Bias)
		addBlocks(v.Blocks)
		add(v.PostLN.Scale)
		add(v.PostLN.Bias)
		add(v.Projection)
	}
	return n + 1 // logit scale
}
