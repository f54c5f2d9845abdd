package demo

import (
	"fmt"
	"math"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/simworld"
)

// The designed demo models "see" the synthetic world of harness/simworld
// with a small, fixed image-processing graph instead of a trained
// transformer. Everything below is a named constant or a table computed
// from the world's own definitions (its colour hues and shape outlines);
// nothing is fitted to rendered images. The package documentation (doc.go)
// walks through the design; designed_ref.go computes the same numbers in
// plain Go, and designed_graph.go writes them as ONNX.

// Image geometry. The CLIP pipelines hand the model a 224×224 tensor; the
// graph first averages 4×4 blocks (224/4 = 56, close to the world's native
// 64 px) and finds shapes on a further 2×2-averaged 28×28 mask.
const (
	inputSize = 224
	poolSize  = 4  // 224 → 56
	workSize  = 56 // working resolution of every measurement
	maskPool  = 2  // 56 → 28 for shape matching
	shapeSize = workSize / maskPool
)

// Background estimate: per row of the blurred image, the median (mean of
// the 4th and 5th largest of 8) of the borderCols leftmost and borderCols
// rightmost pixels, per channel. The world keeps subjects at least 0.05 of
// the width from the edges, so the border is background.
const borderCols = 4

// Salience thresholds: S is the salience map (see salience in
// designed_ref.go); med its median over the 56×56 pixels (the
// medianRank-th largest) and hi its 98th percentile (the hiRank-th
// largest). The subject mask is clip((S − med)/(hi − med + maskEps), 0, 1);
// the centroid and subject colour are weighted by relu(S − med)². The
// epsilons are far below what a visible subject gives (maskEps is one
// 8-bit level) and far above float32 rounding, so a blank image gets an
// empty mask rather than one made of rounding noise.
const (
	medianRank = workSize * workSize / 2  // 1568th largest of 3136
	hiRank     = workSize * workSize / 50 // 62nd largest: the top 2 %
	maskEps    = 1.0 / 255
	weightEps  = 1e-6
)

// lumaWeight weighs a pixel's brightness difference from the background
// against its colour difference in the salience map (the world's texture
// is brightness only).
const lumaWeight = 0.5

// Colour and shape classification. Each pixel votes
// softmax(pixelKappa · cos(angle between its opponent colour and each world
// colour's hue)); a grey pixel (chroma well below pixelChromaEps) votes
// evenly. The shape probabilities are softmax(shapeKappa · best normalised
// cross-correlation).
const (
	pixelKappa     = 20
	pixelChromaEps = 0.01
	voteEps        = 0.01 // a prior vote per colour: a blank image gets even probabilities
	shapeKappa     = 10
	chromaEps      = 1e-3 // keeps the subject chroma away from 0 (it is a square root)
	nccVarFloor    = 0.01 // floor of a window's Σ(M − mean)²: near-empty windows correlate ~0
	centreRadius   = 0.22 // candidate subject centres: within this fraction of the width from the image centre
	outsidePen     = 10   // subtracted from the correlation of centres outside that disc
)

// shapeScales are the subject radii (fractions of the width) the shape
// templates are drawn at; the world draws radii in [0.15, 0.25].
var shapeScales = [...]float64{0.15, 0.20, 0.25}

// Embedding layout of the designed CLIP (text and image share it).
const (
	dimColour   = 0  // 8 dims: probability of each world colour (image); the prompt's colour (text)
	dimShape    = 8  // 6 dims: probability of each world subject (image); the prompt's subject (text)
	dimConst    = 14 // constant on both sides
	dimAppeal   = 15 // 5 dims: saturation, contrast, centring, cleanliness, subject chroma (image only)
	numAppeal   = 5
	embedDim    = 20
	numColours  = 8
	numSubjects = 6
)

// Embedding weights. The colour and shape blocks carry the probabilities at
// weight 1; the constant dim is constWeight on both sides (it keeps a text
// without colour or subject words, and a blank image, away from the zero
// vector); each appeal dim is appealWeight × a standardised measurement, so
// together they move the image norm by only a few per cent and barely
// touch the untrained cosine.
const (
	constWeight  = 0.3
	appealWeight = 0.1
	// pickQuality is the demo PickScore text's constant component on the
	// cleanliness dim: every prompt also asks for a clean image.
	pickQuality = 1.0
	// pickLogitScale is the demo PickScore's logit scale (log space), ln 100
	// as in released CLIP and PickScore checkpoints.
	pickLogitScale = 4.605170185988092
)

// appealStats centre and scale the raw appeal measurements (saturation,
// contrast, offset, artefact, subject chroma) into the image embedding:
// dim = appealWeight · sign · (x − mean) / spread. Mean and spread are
// round numbers near those of the default world's images (seed 1, 300
// prompts; see docs/social-data.md, "Demo models"); the sign makes higher
// mean "more appealing" (centring = −offset, cleanliness = −artefact).
var appealStats = [numAppeal]struct {
	name         string
	mean, spread float64
	sign         float64
}{
	{"saturation", 0.10, 0.08, 1},
	{"contrast", 0.08, 0.03, 1},
	{"centring", 0.10, 0.06, -1},
	{"cleanliness", 0.10, 0.08, -1},
	{"subject_chroma", 0.19, 0.11, 1},
}

// ImageReward proxy: reward_raw = irAlign·(P(prompt colour) + P(prompt
// subject) − 1) + irQuality·cleanliness_z + irMean, so that after the
// scorer's normalisation (reward_raw − 0.16717)/1.03334 an aligned, clean
// image scores about +1 and one with the wrong colour or subject about 0.
const (
	irAlign   = 1.0
	irQuality = 0.2
	irMean    = 0.16717362830052426
)

// EmbeddingDims names the dimensions of the designed CLIP's text and image
// embeddings, in order.
func EmbeddingDims() []string {
	var out []string
	for _, c := range simworld.ColourNames() {
		out = append(out, "colour:"+c)
	}
	for _, s := range simworld.SubjectNames() {
		out = append(out, "subject:"+s)
	}
	out = append(out, "constant")
	for _, a := range appealStats {
		out = append(out, "appeal:"+a.name)
	}
	return out
}

// design holds the tables of the designed models, computed from the
// world's definitions.
type design struct {
	colours  []string
	subjects []string
	// colourDirs are unit vectors in the opponent plane (see opponent) at
	// each world colour's hue.
	colourDirs [][2]float64
	scales     []shapeBank
	// centrePen is added to every correlation map: 0 for centres within
	// centreRadius of the image centre, −outsidePen elsewhere.
	centrePen []float64
	mean, std [3]float64
}

// shapeBank is the six zero-mean, unit-norm templates of one scale, each
// (2·half+1)² values, row-major.
type shapeBank struct {
	half    int
	kernels [numSubjects][]float64
}

func (b shapeBank) size() int { return 2*b.half + 1 }

// newDesign computes the tables.
func newDesign() (*design, error) {
	d := &design{colours: simworld.ColourNames(), subjects: simworld.SubjectNames(), mean: imageproc.CLIPMean(), std: imageproc.CLIPStd()}
	if len(d.colours) != numColours || len(d.subjects) != numSubjects {
		return nil, fmt.Errorf("demo: the world has %d colours and %d subjects; the designed models expect %d and %d",
			len(d.colours), len(d.subjects), numColours, numSubjects)
	}
	for c := range d.colours {
		a, b := opponent(hsvRGB(simworld.ColourHue(c)))
		n := math.Hypot(a, b)
		d.colourDirs = append(d.colourDirs, [2]float64{a / n, b / n})
	}
	for _, s := range shapeScales {
		d.scales = append(d.scales, newShapeBank(s))
	}
	d.centrePen = make([]float64, shapeSize*shapeSize)
	for y := 0; y < shapeSize; y++ {
		for x := 0; x < shapeSize; x++ {
			dx, dy := float64(x)+0.5-shapeSize/2.0, float64(y)+0.5-shapeSize/2.0
			if math.Hypot(dx, dy) > centreRadius*shapeSize {
				d.centrePen[y*shapeSize+x] = -outsidePen
			}
		}
	}
	return d, nil
}

// opponent maps RGB to the opponent-colour plane: a = R − (G+B)/2,
// b = (√3/2)(G − B). Adding grey, blending toward luma (saturation) and
// scaling around a mean (contrast) change the length of (a, b) but not its
// angle, which is close to the HSV hue (0° red, 120° green, 240° blue).
func opponent(rgb [3]float64) (a, b float64) {
	return rgb[0] - (rgb[1]+rgb[2])/2, math.Sqrt(3) / 2 * (rgb[1] - rgb[2])
}

// hsvRGB is the fully saturated, full-value colour of hue h (degrees); the
// opponent angle of an HSV colour depends on its hue only.
func hsvRGB(h float64) [3]float64 {
	h = math.Mod(h, 360)
	if h < 0 {
		h += 360
	}
	x := 1 - math.Abs(math.Mod(h/60, 2)-1)
	switch {
	case h < 60:
		return [3]float64{1, x, 0}
	case h < 120:
		return [3]float64{x, 1, 0}
	case h < 180:
		return [3]float64{0, 1, x}
	case h < 240:
		return [3]float64{0, x, 1}
	case h < 300:
		return [3]float64{x, 0, 1}
	}
	return [3]float64{1, 0, x}
}

// shapeOutline is the signed distance (in subject radii, negative inside)
// of point (u, v) from subject k's outline: the six outlines simworld draws
// (circle, square, triangle pointing up, five-pointed star, ring, cross),
// written out again here because they are the model's prior knowledge of
// the world.
func shapeOutline(k int, u, v float64) float64 {
	switch k {
	case 0: // circle
		return math.Hypot(u, v) - 1
	case 1: // square
		return max(math.Abs(u), math.Abs(v)) - 0.85
	case 2: // triangle
		const r3 = 1.7320508075688772
		x, y := math.Abs(u), -v+0.25
		return max((r3*x+y-1)/2, -y-0.5)
	case 3: // star
		r := math.Hypot(u, v)
		th := math.Atan2(u, -v)
		return r - (0.5 + 0.5*math.Pow(0.5+0.5*math.Cos(5*th), 2))
	case 4: // ring
		return math.Abs(math.Hypot(u, v)-0.72) - 0.28
	}
	// cross
	a := max(math.Abs(u)-0.95, math.Abs(v)-0.32)
	b := max(math.Abs(u)-0.32, math.Abs(v)-0.95)
	return min(a, b)
}

// newShapeBank draws the six subjects at radius scale·28 px with a 1 px
// soft edge, on a kernel of half-size ⌈1.1·radius + 1⌉, and makes each
// template zero-mean with unit norm (so correlating it with a window and
// dividing by the window's spread is a normalised cross-correlation).
func newShapeBank(scale float64) shapeBank {
	rp := scale * shapeSize
	half := int(math.Ceil(1.1*rp + 1))
	k := 2*half + 1
	var b shapeBank
	b.half = half
	for s := 0; s < numSubjects; s++ {
		t := make([]float64, k*k)
		var mean float64
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				d := shapeOutline(s, float64(j-half)/rp, float64(i-half)/rp) * rp
				t[i*k+j] = min(max(0.5-d/2, 0), 1)
				mean += t[i*k+j]
			}
		}
		mean /= float64(k * k)
		var norm float64
		for i := range t {
			t[i] -= mean
			norm += t[i] * t[i]
		}
		norm = math.Sqrt(norm)
		for i := range t {
			t[i] /= norm
		}
		b.kernels[s] = t
	}
	return b
}
