package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// maxLineBytes bounds one JSONL record; longer lines end the stream with an error.
const maxLineBytes = 16 << 20

// jsonlFields are the fields of the pairs-jsonl format.
var jsonlFields = [...]string{"prompt", "image_a", "image_b", "label", "prompt_id", "weight", "strength", "id"}

type jsonlReader struct {
	spec Spec
	imgs *imageResolver
	st   *recorder
	f    *os.File
	br   *bufio.Reader
	line int
	buf  []byte
}

func openJSONL(spec Spec, imgs *imageResolver, st *recorder) (*jsonlReader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return &jsonlReader{spec: spec, imgs: imgs, st: st, f: f, br: bufio.NewReaderSize(f, 64<<10)}, nil
}

func (r *jsonlReader) close() error { return r.f.Close() }

// readLine returns the next line without its end-of-line bytes; the slice is valid until
// the next call.
func (r *jsonlReader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > maxLineBytes {
			return nil, fmt.Errorf("file %q: line %d: longer than %d bytes", r.spec.Path, r.line+1, maxLineBytes)
		}
		switch {
		case err == nil:
			if len(r.buf) == 0 {
				return chunk[:len(chunk)-1], nil
			}
			r.buf = append(r.buf, chunk[:len(chunk)-1]...)
			return r.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.buf = append(r.buf, chunk...)
		case errors.Is(err, io.EOF):
			r.buf = append(r.buf, chunk...)
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			return r.buf, nil
		default:
			return nil, fmt.Errorf("file %q: line %d: %w", r.spec.Path, r.line+1, err)
		}
	}
}

func (r *jsonlReader) next(p *Pair) error {
	for {
		line, err := r.readLine()
		if err != nil {
			return err
		}
		r.line++
		if r.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			r.st.s.BlankLines++
			continue
		}
		r.st.row()
		if pr := r.parse(line, p); pr != nil {
			return &RowError{File: r.spec.Path, Where: fmt.Sprintf("line %d", r.line), Field: pr.field, Kind: pr.kind, Detail: pr.detail}
		}
		return nil
	}
}

func (r *jsonlReader) parse(line []byte, p *Pair) *fieldProblem {
	m, pr := decodeObject(line)
	if pr != nil {
		return pr
	}
	for k := range m {
		if !isJSONLField(k) {
			r.st.unknownField(k)
		}
	}
	prompt, _, pr := jsonString(m, "prompt", true)
	if pr != nil {
		return pr
	}
	var refs [2]ImageRef
	for i, name := range [2]string{"image_a", "image_b"} {
		s, _, pr := jsonString(m, name, true)
		if pr != nil {
			return pr
		}
		ref, kind, detail := r.imgs.resolve(s)
		if kind != "" {
			return problem(name, kind, "%s", detail)
		}
		refs[i] = ref
	}
	ls, _, pr := jsonString(m, "label", true)
	if pr != nil {
		return pr
	}
	label, err := ParseLabel(ls)
	if err != nil {
		return problem("label", "invalid value", "%v", err)
	}
	weight, ok, pr := jsonNumber(m, "weight")
	if pr != nil {
		return pr
	}
	if !ok {
		weight = 1
	} else if msg := checkWeight(weight); msg != "" {
		return problem("weight", "invalid value", "%s", msg)
	}
	strength, ok, pr := jsonNumber(m, "strength")
	if pr != nil {
		return pr
	}
	if !ok {
		strength = math.NaN()
	}
	promptID, ok, pr := jsonID(m, "prompt_id")
	if pr != nil {
		return pr
	}
	if !ok {
		promptID = PromptHash(prompt)
	}
	id, ok, pr := jsonID(m, "id")
	if pr != nil {
		return pr
	}
	if !ok {
		id = "L" + strconv.Itoa(r.line)
	}
	*p = Pair{
		ID: id, PromptID: promptID, Prompt: prompt,
		A: refs[0], B: refs[1], Label: label,
		Weight: weight, Strength: strength,
		Source: r.spec.Path + ":line " + strconv.Itoa(r.line),
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
