package gallery

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLineBytes bounds one JSONL record, as in harness/dataset.
const maxLineBytes = 16 << 20

// fieldProblem is a malformed field before the caller adds file and line.
type fieldProblem struct{ field, kind, detail string }

func problem(field, kind, format string, args ...any) *fieldProblem {
	return &fieldProblem{field: field, kind: kind, detail: fmt.Sprintf(format, args...)}
}

// lineReader reads JSONL lines without end-of-line bytes, trimmed, counting lines
// from 1 and dropping a UTF-8 byte order mark on line 1.
type lineReader struct {
	file string
	br   *bufio.Reader
	line int
	buf  []byte
}

func newLineReader(file string, r io.Reader) *lineReader {
	return &lineReader{file: file, br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line (valid until the next call), or io.EOF.
func (r *lineReader) next() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > maxLineBytes {
			return nil, fmt.Errorf("file %q: line %d: longer than %d bytes", r.file, r.line+1, maxLineBytes)
		}
		switch {
		case err == nil:
			r.buf = append(r.buf, chunk[:len(chunk)-1]...)
			return r.finish(), nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.buf = append(r.buf, chunk...)
		case errors.Is(err, io.EOF):
			r.buf = append(r.buf, chunk...)
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			return r.finish(), nil
		default:
			return nil, fmt.Errorf("file %q: line %d: %w", r.file, r.line+1, err)
		}
	}
}

func (r *lineReader) finish() []byte {
	r.line++
	b := r.buf
	if r.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	return bytes.TrimSpace(b)
}

func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// decodeObject parses one JSON object record into its fields.
func decodeObject(data []byte) (map[string]json.RawMessage, *fieldProblem) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, problem("", "invalid JSON", "invalid JSON at byte %d: %v", se.Offset, se)
		}
		if json.Valid(data) {
			return nil, problem("", "not an object", "found %s (want a JSON object)", jsonKind(data))
		}
		return nil, problem("", "invalid JSON", "invalid JSON: %v", err)
	}
	if m == nil { // the literal null
		return nil, problem("", "not an object", "found null (want a JSON object)")
	}
	return m, nil
}

// jsonString reads a string field. A required field must be present, not null and not
// blank; an optional field that is absent or null gives ("", false, nil).
func jsonString(m map[string]json.RawMessage, name string, required bool) (string, bool, *fieldProblem) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		if required {
			if ok {
				return "", false, problem(name, "missing", "required field is null (want a non-empty string)")
			}
			return "", false, problem(name, "missing", "required field is missing (want a non-empty string)")
		}
		return "", false, nil
	}
	return stringValue(raw, name)
}

func stringValue(raw json.RawMessage, field string) (string, bool, *fieldProblem) {
	if k := jsonKind(raw); k != "a string" {
		return "", false, problem(field, "wrong type", "found %s (want a string)", k)
	}
	if !utf8.Valid(raw) {
		return "", false, problem(field, "invalid value", "the string has bytes that are not valid UTF-8; re-encode the file as UTF-8")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, problem(field, "invalid value", "%v", err)
	}
	if strings.TrimSpace(s) == "" {
		return "", false, problem(field, "empty", "is empty (want a non-empty string)")
	}
	return s, true, nil
}

// jsonID reads an optional identifier: a non-blank string or an integer (kept as
// written), as harness/dataset does for prompt_id.
func jsonID(m map[string]json.RawMessage, name string) (string, bool, *fieldProblem) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	if jsonKind(raw) == "a number" {
		t := string(bytes.TrimSpace(raw))
		if strings.ContainsAny(t, ".eE") {
			return "", false, problem(name, "wrong type", "found the number %s (want a string or an integer)", t)
		}
		return t, true, nil
	}
	if k := jsonKind(raw); k != "a string" {
		return "", false, problem(name, "wrong type", "found %s (want a string or an integer)", k)
	}
	return stringValue(raw, name)
}

// jsonInt reads an optional integer that fits in an int64.
func jsonInt(m map[string]json.RawMessage, name string) (int64, bool, *fieldProblem) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	if k := jsonKind(raw); k != "a number" {
		return 0, false, problem(name, "wrong type", "found %s (want an integer)", k)
	}
	t := string(bytes.TrimSpace(raw))
	if strings.ContainsAny(t, ".eE") {
		return 0, false, problem(name, "wrong type", "found the number %s (want an integer)", t)
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, false, problem(name, "invalid value", "integer %s is out of range (want a 64-bit signed integer)", t)
	}
	return v, true, nil
}

// jsonFloat reads an optional finite number.
func jsonFloat(m map[string]json.RawMessage, name string) (float64, bool, *fieldProblem) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	if k := jsonKind(raw); k != "a number" {
		return 0, false, problem(name, "wrong type", "found %s (want a finite number)", k)
	}
	t := string(bytes.TrimSpace(raw))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, false, problem(name, "invalid value", "number %s is not finite (want a finite number)", t)
	}
	return v, true, nil
}
