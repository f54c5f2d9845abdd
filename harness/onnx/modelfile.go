package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
)

// This file reads a model's declared inputs and outputs straight from the
// ONNX protobuf, seeking over initializer data, so NewSession does not have
// to load the weights twice (the bindings can only report a signature by
// building a throwaway session).

// maxSmallField bounds the fields read into memory here (value infos,
// tensor names, external data entries): anything larger is not a
// signature but a malformed or hostile file.
const maxSmallField = 1 << 24

// readModelSignature returns the graph inputs that are not initializers, and
// the graph outputs, as declared in the ONNX file at path.
func readModelSignature(path string) (Signature, error) {
	sig, _, err := readModelFile(path)
	return sig, err
}

// externalData is where an initializer's data lives outside the model file
// (TensorProto.external_data: location, offset, length).
type externalData struct {
	tensor, location string
	offset, length   int64 // length -1 when not given (the rest of the file)
}

// readModelFile is readModelSignature that also returns the initializers
// whose data is external.
func readModelFile(path string) (sig Signature, ext []externalData, err error) {
	f, err := os.Open(path)
	if err != nil {
		return Signature{}, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Signature{}, nil, err
	}
	var (
		sawIR, sawGraph bool
		g               graphDecl
	)
	r := wire.NewStreamReader(wire.ModelProto, f, st.Size())
	for r.Next() {
		switch v := r.Value(); {
		case v.Is(wire.ModelIRVersion):
			sawIR = true
		case v.Is(wire.ModelGraph):
			sawGraph = true
			if err := g.read(r.Message(wire.GraphProto)); err != nil {
				return Signature{}, nil, err
			}
		}
	}
	if err := r.Err(); err != nil {
		return Signature{}, nil, err
	}
	if !sawIR || !sawGraph {
		return Signature{}, nil, errors.New("no ir_version and graph fields (not an ONNX ModelProto)")
	}
	for _, in := range g.ins {
		if !g.inits[in.Name] {
			sig.Inputs = append(sig.Inputs, in)
		}
	}
	sig.Outputs = g.outs
	return sig, g.ext, nil
}

// graphDecl is what readModelFile gathers from the model's graph (or
// graphs: a repeated graph field adds to the same declaration).
type graphDecl struct {
	ins, outs []TensorSpec
	inits     map[string]bool
	ext       []externalData
}

// read reads a GraphProto's inputs, outputs and initializers (their names
// and external data, not their values).
func (g *graphDecl) read(r *wire.Reader) error {
	if g.inits == nil {
		g.inits = map[string]bool{}
	}
	for r.Next() {
		switch v := r.Value(); {
		case v.Is(wire.GraphInitializer):
			name, loc, err := readTensorDecl(r.Message(wire.TensorProto))
			if err != nil {
				return fmt.Errorf("graph initializer: %w", err)
			}
			g.inits[name] = true
			if loc != nil {
				loc.tensor = name
				g.ext = append(g.ext, *loc)
			}
		case v.Is(wire.GraphInput), v.Is(wire.GraphOutput):
			v, err := r.Load(maxSmallField)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			spec, err := tensorSpec(v)
			if err != nil {
				return fmt.Errorf("graph input/output: %w", err)
			}
			if v.Is(wire.GraphInput) {
				g.ins = append(g.ins, spec)
			} else {
				g.outs = append(g.outs, spec)
			}
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	return nil
}

// readTensorDecl reads a TensorProto's name and, when its external_data
// names a location, where its data lives; the data itself is skipped.
func readTensorDecl(r *wire.Reader) (string, *externalData, error) {
	var name string
	var ext *externalData
	for r.Next() {
		v := r.Value()
		if !v.Is(wire.TensorName) && !v.Is(wire.TensorExternalData) {
			continue
		}
		v, err := r.Load(maxSmallField)
		if err != nil {
			return "", nil, err
		}
		if v.Is(wire.TensorName) {
			name = string(v.Payload)
			continue
		}
		key, value, err := wire.ParseEntry(v)
		if err != nil {
			return "", nil, fmt.Errorf("external_data: %w", err)
		}
		if ext == nil {
			ext = &externalData{length: -1}
		}
		switch key {
		case "location":
			ext.location = value
		case "offset", "length":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return "", nil, fmt.Errorf("external_data %s %q: want a byte count", key, value)
			}
			if key == "offset" {
				ext.offset = n
			} else {
				ext.length = n
			}
		}
	}
	if err := r.Err(); err != nil {
		return "", nil, err
	}
	if ext != nil && ext.location == "" {
		ext = nil // entries without a location do not move the data
	}
	return name, ext, nil
}

// checkExternalData checks that every external initializer's file exists
// beside the model (not outside its directory) and is long enough.
func checkExternalData(model string, ext []externalData) error {
	dir := filepath.Dir(model)
	sizes := map[string]int64{}
	for _, e := range ext {
		if !filepath.IsLocal(e.location) {
			return fmt.Errorf("initializer %q: external data location %q is outside the model's directory", e.tensor, e.location)
		}
		size, ok := sizes[e.location]
		if !ok {
			st, err := os.Stat(filepath.Join(dir, e.location))
			if err != nil {
				return fmt.Errorf("initializer %q: external data file: %w", e.tensor, err)
			}
			size = st.Size()
			sizes[e.location] = size
		}
		need := e.offset + max(e.length, 0)
		if size < need {
			return fmt.Errorf("initializer %q: external data file %s has %d bytes, want at least %d (offset %d + length %d)", e.tensor, e.location, size, need, e.offset, e.length)
		}
	}
	return nil
}

// tensorSpec reads a graph input or output (a ValueInfoProto in v's
// payload). Unknown and symbolic dimensions become -1.
func tensorSpec(v wire.Value) (TensorSpec, error) {
	vi, err := wire.ParseValueInfo(v)
	if err != nil {
		return TensorSpec{Name: vi.Name}, err
	}
	spec := TensorSpec{Name: vi.Name, Type: ElementType(int32(vi.ElemType))}
	if !vi.IsTensor {
		return spec, fmt.Errorf("%q is not a tensor (only tensor inputs and outputs are supported)", vi.Name)
	}
	if vi.HasShape {
		spec.Shape = make([]int64, len(vi.Dims))
		for i, d := range vi.Dims {
			spec.Shape[i] = -1
			if d.Known {
				spec.Shape[i] = d.Value
			}
		}
	}
	return spec, nil
}
