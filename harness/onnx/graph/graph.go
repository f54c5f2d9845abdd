package graph

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// DataType is an ONNX tensor element type (TensorProto.DataType).
type DataType int32

// The ONNX element types. The values are the TensorProto.DataType numbers.
const (
	Undefined DataType = 0
	Float32   DataType = 1
	Uint8     DataType = 2
	Int8      DataType = 3
	Uint16    DataType = 4
	Int16     DataType = 5
	Int32     DataType = 6
	Int64     DataType = 7
	String    DataType = 8
	Bool      DataType = 9
	Float16   DataType = 10
	Float64   DataType = 11
	Uint32    DataType = 12
	Uint64    DataType = 13
)

var dataTypeNames = [...]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Float64: "float64",
	Uint32: "uint32", Uint64: "uint64",
}

// String returns the lower-case Go-style name of t ("float32", "int64", ...).
func (t DataType) String() string {
	if t >= 0 && int(t) < len(dataTypeNames) {
		return dataTypeNames[t]
	}
	return "DataType(" + strconv.Itoa(int(t)) + ")"
}

// Dim is one dimension of a graph input or output: a fixed size, or a
// symbolic name (dim_param) when Param is not empty.
type Dim struct {
	Value int64
	Param string
}

// Fixed returns a dimension of fixed size n.
func Fixed(n int64) Dim { return Dim{Value: n} }

// Sym returns a symbolic (dynamic) dimension called name, such as "batch".
func Sym(name string) Dim { return Dim{Param: name} }

// String returns the size, or the symbolic name.
func (d Dim) String() string {
	if d.Param != "" {
		return d.Param
	}
	return strconv.FormatInt(d.Value, 10)
}

// Tensor is a constant tensor: a graph initializer or a tensor attribute.
// Exactly one of Float32 and Int64 holds the row-major data; Dims is the
// shape (nil or empty for a scalar). The builder keeps a reference to the
// data slice and reads it only when the model is encoded.
type Tensor struct {
	Name    string
	Dims    []int64
	Float32 []float32
	Int64   []int64
}

// Type is the element type implied by which data slice is set.
func (t *Tensor) Type() DataType {
	switch {
	case t.Float32 != nil && t.Int64 == nil:
		return Float32
	case t.Int64 != nil && t.Float32 == nil:
		return Int64
	}
	return Undefined
}

// NumElements is the product of Dims (1 for a scalar).
func (t *Tensor) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

func (t *Tensor) dataLen() int {
	if t.Float32 != nil {
		return len(t.Float32)
	}
	return len(t.Int64)
}

// byteLen is the size of the raw little-endian data.
func (t *Tensor) byteLen() int64 {
	switch t.Type() {
	case Float32:
		return 4 * int64(len(t.Float32))
	case Int64:
		return 8 * int64(len(t.Int64))
	}
	return 0
}

func (t *Tensor) check() error {
	if t.Type() == Undefined {
		return fmt.Errorf("tensor %q: exactly one of Float32 and Int64 must be set", t.Name)
	}
	for i, d := range t.Dims {
		if d < 0 {
			return fmt.Errorf("tensor %q: dimension %d is %d, want >= 0", t.Name, i, d)
		}
	}
	if n := t.NumElements(); n != int64(t.dataLen()) {
		return fmt.Errorf("tensor %q: shape %v holds %d elements, data has %d", t.Name, t.Dims, n, t.dataLen())
	}
	return nil
}

type attrType int32

// AttributeProto.AttributeType values.
const (
	attrFloat   attrType = wire.AttributeTypeFloat
	attrInt     attrType = wire.AttributeTypeInt
	attrString  attrType = wire.AttributeTypeString
	attrTensor  attrType = wire.AttributeTypeTensor
	attrFloats  attrType = wire.AttributeTypeFloats
	attrInts    attrType = wire.AttributeTypeInts
	attrStrings attrType = wire.AttributeTypeStrings
)

// Attr is a node attribute. Build one with AttrInt, AttrFloat, AttrInts,
// AttrFloats, AttrString, AttrStrings or AttrTensor.
type Attr struct {
	name    string
	typ     attrType
	f       float32
	i       int64
	s       string
	floats  []float32
	ints    []int64
	strings []string
	t       *Tensor
}

// AttrInt is an INT attribute.
func AttrInt(name string, v int64) Attr { return Attr{name: name, typ: attrInt, i: v} }

// AttrFloat is a FLOAT attribute.
func AttrFloat(name string, v float32) Attr { return Attr{name: name, typ: attrFloat, f: v} }

// AttrInts is an INTS attribute.
func AttrInts(name string, v ...int64) Attr { return Attr{name: name, typ: attrInts, ints: v} }

// AttrFloats is a FLOATS attribute.
func AttrFloats(name string, v ...float32) Attr {
	return Attr{name: name, typ: attrFloats, floats: v}
}

// AttrString is a STRING attribute.
func AttrString(name, v string) Attr { return Attr{name: name, typ: attrString, s: v} }

// AttrStrings is a STRINGS attribute.
func AttrStrings(name string, v ...string) Attr {
	return Attr{name: name, typ: attrStrings, strings: v}
}

// AttrTensor is a TENSOR attribute (for example the value of a Constant or
// ConstantOfShape node). The tensor's Name may be empty.
func AttrTensor(name string, t Tensor) Attr { return Attr{name: name, typ: attrTensor, t: &t} }

// NodeSpec describes one node for Graph.Node.
type NodeSpec struct {
	Op     string // operator type, e.g. "MatMul"
	Domain string // operator set domain; "" is the default ONNX domain
	Name   string // node name; "" picks a fresh one
	Inputs []string
	// Outputs names the node's outputs. When it is nil, NumOutputs fresh
	// names are made (one when NumOutputs is 0).
	Outputs    []string
	NumOutputs int
	Attrs      []Attr
}

type node struct {
	op, domain, name string
	inputs, outputs  []string
	attrs            []Attr
}

type valueInfo struct {
	name string
	typ  DataType
	dims []Dim
}

// Graph builds an ONNX GraphProto. The zero value is not usable; call New.
type Graph struct {
	name    string
	inputs  []valueInfo
	outputs []valueInfo
	inits   []*Tensor
	nodes   []node
	defined map[string]bool // every value name: inputs, initializers, node outputs
	used    map[string]int  // counters for fresh names
	err     error
}

// New returns an empty graph called name.
func New(name string) *Graph {
	return &Graph{name: name, defined: map[string]bool{}, used: map[string]int{}}
}

// Err returns the first builder error, or nil.
func (g *Graph) Err() error { return g.err }

func (g *Graph) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf("graph %q: %s", g.name, fmt.Sprintf(format, args...))
	}
}

// Fresh returns a value name starting with base that is not yet used in the
// graph. It does not define the name.
func (g *Graph) Fresh(base string) string {
	if base == "" {
		base = "v"
	}
	for {
		n := g.used[base]
		g.used[base] = n + 1
		name := base
		if n > 0 {
			name = base + "_" + strconv.Itoa(n)
		}
		if !g.defined[name] {
			return name
		}
	}
}

func (g *Graph) define(name, what string) bool {
	if name == "" {
		g.fail("%s with an empty name", what)
		return false
	}
	if g.defined[name] {
		g.fail("%s %q: the name is already defined", what, name)
		return false
	}
	g.defined[name] = true
	return true
}

// Has reports whether a value called name exists in the graph.
func (g *Graph) Has(name string) bool { return g.defined[name] }

// Input declares a graph input and returns its name.
func (g *Graph) Input(name string, typ DataType, dims ...Dim) string {
	if typ == Undefined {
		g.fail("input %q: element type is undefined", name)
	}
	if g.define(name, "input") {
		g.inputs = append(g.inputs, valueInfo{name: name, typ: typ, dims: append([]Dim(nil), dims...)})
	}
	return name
}

// Output declares the existing value name as a graph output with the given
// element type and dimensions (no dimensions means a scalar).
func (g *Graph) Output(name string, typ DataType, dims ...Dim) {
	if !g.defined[name] {
		g.fail("output %q: no value of that name", name)
		return
	}
	if typ == Undefined {
		g.fail("output %q: element type is undefined", name)
	}
	for _, o := range g.outputs {
		if o.name == name {
			g.fail("output %q declared twice", name)
			return
		}
	}
	g.outputs = append(g.outputs, valueInfo{name: name, typ: typ, dims: append([]Dim(nil), dims...)})
}

// Initializer adds a constant tensor to the graph and returns its name. An
// empty t.Name is replaced with a fresh name.
func (g *Graph) Initializer(t Tensor) string {
	if t.Name == "" {
		t.Name = g.Fresh("const")
	}
	if err := t.check(); err != nil {
		g.fail("initializer: %v", err)
		return t.Name
	}
	if g.define(t.Name, "initializer") {
		g.inits = append(g.inits, &t)
	}
	return t.Name
}

// InitFloat32 adds a float32 initializer of shape dims.
func (g *Graph) InitFloat32(name string, dims []int64, data []float32) string {
	if data == nil {
		data = []float32{}
	}
	return g.Initializer(Tensor{Name: name, Dims: dims, Float32: data})
}

// InitInt64 adds an int64 initializer of shape dims.
func (g *Graph) InitInt64(name string, dims []int64, data []int64) string {
	if data == nil {
		data = []int64{}
	}
	return g.Initializer(Tensor{Name: name, Dims: dims, Int64: data})
}

// ConstInt64 adds a 1-D int64 initializer with a fresh name (handy for
// shapes, axes and slice bounds).
func (g *Graph) ConstInt64(values ...int64) string {
	return g.InitInt64("", []int64{int64(len(values))}, append([]int64{}, values...))
}

// ScalarFloat32 adds a float32 scalar initializer with a fresh name.
func (g *Graph) ScalarFloat32(v float32) string {
	return g.InitFloat32("", nil, []float32{v})
}

// ScalarInt64 adds an int64 scalar initializer with a fresh name.
func (g *Graph) ScalarInt64(v int64) string {
	return g.InitInt64("", nil, []int64{v})
}

// Op adds a node with a single fresh output and returns the output's name.
func (g *Graph) Op(op string, inputs []string, attrs ...Attr) string {
	out := g.Node(NodeSpec{Op: op, Inputs: inputs, Attrs: attrs})
	if len(out) == 0 {
		return ""
	}
	return out[0]
}

// Node adds a node and returns the names of its outputs. Every non-empty
// input must name an existing value (an empty input marks an omitted
// optional input).
func (g *Graph) Node(n NodeSpec) []string {
	if n.Op == "" {
		g.fail("node with an empty operator type")
		return nil
	}
	for i, in := range n.Inputs {
		if in != "" && !g.defined[in] {
			g.fail("node %s: input %d %q is not defined", n.Op, i, in)
			return nil
		}
	}
	seen := map[string]bool{}
	for _, a := range n.Attrs {
		if a.name == "" || a.typ == 0 {
			g.fail("node %s: attribute without a name or type (build it with AttrInt, AttrFloat, ...)", n.Op)
			return nil
		}
		if seen[a.name] {
			g.fail("node %s: attribute %q given twice", n.Op, a.name)
			return nil
		}
		seen[a.name] = true
		if a.typ == attrTensor {
			if err := a.t.check(); err != nil {
				g.fail("node %s: attribute %q: %v", n.Op, a.name, err)
				return nil
			}
		}
	}
	outs := n.Outputs
	if outs == nil {
		k := n.NumOutputs
		if k <= 0 {
			k = 1
		}
		base := strings.ToLower(n.Op)
		for range k {
			outs = append(outs, g.Fresh(base))
		}
	}
	for _, o := range outs {
		if o != "" && !g.define(o, "node "+n.Op+" output") {
			return nil
		}
	}
	name := n.Name
	if name == "" {
		name = g.Fresh(n.Op + "_node")
	}
	g.nodes = append(g.nodes, node{
		op: n.Op, domain: n.Domain, name: name,
		inputs:  append([]string(nil), n.Inputs...),
		outputs: append([]string(nil), outs...),
		attrs:   append([]Attr(nil), n.Attrs...),
	})
	return outs
}

// NumNodes is the number of nodes added so far.
func (g *Graph) NumNodes() int { return len(g.nodes) }

// NumParameters is the total number of elements in the initializers.
func (g *Graph) NumParameters() int64 {
	var n int64
	for _, t := range g.inits {
		n += t.NumElements()
	}
	return n
}

func (g *Graph) validate() error {
	if g.err != nil {
		return g.err
	}
	if len(g.outputs) == 0 {
		return fmt.Errorf("graph %q: no outputs declared", g.name)
	}
	return nil
}
