package clipmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/srbench/srbench/harness/onnx/graph"
)

// builder adds CLIP layers to a graph. Parameter names follow Hugging Face's
// CLIPModel state dict (text_model.encoder.layers.0.self_attn.q_proj.weight,
// ...), so graphs are easy to read in Netron.
type builder struct {
	g    *graph.Graph
	opts GraphOptions
}

// GraphOptions are export choices that change a graph's interface but not
// its weights. The zero value is the Hugging Face Optimum layout.
type GraphOptions struct {
	// NoAttentionMask leaves out the attention_mask input, as
	// torch.onnx.export of an OpenAI-format CLIP (e.g. Social Reward's) does:
	// OpenAI's text encoder never reads a mask, so the exporter drops the
	// unused input. The text tower then applies only the causal mask. For
	// right-padded input (every CLIP tokenizer pads after the end token) the
	// embeddings are those of the masked graph: padding keys lie after the
	// end token, where the causal mask already hides them from every
	// position up to the pooled one.
	NoAttentionMask bool
}

func (b builder) param(name string, dims []int64, data []float32) string {
	return b.g.InitFloat32(name, dims, data)
}

func (b builder) linear(x, name string, l Linear) string {
	y := b.g.Op("MatMul", []string{x, b.param(name+".weight", []int64{int64(l.In), int64(l.Out)}, l.W)})
	if l.B != nil {
		y = b.g.Op("Add", []string{y, b.param(name+".bias", []int64{int64(l.Out)}, l.B)})
	}
	return y
}

func (b builder) layerNorm(x, name string, ln LayerNorm) string {
	n := int64(len(ln.Scale))
	return b.g.Op("LayerNormalization", []string{x,
		b.param(name+".weight", []int64{n}, ln.Scale),
		b.param(name+".bias", []int64{n}, ln.Bias)},
		graph.AttrInt("axis", -1), graph.AttrFloat("epsilon", LayerNormEpsilon))
}

// attention is multi-head self-attention on x [B, S, width]. mask, when not
// empty, is an additive mask broadcastable to [B, heads, S, S]. As in CLIP,
// queries are scaled by head_dim^-0.5 before the dot product.
func (b builder) attention(x, name string, blk Block, width, heads int, mask string) string {
	g := b.g
	hd := width / heads
	split := g.ConstInt64(0, 0, int64(heads), int64(hd))
	q := b.linear(x, name+".q_proj", blk.Q)
	q = g.Op("Mul", []string{q, g.ScalarFloat32(float32(1 / math.Sqrt(float64(hd))))})
	k := b.linear(x, name+".k_proj", blk.K)
	v := b.linear(x, name+".v_proj", blk.V)
	q = g.Op("Transpose", []string{g.Op("Reshape", []string{q, split})}, graph.AttrInts("perm", 0, 2, 1, 3)) // [B,H,S,D]
	k = g.Op("Transpose", []string{g.Op("Reshape", []string{k, split})}, graph.AttrInts("perm", 0, 2, 3, 1)) // [B,H,D,S]
	v = g.Op("Transpose", []string{g.Op("Reshape", []string{v, split})}, graph.AttrInts("perm", 0, 2, 1, 3)) // [B,H,S,D]
	scores := g.Op("MatMul", []string{q, k})                                                                 // [B,H,S,S]
	if mask != "" {
		scores = g.Op("Add", []string{scores, mask})
	}
	probs := g.Op("Softmax", []string{scores}, graph.AttrInt("axis", -1))
	ctx := g.Op("MatMul", []string{probs, v}) // [B,H,S,D]
	ctx = g.Op("Transpose", []string{ctx}, graph.AttrInts("perm", 0, 2, 1, 3))
	ctx = g.Op("Reshape", []string{ctx, g.ConstInt64(0, 0, int64(width))})
	return b.linear(ctx, name+".out_proj", blk.Out)
}

// block is one pre-LN residual block with quick_gelu in the MLP.
func (b builder) block(x, name string, blk Block, width, heads int, mask string) string {
	g := b.g
	h := b.attention(b.layerNorm(x, name+".layer_norm1", blk.LN1), name+".self_attn", blk, width, heads, mask)
	x = g.Op("Add", []string{x, h})
	m := b.linear(b.layerNorm(x, name+".layer_norm2", blk.LN2), name+".mlp.fc1", blk.FC1)
	m = g.Op("Mul", []string{m, g.Op("Sigmoid", []string{g.Op("Mul", []string{m, g.ScalarFloat32(quickGELUAlpha)})})})
	m = b.linear(m, name+".mlp.fc2", blk.FC2)
	return g.Op("Add", []string{x, m})
}

// normalize divides each row of x [B, E] by its L2 norm, into output out.
func (b builder) normalize(x, out string) string {
	g := b.g
	norm := g.Op("ReduceL2", []string{x}, graph.AttrInts("axes", -1), graph.AttrInt("keepdims", 1))
	return g.Node(graph.NodeSpec{Op: "Div", Inputs: []string{x, norm}, Outputs: []string{out}})[0]
}

// textTower adds the inputs input_ids and (unless opts.NoAttentionMask)
// attention_mask and the text tower, whose L2-normalised output is named out.
func (b builder) textTower(cfg Config, t *TextWeights, out string) string {
	g := b.g
	w := int64(cfg.TextWidth)
	ids := g.Input(InputIDs, graph.Int64, graph.Sym(TextBatchDim), graph.Sym(SequenceDim))

	lookup := ids
	if cfg.FoldTokenIDs {
		lookup = g.Op("Mod", []string{ids, g.ScalarInt64(int64(cfg.Vocab))})
	}
	x := g.Op("Gather", []string{b.param("text_model.embeddings.token_embedding.weight", []int64{int64(cfg.Vocab), w}, t.TokenEmbedding), lookup}, graph.AttrInt("axis", 0))
	seqLen := g.Op("Shape", []string{ids}, graph.AttrInt("start", 1), graph.AttrInt("end", 2)) // [1]
	zero1 := g.ConstInt64(0)
	pos := g.Op("Slice", []string{b.param("text_model.embeddings.position_embedding.weight", []int64{int64(cfg.ContextLength), w}, t.PositionEmbedding), zero1, seqLen, zero1})
	x = g.Op("Add", []string{x, pos})

	// Additive mask [B,1,S,S]: maskValue where the key is in the future
	// (causal) plus, with an attention_mask input, maskValue where the key is
	// padding.
	s := g.Op("Squeeze", []string{seqLen, zero1})
	r := g.Op("Range", []string{g.ScalarInt64(0), s, g.ScalarInt64(1)})
	future := g.Op("Greater", []string{
		g.Op("Unsqueeze", []string{r, g.ConstInt64(0)}), // key index   [1,S]
		g.Op("Unsqueeze", []string{r, g.ConstInt64(1)}), // query index [S,1]
	})
	neg := g.ScalarFloat32(maskValue)
	mask := g.Op("Where", []string{future, neg, g.ScalarFloat32(0)}) // [S,S]: causal
	if !b.opts.NoAttentionMask {
		am := g.Input(AttentionMask, graph.Int64, graph.Sym(TextBatchDim), graph.Sym(SequenceDim))
		keep := g.Op("Cast", []string{am}, graph.AttrInt("to", int64(graph.Float32)))
		pad := g.Op("Mul", []string{g.Op("Sub", []string{g.ScalarFloat32(1), keep}), neg}) // [B,S]
		pad = g.Op("Unsqueeze", []string{pad, g.ConstInt64(1, 2)})                         // [B,1,1,S]
		mask = g.Op("Add", []string{mask, pad})                                            // [B,1,S,S]
	}

	for i, blk := range t.Blocks {
		x = b.block(x, "text_model.encoder.layers."+strconv.Itoa(i), blk, cfg.TextWidth, cfg.TextHeads, mask)
	}
	// Pool at the EOS token, the first position of the largest id (as
	// OpenAI CLIP and Hugging Face's argmax rule), then the final layer
	// norm (per position, so pooling first is equivalent).
	eos := g.Op("ArgMax", []string{ids}, graph.AttrInt("axis", 1), graph.AttrInt("keepdims", 1)) // [B,1]
	pooled := g.Op("GatherND", []string{x, eos}, graph.AttrInt("batch_dims", 1))                 // [B,W]
	pooled = b.layerNorm(pooled, "text_model.final_layer_norm", t.FinalLN)
	proj := g.Op("MatMul", []string{pooled, b.param("text_projection.weight", []int64{w, int64(cfg.EmbedDim)}, t.Projection)})
	return b.normalize(proj, out)
}

// visionTower adds the input pixel_values and the vision tower, whose
// L2-normalised output is named out.
func (b builder) visionTower(cfg Config, v *VisionWeights, out string) string {
	g := b.g
	w := int64(cfg.VisionWidth)
	p := int64(cfg.PatchSize)
	px := g.Input(PixelValues, graph.Float32, graph.Sym(ImageBatchDim), graph.Fixed(3), graph.Fixed(int64(cfg.ImageSize)), graph.Fixed(int64(cfg.ImageSize)))
	patches := g.Op("Conv", []string{px, b.param("vision_model.embeddings.patch_embedding.weight", []int64{w, 3, p, p}, v.PatchEmbedding)},
		graph.AttrInts("kernel_shape", p, p), graph.AttrInts("strides", p, p)) // [B,W,G,G]
	tokens := g.Op("Transpose", []string{g.Op("Reshape", []string{patches, g.ConstInt64(0, w, -1)})}, graph.AttrInts("perm", 0, 2, 1)) // [B,N,W]
	batch := g.Op("Shape", []string{px}, graph.AttrInt("start", 0), graph.AttrInt("end", 1))
	clsShape := g.Op("Concat", []string{batch, g.ConstInt64(1, w)}, graph.AttrInt("axis", 0))
	cls := g.Op("Expand", []string{b.param("vision_model.embeddings.class_embedding", []int64{1, 1, w}, v.ClassEmbedding), clsShape}) // [B,1,W]
	x := g.Op("Concat", []string{cls, tokens}, graph.AttrInt("axis", 1))
	x = g.Op("Add", []string{x, b.param("vision_model.embeddings.position_embedding.weight", []int64{int64(cfg.NumPatches() + 1), w}, v.PositionEmbedding)})
	x = b.layerNorm(x, "vision_model.pre_layrnorm", v.PreLN)
	for i, blk := range v.Blocks {
		x = b.block(x, "vision_model.encoder.layers."+strconv.Itoa(i), blk, cfg.VisionWidth, cfg.VisionHeads, "")
	}
	first := g.Op("Gather", []string{x, g.ScalarInt64(0)}, graph.AttrInt("axis", 1)) // [B,W]
	first = b.layerNorm(first, "vision_model.post_layernorm", v.PostLN)
	proj := g.Op("MatMul", []string{first, b.param("visual_projection.weight", []int64{w, int64(cfg.EmbedDim)}, v.Projection)})
	return b.normalize(proj, out)
}

func (w *Weights) check(text, vision bool) error {
	if err := w.Config.Validate(); err != nil {
		return err
	}
	if text && w.Text == nil {
		return errors.New("clipmodel: the weights have no text tower")
	}
	if vision && w.Vision == nil {
		return errors.New("clipmodel: the weights have no vision tower")
	}
	return nil
}

// AddTextTower adds the text tower to g: the inputs input_ids and
// attention_mask (int64 [text_batch_size, sequence_length]) and nodes ending
// in the L2-normalised embedding [text_batch_size, EmbedDim], named out. It
// returns out. Later graphs use it to put more layers (an adapter, a head)
// on the embeddings; g's first error is returned.
func (w *Weights) AddTextTower(g *graph.Graph, out string) (string, error) {
	if err := w.check(true, false); err != nil {
		return "", err
	}
	builder{g: g}.textTower(w.Config, w.Text, out)
	return out, g.Err()
}

// AddVisionTower adds the vision tower to g: the input pixel_values (float32
// [image_batch_size, 3, ImageSize, ImageSize]) and nodes ending in the
// L2-normalised embedding [image_batch_size, EmbedDim], named out.
func (w *Weights) AddVisionTower(g *graph.Graph, out string) (string, error) {
	if err := w.check(false, true); err != nil {
		return "", err
	}
	builder{g: g}.visionTower(w.Config, w.Vision, out)
	return out, g.Err()
}

// TextGraph is the text tower alone: input_ids, attention_mask (int64
// [text_batch_size, sequence_length]; absent with opts.NoAttentionMask) →
// text_embeds [text_batch_size, EmbedDim].
func (w *Weights) TextGraph(opts GraphOptions) (*graph.Graph, error) {
	if err := w.check(true, false); err != nil {
		return nil, err
	}
	g := graph.New("clip_text")
	builder{g: g, opts: opts}.textTower(w.Config, w.Text, TextEmbeds)
	g.Output(TextEmbeds, graph.Float32, graph.Sym(TextBatchDim), graph.Fixed(int64(w.Config.EmbedDim)))
	return g, g.Err()
}

// VisionGraph is the vision tower alone: pixel_values (float32
// [image_batch_size, 3, ImageSize, ImageSize]) → image_embeds
// [image_batch_size, EmbedDim].
func (w *Weights) VisionGraph() (*graph.Graph, error) {
	if err := w.check(false, true); err != nil {
		return nil, err
	}
	g := graph.New("clip_vision")
	builder{g: g}.visionTower(w.Config, w.Vision, ImageEmbeds)
	g.Output(ImageEmbeds, graph.Float32, graph.Sym(ImageBatchDim), graph.Fixed(int64(w.Config.EmbedDim)))
	return g, g.Err()
}

// Graph is the dual encoder: inputs input_ids, pixel_values, attention_mask
// (absent with opts.NoAttentionMask); outputs logits_per_image
// [image_batch_size, text_batch_size], logits_per_text (its transpose),
// text_embeds and image_embeds, with logits = exp(logit_scale) ·
// image_embeds · text_embedsᵀ.
func (w *Weights) Graph(opts GraphOptions) (*graph.Graph, error) {
	if err := w.check(true, true); err != nil {
		return nil, err
	}
	g := graph.New("clip")
	b := builder{g: g, opts: opts}
	te := b.textTower(w.Config, w.Text, TextEmbeds)
	ie := b.visionTower(w.Config, w.Vision, ImageEmbeds)
	scale := g.Op("Exp", []string{g.InitFloat32("logit_scale", nil, []float32{w.LogitScale})})
	lpt := g.Op("MatMul", []string{te, g.Op("Transpose", []string{ie}, graph.AttrInts("perm", 1, 0))})
	lpt = g.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{lpt, scale}, Outputs: []string{LogitsPerText}})[0]
	g.Node(graph.NodeSpec{Op: "Transpose", Inputs: []string{lpt}, Outputs: []string{LogitsPerImage}, Attrs: []graph.Attr{graph.AttrInts("perm", 1, 0)}})
	e := int64(w.Config.EmbedDim)
	g.Output(LogitsPerImage, graph.Float32, graph.Sym(ImageBatchDim), graph.Sym(TextBatchDim))
	g.Output(LogitsPerText, graph.Float32, graph.Sym(TextBatchDim), graph.Sym(ImageBatchDim))
	g.Output(TextEmbeds, graph.Float32, graph.Sym(TextBatchDim), graph.Fixed(e))
	g.Output(ImageEmbeds, graph.Float32, graph.Sym(ImageBatchDim), graph.Fixed(e))
	return g, g.Err()
}

// WriteOptions selects the files WriteDir writes. With Combined, Text and
// Vision all false, every file the weights allow is written (model.onnx
// needs both towers).
type WriteOptions struct {
	Combined, Text, Vision bool
	// GraphOptions apply to every file written (NoAttentionMask: model.onnx
	// and text_model.onnx without the attention_mask input).
	GraphOptions
	// ExternalDataThreshold moves initializers of at least this many bytes
	// to "<file>.data" beside each model (0 keeps everything inline); see
	// graph.ModelOptions.
	ExternalDataThreshold int64
}

// WriteDir writes the selected ONNX files into dir (created if needed) and
// returns their paths. Each file records the configuration as metadata
// ("srbench.clip.config", JSON).
func (w *Weights) WriteDir(dir string, opts WriteOptions) ([]string, error) {
	all := !opts.Combined && !opts.Text && !opts.Vision
	type job struct {
		file  string
		build func() (*graph.Graph, error)
	}
	var jobs []job
	if opts.Combined || (all && w.Text != nil && w.Vision != nil) {
		jobs = append(jobs, job{ModelFile, func() (*graph.Graph, error) { return w.Graph(opts.GraphOptions) }})
	}
	if opts.Text || (all && w.Text != nil) {
		jobs = append(jobs, job{TextModelFile, func() (*graph.Graph, error) { return w.TextGraph(opts.GraphOptions) }})
	}
	if opts.Vision || (all && w.Vision != nil) {
		jobs = append(jobs, job{VisionModelFile, w.VisionGraph})
	}
	if len(jobs) == 0 {
		return nil, errors.New("clipmodel: WriteDir: the weights have no tower to write")
	}
	cfgJSON, err := json.Marshal(w.Config)
	if err != nil {
		return nil, fmt.Errorf("clipmodel: WriteDir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("clipmodel: WriteDir: %w", err)
	}
	var paths []string
	for _, j := range jobs {
		g, err := j.build()
		if err != nil {
			return nil, fmt.Errorf("clipmodel: %s: %w", j.file, err)
		}
		path := filepath.Join(dir, j.file)
		mo := graph.ModelOptions{
			DocString:             "CLIP-shaped dual encoder with random weights, built by srbench's graph builder",
			Metadata:              []graph.KeyValue{{Key: "srbench.clip.config", Value: string(cfgJSON)}},
			ExternalDataThreshold: opts.ExternalDataThreshold,
		}
		if err := g.WriteFile(path, mo); err != nil {
			return nil, fmt.Errorf("clipmodel: %s: %w", j.file, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}
