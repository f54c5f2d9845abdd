package clipmodel

import (
	"errors"
	"fmt"
	"math"
)

// This file is a plain-Go forward pass of the same network, in float64 with
// straightforward loops, written independently of the ONNX graph so each can
// check the other. It is slow (no blocking, no parallelism) and meant for
// tests and small models.

// TextEmbeds returns the L2-normalised text embeddings of a batch: ids and
// mask are [batch][seq] with the same shapes, seq ≤ ContextLength, and mask
// entries 1 (token) or 0 (padding).
func (w *Weights) TextEmbeds(ids, mask [][]int64) ([][]float64, error) {
	if err := w.check(true, false); err != nil {
		return nil, err
	}
	cfg := w.Config
	out := make([][]float64, len(ids))
	if len(mask) != len(ids) {
		return nil, fmt.Errorf("clipmodel: %s has %d rows, %s has %d", InputIDs, len(ids), AttentionMask, len(mask))
	}
	for b := range ids {
		seq := len(ids[b])
		if seq == 0 || seq > cfg.ContextLength {
			return nil, fmt.Errorf("clipmodel: %s row %d has %d tokens, want 1..%d", InputIDs, b, seq, cfg.ContextLength)
		}
		if len(mask[b]) != seq {
			return nil, fmt.Errorf("clipmodel: %s row %d has %d entries, want %d", AttentionMask, b, len(mask[b]), seq)
		}
		e, err := w.textRow(ids[b], mask[b])
		if err != nil {
			return nil, fmt.Errorf("clipmodel: %s row %d: %w", InputIDs, b, err)
		}
		out[b] = e
	}
	return out, nil
}

func (w *Weights) textRow(ids, mask []int64) ([]float64, error) {
	cfg := w.Config
	t := w.Text
	width := cfg.TextWidth
	seq := len(ids)
	x := newMat(seq, width)
	for s, id := range ids {
		row := id
		if cfg.FoldTokenIDs {
			row = id % int64(cfg.Vocab)
			if row < 0 { // ONNX Mod with fmod=0 takes the sign of the divisor
				row += int64(cfg.Vocab)
			}
		}
		if row < 0 || row >= int64(cfg.Vocab) {
			return nil, fmt.Errorf("token %d: id %d is outside the vocabulary [0, %d)", s, id, cfg.Vocab)
		}
		for c := range width {
			x[s][c] = float64(t.TokenEmbedding[int(row)*width+c]) + float64(t.PositionEmbedding[s*width+c])
		}
	}
	// Additive mask: future keys and padding keys.
	add := newMat(seq, seq)
	for q := range seq {
		for k := range seq {
			if k > q {
				add[q][k] += maskValue
			}
			add[q][k] += (1 - float64(mask[k])) * maskValue
		}
	}
	for _, blk := range t.Blocks {
		x = blockForward(x, blk, cfg.TextHeads, add)
	}
	eos := 0
	for s, id := range ids {
		if id > ids[eos] {
			eos = s
		}
	}
	pooled := layerNorm(x[eos], t.FinalLN)
	return normalize(project(pooled, t.Projection, cfg.EmbedDim)), nil
}

// ImageEmbeds returns the L2-normalised image embeddings of pixels, a
// row-major float32 batch [batch, 3, ImageSize, ImageSize].
func (w *Weights) ImageEmbeds(pixels []float32, batch int) ([][]float64, error) {
	if err := w.check(false, true); err != nil {
		return nil, err
	}
	cfg := w.Config
	hw := cfg.ImageSize * cfg.ImageSize
	if batch <= 0 || len(pixels) != batch*3*hw {
		return nil, fmt.Errorf("clipmodel: %s has %d values, want batch %d × 3 × %d × %d", PixelValues, len(pixels), batch, cfg.ImageSize, cfg.ImageSize)
	}
	out := make([][]float64, batch)
	for b := range batch {
		out[b] = w.imageRow(pixels[b*3*hw : (b+1)*3*hw])
	}
	return out, nil
}

func (w *Weights) imageRow(px []float32) []float64 {
	cfg := w.Config
	v := w.Vision
	width, p, size, grid := cfg.VisionWidth, cfg.PatchSize, cfg.ImageSize, cfg.GridSize()
	n := cfg.NumPatches() + 1
	x := newMat(n, width)
	for c := range width {
		x[0][c] = float64(v.ClassEmbedding[c])
	}
	for gy := range grid {
		for gx := range grid {
			tok := x[1+gy*grid+gx]
			for o := range width {
				var sum float64
				for ch := range 3 {
					for ky := range p {
						wrow := v.PatchEmbedding[((o*3+ch)*p+ky)*p:]
						prow := px[(ch*size+gy*p+ky)*size+gx*p:]
						for kx := range p {
							sum += float64(wrow[kx]) * float64(prow[kx])
						}
					}
				}
				tok[o] = sum
			}
		}
	}
	for t := range n {
		for c := range width {
			x[t][c] += float64(v.PositionEmbedding[t*width+c])
		}
	}
	for t := range n {
		x[t] = layerNorm(x[t], v.PreLN)
	}
	for _, blk := range v.Blocks {
		x = blockForward(x, blk, cfg.VisionHeads, nil)
	}
	first := layerNorm(x[0], v.PostLN)
	return normalize(project(first, v.Projection, cfg.EmbedDim))
}

// LogitsPerImage returns exp(LogitScale) · image·text for every pair:
// [len(images)][len(texts)].
func (w *Weights) LogitsPerImage(images, texts [][]float64) ([][]float64, error) {
	scale := math.Exp(float64(w.LogitScale))
	out := make([][]float64, len(images))
	for i, im := range images {
		out[i] = make([]float64, len(texts))
		for j, tx := range texts {
			if len(im) != len(tx) {
				return nil, errors.New("clipmodel: image and text embeddings differ in size")
			}
			var dot float64
			for k := range im {
				dot += im[k] * tx[k]
			}
			out[i][j] = scale * dot
		}
	}
	return out, nil
}

func newMat(rows, cols int) [][]float64 {
	m := make([][]float64, rows)
	for i := range m {
		m[i] = make([]float64, cols)
	}
	return m
}

func layerNorm(x []float64, ln LayerNorm) []float64 {
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var variance float64
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(len(x))
	inv := 1 / math.Sqrt(variance+LayerNormEpsilon)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (v-mean)*inv*float64(ln.Scale[i]) + float64(ln.Bias[i])
	}
	return out
}

func linear(x []float64, l Linear) []float64 {
	out := make([]float64, l.Out)
	for o := range l.Out {
		if l.B != nil {
			out[o] = float64(l.B[o])
		}
	}
	for i, xi := range x {
		row := l.W[i*l.Out : (i+1)*l.Out]
		for o, wv := range row {
			out[o] += xi * float64(wv)
		}
	}
	return out
}

func project(x []float64, w []float32, out int) []float64 {
	return linear(x, Linear{In: len(x), Out: out, W: w})
}

func normalize(x []float64) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	n := math.Sqrt(ss)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v / n
	}
	return out
}

// blockForward applies one pre-LN block to the sequence x; add, when not
// nil, is the additive attention mask [query][key].
func blockForward(x [][]float64, blk Block, heads int, add [][]float64) [][]float64 {
	seq, width := len(x), len(x[0])
	hd := width / heads
	scale := 1 / math.Sqrt(float64(hd))
	q := make([][]float64, seq)
	k := make([][]float64, seq)
	v := make([][]float64, seq)
	for s := range seq {
		y := layerNorm(x[s], blk.LN1)
		q[s] = linear(y, blk.Q)
		for i := range q[s] {
			q[s][i] *= scale
		}
		k[s] = linear(y, blk.K)
		v[s] = linear(y, blk.V)
	}
	ctx := newMat(seq, width)
	scores := make([]float64, seq)
	for h := range heads {
		lo := h * hd
		for i := range seq {
			maxScore := math.Inf(-1)
			for j := range seq {
				var dot float64
				for d := lo; d < lo+hd; d++ {
					dot += q[i][d] * k[j][d]
				}
				if add != nil {
					dot += add[i][j]
				}
				scores[j] = dot
				maxScore = max(maxScore, dot)
			}
			var sum float64
			for j := range seq {
				scores[j] = math.Exp(scores[j] - maxScore)
				sum += scores[j]
			}
			for j := range seq {
				p := scores[j] / sum
				for d := lo; d < lo+hd; d++ {
					ctx[i][d] += p * v[j][d]
				}
			}
		}
	}
	out := make([][]float64, seq)
	for s := range seq {
		a := linear(ctx[s], blk.Out)
		h := make([]float64, width)
		for i := range h {
			h[i] = x[s][i] + a[i]
		}
		m := linear(layerNorm(h, blk.LN2), blk.FC1)
		for i, z := range m {
			m[i] = z / (1 + math.Exp(-quickGELUAlpha*z))
		}
		m = linear(m, blk.FC2)
		for i := range h {
			h[i] += m[i]
		}
		out[s] = h
	}
	return out
}
