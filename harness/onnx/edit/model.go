package edit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// MinOpset is the oldest default-domain opset the edits support: the nodes
// they add use ReduceSum with its axes as an input (opset 13).
const MinOpset = 13

// node is a NodeProto: its fields as read plus the parts the edits use.
type node struct {
	fields          []field
	inputs, outputs []string
	name, op        string
	domain          string
}

func parseNode(b []byte) (*node, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, err
	}
	return &node{
		fields:  fs,
		inputs:  stringsOf(fs, nodeInput),
		outputs: stringsOf(fs, nodeOutput),
		name:    stringOf(fs, nodeName),
		op:      stringOf(fs, nodeOpType),
		domain:  stringOf(fs, nodeDomain),
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
func (n *node) attr(name string) ([]field, bool) {
	for _, f := range n.fields {
		if f.num != nodeAttr || f.typ != protowire.BytesType {
			continue
		}
		fs, err := parseFields(f.val)
		if err != nil {
			continue
		}
		if stringOf(fs, attrName) == name {
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
	v, ok := varintOf(fs, attrI)
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
	v, ok := float32Of(fs, attrF)
	if !ok {
		return def
	}
	return v
}

// hasSubgraph reports whether an attribute holds a graph (If, Loop, Scan).
func (n *node) hasSubgraph() bool {
	for _, f := range n.fields {
		if f.num != nodeAttr || f.typ != protowire.BytesType {
			continue
		}
		fs, err := parseFields(f.val)
		if err != nil {
			continue
		}
		for _, a := range fs {
			if a.num == attrG || a.num == attrGraphs {
				return true
			}
		}
	}
	return false
}

// entry is one field of the GraphProto, kept as bytes; nodes are also
// parsed.
type entry struct {
	f       field
	node    *node // for graphNode fields
	deleted bool
}

// model is a ModelProto opened for editing. Untouched fields keep their
// bytes; only the graph is split into entries.
type model struct {
	top     []field // ModelProto fields
	graphAt int     // index of the graph in top
	entries []*entry
	opset   int64 // default-domain opset, 0 if not imported
	taken   map[string]bool
}

// errNotONNX marks input that is not an ONNX ModelProto.
var errNotONNX = errors.New("not an ONNX model")

func parseModel(b []byte) (*model, error) {
	top, err := parseFields(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotONNX, err)
	}
	m := &model{top: top, graphAt: -1}
	sawIR := false
	for i, f := range top {
		switch {
		case f.num == modelIRVersion && f.typ == protowire.VarintType:
			sawIR = true
		case f.num == modelGraph && f.typ == protowire.BytesType:
			if m.graphAt >= 0 {
				return nil, fmt.Errorf("%w: more than one graph field", errNotONNX)
			}
			m.graphAt = i
		case f.num == modelOpset && f.typ == protowire.BytesType:
			ofs, err := parseFields(f.val)
			if err != nil {
				return nil, fmt.Errorf("%w: opset_import: %v", errNotONNX, err)
			}
			if d := stringOf(ofs, opsetDomain); d == "" || d == "ai.onnx" {
				v, _ := varintOf(ofs, opsetVersion)
				m.opset = int64(v)
			}
		}
	}
	if !sawIR || m.graphAt < 0 {
		return nil, fmt.Errorf("%w: no ir_version and graph fields", errNotONNX)
	}
	gfs, err := parseFields(top[m.graphAt].val)
	if err != nil {
		return nil, fmt.Errorf("%w: graph: %v", errNotONNX, err)
	}
	for _, f := range gfs {
		e := &entry{f: f}
		if f.num == graphNode && f.typ == protowire.BytesType {
			if e.node, err = parseNode(f.val); err != nil {
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

// live calls fn for every entry of field num that is not deleted.
func (m *model) live(num protowire.Number, fn func(*entry) error) error {
	for _, e := range m.entries {
		if !e.deleted && e.f.num == num && e.f.typ == protowire.BytesType {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *model) nodes() []*entry {
	var out []*entry
	_ = m.live(graphNode, func(e *entry) error { out = append(out, e); return nil })
	return out
}

// outputs returns the graph outputs and their entries.
func (m *model) outputs() ([]valueInfo, []*entry, error) {
	var vis []valueInfo
	var es []*entry
	err := m.live(graphOutput, func(e *entry) error {
		vi, err := parseValueInfo(e.f.val)
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
		names[i] = v.name
	}
	return names
}

// output finds the graph output called name; a missing one is an error
// listing the outputs the model has.
func (m *model) output(name string) (valueInfo, *entry, error) {
	vis, es, err := m.outputs()
	if err != nil {
		return valueInfo{}, nil, err
	}
	for i, v := range vis {
		if v.name == name {
			return v, es[i], nil
		}
	}
	return valueInfo{}, nil, fmt.Errorf("the model has no output %q%s; its outputs are %s", name, didYouMean(name, m.outputNames()), quoteList(m.outputNames()))
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

func parseTensorInfo(b []byte) (string, tensorInfo, error) {
	fs, err := parseFields(b)
	if err != nil {
		return "", tensorInfo{}, err
	}
	dims, err := int64sOf(fs, tensorDims)
	if err != nil {
		return "", tensorInfo{}, err
	}
	return stringOf(fs, tensorName), tensorInfo{dims: dims}, nil
}

// initializers maps initializer names to their shapes.
func (m *model) initializers() (map[string]tensorInfo, error) {
	out := map[string]tensorInfo{}
	err := m.live(graphInitializer, func(e *entry) error {
		name, t, err := parseTensorInfo(e.f.val)
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
	err := m.live(graphInput, func(e *entry) error {
		vi, err := parseValueInfo(e.f.val)
		if err != nil {
			return fmt.Errorf("graph input: %w", err)
		}
		out[vi.name] = true
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
func (m *model) graphFields() []field {
	var fs []field
	for _, e := range m.entries {
		if !e.deleted {
			fs = append(fs, e.f)
		}
	}
	return fs
}

// collectNames adds every value and node name of a graph, and of its
// subgraphs, to set.
func collectNames(gfs []field, set map[string]bool) {
	for _, f := range gfs {
		if f.typ != protowire.BytesType {
			continue
		}
		switch f.num {
		case graphInput, graphOutput, graphValueInfo:
			if vi, err := parseValueInfo(f.val); err == nil {
				set[vi.name] = true
			}
		case graphInitializer:
			if name, _, err := parseTensorInfo(f.val); err == nil {
				set[name] = true
			}
		case graphNode:
			nfs, err := parseFields(f.val)
			if err != nil {
				continue
			}
			for _, nf := range nfs {
				switch {
				case nf.typ != protowire.BytesType:
				case nf.num == nodeInput || nf.num == nodeOutput || nf.num == nodeName:
					set[string(nf.val)] = true
				case nf.num == nodeAttr:
					afs, err := parseFields(nf.val)
					if err != nil {
						continue
					}
					for _, af := range afs {
						if (af.num == attrG || af.num == attrGraphs) && af.typ == protowire.BytesType {
							if sub, err := parseFields(af.val); err == nil {
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
	n, err := parseNode(payload)
	if err != nil {
		return err
	}
	e.f = withPayload(e.f, payload)
	e.node = n
	return nil
}

// insert adds new graph fields after the last live field with the same
// number (after the last node for nodes; at the end when there is none).
func (m *model) insert(num protowire.Number, payloads [][]byte) error {
	at := len(m.entries)
	for i, e := range m.entries {
		if e.f.num == num && !e.deleted {
			at = i + 1
		}
	}
	var add []*entry
	for _, p := range payloads {
		e := &entry{f: withPayload(field{num: num, typ: protowire.BytesType}, p)}
		if num == graphNode {
			n, err := parseNode(p)
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
			graphLen += int64(len(e.f.raw))
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
			add(f.raw)
			continue
		}
		h := protowire.AppendTag(nil, modelGraph, protowire.BytesType)
		add(protowire.AppendVarint(h, uint64(graphLen)))
		for _, e := range m.entries {
			if !e.deleted {
				add(e.f.raw)
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
