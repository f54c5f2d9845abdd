package edit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// MinOpset is the oldest default-domain opset the edits support: the nodes
// they add use ReduceSum with its axes as an input (opset 13).
const MinOpset = 13

// node is a NodeProto: its fields as read plus the parts the edits use.
type node struct {
	fields          wire.Fields
	inputs, outputs []string
	name, op        string
	domain          string
}

// parseNode reads the NodeProto in v's payload.
func parseNode(v wire.Value) (*node, error) {
	fs, err := v.Fields(wire.NodeProto)
	if err != nil {
		return nil, err
	}
	return &node{
		fields:  fs,
		inputs:  fs.Strings(wire.NodeInput),
		outputs: fs.Strings(wire.NodeOutput),
		name:    fs.String(wire.NodeName),
		op:      fs.String(wire.NodeOpType),
		domain:  fs.String(wire.NodeDomain),
	}, nil
}

// describe names a node for messages: `MatMul node "name"`.
func (n *node) describe() string {
	if n.name == "" {
		return n.op + " node (unnamed)"
	}
	return fmt.Sprintf("%s node %q", n.op, n.name)
}

// isStandard reports whether the node's operator is from the default ONNX domain.
func (n *node) isStandard() bool { return n.domain == "" || n.domain == "ai.onnx" }

// attr returns the fields of the attribute called name.
func (n *node) attr(name string) (wire.Fields, bool) {
	for _, f := range n.fields {
		if !f.Is(wire.NodeAttribute) {
			continue
		}
		fs, err := f.Fields(wire.AttributeProto)
		if err != nil {
			continue
		}
		if fs.String(wire.AttributeName) == name {
			return fs, true
		}
	}
	return nil, false
}

func (n *node) attrInt(name string, def int64) int64 {
	fs, ok := n.attr(name)
	if !ok {
		return def
	}
	v, ok := fs.Uint(wire.AttributeI)
	if !ok {
		return def
	}
	return int64(v)
}

func (n *node) attrFloat(name string, def float32) float32 {
	fs, ok := n.attr(name)
	if !ok {
		return def
	}
	v, ok := fs.Float32(wire.AttributeF)
	if !ok {
		return def
	}
	return v
}

// entry is one field of the GraphProto, kept as bytes; nodes are also
// parsed.
type entry struct {
	f       wire.Value
	node    *node // for GraphProto.node fields
	deleted bool
}

// model is a ModelProto opened for editing. Untouched fields keep their
// bytes; only the graph is split into entries.
type model struct {
	top     wire.Fields // ModelProto fields
	graphAt int         // index of the graph in top
	entries []*entry
	opset   int64 // default-domain opset, 0 if not imported
	taken   map[string]bool
}

// errNotONNX marks input that is not an ONNX ModelProto.
var errNotONNX = errors.New("not an ONNX model")

func parseModel(b []byte) (*model, error) {
	top, err := wire.Parse(wire.ModelProto, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotONNX, err)
	}
	m := &model{top: top, graphAt: -1}
	sawIR := false
	for i, f := range top {
		switch {
		case f.Is(wire.ModelIRVersion):
			sawIR = true
		case f.Is(wire.ModelGraph):
			if m.graphAt >= 0 {
				return nil, fmt.Errorf("%w: more than one graph field", errNotONNX)
			}
			m.graphAt = i
		case f.Is(wire.ModelOpsetImport):
			ofs, err := f.Fields(wire.OperatorSetIdProto)
			if err != nil {
				return nil, fmt.Errorf("%w: opset_import: %v", errNotONNX, err)
			}
			if d := ofs.String(wire.OpsetDomain); d == "" || d == "ai.onnx" {
				v, _ := ofs.Uint(wire.OpsetVersion)
				m.opset = int64(v)
			}
		}
	}
	if !sawIR || m.graphAt < 0 {
		return nil, fmt.Errorf("%w: no ir_version and graph fields", errNotONNX)
	}
	gfs, err := top[m.graphAt].Fields(wire.GraphProto)
	if err != nil {
		return nil, fmt.Errorf("%w: graph: %v", errNotONNX, err)
	}
	for _, f := range gfs {
		e := &entry{f: f}
		if f.Is(wire.GraphNode) {
			if e.node, err = parseNode(f); err != nil {
				return nil, fmt.Errorf("%w: graph node: %v", errNotONNX, err)
			}
		}
		m.entries = append(m.entries, e)
	}
	return m, nil
}

// checkOpset refuses models whose default-domain opset is below MinOpset.
func (m *model) checkOpset() error {
	if m.opset == 0 {
		return fmt.Errorf("the model imports no opset of the default ONNX domain; the edit adds standard ONNX operators and needs opset %d or newer", MinOpset)
	}
	if m.opset < MinOpset {
		return fmt.Errorf("the model imports ONNX opset %d; the edit needs opset %d or newer (re-export the model with opset >= %d, e.g. optimum-cli export onnx --opset 17)", m.opset, MinOpset, MinOpset)
	}
	return nil
}

// live calls fn for every entry of field f that is not deleted.
func (m *model) live(f wire.Field, fn func(*entry) error) error {
	for _, e := range m.entries {
		if !e.deleted && e.f.Is(f) {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *model) nodes() []*entry {
	var out []*entry
	_ = m.live(wire.GraphNode, func(e *entry) error { out = append(out, e); return nil })
	return out
}

// outputs returns the graph outputs and their entries.
func (m *model) outputs() ([]wire.ValueInfo, []*entry, error) {
	var vis []wire.ValueInfo
	var es []*entry
	err := m.live(wire.GraphOutput, func(e *entry) error {
		vi, err := wire.ParseValueInfo(e.f)
		if err != nil {
			return fmt.Errorf("graph output: %w", err)
		}
		vis, es = append(vis, vi), append(es, e)
		return nil
	})
	return vis, es, err
}

func (m *model) outputNames() []string {
	vis, _, _ := m.outputs()
	names := make([]string, len(vis))
	for i, v := range vis {
		names[i] = v.Name
	}
	return names
}

// output finds the graph output called name; a missing one is an error
// listing the outputs the model has.
func (m *model) output(name string) (wire.ValueInfo, *entry, error) {
	vis, es, err := m.outputs()
	if err != nil {
		return wire.ValueInfo{}, nil, err
	}
	for i, v := range vis {
		if v.Name == name {
			return v, es[i], nil
		}
	}
	return wire.ValueInfo{}, nil, fmt.Errorf("the model has no output %q%s; its outputs are %s", name, didYouMean(name, m.outputNames()), quoteList(m.outputNames()))
}

// tensorInfo is the part of a TensorProto the edits read.
type tensorInfo struct {
	dims []int64
}

func (t tensorInfo) numElements() int64 {
	n := int64(1)
	for _, d := range t.dims {
		n *= d
	}
	return n
}

// parseTensorInfo reads the name and shape of the TensorProto in v's
// payload.
func parseTensorInfo(v wire.Value) (string, tensorInfo, error) {
	fs, err := v.Fields(wire.TensorProto)
	if err != nil {
		return "", tensorInfo{}, err
	}
	dims, err := fs.Int64s(wire.TensorDims)
	if err != nil {
		return "", tensorInfo{}, err
	}
	return fs.String(wire.TensorName), tensorInfo{dims: dims}, nil
}

// initializers maps initializer names to their shapes.
func (m *model) initializers() (map[string]tensorInfo, error) {
	out := map[string]tensorInfo{}
	err := m.live(wire.GraphInitializer, func(e *entry) error {
		name, t, err := parseTensorInfo(e.f)
		if err != nil {
			return fmt.Errorf("initializer: %w", err)
		}
		out[name] = t
		return nil
	})
	return out, err
}

// graphInputs returns the names of the graph inputs.
func (m *model) graphInputs() (map[string]bool, error) {
	out := map[string]bool{}
	err := m.live(wire.GraphInput, func(e *entry) error {
		vi, err := wire.ParseValueInfo(e.f)
		if err != nil {
			return fmt.Errorf("graph input: %w", err)
		}
		out[vi.Name] = true
		return nil
	})
	return out, err
}

// producers maps every value produced by a node to its entry.
func (m *model) producers() map[string]*entry {
	out := map[string]*entry{}
	for _, e := range m.nodes() {
		for _, o := range e.node.outputs {
			if o != "" {
				out[o] = e
			}
		}
	}
	return out
}

// consumers maps every value to the node entries that read it.
func (m *model) consumers() map[string][]*entry {
	out := map[string][]*entry{}
	for _, e := range m.nodes() {
		for _, in := range e.node.inputs {
			if in != "" && !slices.Contains(out[in], e) {
				out[in] = append(out[in], e)
			}
		}
	}
	return out
}

// fresh returns a name that is not used anywhere in the model (values and
// node names, subgraphs included) and reserves it.
func (m *model) fresh(base string) string {
	if m.taken == nil {
		m.taken = map[string]bool{}
		collectNames(m.graphFields(), m.taken)
	}
	name := base
	for i := 1; m.taken[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	m.taken[name] = true
	return name
}

// graphFields returns the current graph as fields.
func (m *model) graphFields() wire.Fields {
	var fs wire.Fields
	for _, e := range m.entries {
		if !e.deleted {
			fs = append(fs, e.f)
		}
	}
	return fs
}

// collectNames adds every value and node name of a graph, and of its
// subgraphs, to set.
func collectNames(gfs wire.Fields, set map[string]bool) {
	for _, f := range gfs {
		switch {
		case f.Is(wire.GraphInput), f.Is(wire.GraphOutput), f.Is(wire.GraphValueInfo):
			if vi, err := wire.ParseValueInfo(f); err == nil {
				set[vi.Name] = true
			}
		case f.Is(wire.GraphInitializer):
			if name, _, err := parseTensorInfo(f); err == nil {
				set[name] = true
			}
		case f.Is(wire.GraphNode):
			nfs, err := f.Fields(wire.NodeProto)
			if err != nil {
				continue
			}
			for _, nf := range nfs {
				switch {
				case nf.Is(wire.NodeInput), nf.Is(wire.NodeOutput), nf.Is(wire.NodeName):
					set[string(nf.Payload)] = true
				case nf.Is(wire.NodeAttribute):
					afs, err := nf.Fields(wire.AttributeProto)
					if err != nil {
						continue
					}
					for _, af := range afs {
						if af.Is(wire.AttributeG) || af.Is(wire.AttributeGraphs) {
							if sub, err := af.Fields(wire.GraphProto); err == nil {
								collectNames(sub, set)
							}
						}
					}
				}
			}
		}
	}
}

// setNode replaces a node's bytes.
func (e *entry) setNode(payload []byte) error {
	f := e.f.WithPayload(payload)
	n, err := parseNode(f)
	if err != nil {
		return err
	}
	e.f, e.node = f, n
	return nil
}

// insert adds new graph fields after the last live field with the same
// number (after the last node for nodes; at the end when there is none).
func (m *model) insert(f wire.Field, payloads [][]byte) error {
	at := len(m.entries)
	for i, e := range m.entries {
		if e.f.Field == f && !e.deleted {
			at = i + 1
		}
	}
	var add []*entry
	for _, p := range payloads {
		e := &entry{f: wire.NewValue(f, p)}
		if f == wire.GraphNode {
			n, err := parseNode(e.f)
			if err != nil {
				return err
			}
			e.node = n
		}
		add = append(add, e)
	}
	m.entries = slices.Insert(m.entries, at, add...)
	return nil
}

// pieces returns the encoded model as a list of byte slices (most of them
// sharing the input's memory) and its total size.
func (m *model) pieces() ([][]byte, int64) {
	var graphLen int64
	for _, e := range m.entries {
		if !e.deleted {
			graphLen += int64(len(e.f.Raw))
		}
	}
	var out [][]byte
	var size int64
	add := func(b []byte) {
		out = append(out, b)
		size += int64(len(b))
	}
	for i, f := range m.top {
		if i != m.graphAt {
			add(f.Raw)
			continue
		}
		add(wire.AppendBytesHeader(nil, wire.ModelGraph, graphLen))
		for _, e := range m.entries {
			if !e.deleted {
				add(e.f.Raw)
			}
		}
	}
	return out, size
}

// maxProtoSize is the largest message protobuf implementations accept.
const maxProtoSize = 1<<31 - 1

func (m *model) bytes() ([]byte, error) {
	ps, size := m.pieces()
	if size > maxProtoSize {
		return nil, fmt.Errorf("the edited model would be %d bytes, over protobuf's 2 GiB limit (store the weights as external data)", size)
	}
	b := make([]byte, 0, size)
	for _, p := range ps {
		b = append(b, p...)
	}
	return b, nil
}

func (m *model) writeTo(w io.Writer) error {
	ps, size := m.pieces()
	if size > maxProtoSize {
		return fmt.Errorf("the edited model would be %d bytes, over protobuf's 2 GiB limit (store the weights as external data)", size)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	for _, p := range ps {
		if _, err := bw.Write(p); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
