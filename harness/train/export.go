package train

import "fmt"

// Op is one operation of an exported adapter (see Layer).
type Op int

// The operations of an exported adapter, applied in order to a running
// vector v that starts as the adapter's input x.
const (
	// OpAffine is v ← W·v + B. In an ONNX graph on row vectors X [N, in]:
	// MatMul(X, Wᵀ) then Add(B).
	OpAffine Op = iota + 1
	// OpReLU is v ← max(v, 0) element-wise (ONNX Relu).
	OpReLU
	// OpAddInput is v ← v + x, the residual connection (ONNX Add with the
	// adapter's input).
	OpAddInput
)

// String returns "affine", "relu" or "add_input".
func (o Op) String() string {
	switch o {
	case OpAffine:
		return "affine"
	case OpReLU:
		return "relu"
	case OpAddInput:
		return "add_input"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Layer is one exported operation with its constants (copies, in float64).
type Layer struct {
	Op Op
	// W is [out][in] for OpAffine, nil otherwise.
	W [][]float64
	// B is [out] for OpAffine, nil otherwise.
	B []float64
}

// Matrix returns the adapter as one affine map y = W·x + b with W
// [out][in]: Linear's own W and b, LowRank's dense I + U·Vᵀ and b. It is an
// error for MLP (use Layers).
func (a *Adapter) Matrix() (W [][]float64, b []float64, err error) {
	switch a.kind {
	case Linear:
		w, bias := a.params[0], a.params[1]
		W = make([][]float64, a.out)
		for i := range W {
			W[i] = append([]float64(nil), w.Data[i*a.in:(i+1)*a.in]...)
		}
		return W, append([]float64(nil), bias.Data...), nil
	case LowRank:
		u, v, bias := a.params[0], a.params[1], a.params[2]
		r := u.Shape[1]
		W = make([][]float64, a.out)
		for i := range W {
			W[i] = make([]float64, a.in)
			W[i][i] = 1
			ui := u.Data[i*r : (i+1)*r]
			for j := range a.in {
				vj := v.Data[j*r : (j+1)*r]
				var s float64
				for k := range r {
					s += ui[k] * vj[k]
				}
				W[i][j] += s
			}
		}
		return W, append([]float64(nil), bias.Data...), nil
	}
	return nil, nil, fmt.Errorf("%s adapter is not a single affine map; use Layers", a.kind)
}

// Layers describes the adapter as a sequence of operations for appending to
// an inference graph: one OpAffine for Linear and LowRank (dense, see
// Matrix); OpAffine(W1, b1), OpReLU, OpAffine(W2, b2), OpAddInput for MLP.
// A nil adapter (identity) has no layers.
func (a *Adapter) Layers() []Layer {
	if a == nil {
		return nil
	}
	if a.kind != MLP {
		W, b, _ := a.Matrix()
		return []Layer{{Op: OpAffine, W: W, B: b}}
	}
	w1, b1, w2, b2 := a.params[0], a.params[1], a.params[2], a.params[3]
	rows := func(t *Tensor) [][]float64 {
		out := make([][]float64, t.Shape[0])
		for i := range out {
			out[i] = append([]float64(nil), t.Data[i*t.Shape[1]:(i+1)*t.Shape[1]]...)
		}
		return out
	}
	return []Layer{
		{Op: OpAffine, W: rows(w1), B: append([]float64(nil), b1.Data...)},
		{Op: OpReLU},
		{Op: OpAffine, W: rows(w2), B: append([]float64(nil), b2.Data...)},
		{Op: OpAddInput},
	}
}

// ApplyLayers evaluates exported layers on x, the reference semantics for
// an inference graph built from them. It panics if a layer's shape does not
// fit (a programmer error).
func ApplyLayers(layers []Layer, x []float64) []float64 {
	v := append([]float64(nil), x...)
	for _, l := range layers {
		switch l.Op {
		case OpAffine:
			out := make([]float64, len(l.W))
			for i, row := range l.W {
				if len(row) != len(v) {
					panic(fmt.Sprintf("train: ApplyLayers: affine row %d has %d values, input %d", i, len(row), len(v)))
				}
				s := l.B[i]
				for j, w := range row {
					s += w * v[j]
				}
				out[i] = s
			}
			v = out
		case OpReLU:
			for i := range v {
				v[i] = max(v[i], 0)
			}
		case OpAddInput:
			if len(v) != len(x) {
				panic(fmt.Sprintf("train: ApplyLayers: residual of %d values onto input of %d", len(v), len(x)))
			}
			for i := range v {
				v[i] += x[i]
			}
		default:
			panic(fmt.Sprintf("train: ApplyLayers: unknown op %v", l.Op))
		}
	}
	return v
}
