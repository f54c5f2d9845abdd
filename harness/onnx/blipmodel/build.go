package blipmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/graph"
)

// Signature is the model.onnx layout srbench's imagereward scorer runs:
// input_ids and attention_mask (int64 [batch, 35]) and pixel_values
// (float32 [batch, 3, imageSize, imageSize]) in, with the same batch for
// all three (row i is scored against image i); reward_raw (float32
// [batch, 1]), the MLP head's value before normalisation, out.
func Signature(imageSize int) onnx.Signature {
	s := int64(imageSize)
	return onnx.Signature{
		Inputs: []onnx.TensorSpec{
			{Name: InputIDs, Type: onnx.Int64, Shape: []int64{-1, SequenceLength}},
			{Name: AttentionMask, Type: onnx.Int64, Shape: []int64{-1, SequenceLength}},
			{Name: PixelValues, Type: onnx.Float32, Shape: []int64{-1, 3, s, s}},
		},
		Outputs: []onnx.TensorSpec{{Name: RewardRaw, Type: onnx.Float32, Shape: []int64{-1, 1}}},
	}
}

// builder adds BLIP layers to a graph. Parameter names follow ImageReward's
// state dict (blip.visual_encoder.blocks.0.attn.qkv.weight,
// blip.text_encoder.encoder.layer.0.crossattention.self.key.weight,
// mlp.layers.0.weight, ...), so graphs are easy to read in Netron.
type builder struct {
	g *graph.Graph
}

func (b builder) param(name string, dims []int64, data []float32) string {
	return b.g.InitFloat32(name, dims, data)
}

func (b builder) linear(x, name string, l Linear) string {
	y := b.g.Op("MatMul", []string{x, b.param(name+".weight", []int64{int64(l.In), int64(l.Out)}, l.W)})
	return b.g.Op("Add", []string{y, b.param(name+".bias", []int64{int64(l.Out)}, l.B)})
}

func (b builder) layerNorm(x, name string, ln LayerNorm, eps float32) string {
	n := int64(len(ln.Scale))
	return b.g.Op("LayerNormalization", []string{x,
		b.param(name+".weight", []int64{n}, ln.Scale),
		b.param(name+".bias", []int64{n}, ln.Bias)},
		graph.AttrInt("axis", -1), graph.AttrFloat("epsilon", eps))
}

// gelu is the exact GELU of nn.GELU and BERT's "gelu":
// x·½·(1 + erf(x/√2)). Opset 17 has no Gelu operator; Erf is exact.
func (b builder) gelu(x string) string {
	g := b.g
	e := g.Op("Erf", []string{g.Op("Mul", []string{x, g.ScalarFloat32(float32(1 / math.Sqrt2))})})
	return g.Op("Mul", []string{g.Op("Mul", []string{x, g.ScalarFloat32(0.5)}), g.Op("Add", []string{e, g.ScalarFloat32(1)})})
}

// heads reshapes [B, S, heads·d] to [B, heads, S, d].
func (b builder) heads(x string, heads, hd int) string {
	g := b.g
	return g.Op("Transpose", []string{g.Op("Reshape", []string{x, g.ConstInt64(0, 0, int64(heads), int64(hd))})}, graph.AttrInts("perm", 0, 2, 1, 3))
}

// attend is softmax(q·kᵀ/√d + mask)·v for q [B,H,S,d], k and v [B,H,N,d];
// mask, when not empty, is additive and broadcast to [B,H,S,N]. The result
// is merged back to [B, S, H·d].
func (b builder) attend(q, k, v, mask string, width, hd int) string {
	g := b.g
	scores := g.Op("MatMul", []string{q, g.Op("Transpose", []string{k}, graph.AttrInts("perm", 0, 1, 3, 2))})
	scores = g.Op("Div", []string{scores, g.ScalarFloat32(float32(math.Sqrt(float64(hd))))})
	if mask != "" {
		scores = g.Op("Add", []string{scores, mask})
	}
	probs := g.Op("Softmax", []string{scores}, graph.AttrInt("axis", -1))
	ctx := g.Op("Transpose", []string{g.Op("MatMul", []string{probs, v})}, graph.AttrInts("perm", 0, 2, 1, 3))
	return g.Op("Reshape", []string{ctx, g.ConstInt64(0, 0, int64(width))})
}

// visionBlock is one pre-norm ViT block with a fused qkv projection.
func (b builder) visionBlock(x, name string, blk VisionBlock, width, heads int) string {
	g := b.g
	hd := width / heads
	qkv := b.linear(b.layerNorm(x, name+".norm1", blk.Norm1, VisionLayerNormEpsilon), name+".attn.qkv", blk.QKV)
	qkv = g.Op("Reshape", []string{qkv, g.ConstInt64(0, 0, 3, int64(heads), int64(hd))}) // [B,N,3,H,d]
	qkv = g.Op("Transpose", []string{qkv}, graph.AttrInts("perm", 2, 0, 3, 1, 4))        // [3,B,H,N,d]
	part := func(i int64) string {
		return g.Op("Gather", []string{qkv, g.ScalarInt64(i)}, graph.AttrInt("axis", 0)) // [B,H,N,d]
	}
	a := b.attend(part(0), part(1), part(2), "", width, hd)
	x = g.Op("Add", []string{x, b.linear(a, name+".attn.proj", blk.Proj)})
	m := b.linear(b.layerNorm(x, name+".norm2", blk.Norm2, VisionLayerNormEpsilon), name+".mlp.fc1", blk.FC1)
	m = b.linear(b.gelu(m), name+".mlp.fc2", blk.FC2)
	return g.Op("Add", []string{x, m})
}

// visionEncoder adds the ViT on the input px; it returns the image tokens
// [B, NumImageTokens, VisionWidth].
func (b builder) visionEncoder(cfg Config, v *VisionWeights, px string) string {
	g := b.g
	w, p := int64(cfg.VisionWidth), int64(cfg.PatchSize)
	const pre = "blip.visual_encoder"
	patches := g.Op("Conv", []string{px,
		b.param(pre+".patch_embed.proj.weight", []int64{w, 3, p, p}, v.PatchWeight),
		b.param(pre+".patch_embed.proj.bias", []int64{w}, v.PatchBias)},
		graph.AttrInts("kernel_shape", p, p), graph.AttrInts("strides", p, p)) // [B,W,G,G]
	tokens := g.Op("Transpose", []string{g.Op("Reshape", []string{patches, g.ConstInt64(0, w, -1)})}, graph.AttrInts("perm", 0, 2, 1)) // [B,P,W]
	batch := g.Op("Shape", []string{px}, graph.AttrInt("start", 0), graph.AttrInt("end", 1))
	cls := g.Op("Expand", []string{b.param(pre+".cls_token", []int64{1, 1, w}, v.ClassToken),
		g.Op("Concat", []string{batch, g.ConstInt64(1, w)}, graph.AttrInt("axis", 0))}) // [B,1,W]
	x := g.Op("Concat", []string{cls, tokens}, graph.AttrInt("axis", 1))
	x = g.Op("Add", []string{x, b.param(pre+".pos_embed", []int64{1, int64(cfg.NumImageTokens()), w}, v.PosEmbed)})
	for i, blk := range v.Blocks {
		x = b.visionBlock(x, pre+".blocks."+strconv.Itoa(i), blk, cfg.VisionWidth, cfg.VisionHeads)
	}
	return b.layerNorm(x, pre+".norm", v.Norm, VisionLayerNormEpsilon)
}

// bertAttention is BertAttention: h [B,S,W] attends to src (h itself, or
// the image tokens); post-norm residual.
func (b builder) bertAttention(h, src, mask, name string, a Attention, width, heads int) string {
	g := b.g
	hd := width / heads
	q := b.heads(b.linear(h, name+".self.query", a.Q), heads, hd)
	k := b.heads(b.linear(src, name+".self.key", a.K), heads, hd)
	v := b.heads(b.linear(src, name+".self.value", a.V), heads, hd)
	ctx := b.attend(q, k, v, mask, width, hd)
	out := b.linear(ctx, name+".output.dense", a.Out)
	return b.layerNorm(g.Op("Add", []string{out, h}), name+".output.LayerNorm", a.LN, TextLayerNormEpsilon)
}

// textEncoder adds the BERT encoder on the inputs ids and am,
// cross-attending to image; it returns the [CLS] (position 0) hidden state
// [B, TextWidth].
func (b builder) textEncoder(cfg Config, t *TextWeights, ids, am, image string) string {
	g := b.g
	w := int64(cfg.TextWidth)
	const pre = "blip.text_encoder"
	lookup := ids
	if cfg.FoldTokenIDs {
		lookup = g.Op("Mod", []string{ids, g.ScalarInt64(int64(cfg.Vocab))})
	}
	x := g.Op("Gather", []string{b.param(pre+".embeddings.word_embeddings.weight", []int64{int64(cfg.Vocab), w}, t.WordEmbeddings), lookup}, graph.AttrInt("axis", 0))
	seqLen := g.Op("Shape", []string{ids}, graph.AttrInt("start", 1), graph.AttrInt("end", 2)) // [1]
	zero := g.ConstInt64(0)
	pos := g.Op("Slice", []string{b.param(pre+".embeddings.position_embeddings.weight", []int64{int64(cfg.MaxPositions), w}, t.PositionEmbeddings), zero, seqLen, zero})
	x = b.layerNorm(g.Op("Add", []string{x, pos}), pre+".embeddings.LayerNorm", t.EmbeddingsLN, TextLayerNormEpsilon)

	// Padding mask [B,1,1,S]: (1 - mask) · -10000, as BERT's
	// get_extended_attention_mask. The image mask is all ones (every image
	// token is attended), which adds zero, so cross-attention has none.
	keep := g.Op("Cast", []string{am}, graph.AttrInt("to", int64(graph.Float32)))
	mask := g.Op("Mul", []string{g.Op("Sub", []string{g.ScalarFloat32(1), keep}), g.ScalarFloat32(maskValue)})
	mask = g.Op("Unsqueeze", []string{mask, g.ConstInt64(1, 2)})

	for i, l := range t.Layers {
		name := pre + ".encoder.layer." + strconv.Itoa(i)
		h := b.bertAttention(x, x, mask, name+".attention", l.Self, cfg.TextWidth, cfg.TextHeads)
		h = b.bertAttention(h, image, "", name+".crossattention", l.Cross, cfg.TextWidth, cfg.TextHeads)
		f := b.linear(b.gelu(b.linear(h, name+".intermediate.dense", l.Intermediate)), name+".output.dense", l.Output)
		x = b.layerNorm(g.Op("Add", []string{f, h}), name+".output.LayerNorm", l.OutputLN, TextLayerNormEpsilon)
	}
	return g.Op("Gather", []string{x, g.ScalarInt64(0)}, graph.AttrInt("axis", 1)) // [B,W]
}

// headIndex is the nn.Sequential index of the k-th Linear of ImageReward's
// MLP with n hidden widths: Linear, Dropout pairs, then the last two
// Linears back to back (0, 2, 4, 6, 7 for n = 4).
func headIndex(k, n int) int {
	if k < n {
		return 2 * k
	}
	return 2*(n-1) + 1
}

// GraphOptions change the graph built from the weights.
type GraphOptions struct {
	// NaNTokenID, when positive, makes reward_raw NaN for every row whose
	// input_ids contain this id, so tests can check how a scorer handles a
	// non-finite model output. 0 (the default) builds the plain model.
	NaNTokenID int64
}

func (w *Weights) check() error {
	if err := w.Config.Validate(); err != nil {
		return err
	}
	if w.Vision == nil || w.Text == nil || len(w.Head) != len(w.Config.HeadWidths)+1 {
		return errors.New("blipmodel: the weights are incomplete (vision, text and head are all needed)")
	}
	return nil
}

// Graph is the ImageReward model: inputs input_ids, attention_mask (int64
// [batch_size, sequence_length]) and pixel_values (float32 [batch_size, 3,
// ImageSize, ImageSize]); output reward_raw (float32 [batch_size, 1]).
func (w *Weights) Graph(opts GraphOptions) (*graph.Graph, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	g := graph.New("imagereward")
	b := builder{g}
	size := graph.Fixed(int64(w.Config.ImageSize))
	ids := g.Input(InputIDs, graph.Int64, graph.Sym(BatchDim), graph.Sym(SequenceDim))
	am := g.Input(AttentionMask, graph.Int64, graph.Sym(BatchDim), graph.Sym(SequenceDim))
	px := g.Input(PixelValues, graph.Float32, graph.Sym(BatchDim), graph.Fixed(3), size, size)
	image := b.visionEncoder(w.Config, w.Vision, px)
	x := b.textEncoder(w.Config, w.Text, ids, am, image)
	for k, l := range w.Head {
		x = b.linear(x, "mlp.layers."+strconv.Itoa(headIndex(k, len(w.Head)-1)), l)
	}
	if opts.NaNTokenID > 0 {
		hit := g.Op("Cast", []string{g.Op("Equal", []string{ids, g.ScalarInt64(opts.NaNTokenID)})}, graph.AttrInt("to", int64(graph.Float32)))
		hit = g.Op("ReduceMax", []string{hit}, graph.AttrInts("axes", 1), graph.AttrInt("keepdims", 1)) // [B,1]
		hitB := g.Op("Cast", []string{hit}, graph.AttrInt("to", int64(graph.Bool)))
		x = g.Op("Where", []string{hitB, g.ScalarFloat32(float32(math.NaN())), x})
	}
	g.Node(graph.NodeSpec{Op: "Identity", Inputs: []string{x}, Outputs: []string{RewardRaw}})
	g.Output(RewardRaw, graph.Float32, graph.Sym(BatchDim), graph.Fixed(1))
	return g, g.Err()
}

// WriteOptions configure WriteDir.
type WriteOptions struct {
	GraphOptions
	// ExternalDataThreshold moves initializers of at least this many bytes
	// to model.onnx.data (0 keeps everything inline); see
	// graph.ModelOptions. LargeL16 is close to protobuf's 2 GB limit.
	ExternalDataThreshold int64
}

// WriteDir writes model.onnx into dir (created if needed) and returns its
// path. The file records the configuration as metadata
// ("srbench.blip.config", JSON).
func (w *Weights) WriteDir(dir string, opts WriteOptions) (string, error) {
	g, err := w.Graph(opts.GraphOptions)
	if err != nil {
		return "", fmt.Errorf("blipmodel: %w", err)
	}
	cfgJSON, err := json.Marshal(w.Config)
	if err != nil {
		return "", fmt.Errorf("blipmodel: WriteDir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("blipmodel: WriteDir: %w", err)
	}
	meta := []graph.KeyValue{{Key: "srbench.blip.config", Value: string(cfgJSON)}}
	if opts.NaNTokenID > 0 {
		meta = append(meta, graph.KeyValue{Key: "srbench.blip.nan_token_id", Value: strconv.FormatInt(opts.NaNTokenID, 10)})
	}
	path := filepath.Join(dir, ModelFile)
	if err := g.WriteFile(path, graph.ModelOptions{
		DocString:             "BLIP-shaped ImageReward model with random weights, built by srbench's graph builder",
		Metadata:              meta,
		ExternalDataThreshold: opts.ExternalDataThreshold,
	}); err != nil {
		return "", fmt.Errorf("blipmodel: %s: %w", ModelFile, err)
	}
	return path, nil
}
