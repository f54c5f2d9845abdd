package edit

import (
	"fmt"
	"math"
	"strconv"

	"github.com/srbench/srbench/harness/internal/suggest"
	"github.com/srbench/srbench/harness/onnx/graph"
	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// Op is one kind of operation appended to an output.
type Op int

// The operations, applied in order to a running value v [..., width] that
// starts as the old output x.
const (
	// OpLinear is v ← v·Wᵀ + B with W [out][in] and B [out] (B may be nil
	// for no bias). In the graph: MatMul with Wᵀ stored as a float32
	// initializer [in, out], then Add.
	OpLinear Op = iota + 1
	// OpReLU is v ← max(v, 0) (Relu).
	OpReLU
	// OpAddInput is v ← v + x, a residual connection around the steps so
	// far (Add with the old output).
	OpAddInput
	// OpNormalize is v ← v / ‖v‖₂ over the last axis, without an epsilon,
	// as CLIP normalises its embeddings (Mul, ReduceSum, Sqrt, Div). A zero
	// vector becomes NaN.
	OpNormalize
)

// String returns "linear", "relu", "add_input" or "normalize".
func (o Op) String() string {
	switch o {
	case OpLinear:
		return "linear"
	case OpReLU:
		return "relu"
	case OpAddInput:
		return "add_input"
	case OpNormalize:
		return "normalize"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Step is one operation with its constants. Only OpLinear uses W and B.
type Step struct {
	Op Op
	// W is [out][in]: every row has the same length in >= 1.
	W [][]float64
	// B is [out], or nil for no bias.
	B []float64
}

// editPrefix starts the names of everything the edits add, so they are
// recognisable in Netron and by RecomputeCLIPLogits.
const editPrefix = "srbench_edit/"

// linearShape checks a linear step and returns its input and output widths.
func linearShape(s Step) (in, out int, err error) {
	if len(s.W) == 0 {
		return 0, 0, fmt.Errorf("field W has no rows")
	}
	in = len(s.W[0])
	if in == 0 {
		return 0, 0, fmt.Errorf("field W: row 0 is empty")
	}
	for r, row := range s.W {
		if len(row) != in {
			return 0, 0, fmt.Errorf("field W is not rectangular: row %d has %d values, row 0 has %d", r, len(row), in)
		}
		for c, v := range row {
			if !fitsFloat32(v) {
				return 0, 0, fmt.Errorf("field W[%d][%d] = %v is not a finite float32", r, c, v)
			}
		}
	}
	out = len(s.W)
	if s.B != nil && len(s.B) != out {
		return 0, 0, fmt.Errorf("field B has %d values, want %d (one per row of W)", len(s.B), out)
	}
	for i, v := range s.B {
		if !fitsFloat32(v) {
			return 0, 0, fmt.Errorf("field B[%d] = %v is not a finite float32", i, v)
		}
	}
	return in, out, nil
}

func fitsFloat32(v float64) bool {
	return !math.IsNaN(v) && math.Abs(v) <= math.MaxFloat32
}

// checkSteps validates the steps against the width of the value they start
// from (-1 when unknown) and returns the width of the result (-1 when
// unknown).
func checkSteps(steps []Step, width int64) (int64, error) {
	inWidth := width // the width of x
	cur := width     // the width of v
	linear := false  // a linear step came before
	for i, s := range steps {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("step %d (%s): %s", i, s.Op, fmt.Sprintf(format, args...))
		}
		if s.Op != OpLinear && (s.W != nil || s.B != nil) {
			return 0, fail("W and B are only used by %s steps", OpLinear)
		}
		switch s.Op {
		case OpLinear:
			in, out, err := linearShape(s)
			if err != nil {
				return 0, fail("%v", err)
			}
			if cur >= 0 && int64(in) != cur {
				if !linear {
					return 0, fail("W is [%d][%d] (out × in) but the embedding it applies to has width %d: expected %d columns, got %d", out, in, cur, cur, in)
				}
				return 0, fail("W is [%d][%d] (out × in) but the previous step produces width %d: expected %d columns, got %d", out, in, cur, cur, in)
			}
			if cur < 0 { // v is still x, of unknown width: now it must be in
				inWidth = int64(in)
			}
			cur, linear = int64(out), true
		case OpReLU, OpNormalize:
		case OpAddInput:
			if cur >= 0 && inWidth >= 0 && cur != inWidth {
				return 0, fail("adds the input (width %d) to a value of width %d", inWidth, cur)
			}
		default:
			return 0, fmt.Errorf("step %d: unknown op %v (want %s, %s, %s or %s)", i, s.Op, OpLinear, OpReLU, OpAddInput, OpNormalize)
		}
	}
	return cur, nil
}

// fragment builds the nodes and initializers of the steps with the graph
// builder, reading x and writing out, and returns their encoded NodeProto
// and TensorProto payloads. Names come from m.fresh under base.
func (m *model) fragment(steps []Step, x, out, base string) (nodes, inits [][]byte, err error) {
	g := graph.New("edit")
	g.Input(x, graph.Float32)
	type spec struct {
		op     string
		inputs []string
		output string
		node   string
	}
	var specs []spec
	v := x
	add := func(i int, op string, inputs ...string) {
		tag := base + strconv.Itoa(i) + "/" + op
		specs = append(specs, spec{op: op, inputs: inputs, output: m.fresh(tag + ":0"), node: m.fresh(tag)})
		v = specs[len(specs)-1].output
	}
	for i, s := range steps {
		switch s.Op {
		case OpLinear:
			in, outW := len(s.W[0]), len(s.W)
			wt := make([]float32, in*outW)
			for r, row := range s.W {
				for c, w := range row {
					wt[c*outW+r] = float32(w)
				}
			}
			w := g.InitFloat32(m.fresh(base+strconv.Itoa(i)+"/weight"), []int64{int64(in), int64(outW)}, wt)
			add(i, "MatMul", v, w)
			if s.B != nil {
				b := make([]float32, outW)
				for j, x := range s.B {
					b[j] = float32(x)
				}
				add(i, "Add", v, g.InitFloat32(m.fresh(base+strconv.Itoa(i)+"/bias"), []int64{int64(outW)}, b))
			}
		case OpReLU:
			add(i, "Relu", v)
		case OpAddInput:
			add(i, "Add", v, x)
		case OpNormalize:
			axes := g.InitInt64(m.fresh(base+strconv.Itoa(i)+"/axes"), []int64{1}, []int64{-1})
			in := v
			add(i, "Mul", in, in)
			add(i, "ReduceSum", v, axes)
			add(i, "Sqrt", v)
			add(i, "Div", in, v)
		}
	}
	if len(specs) == 0 {
		return nil, nil, nil
	}
	specs[len(specs)-1].output = out
	for _, s := range specs {
		ns := graph.NodeSpec{Op: s.op, Name: s.node, Inputs: s.inputs, Outputs: []string{s.output}}
		if s.op == "ReduceSum" {
			ns.Attrs = []graph.Attr{graph.AttrInt("keepdims", 1)}
		}
		g.Node(ns)
	}
	g.Output(out, graph.Float32)
	return encodedParts(g)
}

// encodedParts encodes a builder graph and returns its nodes and
// initializers as NodeProto and TensorProto payloads.
func encodedParts(g *graph.Graph) (nodes, inits [][]byte, err error) {
	b, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		return nil, nil, err
	}
	fm, err := parseModel(b)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range fm.entries {
		switch e.f.Field {
		case wire.GraphNode:
			nodes = append(nodes, e.f.Payload)
		case wire.GraphInitializer:
			inits = append(inits, e.f.Payload)
		}
	}
	return nodes, inits, nil
}

// appendSteps is AppendToOutput on an opened model.
func (m *model) appendSteps(name string, steps []Step) error {
	vi, outEntry, err := m.output(name)
	if err != nil {
		return err
	}
	if err := m.checkOpset(); err != nil {
		return err
	}
	if !vi.IsTensor {
		return fmt.Errorf("output %q is not a tensor", name)
	}
	if vi.ElemType != int64(graph.Float32) {
		return fmt.Errorf("output %q has element type %s; only float32 outputs can be edited", name, graph.DataType(vi.ElemType))
	}
	if vi.HasShape && len(vi.Dims) == 0 {
		return fmt.Errorf("output %q is a scalar; the steps need a vector axis", name)
	}
	width := lastDim(vi)
	newWidth, err := checkSteps(steps, width)
	if err != nil {
		return fmt.Errorf("output %q: %w", name, err)
	}
	if len(steps) == 0 {
		return nil
	}
	prod, ok := m.producers()[name]
	if !ok {
		return fmt.Errorf("output %q is not computed by a node (it is a graph input or an initializer); it cannot be edited", name)
	}
	slot := -1
	for i, o := range prod.node.outputs {
		if o == name {
			slot = i
		}
	}
	base := editPrefix + name + "/"
	x := m.fresh(base + "input")
	if err := renameOutput(prod, slot, x); err != nil {
		return err
	}
	if err := m.renameUses(name, x); err != nil {
		return err
	}
	nodes, inits, err := m.fragment(steps, x, name, base)
	if err != nil {
		return fmt.Errorf("output %q: %w", name, err)
	}
	if err := m.insert(wire.GraphInitializer, inits); err != nil {
		return err
	}
	if err := m.insert(wire.GraphNode, nodes); err != nil {
		return err
	}
	if width >= 0 && newWidth >= 0 && newWidth != width {
		p, err := setLastDim(outEntry.f.Payload, newWidth)
		if err != nil {
			return fmt.Errorf("output %q: %w", name, err)
		}
		outEntry.f = outEntry.f.WithPayload(p)
	}
	return nil
}

// didYouMean returns ` (did you mean "x"?)` or "".
func didYouMean(name string, options []string) string {
	if s := suggest.Closest(name, options); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}
