package edit

import (
	"fmt"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// renameUses makes every reader of value old read value new instead: node
// inputs (also inside If/Loop/Scan subgraphs that see old from the outer
// scope), value_info entries and quantization annotations. Graph outputs
// are not touched.
func (m *model) renameUses(old, new string) error {
	for _, e := range m.entries {
		if e.deleted {
			continue
		}
		switch {
		case e.f.Is(wire.GraphNode):
			p, changed, err := renameInNode(e.f, old, new)
			if err != nil {
				return fmt.Errorf("%s: %w", e.node.describe(), err)
			}
			if changed {
				if err := e.setNode(p); err != nil {
					return err
				}
			}
		case e.f.Is(wire.GraphValueInfo):
			vi, err := wire.ParseValueInfo(e.f)
			if err != nil {
				return fmt.Errorf("value_info: %w", err)
			}
			if vi.Name == old {
				p, err := renameValueInfo(e.f, new)
				if err != nil {
					return err
				}
				e.f = e.f.WithPayload(p)
			}
		case e.f.Is(wire.GraphQuantizationAnnotation):
			fs, err := e.f.Fields(wire.TensorAnnotation)
			if err != nil {
				return fmt.Errorf("quantization_annotation: %w", err)
			}
			changed := false
			for i, f := range fs {
				if f.Is(wire.AnnotationTensorName) && string(f.Payload) == old {
					fs[i] = f.WithPayload([]byte(new))
					changed = true
				}
			}
			if changed {
				e.f = e.f.WithPayload(fs.Bytes())
			}
		}
	}
	return nil
}

// renameInNode renames the inputs called old of the NodeProto in v's
// payload, and the uses of old inside its subgraph attributes.
func renameInNode(v wire.Value, old, new string) ([]byte, bool, error) {
	fs, err := v.Fields(wire.NodeProto)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, f := range fs {
		switch {
		case f.Is(wire.NodeInput):
			if string(f.Payload) == old {
				fs[i] = f.WithPayload([]byte(new))
				changed = true
			}
		case f.Is(wire.NodeAttribute):
			p, c, err := renameInAttr(f, old, new)
			if err != nil {
				return nil, false, err
			}
			if c {
				fs[i] = f.WithPayload(p)
				changed = true
			}
		}
	}
	if !changed {
		return v.Payload, false, nil
	}
	return fs.Bytes(), true, nil
}

// renameInAttr is renameInNode for the AttributeProto in v's payload.
func renameInAttr(v wire.Value, old, new string) ([]byte, bool, error) {
	fs, err := v.Fields(wire.AttributeProto)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, f := range fs {
		if f.Is(wire.AttributeG) || f.Is(wire.AttributeGraphs) {
			p, c, err := renameInSubgraph(f, old, new)
			if err != nil {
				return nil, false, fmt.Errorf("attribute %q: %w", fs.String(wire.AttributeName), err)
			}
			if c {
				fs[i] = f.WithPayload(p)
				changed = true
			}
		}
	}
	if !changed {
		return v.Payload, false, nil
	}
	return fs.Bytes(), true, nil
}

// renameInSubgraph renames outer-scope uses of old in the GraphProto in
// v's payload. (ONNX names are unique across scopes, so a subgraph cannot
// define its own old.)
func renameInSubgraph(v wire.Value, old, new string) ([]byte, bool, error) {
	fs, err := v.Fields(wire.GraphProto)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for i, f := range fs {
		switch {
		case f.Is(wire.GraphNode):
			p, c, err := renameInNode(f, old, new)
			if err != nil {
				return nil, false, err
			}
			if c {
				fs[i] = f.WithPayload(p)
				changed = true
			}
		case f.Is(wire.GraphOutput), f.Is(wire.GraphValueInfo):
			vi, err := wire.ParseValueInfo(f)
			if err != nil {
				return nil, false, err
			}
			if vi.Name == old {
				p, err := renameValueInfo(f, new)
				if err != nil {
					return nil, false, err
				}
				fs[i] = f.WithPayload(p)
				changed = true
			}
		}
	}
	if !changed {
		return v.Payload, false, nil
	}
	return fs.Bytes(), true, nil
}

// renameOutput renames output slot i of a node.
func renameOutput(e *entry, i int, new string) error {
	out := append(wire.Fields(nil), e.node.fields...)
	k := 0
	for j, f := range out {
		if f.Is(wire.NodeOutput) {
			if k == i {
				out[j] = f.WithPayload([]byte(new))
				return e.setNode(out.Bytes())
			}
			k++
		}
	}
	return fmt.Errorf("%s has no output %d", e.node.describe(), i)
}
