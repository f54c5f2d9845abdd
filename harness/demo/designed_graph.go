package demo

import (
	"fmt"
	"math"

	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
)

// gb adds the designed models' nodes to a graph. Initializer names start
// with "vision." or "text." so the graphs read well in Netron.
type gb struct {
	g *graph.Graph
}

func (b gb) op(op string, attrs []graph.Attr, in ...string) string { return b.g.Op(op, in, attrs...) }

func (b gb) f32(name string, dims []int64, v []float64) string {
	data := make([]float32, len(v))
	for i, x := range v {
		data[i] = float32(x)
	}
	return b.g.InitFloat32(name, dims, data)
}

func (b gb) scalar(v float64) string { return b.g.ScalarFloat32(float32(v)) }

func axes(a ...int64) graph.Attr { return graph.AttrInts("axes", a...) }

func keep(k bool) graph.Attr {
	if k {
		return graph.AttrInt("keepdims", 1)
	}
	return graph.AttrInt("keepdims", 0)
}

// flat reshapes [B, ...] to [B, rest].
func (b gb) flat(x string) string { return b.op("Reshape", nil, x, b.g.ConstInt64(0, -1)) }

// meanAll is the mean over everything but the batch axis, as [B, 1].
func (b gb) meanAll(x string) string {
	return b.op("ReduceMean", []graph.Attr{axes(1), keep(true)}, b.flat(x))
}

// sum is ReduceSum over the given axes (opset 13+ takes the axes as an
// input).
func (b gb) sum(x string, keepDims bool, ax ...int64) string {
	return b.op("ReduceSum", []graph.Attr{keep(keepDims)}, x, b.g.ConstInt64(ax...))
}

func (b gb) slice(x string, start, end, axis int64) string {
	return b.op("Slice", nil, x, b.g.ConstInt64(start), b.g.ConstInt64(end), b.g.ConstInt64(axis))
}

func (b gb) topK(x string, k, axis int64) string {
	out := b.g.Node(graph.NodeSpec{Op: "TopK", Inputs: []string{x, b.g.ConstInt64(k)}, NumOutputs: 2,
		Attrs: []graph.Attr{graph.AttrInt("axis", axis), graph.AttrInt("largest", 1), graph.AttrInt("sorted", 1)}})
	if len(out) == 0 {
		return ""
	}
	return out[0]
}

// normalize divides each row of x [B, E] by its L2 norm, into output out.
func (b gb) normalize(x, out string) string {
	norm := b.op("ReduceL2", []graph.Attr{axes(-1), keep(true)}, x)
	return b.g.Node(graph.NodeSpec{Op: "Div", Inputs: []string{x, norm}, Outputs: []string{out}})[0]
}

// column is a [B, 1] column of the constant v, B the batch size of ref (a
// graph input).
func (b gb) column(ref string, v float64) string {
	batch := b.op("Shape", []graph.Attr{graph.AttrInt("start", 0), graph.AttrInt("end", 1)}, ref)
	shape := b.op("Concat", []graph.Attr{graph.AttrInt("axis", 0)}, batch, b.g.ConstInt64(1))
	return b.op("Expand", nil, b.f32("", []int64{1, 1}, []float64{v}), shape)
}

// visionOut names the measurements of the vision subgraph.
type visionOut struct {
	colour string // [B, 8] colour probabilities
	shape  string // [B, 6] subject probabilities
	appeal string // [B, 5] standardised appeal measurements (before appealWeight)
}

// addVision adds the input pixel_values (float32 [batch, 3, 224, 224],
// batch dimension named batchDim) and the designed measurements; see
// design.measure for the same computation in Go.
func (d *design) addVision(b gb, batchDim string) (string, visionOut) {
	g := b.g
	const n = workSize
	px := g.Input(clipmodel.PixelValues, graph.Float32, graph.Sym(batchDim), graph.Fixed(3), graph.Fixed(inputSize), graph.Fixed(inputSize))
	rgb := b.op("Add", nil, b.op("Mul", nil, px, b.f32("vision.pixel_std", []int64{1, 3, 1, 1}, d.std[:])), b.f32("vision.pixel_mean", []int64{1, 3, 1, 1}, d.mean[:]))
	p := b.op("AveragePool", []graph.Attr{graph.AttrInts("kernel_shape", poolSize, poolSize), graph.AttrInts("strides", poolSize, poolSize)}, rgb)
	bl := b.op("AveragePool", []graph.Attr{graph.AttrInts("kernel_shape", 3, 3), graph.AttrInts("strides", 1, 1),
		graph.AttrInts("pads", 1, 1, 1, 1), graph.AttrInt("count_include_pad", 0)}, p)
	lumaW := b.f32("vision.luma", []int64{1, 3, 1, 1}, []float64{0.299, 0.587, 0.114})

	// Saturation, contrast, artefacts.
	sat := b.meanAll(b.op("Sub", nil, b.op("ReduceMax", []graph.Attr{axes(1), keep(true)}, p), b.op("ReduceMin", []graph.Attr{axes(1), keep(true)}, p)))
	yb := b.flat(b.op("Conv", nil, bl, lumaW))
	centred := b.op("Sub", nil, yb, b.op("ReduceMean", []graph.Attr{axes(1), keep(true)}, yb))
	con := b.op("Sqrt", nil, b.op("ReduceMean", []graph.Attr{axes(1), keep(true)}, b.op("Mul", nil, centred, centred)))
	lap := b.op("Conv", nil, b.op("Conv", nil, p, lumaW), b.f32("vision.laplacian", []int64{1, 1, 3, 3}, []float64{0, -1, 0, -1, 4, -1, 0, -1, 0}))
	art := b.meanAll(b.op("Abs", nil, lap))

	// Salience against each row's border background.
	border := b.op("Concat", []graph.Attr{graph.AttrInt("axis", 3)}, b.slice(bl, 0, borderCols, 3), b.slice(bl, n-borderCols, n, 3))
	top := b.topK(border, borderCols+1, 3) // [B,3,56,5], largest first
	bg := b.op("ReduceMean", []graph.Attr{axes(3), keep(true)}, b.slice(top, borderCols-1, borderCols+1, 3))
	diff := b.op("Sub", nil, bl, bg)
	m := b.op("ReduceMean", []graph.Attr{axes(1), keep(true)}, diff)
	sal := b.op("Add", nil, b.sum(b.op("Abs", nil, b.op("Sub", nil, diff, m)), true, 1), b.op("Mul", nil, b.op("Abs", nil, m), b.scalar(lumaWeight)))
	ranked := b.topK(b.flat(sal), medianRank, 1)
	to4 := func(x string) string { return b.op("Unsqueeze", nil, x, g.ConstInt64(2, 3)) }
	med := to4(b.op("Gather", []graph.Attr{graph.AttrInt("axis", 1)}, ranked, g.ConstInt64(medianRank-1)))
	hi := to4(b.op("Gather", []graph.Attr{graph.AttrInt("axis", 1)}, ranked, g.ConstInt64(hiRank-1)))
	rel := b.op("Sub", nil, sal, med)
	mask := b.op("Clip", nil, b.op("Div", nil, rel, b.op("Add", nil, b.op("Sub", nil, hi, med), b.scalar(maskEps))), b.scalar(0), b.scalar(1))
	r := b.op("Relu", nil, rel)
	w := b.flat(b.op("Mul", nil, r, r)) // [B, 3136]

	// Centroid and subject colour.
	gx, gy := make([]float64, n*n), make([]float64, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			gx[y*n+x], gy[y*n+x] = (float64(x)+0.5)/n, (float64(y)+0.5)/n
		}
	}
	sw := b.op("Add", nil, b.sum(w, true, 1), b.scalar(weightEps))
	cx := b.op("Div", nil, b.sum(b.op("Mul", nil, w, b.f32("vision.grid_x", []int64{1, n * n}, gx)), true, 1), sw)
	cy := b.op("Div", nil, b.sum(b.op("Mul", nil, w, b.f32("vision.grid_y", []int64{1, n * n}, gy)), true, 1), sw)
	dx, dy := b.op("Sub", nil, cx, b.scalar(0.5)), b.op("Sub", nil, cy, b.scalar(0.5))
	off := b.op("Sqrt", nil, b.op("Add", nil, b.op("Mul", nil, dx, dx), b.op("Mul", nil, dy, dy)))
	blf := b.op("Reshape", nil, bl, g.ConstInt64(0, 3, -1))
	col := b.op("Div", nil, b.sum(b.op("Mul", nil, blf, b.op("Unsqueeze", nil, w, g.ConstInt64(1))), false, 2), sw) // [B,3]
	r3 := math.Sqrt(3) / 2
	opp := b.op("MatMul", nil, col, b.f32("vision.opponent", []int64{3, 2}, []float64{1, 0, -0.5, r3, -0.5, -r3}))
	chroma := b.op("Sqrt", nil, b.op("Add", nil, b.sum(b.op("Mul", nil, opp, opp), true, 1), b.scalar(chromaEps*chromaEps)))
	// Colour votes of the pixels: cos = (opponent · direction) / chroma per
	// pixel (both linear in RGB: 1×1 convolutions), softmax over the colours,
	// weighted by mask², summed, squared and renormalised.
	oppW := []float64{1, -0.5, -0.5, 0, r3, -r3} // [2,3,1,1]
	dirW := make([]float64, 3*numColours)        // [8,3,1,1]
	for k, u := range d.colourDirs {
		for c := 0; c < 3; c++ {
			dirW[k*3+c] = u[0]*oppW[c] + u[1]*oppW[3+c]
		}
	}
	pxOpp := b.op("Conv", nil, bl, b.f32("vision.pixel_opponent", []int64{2, 3, 1, 1}, oppW))
	pxChroma := b.op("Sqrt", nil, b.op("Add", nil, b.sum(b.op("Mul", nil, pxOpp, pxOpp), true, 1), b.scalar(pixelChromaEps*pixelChromaEps)))
	pxCos := b.op("Div", nil, b.op("Conv", nil, bl, b.f32("vision.pixel_colour_directions", []int64{numColours, 3, 1, 1}, dirW)), pxChroma)
	vote := b.op("Softmax", []graph.Attr{graph.AttrInt("axis", 1)}, b.op("Mul", nil, pxCos, b.scalar(pixelKappa)))
	votes := b.op("Add", nil, b.sum(b.op("Mul", nil, vote, b.op("Mul", nil, mask, mask)), false, 2, 3), b.scalar(voteEps)) // [B,8]
	sq := b.op("Mul", nil, votes, votes)
	colour := b.op("Div", nil, sq, b.sum(sq, true, 1))

	// Shapes.
	mg := b.op("AveragePool", []graph.Attr{graph.AttrInts("kernel_shape", maskPool, maskPool), graph.AttrInts("strides", maskPool, maskPool)}, mask)
	mm := b.op("Concat", []graph.Attr{graph.AttrInt("axis", 1)}, mg, b.op("Mul", nil, mg, mg))
	pen := b.f32("vision.centre_penalty", []int64{1, 1, shapeSize, shapeSize}, d.centrePen)
	var best []string
	for si, bank := range d.scales {
		k, h := int64(bank.size()), int64(bank.half)
		var tw []float64
		for _, kern := range bank.kernels {
			tw = append(tw, kern...)
		}
		ones := make([]float64, 2*k*k)
		for i := range ones {
			ones[i] = 1
		}
		pads := graph.AttrInts("pads", h, h, h, h)
		num := b.op("Conv", []graph.Attr{pads}, mg, b.f32(fmt.Sprintf("vision.shape_templates.%d", si), []int64{numSubjects, 1, k, k}, tw))
		sums := b.op("Conv", []graph.Attr{pads, graph.AttrInt("group", 2)}, mm, b.f32(fmt.Sprintf("vision.window_ones.%d", si), []int64{2, 1, k, k}, ones))
		s1, s2 := b.slice(sums, 0, 1, 1), b.slice(sums, 1, 2, 1)
		v := b.op("Max", nil, b.op("Sub", nil, s2, b.op("Div", nil, b.op("Mul", nil, s1, s1), b.scalar(float64(k*k)))), b.scalar(nccVarFloor))
		ncc := b.op("Add", nil, b.op("Div", nil, num, b.op("Sqrt", nil, v)), pen)
		best = append(best, b.op("ReduceMax", []graph.Attr{axes(2), keep(false)}, b.op("Reshape", nil, ncc, g.ConstInt64(0, numSubjects, -1))))
	}
	score := b.op("Max", nil, best...)
	shape := b.op("Softmax", []graph.Attr{graph.AttrInt("axis", -1)}, b.op("Mul", nil, score, b.scalar(shapeKappa)))

	// Appeal measurements, standardised.
	means, scales := make([]float64, numAppeal), make([]float64, numAppeal)
	for i, s := range appealStats {
		means[i], scales[i] = s.mean, s.sign/s.spread
	}
	raw := b.op("Concat", []graph.Attr{graph.AttrInt("axis", 1)}, sat, con, off, art, chroma)
	z := b.op("Mul", nil, b.op("Sub", nil, raw, b.f32("vision.appeal_mean", []int64{numAppeal}, means)), b.f32("vision.appeal_scale", []int64{numAppeal}, scales))
	return px, visionOut{colour: colour, shape: shape, appeal: z}
}

// addImageEmbedding adds the vision subgraph and the image embedding
// [B, embedDim], named out.
func (d *design) addImageEmbedding(b gb, batchDim, out string) string {
	px, v := d.addVision(b, batchDim)
	e := b.op("Concat", []graph.Attr{graph.AttrInt("axis", 1)}, v.colour, v.shape, b.column(px, constWeight), b.op("Mul", nil, v.appeal, b.scalar(appealWeight)))
	return b.normalize(e, out)
}

// wordTables are the token-id tables of a designed text tower: each row is
// the one-hot of the word's colour (dims 0–7) or subject (dims 8–13) in a
// width-cols row; the last row is an all-zero "unknown" row every
// out-of-range id is clamped to.
func (t tokenTable) wordTables(cols int) (rows []float64, isColour, isSubject []float64) {
	v := len(t.colour)
	rows = make([]float64, v*cols)
	isColour, isSubject = make([]float64, v), make([]float64, v)
	for id := 0; id < v; id++ {
		if c := t.colour[id]; c >= 0 {
			rows[id*cols+dimColour+c] = 1
			isColour[id] = 1
		}
		if s := t.subject[id]; s >= 0 {
			rows[id*cols+dimShape+s] = 1
			isSubject[id] = 1
		}
	}
	return rows, isColour, isSubject
}

// addWords adds the inputs input_ids and attention_mask (int64 [batch,
// sequence]) and returns the [B, cols] sum of the rows of the first colour
// word and the first subject word.
func (t tokenTable) addWords(b gb, batchDim string, cols int) string {
	g := b.g
	ids := g.Input(clipmodel.InputIDs, graph.Int64, graph.Sym(batchDim), graph.Sym(clipmodel.SequenceDim))
	am := g.Input(clipmodel.AttentionMask, graph.Int64, graph.Sym(batchDim), graph.Sym(clipmodel.SequenceDim))
	v := int64(len(t.colour))
	rows, isC, isS := t.wordTables(cols)
	// Ids outside [0, v) read the last row, which is all zero.
	inRange := b.op("And", nil, b.op("GreaterOrEqual", nil, ids, g.ScalarInt64(0)), b.op("Less", nil, ids, g.ScalarInt64(v)))
	idc := b.op("Where", nil, inRange, ids, g.ScalarInt64(v-1))
	keepTok := b.op("Cast", []graph.Attr{graph.AttrInt("to", int64(graph.Float32))}, am)
	first := func(name string, table []float64) string {
		is := b.op("Mul", nil, b.op("Gather", []graph.Attr{graph.AttrInt("axis", 0)}, b.f32(name, []int64{v}, table), idc), keepTok)
		seen := b.op("CumSum", nil, is, g.ScalarInt64(1))
		return b.op("Mul", nil, is, b.op("Cast", []graph.Attr{graph.AttrInt("to", int64(graph.Float32))}, b.op("Less", nil, seen, b.scalar(1.5))))
	}
	weight := b.op("Add", nil, first("text.is_colour_word", isC), first("text.is_subject_word", isS)) // [B,S]
	vecs := b.op("Gather", []graph.Attr{graph.AttrInt("axis", 0)}, b.f32("text.word_vectors", []int64{v, int64(cols)}, rows), idc)
	return b.sum(b.op("Mul", nil, vecs, b.op("Unsqueeze", nil, weight, g.ConstInt64(2))), false, 1)
}

// addTextEmbedding adds the text tower: the word vectors plus the constant
// row (constWeight on the constant dim, quality on the cleanliness dim),
// L2-normalised, named out.
func (t tokenTable) addTextEmbedding(b gb, batchDim, out string, quality float64) string {
	words := t.addWords(b, batchDim, embedDim)
	c := make([]float64, embedDim)
	c[dimConst] = constWeight
	c[dimAppeal+3] = quality
	return b.normalize(b.op("Add", nil, words, b.f32("text.constant", []int64{embedDim}, c)), out)
}

// clipGraphs builds the designed CLIP: the text tower, the vision tower,
// and the combined model with logits (exp(logitScale) · cosine).
func clipGraphs(d *design, t tokenTable, quality, logitScale float64) (text, vision, combined *graph.Graph, err error) {
	text = graph.New("designed_clip_text")
	t.addTextEmbedding(gb{text}, clipmodel.TextBatchDim, clipmodel.TextEmbeds, quality)
	text.Output(clipmodel.TextEmbeds, graph.Float32, graph.Sym(clipmodel.TextBatchDim), graph.Fixed(embedDim))

	vision = graph.New("designed_clip_vision")
	d.addImageEmbedding(gb{vision}, clipmodel.ImageBatchDim, clipmodel.ImageEmbeds)
	vision.Output(clipmodel.ImageEmbeds, graph.Float32, graph.Sym(clipmodel.ImageBatchDim), graph.Fixed(embedDim))

	combined = graph.New("designed_clip")
	b := gb{combined}
	te := t.addTextEmbedding(b, clipmodel.TextBatchDim, clipmodel.TextEmbeds, quality)
	ie := d.addImageEmbedding(b, clipmodel.ImageBatchDim, clipmodel.ImageEmbeds)
	scale := b.op("Exp", nil, combined.InitFloat32("logit_scale", nil, []float32{float32(logitScale)}))
	lpt := b.op("MatMul", nil, te, b.op("Transpose", []graph.Attr{graph.AttrInts("perm", 1, 0)}, ie))
	lpt = combined.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{lpt, scale}, Outputs: []string{clipmodel.LogitsPerText}})[0]
	combined.Node(graph.NodeSpec{Op: "Transpose", Inputs: []string{lpt}, Outputs: []string{clipmodel.LogitsPerImage}, Attrs: []graph.Attr{graph.AttrInts("perm", 1, 0)}})
	combined.Output(clipmodel.LogitsPerImage, graph.Float32, graph.Sym(clipmodel.ImageBatchDim), graph.Sym(clipmodel.TextBatchDim))
	combined.Output(clipmodel.LogitsPerText, graph.Float32, graph.Sym(clipmodel.TextBatchDim), graph.Sym(clipmodel.ImageBatchDim))
	combined.Output(clipmodel.TextEmbeds, graph.Float32, graph.Sym(clipmodel.TextBatchDim), graph.Fixed(embedDim))
	combined.Output(clipmodel.ImageEmbeds, graph.Float32, graph.Sym(clipmodel.ImageBatchDim), graph.Fixed(embedDim))
	for _, gr := range []*graph.Graph{text, vision, combined} {
		if err := gr.Err(); err != nil {
			return nil, nil, nil, err
		}
	}
	return text, vision, combined, nil
}

// imageRewardGraph builds the designed ImageReward proxy: the signature of
// blipmodel.Signature (one batch dimension for text and image) and
// reward_raw = irAlign·(P(prompt colour) + P(prompt subject) − 1) +
// irQuality·cleanliness + irMean.
func imageRewardGraph(d *design, t tokenTable) (*graph.Graph, error) {
	g := graph.New("designed_imagereward")
	b := gb{g}
	const cols = numColours + numSubjects
	words := t.addWords(b, blipmodel.BatchDim, cols)
	_, v := d.addVision(b, blipmodel.BatchDim)
	probs := b.op("Concat", []graph.Attr{graph.AttrInt("axis", 1)}, v.colour, v.shape)
	align := b.sum(b.op("Mul", nil, words, probs), true, 1)
	clean := b.slice(v.appeal, 3, 4, 1)
	raw := b.op("Add", nil, b.op("Mul", nil, b.op("Sub", nil, align, b.scalar(1)), b.scalar(irAlign)), b.op("Mul", nil, clean, b.scalar(irQuality)))
	raw = b.op("Add", nil, raw, b.scalar(irMean))
	g.Node(graph.NodeSpec{Op: "Identity", Inputs: []string{raw}, Outputs: []string{blipmodel.RewardRaw}})
	g.Output(blipmodel.RewardRaw, graph.Float32, graph.Sym(blipmodel.BatchDim), graph.Fixed(1))
	return g, g.Err()
}
