package edit

import (
	"fmt"
	"github.com/srbench/srbench/internal/atomicfile"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
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
		if f.num == modelFunctions && f.typ == protowire.BytesType {
			fs, err := parseFields(f.val)
			if err != nil {
				return nil, fmt.Errorf("function: %w", err)
			}
			for _, nf := range fs {
				if nf.num == functionNode && nf.typ == protowire.BytesType {
					if err := walkNodeTensors(nf.val, add); err != nil {
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
func walkTensors(gfs []field, add func(string) error) error {
	for _, f := range gfs {
		if f.typ != protowire.BytesType {
			continue
		}
		var err error
		switch f.num {
		case graphInitializer:
			err = tensorLocation(f.val, add)
		case graphSparseInitializer:
			err = sparseLocations(f.val, add)
		case graphNode:
			err = walkNodeTensors(f.val, add)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func walkNodeTensors(b []byte, add func(string) error) error {
	fs, err := parseFields(b)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.num != nodeAttr || f.typ != protowire.BytesType {
			continue
		}
		afs, err := parseFields(f.val)
		if err != nil {
			return err
		}
		for _, a := range afs {
			if a.typ != protowire.BytesType {
				continue
			}
			switch a.num {
			case attrT, attrTensors:
				err = tensorLocation(a.val, add)
			case attrSparseTensor, attrSparseTensors:
				err = sparseLocations(a.val, add)
			case attrG, attrGraphs:
				var sub []field
				if sub, err = parseFields(a.val); err == nil {
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

func sparseLocations(b []byte, add func(string) error) error {
	fs, err := parseFields(b)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if (f.num == sparseValues || f.num == sparseIndices) && f.typ == protowire.BytesType {
			if err := tensorLocation(f.val, add); err != nil {
				return err
			}
		}
	}
	return nil
}

// tensorLocation reads a TensorProto's external data location, if any.
func tensorLocation(b []byte, add func(string) error) error {
	fs, err := parseFields(b)
	if err != nil {
		return err
	}
	if loc, ok := varintOf(fs, tensorDataLocation); !ok || loc != 1 {
		return nil
	}
	for _, f := range fs {
		if f.num != tensorExternalData || f.typ != protowire.BytesType {
			continue
		}
		kv, err := parseFields(f.val)
		if err != nil {
			return err
		}
		if stringOf(kv, entryKey) == "location" {
			return add(stringOf(kv, entryValue))
		}
	}
	return fmt.Errorf("tensor %q is stored externally but names no location", stringOf(fs, tensorName))
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
