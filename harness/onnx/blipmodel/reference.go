package blipmodel

import (
	"fmt"
	"math"
)

// This file is a plain-Go forward pass of the same network in float64 with
// straightforward loops, written from the BLIP/ImageReward module structure
// independently of the ONNX graph so each can check the other. It is slow
// (no blocking, no parallelism) and meant for tests and small models.

// ImageTokens returns the vision transformer's output for a row-major
// float32 batch of images [batch, 3, ImageSize, ImageSize]:
// [batch][NumImageTokens][VisionWidth].
func (w *Weights) ImageTokens(pixels []float32, batch int) ([][][]float64, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	hw := w.Config.ImageSize * w.Config.ImageSize
	if batch <= 0 || len(pixels) != batch*3*hw {
		return nil, fmt.Errorf("blipmodel: %s has %d values, want batch %d × 3 × %d × %d", PixelValues, len(pixels), batch, w.Config.ImageSize, w.Config.ImageSize)
	}
	out := make([][][]float64, batch)
	for b := range batch {
		out[b] = w.imageRow(pixels[b*3*hw : (b+1)*3*hw])
	}
	return out, nil
}

// RawRewards returns reward_raw for each row: ids and mask are
// [batch][seq] (1 ≤ seq ≤ MaxPositions; mask entries 1 for tokens, 0 for
// padding) and row i is scored against image i of pixels [batch, 3,
// ImageSize, ImageSize].
func (w *Weights) RawRewards(ids, mask [][]int64, pixels []float32) ([]float64, error) {
	if len(mask) != len(ids) {
		return nil, fmt.Errorf("blipmodel: %s has %d rows, %s has %d", InputIDs, len(ids), AttentionMask, len(mask))
	}
	images, err := w.ImageTokens(pixels, len(ids))
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(ids))
	for b := range ids {
		seq := len(ids[b])
		if seq == 0 || seq > w.Config.MaxPositions {
			return nil, fmt.Errorf("blipmodel: %s row %d has %d tokens, want 1..%d", InputIDs, b, seq, w.Config.MaxPositions)
		}
		if len(mask[b]) != seq {
			return nil, fmt.Errorf("blipmodel: %s row %d has %d entries, want %d", AttentionMask, b, len(mask[b]), seq)
		}
		cls, err := w.textCLS(ids[b], mask[b], images[b])
		if err != nil {
			return nil, fmt.Errorf("blipmodel: %s row %d: %w", InputIDs, b, err)
		}
		x := cls
		for _, l := range w.Head {
			x = linear(x, l)
		}
		out[b] = x[0]
	}
	return out, nil
}

func (w *Weights) imageRow(px []float32) [][]float64 {
	cfg := w.Config
	v := w.Vision
	width, p, size, grid := cfg.VisionWidth, cfg.PatchSize, cfg.ImageSize, cfg.GridSize()
	x := newMat(cfg.NumImageTokens(), width)
	copy64(x[0], v.ClassToken)
	for gy := range grid {
		for gx := range grid {
			tok := x[1+gy*grid+gx]
			for o := range width {
				sum := float64(v.PatchBias[o])
				for ch := range 3 {
					for ky := range p {
						wrow := v.PatchWeight[((o*3+ch)*p+ky)*p:]
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
	for t := range x {
		for c := range width {
			x[t][c] += float64(v.PosEmbed[t*width+c])
		}
	}
	for _, blk := range v.Blocks {
		x = visionBlock(x, blk, cfg.VisionHeads)
	}
	for t := range x {
		x[t] = layerNorm(x[t], v.Norm, VisionLayerNormEpsilon)
	}
	return x
}

func visionBlock(x [][]float64, blk VisionBlock, heads int) [][]float64 {
	n, width := len(x), len(x[0])
	q, k, v := newMat(n, width), newMat(n, width), newMat(n, width)
	for s := range n {
		qkv := linear(layerNorm(x[s], blk.Norm1, VisionLayerNormEpsilon), blk.QKV)
		copy(q[s], qkv[:width])
		copy(k[s], qkv[width:2*width])
		copy(v[s], qkv[2*width:])
	}
	ctx := attention(q, k, v, heads, nil)
	out := make([][]float64, n)
	for s := range n {
		h := add(x[s], linear(ctx[s], blk.Proj))
		m := linear(layerNorm(h, blk.Norm2, VisionLayerNormEpsilon), blk.FC1)
		for i := range m {
			m[i] = gelu(m[i])
		}
		out[s] = add(h, linear(m, blk.FC2))
	}
	return out
}

func (w *Weights) textCLS(ids, mask []int64, image [][]float64) ([]float64, error) {
	cfg := w.Config
	t := w.Text
	width := cfg.TextWidth
	x := newMat(len(ids), width)
	for s, id := range ids {
		row := id
		if cfg.FoldTokenIDs {
			row = id % int64(cfg.Vocab)
			if row < 0 { // ONNX Mod (fmod=0) takes the divisor's sign
				row += int64(cfg.Vocab)
			}
		}
		if row < 0 || row >= int64(cfg.Vocab) {
			return nil, fmt.Errorf("token %d: id %d is outside the vocabulary [0, %d)", s, id, cfg.Vocab)
		}
		for c := range width {
			x[s][c] = float64(t.WordEmbeddings[int(row)*width+c]) + float64(t.PositionEmbeddings[s*width+c])
		}
		x[s] = layerNorm(x[s], t.EmbeddingsLN, TextLayerNormEpsilon)
	}
	keyMask := make([]float64, len(ids))
	for k, m := range mask {
		keyMask[k] = (1 - float64(m)) * maskValue
	}
	for _, l := range t.Layers {
		h := bertAttention(x, x, l.Self, cfg.TextHeads, keyMask)
		h = bertAttention(h, image, l.Cross, cfg.TextHeads, nil)
		out := make([][]float64, len(h))
		for s := range h {
			f := linear(h[s], l.Intermediate)
			for i := range f {
				f[i] = gelu(f[i])
			}
			out[s] = layerNorm(add(linear(f, l.Output), h[s]), l.OutputLN, TextLayerNormEpsilon)
		}
		x = out
	}
	return x[0], nil
}

// bertAttention: h attends to src with an additive per-key mask (nil for
// none), then the post-norm residual LN(Out(ctx) + h).
func bertAttention(h, src [][]float64, a Attention, heads int, keyMask []float64) [][]float64 {
	q := make([][]float64, len(h))
	for s := range h {
		q[s] = linear(h[s], a.Q)
	}
	k := make([][]float64, len(src))
	v := make([][]float64, len(src))
	for s := range src {
		k[s] = linear(src[s], a.K)
		v[s] = linear(src[s], a.V)
	}
	ctx := attention(q, k, v, heads, keyMask)
	out := make([][]float64, len(h))
	for s := range h {
		out[s] = layerNorm(add(linear(ctx[s], a.Out), h[s]), a.LN, TextLayerNormEpsilon)
	}
	return out
}

// attention is multi-head softmax(q·kᵀ/√d + keyMask)·v.
func attention(q, k, v [][]float64, heads int, keyMask []float64) [][]float64 {
	width := len(q[0])
	hd := width / heads
	scale := math.Sqrt(float64(hd))
	ctx := newMat(len(q), width)
	scores := make([]float64, len(k))
	for h := range heads {
		lo, hi := h*hd, (h+1)*hd
		for i := range q {
			best := math.Inf(-1)
			for j := range k {
				var dot float64
				for d := lo; d < hi; d++ {
					dot += q[i][d] * k[j][d]
				}
				dot /= scale
				if keyMask != nil {
					dot += keyMask[j]
				}
				scores[j] = dot
				best = max(best, dot)
			}
			var sum float64
			for j := range scores {
				scores[j] = math.Exp(scores[j] - best)
				sum += scores[j]
			}
			for j := range k {
				p := scores[j] / sum
				for d := lo; d < hi; d++ {
					ctx[i][d] += p * v[j][d]
				}
			}
		}
	}
	return ctx
}

// gelu is the exact (erf) GELU.
func gelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func newMat(rows, cols int) [][]float64 {
	m := make([][]float64, rows)
	for i := range m {
		m[i] = make([]float64, cols)
	}
	return m
}

func copy64(dst []float64, src []float32) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

func add(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func layerNorm(x []float64, ln LayerNorm, eps float64) []float64 {
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
	inv := 1 / math.Sqrt(variance+eps)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (v-mean)*inv*float64(ln.Scale[i]) + float64(ln.Bias[i])
	}
	return out
}

func linear(x []float64, l Linear) []float64 {
	out := make([]float64, l.Out)
	for o := range out {
		out[o] = float64(l.B[o])
	}
	for i, xi := range x {
		for o, wv := range l.W[i*l.Out : (i+1)*l.Out] {
			out[o] += xi * float64(wv)
		}
	}
	return out
}
