package train

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Loss names (Config.Loss).
const (
	// LossTriplet is Social Reward's loss: mean relu(‖a−p‖² − ‖a−n‖² + margin).
	LossTriplet = "triplet"
	// LossLogistic is the pairwise logistic (Bradley–Terry) loss:
	// mean softplus(−s·(cos(a,p) − cos(a,n))).
	LossLogistic = "logistic"
	// LossInfoNCE is the in-batch contrastive loss: cross-entropy of each
	// anchor's own positive among the batch's positives and negatives at
	// temperature τ.
	LossInfoNCE = "infonce"
)

var lossNames = []string{LossTriplet, LossLogistic, LossInfoNCE}

// lossSpec is a resolved loss with its constant.
type lossSpec struct {
	name   string
	margin float64 // triplet
	scale  float64 // logistic
	temp   float64 // infonce
}

// evalLoss computes the weighted batch loss on L2-normalised anchors a (B×d)
// and images img (2B×d: positives over negatives). w holds the per-triplet
// weights normalised to sum to 1. If grad, it also returns dL/da and dL/dimg.
// A NaN anywhere in the inputs makes the loss NaN (never silently zero).
func (ls lossSpec) evalLoss(a, img blas64.General, w []float64, grad bool) (float64, blas64.General, blas64.General) {
	b, d := a.Rows, a.Cols
	var da, dimg blas64.General
	if grad {
		da, dimg = newGeneral(b, d), newGeneral(2*b, d)
	}
	row := func(m blas64.General, i int) []float64 { return m.Data[i*m.Stride : i*m.Stride+m.Cols] }
	var loss float64
	switch ls.name {
	case LossTriplet:
		for i := range b {
			ai, pi, ni := row(a, i), row(img, i), row(img, b+i)
			var dap, dan float64
			for k := range d {
				dp, dn := ai[k]-pi[k], ai[k]-ni[k]
				dap += dp * dp
				dan += dn * dn
			}
			v := dap - dan + ls.margin
			if math.IsNaN(v) {
				loss = math.NaN()
				continue
			}
			if !(v > 0) {
				continue // relu: zero loss and zero gradient (as PyTorch at 0)
			}
			loss += w[i] * v
			if grad {
				gai, gpi, gni := row(da, i), row(dimg, i), row(dimg, b+i)
				c := 2 * w[i]
				for k := range d {
					gai[k] += c * (ni[k] - pi[k])
					gpi[k] += c * (pi[k] - ai[k])
					gni[k] += c * (ai[k] - ni[k])
				}
			}
		}
	case LossLogistic:
		for i := range b {
			ai, pi, ni := row(a, i), row(img, i), row(img, b+i)
			x := -ls.scale * (dot(ai, pi) - dot(ai, ni))
			loss += w[i] * softplus(x)
			if grad {
				// dl/d(diff) = −s·σ(x)
				c := -w[i] * ls.scale * sigmoid(x)
				gai, gpi, gni := row(da, i), row(dimg, i), row(dimg, b+i)
				for k := range d {
					gai[k] += c * (pi[k] - ni[k])
					gpi[k] += c * ai[k]
					gni[k] -= c * ai[k]
				}
			}
		}
	case LossInfoNCE:
		// logits[i][j] = a_i·img_j / τ over all 2B images; target column i.
		logits := newGeneral(b, 2*b)
		blas64.Gemm(blas.NoTrans, blas.Trans, 1/ls.temp, a, img, 0, logits)
		for i := range b {
			li := row(logits, i)
			mx := math.Inf(-1)
			for _, v := range li {
				mx = max(mx, v) // max returns NaN if any is NaN
			}
			var se float64
			for _, v := range li {
				se += math.Exp(v - mx)
			}
			lse := mx + math.Log(se)
			loss += w[i] * (lse - li[i])
			if grad {
				// reuse the row for dL/dlogits = w_i (softmax − onehot) / τ
				for j, v := range li {
					li[j] = math.Exp(v-lse) * w[i] / ls.temp
				}
				li[i] -= w[i] / ls.temp
			}
		}
		if grad {
			// dA = G·IMG ; dIMG = Gᵀ·A
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, logits, img, 0, da)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, logits, a, 0, dimg)
		}
	default:
		panic(fmt.Sprintf("train: unknown loss %q", ls.name))
	}
	return loss, da, dimg
}

// softplus is log(1+eˣ), computed without overflow.
func softplus(x float64) float64 {
	return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// sigmoid is 1/(1+e⁻ˣ), computed without overflow.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// batchWeights returns the batch's triplet weights normalised to sum to 1.
func batchWeights(batch []Triplet) ([]float64, float64) {
	w := make([]float64, len(batch))
	var sum float64
	for i, t := range batch {
		w[i] = t.weight()
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w, sum
}

// lossGrad runs forward and backward on one batch: it returns the loss and
// the gradients of all of m's parameters (text adapter's then image
// adapter's, in Params order), written into grads if it is not nil (it must
// then match modelParams(m); it is zeroed first) or freshly allocated.
func lossGrad(ls lossSpec, m *Model, batch []Triplet, grads [][]float64) (float64, [][]float64) {
	if grads == nil {
		grads = zerosLike(modelParams(m))
	} else {
		for _, g := range grads {
			clear(g)
		}
	}
	f := forwardBatch(m, batch)
	w, _ := batchWeights(batch)
	loss, da, dimg := ls.evalLoss(f.a, f.img, w, true)
	normalizeBackward(f.a, f.nText, da)
	normalizeBackward(f.img, f.nImg, dimg)
	rest := grads
	if t := m.text(); t != nil {
		t.backward(f.textCache, da, rest[:len(t.params)])
		rest = rest[len(t.params):]
	}
	if im := m.image(); im != nil {
		im.backward(f.imgCache, dimg, rest[:len(im.params)])
	}
	return loss, grads
}

func zerosLike(ts []*Tensor) [][]float64 {
	g := make([][]float64, len(ts))
	for i, t := range ts {
		g[i] = make([]float64, len(t.Data))
	}
	return g
}

// modelParams lists m's parameters: the text adapter's then the image
// adapter's, each in Params order.
func modelParams(m *Model) []*Tensor {
	var ps []*Tensor
	if t := m.text(); t != nil {
		ps = append(ps, t.params...)
	}
	if im := m.image(); im != nil {
		ps = append(ps, im.params...)
	}
	return ps
}

// Loss returns the weighted loss of cfg (cfg.Loss and its constant) on one
// batch of triplets under m, the quantity Train minimises per step.
func Loss(cfg Config, m *Model, batch []Triplet) (float64, error) {
	ls, err := cfg.lossSpec()
	if err != nil {
		return 0, err
	}
	if len(batch) == 0 {
		return 0, fmt.Errorf("loss: empty batch")
	}
	if err := checkTriplets("batch", batch, m); err != nil {
		return 0, err
	}
	f := forwardBatch(m, batch)
	w, _ := batchWeights(batch)
	loss, _, _ := ls.evalLoss(f.a, f.img, w, false)
	return loss, nil
}

// checkTriplets checks lengths and weights of ts against the first triplet
// and the model.
func checkTriplets(split string, ts []Triplet, m *Model) error {
	if len(ts) == 0 {
		return nil
	}
	dt, di := len(ts[0].Text), len(ts[0].Pos)
	if dt == 0 {
		return fmt.Errorf("%s triplet 0: field Text: empty embedding", split)
	}
	if di == 0 {
		return fmt.Errorf("%s triplet 0: field Pos: empty embedding", split)
	}
	for i, t := range ts {
		for _, f := range []struct {
			name string
			got  int
			want int
		}{{"Text", len(t.Text), dt}, {"Pos", len(t.Pos), di}, {"Neg", len(t.Neg), di}} {
			if f.got != f.want {
				return fmt.Errorf("%s triplet %d: field %s: %d values, want %d (as triplet 0)", split, i, f.name, f.got, f.want)
			}
		}
		if t.Weight < 0 || math.IsNaN(t.Weight) || math.IsInf(t.Weight, 0) {
			return fmt.Errorf("%s triplet %d: field Weight: %v, want a finite value >= 0 (0 means 1)", split, i, t.Weight)
		}
	}
	if err := m.CheckDims(dt, di); err != nil {
		return fmt.Errorf("%s triplets: %w", split, err)
	}
	return nil
}

// nonFinite lists the fields of ts holding NaN or ±Inf (for error messages).
func nonFinite(split string, ts []Triplet, index []int) []string {
	var out []string
	for _, i := range index {
		t := ts[i]
		for _, f := range []struct {
			name string
			v    []float32
		}{{"Text", t.Text}, {"Pos", t.Pos}, {"Neg", t.Neg}} {
			if slices.ContainsFunc(f.v, func(x float32) bool {
				return math.IsNaN(float64(x)) || math.IsInf(float64(x), 0)
			}) {
				out = append(out, fmt.Sprintf("%s triplet %d field %s", split, i, f.name))
			}
		}
	}
	return out
}
