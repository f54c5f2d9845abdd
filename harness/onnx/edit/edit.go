package edit

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/srbench/srbench/harness/onnx/internal/wire"
	"github.com/srbench/srbench/internal/atomicfile"
)

// Edit appends steps to one graph output.
type Edit struct {
	Output string
	Steps  []Step
}

// AppendToOutput returns the model with output `output` replaced by the
// steps applied to its old value. The output keeps its name, element type
// and shape (a static last dimension follows the last linear step's
// width); the old value is renamed to "srbench_edit/<output>/input" (or a
// fresh variant) and every other reader of it keeps reading it. Other
// outputs, such as a combined CLIP model's logits, are therefore unchanged:
// use Apply or RecomputeCLIPLogits to recompute them. Empty steps return
// the model unchanged.
func AppendToOutput(model []byte, output string, steps []Step) ([]byte, error) {
	m, err := parseModel(model)
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	if err := m.appendSteps(output, steps); err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	if len(steps) == 0 {
		return model, nil
	}
	return m.bytes()
}

// RecomputeCLIPLogits rewires a combined CLIP model's logits_per_text and
// logits_per_image (whichever it outputs) to its current text_embeds and
// image_embeds outputs: logits_per_text = s · text_embeds · image_embedsᵀ
// and logits_per_image its transpose, where s is the model's own logit
// scale value (exp(logit_scale), folded or not). The old logits must be
// s · a · bᵀ (Mul of a MatMul with a transposed operand, or of a Gemm with
// transB=1, optionally transposed) with a, b the embeddings before the
// edits; any other form is an error wrapping ErrUnsupportedLogits. A model
// whose logits already use the current embeddings is returned unchanged.
func RecomputeCLIPLogits(model []byte) ([]byte, error) {
	m, err := parseModel(model)
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	changed, err := m.recomputeLogits()
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	if !changed {
		return model, nil
	}
	return m.bytes()
}

// Apply applies the edits in order (as AppendToOutput; several edits of one
// output compose in order) and then, if an edit
// changed text_embeds or image_embeds and the model also outputs
// logits_per_image or logits_per_text, recomputes the logits from the new
// embeddings (as RecomputeCLIPLogits); a logits graph that cannot be
// rewired is then an error wrapping ErrUnsupportedLogits.
func Apply(model []byte, edits []Edit) ([]byte, error) {
	m, err := parseModel(model)
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	changed, err := m.apply(edits)
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	if !changed {
		return model, nil
	}
	return m.bytes()
}

func (m *model) apply(edits []Edit) (bool, error) {
	changed, embeds := false, false
	for i, e := range edits {
		if err := m.appendSteps(e.Output, e.Steps); err != nil {
			return false, fmt.Errorf("edit %d: %w", i, err)
		}
		if len(e.Steps) > 0 {
			changed = true
			embeds = embeds || e.Output == TextEmbeds || e.Output == ImageEmbeds
		}
	}
	outs := m.outputNames()
	if embeds && (slices.Contains(outs, LogitsPerImage) || slices.Contains(outs, LogitsPerText)) {
		if _, err := m.recomputeLogits(); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// FileOptions configures ExportFile. The zero value copies external data.
type FileOptions struct {
	// LinkExternalData hard-links external data files beside the output
	// instead of copying them, falling back to a copy when linking fails
	// (another file system). Linked files share storage: changing one in
	// place changes the other.
	LinkExternalData bool
}

// ExportFile reads the ONNX model at in, applies the edits (as Apply) and
// writes the result to out (through a temporary file renamed into place;
// out may be in). The new constants are stored inline. If the model keeps
// tensors in external data files (data_location EXTERNAL, e.g.
// model.onnx_data), each file is copied (or linked) to the same relative
// location beside out, so the references keep working; locations must be
// relative and inside the model's directory. An existing data file at the
// destination is replaced.
func ExportFile(in, out string, edits []Edit, opts FileOptions) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	fail := func(err error) error { return fmt.Errorf("edit: model %q: %w", in, err) }
	m, err := parseModel(b)
	if err != nil {
		return fail(err)
	}
	if _, err := m.apply(edits); err != nil {
		return fail(err)
	}
	locs, err := m.externalLocations()
	if err != nil {
		return fail(err)
	}
	inDir, outDir := filepath.Dir(in), filepath.Dir(out)
	for _, loc := range locs {
		if err := copyData(filepath.Join(inDir, loc), filepath.Join(outDir, loc), opts.LinkExternalData); err != nil {
			return fail(fmt.Errorf("external data %q: %w", loc, err))
		}
	}
	if err := atomicWrite(out, m.writeTo); err != nil {
		return fail(err)
	}
	return nil
}

// externalLocations lists the external data files the model's tensors
// refer to, in order of first use. Each must be a relative path inside the
// model's directory.
func (m *model) externalLocations() ([]string, error) {
	var locs []string
	seen := map[string]bool{}
	add := func(loc string) error {
		clean := filepath.Clean(filepath.FromSlash(loc))
		if loc == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			return fmt.Errorf("external data location %q is not a relative path inside the model's directory", loc)
		}
		if !seen[clean] {
			seen[clean] = true
			locs = append(locs, clean)
		}
		return nil
	}
	if err := walkTensors(m.graphFields(), add); err != nil {
		return nil, err
	}
	for _, f := range m.top {
		if f.Is(wire.ModelFunctions) {
			fs, err := f.Fields(wire.FunctionProto)
			if err != nil {
				return nil, fmt.Errorf("function: %w", err)
			}
			for _, nf := range fs {
				if nf.Is(wire.FunctionNode) {
					if err := walkNodeTensors(nf, add); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return locs, nil
}

// walkTensors calls add with the location of every external tensor of a
// graph: initializers, sparse initializers and node attributes, subgraphs
// included.
func walkTensors(gfs wire.Fields, add func(string) error) error {
	for _, f := range gfs {
		var err error
		switch {
		case f.Is(wire.GraphInitializer):
			err = tensorLocation(f, add)
		case f.Is(wire.GraphSparseInitializer):
			err = sparseLocations(f, add)
		case f.Is(wire.GraphNode):
			err = walkNodeTensors(f, add)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// walkNodeTensors is walkTensors for the NodeProto in v's payload.
func walkNodeTensors(v wire.Value, add func(string) error) error {
	fs, err := v.Fields(wire.NodeProto)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if !f.Is(wire.NodeAttribute) {
			continue
		}
		afs, err := f.Fields(wire.AttributeProto)
		if err != nil {
			return err
		}
		for _, a := range afs {
			switch {
			case a.Is(wire.AttributeT), a.Is(wire.AttributeTensors):
				err = tensorLocation(a, add)
			case a.Is(wire.AttributeSparseTensor), a.Is(wire.AttributeSparseTensors):
				err = sparseLocations(a, add)
			case a.Is(wire.AttributeG), a.Is(wire.AttributeGraphs):
				var sub wire.Fields
				if sub, err = a.Fields(wire.GraphProto); err == nil {
					err = walkTensors(sub, add)
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// sparseLocations is tensorLocation for the SparseTensorProto in v's
// payload (its values and indices).
func sparseLocations(v wire.Value, add func(string) error) error {
	fs, err := v.Fields(wire.SparseTensorProto)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.Is(wire.SparseTensorValues) || f.Is(wire.SparseTensorIndices) {
			if err := tensorLocation(f, add); err != nil {
				return err
			}
		}
	}
	return nil
}

// tensorLocation reads the external data location, if any, of the
// TensorProto in v's payload.
func tensorLocation(v wire.Value, add func(string) error) error {
	fs, err := v.Fields(wire.TensorProto)
	if err != nil {
		return err
	}
	if loc, ok := fs.Uint(wire.TensorDataLocation); !ok || loc != wire.DataLocationExternal {
		return nil
	}
	for _, f := range fs {
		if !f.Is(wire.TensorExternalData) {
			continue
		}
		key, value, err := wire.ParseEntry(f)
		if err != nil {
			return err
		}
		if key == "location" {
			return add(value)
		}
	}
	return fmt.Errorf("tensor %q is stored externally but names no location", fs.String(wire.TensorName))
}

// copyData puts a copy (or a hard link) of src at dst, unless they are the
// same file.
func copyData(src, dst string, link bool) error {
	si, err := os.Stat(src)
	if err != nil {
		return err
	}
	if di, err := os.Stat(dst); err == nil && os.SameFile(si, di) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if link {
		tmp := dst + ".link-tmp"
		os.Remove(tmp)
		if err := os.Link(src, tmp); err == nil {
			if err := os.Rename(tmp, dst); err != nil {
				os.Remove(tmp)
				return err
			}
			return nil
		}
	}
	return atomicWrite(dst, func(w io.Writer) error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}

// atomicWrite writes path through a temporary file in the same directory.
func atomicWrite(path string, fill func(io.Writer) error) error { return atomicfile.Write(path, fill) }
