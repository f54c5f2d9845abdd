package demo

import (
	"fmt"
	"math"
	"slices"
)

// VisionFeatures are what the designed vision graph measures in one image,
// computed in plain Go (float64) by MeasurePixels: the reference the ONNX
// graph is tested against, and a readable statement of what the graph does.
type VisionFeatures struct {
	// Saturation is the mean over the 56×56 image of max(R,G,B) − min(R,G,B).
	Saturation float64
	// Contrast is the standard deviation of the luma of the 3×3-blurred image.
	Contrast float64
	// Offset is the distance from the image centre to the salience-weighted
	// centroid, as a fraction of the width.
	Offset float64
	// Artefact is the mean absolute 4-neighbour Laplacian of luma over the
	// interior pixels (grain, blotch edges, banding steps).
	Artefact float64
	// SubjectRGB is the salience-weighted mean colour and SubjectChroma the
	// length of its opponent vector.
	SubjectRGB    [3]float64
	SubjectChroma float64
	// ColourVotes are the mask-weighted colour votes of the pixels (see
	// design.measure) and Colour the probabilities: the votes squared and
	// renormalised.
	ColourVotes [numColours]float64
	Colour      [numColours]float64
	// ShapeScore is each subject template's best normalised
	// cross-correlation with the subject mask (over centres and scales);
	// Shape = softmax(10·ShapeScore).
	ShapeScore [numSubjects]float64
	Shape      [numSubjects]float64
}

// MeasurePixels computes the designed vision features of one image given
// as the CLIP model input: a normalised CHW float32 tensor of 3×224×224
// (imageproc's "openai" or "hf" pipeline output).
func MeasurePixels(px []float32) (VisionFeatures, error) {
	if len(px) != 3*inputSize*inputSize {
		return VisionFeatures{}, fmt.Errorf("demo: pixel tensor has %d values, want 3×%d×%d", len(px), inputSize, inputSize)
	}
	d, err := newDesign()
	if err != nil {
		return VisionFeatures{}, err
	}
	return d.measure(px), nil
}

// plane is one channel of the working image, row-major.
type plane = []float64

func (d *design) measure(px []float32) VisionFeatures {
	const n = workSize
	var f VisionFeatures
	// Undo the normalisation and average 4×4 blocks.
	var p, bl [3]plane
	for c := 0; c < 3; c++ {
		p[c] = make(plane, n*n)
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				var s float64
				for dy := 0; dy < poolSize; dy++ {
					row := px[c*inputSize*inputSize+(poolSize*y+dy)*inputSize+poolSize*x:]
					for dx := 0; dx < poolSize; dx++ {
						s += float64(row[dx])*d.std[c] + d.mean[c]
					}
				}
				p[c][y*n+x] = s / (poolSize * poolSize)
			}
		}
		bl[c] = boxBlur3(p[c], n)
	}
	luma := func(a [3]plane, i int) float64 { return 0.299*a[0][i] + 0.587*a[1][i] + 0.114*a[2][i] }

	// Saturation, contrast, artefacts.
	yb := make(plane, n*n)
	var meanY float64
	for i := 0; i < n*n; i++ {
		f.Saturation += max(p[0][i], p[1][i], p[2][i]) - min(p[0][i], p[1][i], p[2][i])
		yb[i] = luma(bl, i)
		meanY += yb[i]
	}
	f.Saturation /= n * n
	meanY /= n * n
	for _, v := range yb {
		f.Contrast += (v - meanY) * (v - meanY)
	}
	f.Contrast = math.Sqrt(f.Contrast / (n * n))
	yp := make(plane, n*n)
	for i := range yp {
		yp[i] = luma(p, i)
	}
	for y := 1; y < n-1; y++ {
		for x := 1; x < n-1; x++ {
			i := y*n + x
			f.Artefact += math.Abs(4*yp[i] - yp[i-1] - yp[i+1] - yp[i-n] - yp[i+n])
		}
	}
	f.Artefact /= (n - 2) * (n - 2)

	// Salience: difference from each row's background colour.
	sal := make(plane, n*n)
	border := make([]float64, 2*borderCols)
	for y := 0; y < n; y++ {
		var bg [3]float64
		for c := 0; c < 3; c++ {
			row := bl[c][y*n : (y+1)*n]
			copy(border, row[:borderCols])
			copy(border[borderCols:], row[n-borderCols:])
			slices.Sort(border)
			bg[c] = (border[borderCols-1] + border[borderCols]) / 2
		}
		for x := 0; x < n; x++ {
			i := y*n + x
			d0, d1, d2 := bl[0][i]-bg[0], bl[1][i]-bg[1], bl[2][i]-bg[2]
			m := (d0 + d1 + d2) / 3
			sal[i] = math.Abs(d0-m) + math.Abs(d1-m) + math.Abs(d2-m) + lumaWeight*math.Abs(m)
		}
	}
	sorted := slices.Clone(sal)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	med, hi := sorted[medianRank-1], sorted[hiRank-1]

	// Weights, mask, centroid and subject colour.
	mask := make(plane, n*n)
	var sw, cx, cy float64
	var col [3]float64
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			i := y*n + x
			r := max(sal[i]-med, 0)
			mask[i] = min(max((sal[i]-med)/(hi-med+maskEps), 0), 1)
			w := r * r
			sw += w
			cx += w * (float64(x) + 0.5) / n
			cy += w * (float64(y) + 0.5) / n
			for c := 0; c < 3; c++ {
				col[c] += w * bl[c][i]
			}
		}
	}
	sw += weightEps
	cx, cy = cx/sw, cy/sw
	f.Offset = math.Hypot(cx-0.5, cy-0.5)
	for c := range col {
		f.SubjectRGB[c] = col[c] / sw
	}
	a, b := opponent(f.SubjectRGB)
	f.SubjectChroma = math.Sqrt(a*a + b*b + chromaEps*chromaEps)

	// Colour votes: every pixel's hue votes softmax(pixelKappa·cos) for the
	// world colours, weighted by its mask value squared; the votes are
	// sharpened (squared and renormalised) into the colour probabilities.
	votes := make([]float64, numColours)
	for i := range f.ColourVotes {
		f.ColourVotes[i] = voteEps
	}
	for i := 0; i < n*n; i++ {
		pa, pb := opponent([3]float64{bl[0][i], bl[1][i], bl[2][i]})
		ch := math.Sqrt(pa*pa + pb*pb + pixelChromaEps*pixelChromaEps)
		var cos [numColours]float64
		for k, u := range d.colourDirs {
			cos[k] = (pa*u[0] + pb*u[1]) / ch
		}
		softmax(votes, cos[:], pixelKappa)
		wm := mask[i] * mask[i]
		for k, v := range votes {
			f.ColourVotes[k] += wm * v
		}
	}
	var total float64
	for _, v := range f.ColourVotes {
		total += v * v
	}
	for k, v := range f.ColourVotes {
		f.Colour[k] = v * v / total
	}

	// Shapes: normalised cross-correlation of the 28×28 mask with each
	// template, best over candidate centres and scales.
	const g = shapeSize
	mg := make(plane, g*g)
	for y := 0; y < g; y++ {
		for x := 0; x < g; x++ {
			var s float64
			for dy := 0; dy < maskPool; dy++ {
				for dx := 0; dx < maskPool; dx++ {
					s += mask[(maskPool*y+dy)*n+maskPool*x+dx]
				}
			}
			mg[y*g+x] = s / (maskPool * maskPool)
		}
	}
	for k := range f.ShapeScore {
		f.ShapeScore[k] = math.Inf(-1)
	}
	for _, bank := range d.scales {
		h, k := bank.half, bank.size()
		cnt := float64(k * k)
		for y := 0; y < g; y++ {
			for x := 0; x < g; x++ {
				var s1, s2 float64
				var num [numSubjects]float64
				for i := 0; i < k; i++ {
					yy := y + i - h
					if yy < 0 || yy >= g {
						continue
					}
					for j := 0; j < k; j++ {
						xx := x + j - h
						if xx < 0 || xx >= g {
							continue
						}
						v := mg[yy*g+xx]
						s1 += v
						s2 += v * v
						for sub := range num {
							num[sub] += v * bank.kernels[sub][i*k+j]
						}
					}
				}
				sd := math.Sqrt(max(s2-s1*s1/cnt, nccVarFloor))
				for sub := range num {
					f.ShapeScore[sub] = max(f.ShapeScore[sub], num[sub]/sd+d.centrePen[y*g+x])
				}
			}
		}
	}
	softmax(f.Shape[:], f.ShapeScore[:], shapeKappa)
	return f
}

// boxBlur3 is the 3×3 box blur whose window shrinks at the edges (ONNX
// AveragePool with count_include_pad = 0).
func boxBlur3(src plane, n int) plane {
	out := make(plane, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var s, k float64
			for yy := max(0, y-1); yy <= min(n-1, y+1); yy++ {
				for xx := max(0, x-1); xx <= min(n-1, x+1); xx++ {
					s += src[yy*n+xx]
					k++
				}
			}
			out[y*n+x] = s / k
		}
	}
	return out
}

// softmax writes softmax(kappa·x) into dst (len(x) values).
func softmax(dst, x []float64, kappa float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	var s float64
	for i, v := range x {
		dst[i] = math.Exp(kappa * (v - m))
		s += dst[i]
	}
	for i := range x {
		dst[i] /= s
	}
}

// appealValues are the standardised appeal measurements (before
// appealWeight): saturation, contrast, centring, cleanliness, subject chroma.
func (f VisionFeatures) appealValues() [numAppeal]float64 {
	raw := [numAppeal]float64{f.Saturation, f.Contrast, f.Offset, f.Artefact, f.SubjectChroma}
	var z [numAppeal]float64
	for i, s := range appealStats {
		z[i] = s.sign * (raw[i] - s.mean) / s.spread
	}
	return z
}

// ImageEmbedding is the designed CLIP's image embedding of the features
// (L2-normalised; layout in EmbeddingDims).
func (f VisionFeatures) ImageEmbedding() []float64 {
	e := make([]float64, embedDim)
	copy(e[dimColour:], f.Colour[:])
	copy(e[dimShape:], f.Shape[:])
	e[dimConst] = constWeight
	for i, z := range f.appealValues() {
		e[dimAppeal+i] = appealWeight * z
	}
	return normalize(e)
}

func normalize(e []float64) []float64 {
	var s float64
	for _, v := range e {
		s += v * v
	}
	s = math.Sqrt(s)
	for i := range e {
		e[i] /= s
	}
	return e
}

// tokenTable maps token ids to the words the designed text towers know:
// colour[id] is the colour index of a colour word (−1 otherwise), subject[id]
// the subject index of a subject word.
type tokenTable struct {
	colour, subject []int
}

// words returns, for one row of ids and attention mask, the first colour
// word's and the first subject word's indices (−1 when absent). Ids outside
// the table count as unknown words.
func (t tokenTable) words(ids, mask []int64) (colour, subject int) {
	colour, subject = -1, -1
	for i, id := range ids {
		if mask[i] == 0 || id < 0 || id >= int64(len(t.colour)) {
			continue
		}
		if c := t.colour[id]; c >= 0 && colour < 0 {
			colour = c
		}
		if s := t.subject[id]; s >= 0 && subject < 0 {
			subject = s
		}
	}
	return colour, subject
}

// textEmbedding is the designed CLIP's text embedding of one tokenized
// prompt; quality is the constant on the cleanliness dim (0 for CLIPScore
// and Social Reward, pickQuality for PickScore).
func (t tokenTable) textEmbedding(ids, mask []int64, quality float64) []float64 {
	e := make([]float64, embedDim)
	c, s := t.words(ids, mask)
	if c >= 0 {
		e[dimColour+c] = 1
	}
	if s >= 0 {
		e[dimShape+s] = 1
	}
	e[dimConst] = constWeight
	e[dimAppeal+3] = quality
	return normalize(e)
}

// rewardRaw is the designed ImageReward proxy's output for one prompt and
// image.
func (t tokenTable) rewardRaw(ids, mask []int64, f VisionFeatures) float64 {
	c, s := t.words(ids, mask)
	var align float64
	if c >= 0 {
		align += f.Colour[c]
	}
	if s >= 0 {
		align += f.Shape[s]
	}
	return irAlign*(align-1) + irQuality*f.appealValues()[3] + irMean
}
