package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/srbench/srbench/harness/internal/jsonfield"
)

// rankFields names the fields of one ranking format.
type rankFields struct {
	images, ranks string
}

func rankFieldsOf(f Format) rankFields {
	switch f {
	case HPDv2JSON:
		return rankFields{images: "image_path", ranks: "rank"}
	case ImageRewardJSON:
		return rankFields{images: "generations", ranks: "ranking"}
	}
	panic("dataset: not a ranking format: " + string(f))
}

// rankElem is one parsed array element: a prompt with n ranked images.
type rankElem struct {
	idx      int
	prompt   string
	promptID string
	idBase   string
	images   []ImageRef
	ranks    []float64
}

// rankJSONReader streams a JSON array of ranking records, emitting the C(n,2) pairs of
// each record in (i, j) lexicographic order.
type rankJSONReader struct {
	spec   Spec
	format Format
	fields rankFields
	imgs   *imageResolver
	st     *recorder
	f      *os.File
	dec    *json.Decoder
	lines  lineLocator
	base   int64 // bytes before the decoder's input (a UTF-8 byte order mark)
	elem   int   // index of the next element
	cur    *rankElem
	i, j   int
	done   bool
}

func openRankJSON(spec Spec, format Format, imgs *imageResolver, st *recorder) (*rankJSONReader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var base int64
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
		base = 3
	}
	r := &rankJSONReader{spec: spec, format: format, fields: rankFieldsOf(format), imgs: imgs, st: st,
		f: f, dec: json.NewDecoder(br), lines: lineLocator{path: spec.Path}, base: base}
	tok, err := r.dec.Token()
	if err != nil || tok != json.Delim('[') {
		f.Close()
		if err == nil {
			err = fmt.Errorf("found %v", tok)
		}
		return nil, fmt.Errorf("dataset: file %q: format %s wants a JSON array of records: %w", spec.Path, format, err)
	}
	return r, nil
}

func (r *rankJSONReader) close() error {
	r.lines.close()
	return r.f.Close()
}

func (r *rankJSONReader) next(p *Pair) error {
	for {
		if e := r.cur; e != nil {
			n := len(e.images)
			if r.i < n-1 {
				r.fill(p, e, r.i, r.j)
				r.j++
				if r.j == n {
					r.i++
					r.j = r.i + 1
				}
				return nil
			}
			r.cur = nil
		}
		if r.done {
			return io.EOF
		}
		e, err := r.readElement()
		if err != nil {
			return err
		}
		r.cur, r.i, r.j = e, 0, 1
	}
}

func (r *rankJSONReader) fill(p *Pair, e *rankElem, i, j int) {
	label := LabelTie
	switch {
	case e.ranks[i] < e.ranks[j]:
		label = LabelA
	case e.ranks[i] > e.ranks[j]:
		label = LabelB
	}
	*p = Pair{
		ID:       fmt.Sprintf("%s/%d-%d", e.idBase, i, j),
		PromptID: e.promptID,
		Prompt:   e.prompt,
		A:        e.images[i],
		B:        e.images[j],
		Label:    label,
		Weight:   1,
		Strength: math.NaN(),
		Source:   fmt.Sprintf("%s:element %d", r.spec.Path, e.idx),
	}
}

// readElement decodes the next array element. Syntax errors are fatal (the stream
// cannot resynchronise); a well-formed element with bad fields is a *RowError.
func (r *rankJSONReader) readElement() (*rankElem, error) {
	if !r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return nil, r.fatal(err)
		}
		if tok != json.Delim(']') {
			return nil, fmt.Errorf("file %q: unexpected %v after element %d", r.spec.Path, tok, r.elem-1)
		}
		if tok, err := r.dec.Token(); !errors.Is(err, io.EOF) {
			if err == nil {
				err = fmt.Errorf("found %v", tok)
			}
			return nil, fmt.Errorf("file %q: unexpected data after the JSON array: %w", r.spec.Path, err)
		}
		r.done = true
		return nil, io.EOF
	}
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); err != nil {
		return nil, r.fatal(err)
	}
	idx := r.elem
	r.elem++
	r.st.row()
	start := r.base + r.dec.InputOffset() - int64(len(raw))
	e, pr := r.parseElement(idx, raw)
	if pr != nil {
		where := fmt.Sprintf("element %d", idx)
		if line := r.lines.lineAt(start); line > 0 {
			where += fmt.Sprintf(" (line %d)", line)
		}
		return nil, &RowError{File: r.spec.Path, Where: where, Field: pr.Field, Kind: pr.Kind, Detail: pr.Detail}
	}
	return e, nil
}

// fatal wraps a decoding error of element r.elem, with its line when known.
func (r *rankJSONReader) fatal(err error) error {
	where := fmt.Sprintf("element %d", r.elem)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if line := r.lines.lineAt(r.base + max(se.Offset-1, 0)); line > 0 {
			where += fmt.Sprintf(" (line %d)", line)
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("file %q: %s: truncated JSON array: %w", r.spec.Path, where, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("file %q: %s: %w", r.spec.Path, where, err)
}

func (r *rankJSONReader) parseElement(idx int, raw json.RawMessage) (*rankElem, *jsonfield.Problem) {
	m, pr := jsonfield.DecodeObject(raw)
	if pr != nil {
		return nil, pr
	}
	for k := range m {
		if k != "prompt" && k != "id" && k != r.fields.images && k != r.fields.ranks {
			r.st.unknownField(k)
		}
	}
	e := &rankElem{idx: idx}
	var err *jsonfield.Problem
	if e.prompt, _, err = jsonfield.String(m, "prompt", true); err != nil {
		return nil, err
	}
	imgs, err := jsonfield.Array(m, r.fields.images)
	if err != nil {
		return nil, err
	}
	ranks, err := jsonfield.Array(m, r.fields.ranks)
	if err != nil {
		return nil, err
	}
	if len(imgs) < 2 {
		return nil, jsonfield.Problemf(r.fields.images, "too few images", "has %d image(s) (want at least 2 to form a pair)", len(imgs))
	}
	if len(ranks) != len(imgs) {
		return nil, jsonfield.Problemf(r.fields.ranks, "length mismatch", "has %d entries but %q has %d", len(ranks), r.fields.images, len(imgs))
	}
	e.images = make([]ImageRef, len(imgs))
	for i, raw := range imgs {
		field := fmt.Sprintf("%s[%d]", r.fields.images, i)
		s, _, pr := jsonfield.StringValue(raw, field)
		if pr != nil {
			return nil, pr
		}
		ref, kind, detail := r.imgs.resolve(s)
		if kind != "" {
			return nil, jsonfield.Problemf(field, kind, "%s", detail)
		}
		e.images[i] = ref
	}
	e.ranks = make([]float64, len(ranks))
	for i, raw := range ranks {
		v, pr := jsonfield.NumberValue(raw, fmt.Sprintf("%s[%d]", r.fields.ranks, i))
		if pr != nil {
			return nil, pr
		}
		e.ranks[i] = v
	}
	id, ok, pr := jsonfield.ID(m, "id")
	if pr != nil {
		return nil, pr
	}
	if ok {
		e.promptID, e.idBase = id, id
	} else {
		e.promptID, e.idBase = PromptHash(e.prompt), fmt.Sprintf("e%d", idx)
	}
	return e, nil
}

// lineLocator maps byte offsets of the dataset file to 1-based line numbers, reading
// the file a second time, forward only, and only when a message needs a line.
type lineLocator struct {
	path string
	f    *os.File
	br   *bufio.Reader
	pos  int64 // bytes consumed
	line int   // line of pos
	err  error
}

// lineAt returns the line holding byte off, or 0 when it cannot tell.
func (l *lineLocator) lineAt(off int64) int {
	if l.err != nil {
		return 0
	}
	if l.f == nil || off < l.pos {
		l.close()
		f, err := os.Open(l.path)
		if err != nil {
			l.err = err
			return 0
		}
		l.f, l.br, l.pos, l.line = f, bufio.NewReaderSize(f, 64<<10), 0, 1
	}
	for l.pos < off {
		b, err := l.br.ReadByte()
		if err != nil {
			return 0
		}
		l.pos++
		if b == '\n' {
			l.line++
		}
	}
	return l.line
}

func (l *lineLocator) close() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
