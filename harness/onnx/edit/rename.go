package edit

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// renameUses makes every reader of value old read value new instead: node
// inputs (also inside If/Loop/Scan subgraphs that see old from the outer
// scope), value_info entries and quantization annotations. Graph outputs
// are not touched.
func (m *model) renameUses(old, new string) error {
	for _, e := range m.entries {
		if e.deleted || e.f.typ != protowire.BytesType {
			continue
		}
		switch e.f.num {
		case graphNode:
			p, changed, err := renameInNode(e.f.val, old, new)
			if err != nil {
				return fmt.Errorf("%s: %w", e.node.describe(), err)
			}
			if changed {
				if err := e.setNode(p); err != nil {
					return err
				}
			}
		case graphValueInfo:
			vi, err := parseValueInfo(e.f.val)
			if err != nil {
				return fmt.Errorf("value_info: %w", err)
			}
			if vi.name == old {
				p, err := renameValueInfo(e.f.val, new)
				if err != nil {
					return err
				}
				e.f = withPayload(e.f, p)
			}
		case graphQuantAnnotation:
			fs, err := parseFields(e.f.val)
			if err != nil {
				return fmt.Errorf("quantization_annotation: %w", err)
			}
			changed := false
			for i, f := range fs {
				if f.num == annotationTensorName && f.typ == protowire.BytesType && string(f.val) == old {
					fs[i] = withPayload(f, []byte(new))
					changed = true
				}
			}
			if changed {
				e.f = withPayload(e.f, join(fs))
			}
		}
	}
	return nil
}

// renameInNode renames the inputs of a NodeProto called old, and the uses
// of old inside its subgraph attributes.
func renameInNode(b []byte, old, new string) ([]byte, bool, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, f := range fs {
		if f.typ != protowire.BytesType {
			continue
		}
		switch f.num {
		case nodeInput:
			if string(f.val) == old {
				fs[i] = withPayload(f, []byte(new))
				changed = true
			}
		case nodeAttr:
			p, c, err := renameInAttr(f.val, old, new)
			if err != nil {
				return nil, false, err
			}
			if c {
				fs[i] = withPayload(f, p)
				changed = true
			}
		}
	}
	if !changed {
		return b, false, nil
	}
	return join(fs), true, nil
}

func renameInAttr(b []byte, old, new string) ([]byte, bool, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, f := range fs {
		if (f.num == attrG || f.num == attrGraphs) && f.typ == protowire.BytesType {
			p, c, err := renameInSubgraph(f.val, old, new)
			if err != nil {
				return nil, false, fmt.Errorf("attribute %q: %w", stringOf(fs, attrName), err)
			}
			if c {
				fs[i] = withPayload(f, p)
				changed = true
			}
		}
	}
	if !changed {
		return b, false, nil
	}
	return join(fs), true, nil
}

// renameInSubgraph renames outer-scope uses of old in a subgraph. (ONNX
// names are unique across scopes, so a subgraph cannot define its own old.)
func renameInSubgraph(b []byte, old, new string) ([]byte, bool, error) {
	fs, err := parseFields(b)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, f := range fs {
		if f.typ != protowire.BytesType {
			continue
		}
		switch f.num {
		case graphNode:
			p, c, err := renameInNode(f.val, old, new)
			if err != nil {
				return nil, false, err
			}
			if c {
				fs[i] = withPayload(f, p)
				changed = true
			}
		case graphOutput, graphValueInfo:
			vi, err := parseValueInfo(f.val)
			if err != nil {
				return nil, false, err
			}
			if vi.name == old {
				p, err := renameValueInfo(f.val, new)
				if err != nil {
					return nil, false, err
				}
				fs[i] = withPayload(f, p)
				changed = true
			}
		}
	}
	if !changed {
		return b, false, nil
	}
	return join(fs), true, nil
}

// renameOutput renames output slot i of a node.
func renameOutput(e *entry, i int, new string) error {
	fs := e.node.fields
	k := 0
	out := make([]field, len(fs))
	copy(out, fs)
	for j, f := range out {
		if f.num == nodeOutput && f.typ == protowire.BytesType {
			if k == i {
				out[j] = withPayload(f, []byte(new))
				return e.setNode(join(out))
			}
			k++
		}
	}
	return fmt.Errorf("%s has no output %d", e.node.describe(), i)
}
