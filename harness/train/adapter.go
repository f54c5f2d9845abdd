package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/srbench/srbench/harness/internal/suggest"
)

// Kind names an adapter architecture.
type Kind string

// The adapter architectures. Each starts as the identity map.
const (
	// Linear is y = W·x + b, W (out×in) initialised to the identity, b to zero.
	Linear Kind = "linear"
	// LowRank is y = (I + U·Vᵀ)·x + b with U and V of shape dim×rank; U starts
	// at zero and V random small, so the map starts at the identity.
	LowRank Kind = "lowrank"
	// MLP is the residual y = x + W2·relu(W1·x + b1) + b2 with W1 hidden×dim
	// random small, W2 dim×hidden zero, so the map starts at the identity.
	MLP Kind = "mlp"
)

// kinds lists the adapter kinds in documentation order (for "did you mean").
var kinds = []string{string(Linear), string(LowRank), string(MLP)}

// ParseKind returns the adapter kind called name; "" is Linear. An unknown
// name is an error that suggests the closest known one.
func ParseKind(name string) (Kind, error) {
	if name == "" {
		return Linear, nil
	}
	if slices.Contains(kinds, name) {
		return Kind(name), nil
	}
	return "", unknownName("adapter kind", name, kinds)
}

// unknownName builds the error for an unknown option value.
func unknownName(what, name string, options []string) error {
	if s := suggest.Closest(name, options); s != "" {
		return fmt.Errorf("unknown %s %q (did you mean %q?); known: %v", what, name, s, options)
	}
	return fmt.Errorf("unknown %s %q; known: %v", what, name, options)
}

// Tensor is one named parameter array of an adapter, row-major.
type Tensor struct {
	// Name is the parameter's name inside its adapter: "W", "b", "U", "V",
	// "W1", "b1", "W2" or "b2".
	Name string
	// Shape is [rows, cols] for a matrix and [n] for a vector.
	Shape []int
	// Data holds the values, row-major, len = product of Shape.
	Data []float64
	// Decay reports whether AdamW's decoupled weight decay applies (weights
	// yes, biases no).
	Decay bool
}

func (t *Tensor) clone() *Tensor {
	return &Tensor{Name: t.Name, Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data), Decay: t.Decay}
}

// matrix views a rank-2 tensor as a blas64.General (sharing Data).
func (t *Tensor) matrix() blas64.General {
	return blas64.General{Rows: t.Shape[0], Cols: t.Shape[1], Stride: t.Shape[1], Data: t.Data}
}

// AdapterSpec describes an adapter to build. The zero value is a Linear adapter.
type AdapterSpec struct {
	// Kind is the architecture; "" means Linear.
	Kind Kind `json:"kind"`
	// Rank is the rank of a LowRank adapter; 0 means 8.
	Rank int `json:"rank,omitempty"`
	// Hidden is the hidden width of an MLP adapter; 0 means 128.
	Hidden int `json:"hidden,omitempty"`
	// InitStd is the standard deviation of the random normal initialisation
	// of V (LowRank) and W1 (MLP); 0 means 1/sqrt(dim).
	InitStd float64 `json:"init_std,omitempty"`
}

// Default values of AdapterSpec.
const (
	DefaultRank   = 8
	DefaultHidden = 128
)

// Adapter is a trainable map applied to a frozen embedding. It starts as the
// identity (see Kind). Its parameters are float64.
type Adapter struct {
	kind    Kind
	in, out int
	params  []*Tensor // fixed order per kind (see paramNames)
}

// paramNames lists each kind's parameters in their fixed order.
func paramNames(k Kind) []string {
	switch k {
	case Linear:
		return []string{"W", "b"}
	case LowRank:
		return []string{"U", "V", "b"}
	case MLP:
		return []string{"W1", "b1", "W2", "b2"}
	}
	panic(fmt.Sprintf("train: unknown adapter kind %q", k))
}

// NewLinear returns the identity Linear adapter of dimension dim
// (W = I, b = 0). It panics if dim < 1.
func NewLinear(dim int) *Adapter {
	a, err := NewAdapter(AdapterSpec{Kind: Linear}, dim, nil)
	if err != nil {
		panic(err)
	}
	return a
}

// NewAdapter builds an adapter of dimension dim (input = output) that starts
// at the identity. rng draws the random initialisation of LowRank's V and
// MLP's W1; it may be nil for Linear.
func NewAdapter(spec AdapterSpec, dim int, rng *rand.Rand) (*Adapter, error) {
	kind, err := ParseKind(string(spec.Kind))
	if err != nil {
		return nil, err
	}
	if dim < 1 {
		return nil, fmt.Errorf("adapter dimension %d: want at least 1", dim)
	}
	std := spec.InitStd
	if std == 0 {
		std = 1 / math.Sqrt(float64(dim))
	}
	if !(std > 0) || math.IsInf(std, 0) {
		return nil, fmt.Errorf("adapter InitStd %v: want a finite value > 0", spec.InitStd)
	}
	if kind != Linear && rng == nil {
		return nil, fmt.Errorf("%s adapter: need a random source for its initialisation", kind)
	}
	a := &Adapter{kind: kind, in: dim, out: dim}
	switch kind {
	case Linear:
		w := newTensor("W", true, dim, dim)
		for i := range dim {
			w.Data[i*dim+i] = 1
		}
		a.params = []*Tensor{w, newTensor("b", false, dim)}
	case LowRank:
		r := spec.Rank
		if r == 0 {
			r = DefaultRank
		}
		if r < 1 {
			return nil, fmt.Errorf("lowrank adapter: rank %d: want at least 1", spec.Rank)
		}
		v := newTensor("V", true, dim, r)
		for i := range v.Data {
			v.Data[i] = rng.NormFloat64() * std
		}
		a.params = []*Tensor{newTensor("U", true, dim, r), v, newTensor("b", false, dim)}
	case MLP:
		h := spec.Hidden
		if h == 0 {
			h = DefaultHidden
		}
		if h < 1 {
			return nil, fmt.Errorf("mlp adapter: hidden width %d: want at least 1", spec.Hidden)
		}
		w1 := newTensor("W1", true, h, dim)
		for i := range w1.Data {
			w1.Data[i] = rng.NormFloat64() * std
		}
		a.params = []*Tensor{w1, newTensor("b1", false, h), newTensor("W2", true, dim, h), newTensor("b2", false, dim)}
	}
	return a, nil
}

func newTensor(name string, decay bool, shape ...int) *Tensor {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return &Tensor{Name: name, Shape: shape, Data: make([]float64, n), Decay: decay}
}

// adapterFromTensors assembles an adapter of the given kind from tensors
// (any order, keyed by name), checking that the set and shapes are
// consistent. It takes ownership of the tensors.
func adapterFromTensors(kind Kind, ts map[string]*Tensor) (*Adapter, error) {
	names := paramNames(kind)
	if len(ts) != len(names) {
		got := make([]string, 0, len(ts))
		for n := range ts {
			got = append(got, n)
		}
		slices.Sort(got)
		return nil, fmt.Errorf("%s adapter: tensors %v, want %v", kind, got, names)
	}
	a := &Adapter{kind: kind}
	for _, n := range names {
		t, ok := ts[n]
		if !ok {
			return nil, fmt.Errorf("%s adapter: missing tensor %q", kind, n)
		}
		t.Decay = n != "b" && n != "b1" && n != "b2"
		a.params = append(a.params, t)
	}
	shape := func(n string) []int { return ts[n].Shape }
	bad := func(n string, want ...int) error {
		return fmt.Errorf("%s adapter: tensor %q: shape %v, want %v", kind, n, shape(n), want)
	}
	switch kind {
	case Linear:
		w := shape("W")
		if len(w) != 2 || w[0] < 1 || w[1] < 1 {
			return nil, fmt.Errorf("%s adapter: tensor %q: shape %v, want [out, in]", kind, "W", w)
		}
		a.out, a.in = w[0], w[1]
		if !slices.Equal(shape("b"), []int{a.out}) {
			return nil, bad("b", a.out)
		}
	case LowRank:
		u := shape("U")
		if len(u) != 2 || u[0] < 1 || u[1] < 1 {
			return nil, fmt.Errorf("%s adapter: tensor %q: shape %v, want [dim, rank]", kind, "U", u)
		}
		a.in, a.out = u[0], u[0]
		if !slices.Equal(shape("V"), u) {
			return nil, bad("V", u...)
		}
		if !slices.Equal(shape("b"), []int{a.out}) {
			return nil, bad("b", a.out)
		}
	case MLP:
		w1 := shape("W1")
		if len(w1) != 2 || w1[0] < 1 || w1[1] < 1 {
			return nil, fmt.Errorf("%s adapter: tensor %q: shape %v, want [hidden, dim]", kind, "W1", w1)
		}
		h, d := w1[0], w1[1]
		a.in, a.out = d, d
		if !slices.Equal(shape("b1"), []int{h}) {
			return nil, bad("b1", h)
		}
		if !slices.Equal(shape("W2"), []int{d, h}) {
			return nil, bad("W2", d, h)
		}
		if !slices.Equal(shape("b2"), []int{d}) {
			return nil, bad("b2", d)
		}
	}
	return a, nil
}

// Kind returns the adapter's architecture.
func (a *Adapter) Kind() Kind { return a.kind }

// InDim returns the input dimension.
func (a *Adapter) InDim() int { return a.in }

// OutDim returns the output dimension.
func (a *Adapter) OutDim() int { return a.out }

// Params returns the adapter's parameters in their fixed order. The tensors
// are shared, not copied: changing them changes the adapter.
func (a *Adapter) Params() []*Tensor { return a.params }

// Param returns the parameter called name, or nil.
func (a *Adapter) Param(name string) *Tensor {
	for _, t := range a.params {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Clone returns a deep copy of a (nil for nil).
func (a *Adapter) Clone() *Adapter {
	if a == nil {
		return nil
	}
	c := &Adapter{kind: a.kind, in: a.in, out: a.out}
	for _, t := range a.params {
		c.params = append(c.params, t.clone())
	}
	return c
}

// Apply returns the adapted vector a(x) in float64. It panics if len(x) is
// not InDim (a programmer error).
func (a *Adapter) Apply(x []float64) []float64 {
	if len(x) != a.in {
		panic(fmt.Sprintf("train: adapter input has %d values, want %d", len(x), a.in))
	}
	xm := blas64.General{Rows: 1, Cols: a.in, Stride: a.in, Data: slices.Clone(x)}
	y, _ := a.forward(xm)
	return y.Data
}

// fwdCache keeps what backward needs from forward.
type fwdCache struct {
	x blas64.General // input
	h blas64.General // LowRank: X·V; MLP: relu(Z)
	z blas64.General // MLP: pre-activation Z
}

func newGeneral(rows, cols int) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
}

// addRowVector adds v to every row of m.
func addRowVector(m blas64.General, v []float64) {
	for i := range m.Rows {
		row := m.Data[i*m.Stride : i*m.Stride+m.Cols]
		for j, b := range v {
			row[j] += b
		}
	}
}

// addColSums adds the column sums of m to dst, summing rows in order.
func addColSums(dst []float64, m blas64.General) {
	for i := range m.Rows {
		row := m.Data[i*m.Stride : i*m.Stride+m.Cols]
		for j, g := range row {
			dst[j] += g
		}
	}
}

// forward maps the rows of x (n×in) to the rows of y (n×out). A nil adapter
// is the identity and returns x itself.
func (a *Adapter) forward(x blas64.General) (blas64.General, *fwdCache) {
	if a == nil {
		return x, nil
	}
	c := &fwdCache{x: x}
	n := x.Rows
	y := newGeneral(n, a.out)
	switch a.kind {
	case Linear:
		w, b := a.params[0], a.params[1]
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, x, w.matrix(), 0, y)
		addRowVector(y, b.Data)
	case LowRank:
		u, v, b := a.params[0], a.params[1], a.params[2]
		c.h = newGeneral(n, u.Shape[1])
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, x, v.matrix(), 0, c.h)
		copy(y.Data, x.Data)
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, c.h, u.matrix(), 1, y)
		addRowVector(y, b.Data)
	case MLP:
		w1, b1, w2, b2 := a.params[0], a.params[1], a.params[2], a.params[3]
		c.z = newGeneral(n, w1.Shape[0])
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, x, w1.matrix(), 0, c.z)
		addRowVector(c.z, b1.Data)
		c.h = newGeneral(n, w1.Shape[0])
		for i, z := range c.z.Data {
			if z > 0 {
				c.h.Data[i] = z
			} else if z != z { // keep NaN visible to the loss check
				c.h.Data[i] = z
			}
		}
		copy(y.Data, x.Data)
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, c.h, w2.matrix(), 1, y)
		addRowVector(y, b2.Data)
	}
	return y, c
}

// backward adds the gradient of the loss with respect to a's parameters to
// grads (parallel to a.params) given g = dLoss/dy (n×out). The gradient with
// respect to the input is not needed (embeddings are frozen).
func (a *Adapter) backward(c *fwdCache, g blas64.General, grads [][]float64) {
	if a == nil {
		return
	}
	switch a.kind {
	case Linear:
		dw := blas64.General{Rows: a.out, Cols: a.in, Stride: a.in, Data: grads[0]}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, g, c.x, 1, dw)
		addColSums(grads[1], g)
	case LowRank:
		u := a.params[0]
		r := u.Shape[1]
		du := blas64.General{Rows: a.out, Cols: r, Stride: r, Data: grads[0]}
		dv := blas64.General{Rows: a.in, Cols: r, Stride: r, Data: grads[1]}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, g, c.h, 1, du)
		dh := newGeneral(g.Rows, r)
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, g, u.matrix(), 0, dh)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, c.x, dh, 1, dv)
		addColSums(grads[2], g)
	case MLP:
		w2 := a.params[2]
		h := w2.Shape[1]
		dw2 := blas64.General{Rows: a.out, Cols: h, Stride: h, Data: grads[2]}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, g, c.h, 1, dw2)
		addColSums(grads[3], g)
		dz := newGeneral(g.Rows, h)
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, g, w2.matrix(), 0, dz)
		for i, z := range c.z.Data {
			if !(z > 0) {
				dz.Data[i] = 0
			}
		}
		dw1 := blas64.General{Rows: h, Cols: a.in, Stride: a.in, Data: grads[0]}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, dz, c.x, 1, dw1)
		addColSums(grads[1], dz)
	}
}
