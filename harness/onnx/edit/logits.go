package edit

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/srbench/srbench/harness/onnx/graph"
	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// The output names of a Hugging Face Optimum CLIP export.
const (
	TextEmbeds     = "text_embeds"
	ImageEmbeds    = "image_embeds"
	LogitsPerImage = "logits_per_image"
	LogitsPerText  = "logits_per_text"
)

// ErrUnsupportedLogits is wrapped by the error RecomputeCLIPLogits (and
// Apply) return when a combined model's logits are not computed in a form
// the editor recognises, so they cannot be rewired to new embeddings.
var ErrUnsupportedLogits = errors.New("combined-model export is unsupported for this graph")

// logitsMatch says that a value is scale · rows · colsᵀ.
type logitsMatch struct {
	rows, cols, scale string
	nodes             []*entry
}

// unsupported builds an ErrUnsupportedLogits error.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s; split text_model.onnx and vision_model.onnx exports have no logits and can be edited", ErrUnsupportedLogits, fmt.Sprintf(format, args...))
}

// isTranspose2D reports whether a node transposes a matrix: Transpose with
// perm [1, 0] or without perm (which reverses the axes).
func isTranspose2D(e *entry) bool {
	if e == nil || e.node.op != "Transpose" || !e.node.isStandard() || len(e.node.inputs) != 1 {
		return false
	}
	fs, ok := e.node.attr("perm")
	if !ok {
		return true
	}
	perm, err := fs.Int64s(wire.AttributeInts)
	return err == nil && slices.Equal(perm, []int64{1, 0})
}

// matchLogits recognises v = [Transpose](Mul(P, S)) with P = MatMul(A,
// Transpose(B)) or Gemm(A, B, transB=1) and S a scalar constant.
func (m *model) matchLogits(v string, prod map[string]*entry, c *constChecker) (logitsMatch, error) {
	var lm logitsMatch
	// skipIdentity follows Identity nodes back from e.
	skipIdentity := func(e *entry) *entry {
		for e != nil && e.node.op == "Identity" && e.node.isStandard() && len(e.node.inputs) == 1 {
			lm.nodes = append(lm.nodes, e)
			e = prod[e.node.inputs[0]]
		}
		return e
	}
	e := skipIdentity(prod[v])
	if e == nil {
		return lm, unsupported("%q is not computed by a node", v)
	}
	transposed := false
	if isTranspose2D(e) {
		lm.nodes = append(lm.nodes, e)
		transposed = true
		if e = skipIdentity(prod[e.node.inputs[0]]); e == nil {
			return lm, unsupported("%q is the transpose of a value no node computes", v)
		}
	}
	if e.node.op != "Mul" || !e.node.isStandard() || len(e.node.inputs) != 2 {
		return lm, unsupported("%q is computed by a %s, not by Mul(MatMul(a, Transpose(b)), logit scale)", v, e.node.describe())
	}
	lm.nodes = append(lm.nodes, e)
	var p *entry
	for i, in := range e.node.inputs {
		other := e.node.inputs[1-i]
		if !c.isScalar(other) {
			continue
		}
		keep := len(lm.nodes)
		if pe := skipIdentity(prod[in]); pe != nil && pe.node.isStandard() && (pe.node.op == "MatMul" || pe.node.op == "Gemm") {
			p, lm.scale = pe, other
			break
		}
		lm.nodes = lm.nodes[:keep]
	}
	if p == nil {
		return lm, unsupported("%q: %s does not multiply a MatMul by a constant scalar logit scale", v, e.node.describe())
	}
	lm.nodes = append(lm.nodes, p)
	var a, b string
	switch p.node.op {
	case "MatMul":
		if len(p.node.inputs) != 2 {
			return lm, unsupported("%q: %s has %d inputs", v, p.node.describe(), len(p.node.inputs))
		}
		t := skipIdentity(prod[p.node.inputs[1]])
		if !isTranspose2D(t) {
			return lm, unsupported("%q: the second input of %s is not a transposed matrix", v, p.node.describe())
		}
		lm.nodes = append(lm.nodes, t)
		a, b = p.node.inputs[0], t.node.inputs[0]
	case "Gemm":
		hasC := len(p.node.inputs) > 2 && p.node.inputs[2] != ""
		if hasC || p.node.attrInt("transA", 0) != 0 || p.node.attrInt("transB", 0) != 1 || p.node.attrFloat("alpha", 1) != 1 || len(p.node.inputs) < 2 {
			return lm, unsupported("%q: %s is not a plain a·bᵀ (transB=1, alpha=1, no C)", v, p.node.describe())
		}
		a, b = p.node.inputs[0], p.node.inputs[1]
	}
	lm.rows, lm.cols = a, b
	if transposed {
		lm.rows, lm.cols = b, a
	}
	return lm, nil
}

// constChecker decides whether a value is a constant with one element.
type constChecker struct {
	inits  map[string]tensorInfo
	inputs map[string]bool
	prod   map[string]*entry
}

// isScalar reports whether v is a one-element value computed from
// constants only: an initializer, a Constant node, or elementwise
// arithmetic on such values (Exp(logit_scale) in an unfolded export).
func (c *constChecker) isScalar(v string) bool { return c.scalar(v, 0) }

func (c *constChecker) scalar(v string, depth int) bool {
	if depth > 32 {
		return false
	}
	if t, ok := c.inits[v]; ok {
		// Also when listed as a graph input too (old IR versions): the
		// initializer is its value unless a caller overrides it.
		return t.numElements() == 1
	}
	if c.inputs[v] {
		return false
	}
	e := c.prod[v]
	if e == nil || !e.node.isStandard() {
		return false
	}
	n := e.node
	switch n.op {
	case "Constant":
		if fs, ok := n.attr("value"); ok {
			t, ok := fs.Last(wire.AttributeT)
			if !ok {
				return false
			}
			_, ti, err := parseTensorInfo(t)
			return err == nil && ti.numElements() == 1
		}
		_, ok := n.attr("value_float")
		return ok
	case "Exp", "Log", "Mul", "Div", "Add", "Sub", "Identity", "Cast", "Clip", "Min", "Max", "Neg", "Abs", "Sqrt", "Pow", "Reciprocal":
		for _, in := range n.inputs {
			if in != "" && !c.scalar(in, depth+1) {
				return false
			}
		}
		return len(n.inputs) > 0
	case "Reshape", "Unsqueeze", "Squeeze":
		if len(n.inputs) == 0 || !c.scalar(n.inputs[0], depth+1) {
			return false
		}
		for _, in := range n.inputs[1:] {
			if _, ok := c.inits[in]; in != "" && !ok {
				if p := c.prod[in]; p == nil || p.node.op != "Constant" {
					return false
				}
			}
		}
		return true
	}
	return false
}

// reachesThroughEdits reports whether emb is a or is computed from a only
// through nodes this package added (so a is emb before the edits).
func reachesThroughEdits(a, emb string, prod map[string]*entry) bool {
	if a == emb {
		return true
	}
	seen := map[string]bool{}
	stack := []string{emb}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[v] {
			continue
		}
		seen[v] = true
		e := prod[v]
		if e == nil || !strings.HasPrefix(e.node.name, editPrefix) {
			continue
		}
		for _, in := range e.node.inputs {
			if in == a {
				return true
			}
			stack = append(stack, in)
		}
	}
	return false
}

// recomputeLogits is RecomputeCLIPLogits on an opened model. It reports
// whether it changed anything.
func (m *model) recomputeLogits() (bool, error) {
	outs := m.outputNames()
	for _, want := range []string{TextEmbeds, ImageEmbeds} {
		if !slices.Contains(outs, want) {
			return false, fmt.Errorf("the model has no output %q; CLIP logits are recomputed from %q and %q (its outputs are %s)", want, TextEmbeds, ImageEmbeds, quoteList(outs))
		}
	}
	tv, _, err := m.output(TextEmbeds)
	if err != nil {
		return false, err
	}
	iv, _, err := m.output(ImageEmbeds)
	if err != nil {
		return false, err
	}
	if tw, iw := lastDim(tv), lastDim(iv); tw >= 0 && iw >= 0 && tw != iw {
		return false, fmt.Errorf("%q has width %d and %q width %d: the logits need embeddings of equal width", TextEmbeds, tw, ImageEmbeds, iw)
	}
	var present []string
	for _, l := range []string{LogitsPerText, LogitsPerImage} {
		if slices.Contains(outs, l) {
			present = append(present, l)
		}
	}
	if len(present) == 0 {
		return false, fmt.Errorf("the model has no output %q or %q to recompute (its outputs are %s)", LogitsPerImage, LogitsPerText, quoteList(outs))
	}
	prod := m.producers()
	inits, err := m.initializers()
	if err != nil {
		return false, err
	}
	inputs, err := m.graphInputs()
	if err != nil {
		return false, err
	}
	cc := &constChecker{inits: inits, inputs: inputs, prod: prod}
	matches := map[string]logitsMatch{}
	stale := false
	for _, l := range present {
		lm, err := m.matchLogits(l, prod, cc)
		if err != nil {
			return false, err
		}
		rowsWant, colsWant := TextEmbeds, ImageEmbeds
		if l == LogitsPerImage {
			rowsWant, colsWant = ImageEmbeds, TextEmbeds
		}
		if !reachesThroughEdits(lm.rows, rowsWant, prod) || !reachesThroughEdits(lm.cols, colsWant, prod) {
			return false, unsupported("%q is scale · %q · %qᵀ, which is not %s · %sᵀ (before or after the edits)", l, lm.rows, lm.cols, rowsWant, colsWant)
		}
		if lm.rows != rowsWant || lm.cols != colsWant {
			stale = true
		}
		matches[l] = lm
	}
	if !stale {
		return false, nil
	}

	// Remove the matched nodes; their values must not be read elsewhere.
	remove := map[*entry]bool{}
	for _, lm := range matches {
		for _, e := range lm.nodes {
			remove[e] = true
		}
	}
	cons := m.consumers()
	for e := range remove {
		for _, o := range e.node.outputs {
			for _, c := range cons[o] {
				if !remove[c] {
					return false, unsupported("%q, computed on the way to the logits, is also read by %s", o, c.node.describe())
				}
			}
			if slices.Contains(outs, o) && o != LogitsPerText && o != LogitsPerImage {
				return false, unsupported("%q, computed on the way to the logits, is also a graph output", o)
			}
		}
	}
	dropped := map[string]bool{}
	for e := range remove {
		e.deleted = true
		for _, o := range e.node.outputs {
			dropped[o] = true
		}
	}
	for _, e := range m.entries {
		if e.deleted || e.f.Field != wire.GraphValueInfo {
			continue
		}
		if vi, err := wire.ParseValueInfo(e.f); err == nil && dropped[vi.Name] {
			e.deleted = true
		}
	}

	g := graph.New("logits")
	g.Input(TextEmbeds, graph.Float32)
	g.Input(ImageEmbeds, graph.Float32)
	scales := map[string]bool{}
	for _, lm := range matches {
		if !scales[lm.scale] {
			g.Input(lm.scale, graph.Float32)
			scales[lm.scale] = true
		}
	}
	node := func(op string, inputs []string, out string, attrs ...graph.Attr) string {
		if out == "" {
			out = m.fresh(editPrefix + "logits/" + op + ":0")
		}
		g.Node(graph.NodeSpec{Op: op, Name: m.fresh(editPrefix + "logits/" + op), Inputs: inputs, Outputs: []string{out}, Attrs: attrs})
		return out
	}
	perm := graph.AttrInts("perm", 1, 0)
	scaled := func(rows, cols, scale, out string) {
		t := node("Transpose", []string{cols}, "", perm)
		node("Mul", []string{node("MatMul", []string{rows, t}, ""), scale}, out)
	}
	lpt, hasLPT := matches[LogitsPerText]
	if hasLPT {
		scaled(TextEmbeds, ImageEmbeds, lpt.scale, LogitsPerText)
		g.Output(LogitsPerText, graph.Float32)
	}
	if lpi, ok := matches[LogitsPerImage]; ok {
		if hasLPT && lpi.scale == lpt.scale {
			node("Transpose", []string{LogitsPerText}, LogitsPerImage, perm)
		} else {
			scaled(ImageEmbeds, TextEmbeds, lpi.scale, LogitsPerImage)
		}
		g.Output(LogitsPerImage, graph.Float32)
	}
	nodes, _, err := encodedParts(g)
	if err != nil {
		return false, err
	}
	return true, m.insert(wire.GraphNode, nodes)
}

// lastDim is the static size of a value's last dimension, or -1.
func lastDim(vi wire.ValueInfo) int64 {
	if !vi.HasShape || len(vi.Dims) == 0 || !vi.Dims[len(vi.Dims)-1].Known {
		return -1
	}
	return vi.Dims[len(vi.Dims)-1].Value
}
