package train

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
)

// Model is a Social Reward scorer on cached embeddings: optional adapters on
// the text and image sides of a frozen CLIP-shaped backbone. A nil adapter
// (and a nil *Model) is the identity. Score is the cosine of the adapted
// vectors, the same scoring path as inference.
type Model struct {
	TextAdapter  *Adapter
	ImageAdapter *Adapter
}

// Clone returns a deep copy of m.
func (m *Model) Clone() *Model {
	if m == nil {
		return &Model{}
	}
	return &Model{TextAdapter: m.TextAdapter.Clone(), ImageAdapter: m.ImageAdapter.Clone()}
}

func (m *Model) text() *Adapter {
	if m == nil {
		return nil
	}
	return m.TextAdapter
}

func (m *Model) image() *Adapter {
	if m == nil {
		return nil
	}
	return m.ImageAdapter
}

// CheckDims reports whether the model accepts text embeddings of length
// textDim and image embeddings of length imageDim, and whether the adapted
// vectors have equal lengths (needed for the cosine).
func (m *Model) CheckDims(textDim, imageDim int) error {
	to, io := textDim, imageDim
	if a := m.text(); a != nil {
		if a.in != textDim {
			return fmt.Errorf("text adapter takes %d values, text embedding has %d", a.in, textDim)
		}
		to = a.out
	}
	if a := m.image(); a != nil {
		if a.in != imageDim {
			return fmt.Errorf("image adapter takes %d values, image embedding has %d", a.in, imageDim)
		}
		io = a.out
	}
	if to != io {
		return fmt.Errorf("adapted text has %d values, adapted image %d: the cosine needs equal lengths", to, io)
	}
	return nil
}

func toFloat64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func applyAdapter(a *Adapter, x []float32) []float64 {
	xd := toFloat64(x)
	if a == nil {
		return xd
	}
	return a.Apply(xd)
}

// ApplyText returns the adapted (not normalised) text embedding in float64.
// It panics if len(x) does not match the text adapter (see CheckDims).
func (m *Model) ApplyText(x []float32) []float64 { return applyAdapter(m.text(), x) }

// ApplyImage returns the adapted (not normalised) image embedding in float64.
// It panics if len(x) does not match the image adapter (see CheckDims).
func (m *Model) ApplyImage(x []float32) []float64 { return applyAdapter(m.image(), x) }

// Score returns the cosine similarity of the adapted text and image
// embeddings (no logit scale), computed in float64. It is NaN when an
// adapted vector is zero. It panics on a dimension mismatch, a programmer
// error: check with CheckDims first.
func (m *Model) Score(text, image []float32) float64 {
	t, i := m.ApplyText(text), m.ApplyImage(image)
	if len(t) != len(i) {
		panic(fmt.Sprintf("train: adapted text has %d values, adapted image %d", len(t), len(i)))
	}
	return cosine(t, i)
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for k := range a {
		ab += a[k] * b[k]
		aa += a[k] * a[k]
		bb += b[k] * b[k]
	}
	return ab / (math.Sqrt(aa) * math.Sqrt(bb))
}

// PairwiseAccuracy returns the share of triplets with
// Score(Text, Pos) >= Score(Text, Neg), Social Reward's rule (ties count as
// correct), weighting each triplet by its Weight (0 = 1). It returns 0 for
// no triplets. Triplets must match the model's dimensions (see CheckDims).
func PairwiseAccuracy(m *Model, ts []Triplet) float64 {
	var correct, total float64
	const chunk = 256
	for lo := 0; lo < len(ts); lo += chunk {
		batch := ts[lo:min(lo+chunk, len(ts))]
		f := forwardBatch(m, batch)
		b := len(batch)
		d := f.a.Cols
		for i, t := range batch {
			w := t.weight()
			a := f.a.Data[i*d : (i+1)*d]
			p := f.img.Data[i*d : (i+1)*d]
			n := f.img.Data[(b+i)*d : (b+i+1)*d]
			if dot(a, p) >= dot(a, n) {
				correct += w
			}
			total += w
		}
	}
	if total == 0 {
		return 0
	}
	return correct / total
}

func dot(a, b []float64) float64 {
	var s float64
	for k := range a {
		s += a[k] * b[k]
	}
	return s
}

// batchForward holds one batch's forward pass: adapted vectors, their norms
// and the normalised rows. img stacks the positives (rows 0..B-1) over the
// negatives (rows B..2B-1).
type batchForward struct {
	textCache, imgCache *fwdCache
	yText, yImg         blas64.General // adapted
	nText, nImg         []float64      // row norms of the adapted vectors
	a, img              blas64.General // L2-normalised
}

// forwardBatch runs the adapters and the L2 normalisation on a batch.
func forwardBatch(m *Model, batch []Triplet) *batchForward {
	b := len(batch)
	dt, di := len(batch[0].Text), len(batch[0].Pos)
	xt := newGeneral(b, dt)
	xi := newGeneral(2*b, di)
	for i, t := range batch {
		for k, v := range t.Text {
			xt.Data[i*dt+k] = float64(v)
		}
		for k, v := range t.Pos {
			xi.Data[i*di+k] = float64(v)
		}
		for k, v := range t.Neg {
			xi.Data[(b+i)*di+k] = float64(v)
		}
	}
	f := &batchForward{}
	f.yText, f.textCache = m.text().forward(xt)
	f.yImg, f.imgCache = m.image().forward(xi)
	f.a, f.nText = normalizeRows(f.yText)
	f.img, f.nImg = normalizeRows(f.yImg)
	return f
}

// normalizeRows returns the rows of y divided by their L2 norms, and the norms.
func normalizeRows(y blas64.General) (blas64.General, []float64) {
	u := newGeneral(y.Rows, y.Cols)
	norms := make([]float64, y.Rows)
	for i := range y.Rows {
		row := y.Data[i*y.Stride : i*y.Stride+y.Cols]
		var ss float64
		for _, v := range row {
			ss += v * v
		}
		nrm := math.Sqrt(ss)
		norms[i] = nrm
		out := u.Data[i*u.Cols : (i+1)*u.Cols]
		for k, v := range row {
			out[k] = v / nrm
		}
	}
	return u, norms
}

// normalizeBackward turns du = dL/du (u = y/‖y‖) into dL/dy in place:
// dy = (du − u·(u·du)) / ‖y‖.
func normalizeBackward(u blas64.General, norms []float64, du blas64.General) {
	for i := range u.Rows {
		ur := u.Data[i*u.Cols : (i+1)*u.Cols]
		gr := du.Data[i*du.Cols : (i+1)*du.Cols]
		p := dot(ur, gr)
		for k := range gr {
			gr[k] = (gr[k] - ur[k]*p) / norms[i]
		}
	}
}
