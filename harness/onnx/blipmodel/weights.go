package blipmodel

import (
	"math"
	"math/rand/v2"
)

// Linear is an affine map y = x·W + B. W is row-major [In, Out] (the
// transpose of PyTorch's nn.Linear.weight); B has Out entries.
type Linear struct {
	In, Out int
	W, B    []float32
}

// LayerNorm holds a layer normalisation's gain and bias.
type LayerNorm struct {
	Scale, Bias []float32
}

// VisionBlock is one pre-norm ViT block (timm/BLIP Block):
// x += Proj(MHA(Norm1(x))) with a fused QKV projection; x += FC2(GELU(FC1(Norm2(x)))).
type VisionBlock struct {
	Norm1 LayerNorm
	// QKV is the fused projection [width, 3·width]: output columns are q,
	// then k, then v, each head-major (head·headDim + d), as timm's
	// qkv(x).reshape(B, N, 3, heads, headDim) reads them.
	QKV   Linear
	Proj  Linear
	Norm2 LayerNorm
	FC1   Linear
	FC2   Linear
}

// VisionWeights are the ViT's parameters.
type VisionWeights struct {
	PatchWeight []float32 // convolution [VisionWidth, 3, PatchSize, PatchSize]
	PatchBias   []float32 // [VisionWidth]
	ClassToken  []float32 // [VisionWidth]
	PosEmbed    []float32 // [NumImageTokens, VisionWidth]; row 0 is the class token's
	Blocks      []VisionBlock
	Norm        LayerNorm // final norm, applied to every token
}

// Attention is a BERT attention module (BertSelfAttention + BertSelfOutput):
// softmax(Q(h)·K(src)ᵀ/√d + mask)·V(src) → Out → LN(· + h). For
// self-attention src is h; for cross-attention src is the image tokens, and
// K and V map from the vision width.
type Attention struct {
	Q, K, V, Out Linear
	LN           LayerNorm
}

// TextLayer is one BLIP BertLayer in multimodal mode: self-attention with
// the padding mask, cross-attention to every image token, then the FFN
// LN(Output(GELU(Intermediate(h))) + h). All three are post-norm.
type TextLayer struct {
	Self, Cross  Attention
	Intermediate Linear
	Output       Linear
	OutputLN     LayerNorm
}

// TextWeights are the text encoder's parameters.
type TextWeights struct {
	WordEmbeddings     []float32 // [Vocab, TextWidth]
	PositionEmbeddings []float32 // [MaxPositions, TextWidth]
	EmbeddingsLN       LayerNorm
	Layers             []TextLayer
}

// Weights are a BLIP-shaped ImageReward model's parameters.
type Weights struct {
	Config Config
	Vision *VisionWeights
	Text   *TextWeights
	// Head is ImageReward's MLP: TextWidth → HeadWidths... → 1, linear maps
	// with no activation between them (the released code has its ReLUs
	// commented out; its Dropouts are identities at inference).
	Head []Linear
}

// Random streams, one per part, so each part is drawn independently of the
// others' sizes.
const (
	visionStream = 0x76697369 // "visi"
	textStream   = 0x74657874 // "text"
	headStream   = 0x68656164 // "head"
)

// Scales of parameters that BLIP initialises to constants or near zero;
// they are random here so that a test comparing two implementations
// exercises every parameter.
const (
	biasStd   = 0.02
	lnGainStd = 0.1
	lnBiasStd = 0.05
)

type initRNG struct{ r *rand.Rand }

func (g initRNG) normal(n int, std float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.r.NormFloat64() * std)
	}
	return out
}

func (g initRNG) linear(in, out int, std float64) Linear {
	return Linear{In: in, Out: out, W: g.normal(in*out, std), B: g.normal(out, biasStd)}
}

// fanIn draws a linear map with N(0, 1/in) weights, which keeps the scale
// of unit-variance inputs.
func (g initRNG) fanIn(in, out int) Linear { return g.linear(in, out, 1/math.Sqrt(float64(in))) }

func (g initRNG) layerNorm(width int) LayerNorm {
	s := g.normal(width, lnGainStd)
	for i := range s {
		s[i]++
	}
	return LayerNorm{Scale: s, Bias: g.normal(width, lnBiasStd)}
}

// NewWeights draws every parameter from PCG sources seeded with cfg.Seed
// (see NewVisionWeights, NewTextWeights and NewHead).
func NewWeights(cfg Config) (*Weights, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Weights{Config: cfg, Vision: NewVisionWeights(cfg), Text: NewTextWeights(cfg), Head: NewHead(cfg)}, nil
}

// NewVisionWeights draws the ViT: patch convolution N(0, 1/(3·patch²)) so
// patch embeddings of unit-variance pixels have unit scale, class token and
// position embedding N(0, 0.02²) as in BLIP, attention and MLP maps
// N(0, 1/fan_in) with the output maps scaled by 1/√(2·layers), layer-norm
// gains 1+N(0, 0.1²), biases N(0, 0.05²), linear biases N(0, 0.02²). cfg
// must be valid.
func NewVisionWeights(cfg Config) *VisionWeights {
	g := initRNG{rand.New(rand.NewPCG(cfg.Seed, visionStream))}
	w, p := cfg.VisionWidth, cfg.PatchSize
	resid := 1 / math.Sqrt(float64(2*cfg.VisionLayers))
	v := &VisionWeights{
		PatchWeight: g.normal(w*3*p*p, 1/math.Sqrt(float64(3*p*p))),
		PatchBias:   g.normal(w, biasStd),
		ClassToken:  g.normal(w, 0.02),
		PosEmbed:    g.normal(cfg.NumImageTokens()*w, 0.02),
		Blocks:      make([]VisionBlock, cfg.VisionLayers),
	}
	for i := range v.Blocks {
		v.Blocks[i] = VisionBlock{
			Norm1: g.layerNorm(w),
			QKV:   g.fanIn(w, 3*w),
			Proj:  g.linear(w, w, resid/math.Sqrt(float64(w))),
			Norm2: g.layerNorm(w),
			FC1:   g.fanIn(w, 4*w),
			FC2:   g.linear(4*w, w, resid/math.Sqrt(float64(4*w))),
		}
	}
	v.Norm = g.layerNorm(w)
	return v
}

// NewTextWeights draws the text encoder: word and position embeddings
// N(0, 0.02²) (BERT's initializer_range), every linear map N(0, 1/fan_in)
// (cross-attention keys and values map from VisionWidth), layer norms and
// biases as in NewVisionWeights. cfg must be valid.
func NewTextWeights(cfg Config) *TextWeights {
	g := initRNG{rand.New(rand.NewPCG(cfg.Seed, textStream))}
	w, vw := cfg.TextWidth, cfg.VisionWidth
	t := &TextWeights{
		WordEmbeddings:     g.normal(cfg.Vocab*w, 0.02),
		PositionEmbeddings: g.normal(cfg.MaxPositions*w, 0.02),
		EmbeddingsLN:       g.layerNorm(w),
		Layers:             make([]TextLayer, cfg.TextLayers),
	}
	attn := func(kvIn int) Attention {
		return Attention{Q: g.fanIn(w, w), K: g.fanIn(kvIn, w), V: g.fanIn(kvIn, w), Out: g.fanIn(w, w), LN: g.layerNorm(w)}
	}
	for i := range t.Layers {
		t.Layers[i] = TextLayer{
			Self:         attn(w),
			Cross:        attn(vw),
			Intermediate: g.fanIn(w, 4*w),
			Output:       g.fanIn(4*w, w),
			OutputLN:     g.layerNorm(w),
		}
	}
	return t
}

// NewHead draws the MLP head with N(0, 1/fan_in) weights and N(0, 0.02²)
// biases, so the raw reward of unit-scale features is of unit scale.
// (ImageReward initialises N(0, 1/(768+1)²) and zero biases, which with
// five stacked maps would make a random model's output vanish.) cfg must
// be valid.
func NewHead(cfg Config) []Linear {
	g := initRNG{rand.New(rand.NewPCG(cfg.Seed, headStream))}
	var head []Linear
	in := cfg.TextWidth
	for _, out := range append(append([]int(nil), cfg.HeadWidths...), 1) {
		head = append(head, g.fanIn(in, out))
		in = out
	}
	return head
}

// NumParameters counts the parameters held.
func (w *Weights) NumParameters() int64 {
	var n int64
	add := func(s ...[]float32) {
		for _, x := range s {
			n += int64(len(x))
		}
	}
	lin := func(ls ...Linear) {
		for _, l := range ls {
			add(l.W, l.B)
		}
	}
	ln := func(ls ...LayerNorm) {
		for _, l := range ls {
			add(l.Scale, l.Bias)
		}
	}
	if v := w.Vision; v != nil {
		add(v.PatchWeight, v.PatchBias, v.ClassToken, v.PosEmbed)
		for _, b := range v.Blocks {
			ln(b.Norm1, b.Norm2)
			lin(b.QKV, b.Proj, b.FC1, b.FC2)
		}
		ln(v.Norm)
	}
	if t := w.Text; t != nil {
		add(t.WordEmbeddings, t.PositionEmbeddings)
		ln(t.EmbeddingsLN)
		for _, l := range t.Layers {
			for _, a := range []Attention{l.Self, l.Cross} {
				lin(a.Q, a.K, a.V, a.Out)
				ln(a.LN)
			}
			lin(l.Intermediate, l.Output)
			ln(l.OutputLN)
		}
	}
	lin(w.Head...)
	return n
}
