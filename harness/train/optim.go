package train

import (
	"fmt"
	"math"
)

// AdamWOptions are the hyper-parameters of AdamW. Unlike Config, the zero
// value is not a default: every field is used as given.
type AdamWOptions struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64 // decoupled; applied only to tensors with Decay set
}

// AdamW is PyTorch's torch.optim.AdamW update rule (single-tensor path,
// amsgrad off, maximize off), in float64. For step t = 1, 2, … and each
// parameter θ with gradient g:
//
//	θ ← θ·(1 − lr·λ)                 (only tensors with Decay; λ = WeightDecay)
//	m ← m + (1−β1)·(g − m)           (PyTorch's exp_avg.lerp_(g, 1−β1))
//	v ← β2·v + (1−β2)·g²
//	θ ← θ − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
type AdamW struct {
	opt    AdamWOptions
	params []*Tensor
	m, v   [][]float64
	t      int
}

// NewAdamW returns an optimiser for params with zero moments.
func NewAdamW(params []*Tensor, opt AdamWOptions) *AdamW {
	return &AdamW{opt: opt, params: params, m: zerosLike(params), v: zerosLike(params)}
}

// Steps returns the number of steps taken.
func (o *AdamW) Steps() int { return o.t }

// Step applies one update with grads (parallel to the params, same lengths).
// It panics if the lengths differ (a programmer error).
func (o *AdamW) Step(grads [][]float64) {
	if len(grads) != len(o.params) {
		panic(fmt.Sprintf("train: AdamW.Step: %d gradients for %d tensors", len(grads), len(o.params)))
	}
	o.t++
	lr, b1, b2, eps, wd := o.opt.LR, o.opt.Beta1, o.opt.Beta2, o.opt.Eps, o.opt.WeightDecay
	bc1 := 1 - math.Pow(b1, float64(o.t))
	bc2 := 1 - math.Pow(b2, float64(o.t))
	stepSize := lr / bc1
	bc2Sqrt := math.Sqrt(bc2)
	decay := 1 - lr*wd
	for i, p := range o.params {
		g, m, v := grads[i], o.m[i], o.v[i]
		if len(g) != len(p.Data) {
			panic(fmt.Sprintf("train: AdamW.Step: gradient %d has %d values, tensor %q has %d", i, len(g), p.Name, len(p.Data)))
		}
		for k, gk := range g {
			if p.Decay && wd != 0 {
				p.Data[k] *= decay
			}
			m[k] += (1 - b1) * (gk - m[k])
			v[k] = v[k]*b2 + (1-b2)*gk*gk
			denom := math.Sqrt(v[k])/bc2Sqrt + eps
			p.Data[k] += -stepSize * (m[k] / denom)
		}
	}
}
