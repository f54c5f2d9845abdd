package dataset

import (
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/srbench/srbench/harness/internal/jsonfield"
)

// jsonlFields are the fields of the pairs-jsonl format.
var jsonlFields = [...]string{"prompt", "image_a", "image_b", "label", "prompt_id", "weight", "strength", "id"}

type jsonlReader struct {
	spec  Spec
	imgs  *imageResolver
	st    *recorder
	f     *os.File
	lines *jsonfield.LineReader
}

func openJSONL(spec Spec, imgs *imageResolver, st *recorder) (*jsonlReader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return &jsonlReader{spec: spec, imgs: imgs, st: st, f: f, lines: jsonfield.NewLineReader(spec.Path, f)}, nil
}

func (r *jsonlReader) close() error { return r.f.Close() }

func (r *jsonlReader) next(p *Pair) error {
	for {
		line, err := r.lines.Next()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			r.st.s.BlankLines++
			continue
		}
		r.st.row()
		if pr := r.parse(line, p); pr != nil {
			return &RowError{File: r.spec.Path, Where: fmt.Sprintf("line %d", r.lines.Line()), Field: pr.Field, Kind: pr.Kind, Detail: pr.Detail}
		}
		return nil
	}
}

func (r *jsonlReader) parse(line []byte, p *Pair) *jsonfield.Problem {
	m, pr := jsonfield.DecodeObject(line)
	if pr != nil {
		return pr
	}
	for k := range m {
		if !isJSONLField(k) {
			r.st.unknownField(k)
		}
	}
	prompt, _, pr := jsonfield.String(m, "prompt", true)
	if pr != nil {
		return pr
	}
	var refs [2]ImageRef
	for i, name := range [2]string{"image_a", "image_b"} {
		s, _, pr := jsonfield.String(m, name, true)
		if pr != nil {
			return pr
		}
		ref, kind, detail := r.imgs.resolve(s)
		if kind != "" {
			return jsonfield.Problemf(name, kind, "%s", detail)
		}
		refs[i] = ref
	}
	ls, _, pr := jsonfield.String(m, "label", true)
	if pr != nil {
		return pr
	}
	label, err := ParseLabel(ls)
	if err != nil {
		return jsonfield.Problemf("label", "invalid value", "%v", err)
	}
	weight, ok, pr := jsonfield.Number(m, "weight")
	if pr != nil {
		return pr
	}
	if !ok {
		weight = 1
	} else if msg := checkWeight(weight); msg != "" {
		return jsonfield.Problemf("weight", "invalid value", "%s", msg)
	}
	strength, ok, pr := jsonfield.Number(m, "strength")
	if pr != nil {
		return pr
	}
	if !ok {
		strength = math.NaN()
	}
	promptID, ok, pr := jsonfield.ID(m, "prompt_id")
	if pr != nil {
		return pr
	}
	if !ok {
		promptID = PromptHash(prompt)
	}
	id, ok, pr := jsonfield.ID(m, "id")
	if pr != nil {
		return pr
	}
	if !ok {
		id = "L" + strconv.Itoa(r.lines.Line())
	}
	*p = Pair{
		ID: id, PromptID: promptID, Prompt: prompt,
		A: refs[0], B: refs[1], Label: label,
		Weight: weight, Strength: strength,
		Source: r.spec.Path + ":line " + strconv.Itoa(r.lines.Line()),
	}
	return nil
}

func isJSONLField(k string) bool {
	for _, f := range jsonlFields {
		if k == f {
			return true
		}
	}
	return false
}
