package jsonfield

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

// Problem is a malformed field before the caller adds the file and position. Field is
// empty when the whole record is at fault (invalid JSON, not an object); Kind is a short
// category such as "missing" or "wrong type"; Detail says what was found and what is
// wanted.
type Problem struct {
	Field, Kind, Detail string
}

// Problemf returns a Problem whose Detail is formatted as by fmt.Sprintf.
func Problemf(field, kind, format string, args ...any) *Problem {
	return &Problem{Field: field, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Kind names the JSON type of a raw value for messages: "a string", "an object",
// "an array", "a boolean", "null", "a number", or "nothing" when raw is blank.
func Kind(raw json.RawMessage) string {
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

// IsNull reports whether raw is the JSON literal null.
func IsNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// DecodeObject parses one JSON object record into its fields. Invalid JSON gives a
// Problem of kind "invalid JSON" with the byte offset of the error; valid JSON that is
// not an object (null included) gives kind "not an object".
func DecodeObject(data []byte) (map[string]json.RawMessage, *Problem) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		if !json.Valid(data) {
			var v any
			return nil, Problemf("", "invalid JSON", "%s", describeJSONErr(json.Unmarshal(data, &v)))
		}
		return nil, Problemf("", "not an object", "found %s (want a JSON object)", Kind(data))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, Problemf("", "invalid JSON", "%s", describeJSONErr(err))
	}
	return m, nil
}

// describeJSONErr says where a syntax error is (the byte offset encoding/json reports).
func describeJSONErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return fmt.Sprintf("invalid JSON: %v", err)
}

// String reads a string field. A required field must be present, not null, and not
// blank. An optional field that is absent or null gives ("", false, nil); present but
// blank is a Problem.
func String(m map[string]json.RawMessage, name string, required bool) (string, bool, *Problem) {
	raw, ok := m[name]
	if !ok || IsNull(raw) {
		if required {
			if ok {
				return "", false, Problemf(name, "missing", "required field is null (want a non-empty string)")
			}
			return "", false, Problemf(name, "missing", "required field is missing (want a non-empty string)")
		}
		return "", false, nil
	}
	return StringValue(raw, name)
}

// StringValue decodes a raw JSON value that must be a non-blank string; field names it
// in a Problem.
func StringValue(raw json.RawMessage, field string) (string, bool, *Problem) {
	if k := Kind(raw); k != "a string" {
		return "", false, Problemf(field, "wrong type", "found %s (want a string)", k)
	}
	s, err := DecodeString(raw)
	if err != nil {
		return "", false, Problemf(field, "invalid value", "%v", err)
	}
	if strings.TrimSpace(s) == "" {
		return "", false, Problemf(field, "empty", "is empty (want a non-empty string)")
	}
	return s, true, nil
}

// ID reads an optional identifier: a non-blank string or an integer (kept as written).
// Absent or null gives ("", false, nil).
func ID(m map[string]json.RawMessage, name string) (string, bool, *Problem) {
	raw, ok := m[name]
	if !ok || IsNull(raw) {
		return "", false, nil
	}
	switch k := Kind(raw); k {
	case "a number":
		t := string(bytes.TrimSpace(raw))
		if strings.ContainsAny(t, ".eE") {
			return "", false, Problemf(name, "wrong type", "found the number %s (want a string or an integer)", t)
		}
		return t, true, nil
	case "a string":
		return StringValue(raw, name)
	default:
		return "", false, Problemf(name, "wrong type", "found %s (want a string or an integer)", k)
	}
}

// Number reads an optional finite number field. Absent or null gives (0, false, nil).
func Number(m map[string]json.RawMessage, name string) (float64, bool, *Problem) {
	raw, ok := m[name]
	if !ok || IsNull(raw) {
		return 0, false, nil
	}
	v, p := NumberValue(raw, name)
	return v, p == nil, p
}

// NumberValue decodes a raw JSON value that must be a number that is finite as a
// float64; field names it in a Problem.
func NumberValue(raw json.RawMessage, field string) (float64, *Problem) {
	if k := Kind(raw); k != "a number" {
		return 0, Problemf(field, "wrong type", "found %s (want a number)", k)
	}
	t := string(bytes.TrimSpace(raw))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, Problemf(field, "invalid value", "number %s is out of range (not finite as a 64-bit float; want a finite number)", t)
	}
	return v, nil
}

// Int reads an optional integer field that fits in an int64. Absent or null gives
// (0, false, nil); a number with a fraction or exponent is a Problem.
func Int(m map[string]json.RawMessage, name string) (int64, bool, *Problem) {
	raw, ok := m[name]
	if !ok || IsNull(raw) {
		return 0, false, nil
	}
	if k := Kind(raw); k != "a number" {
		return 0, false, Problemf(name, "wrong type", "found %s (want an integer)", k)
	}
	t := string(bytes.TrimSpace(raw))
	if strings.ContainsAny(t, ".eE") {
		return 0, false, Problemf(name, "wrong type", "found the number %s (want an integer)", t)
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, false, Problemf(name, "invalid value", "integer %s is out of range (want a 64-bit signed integer)", t)
	}
	return v, true, nil
}

// Array reads a required array field.
func Array(m map[string]json.RawMessage, name string) ([]json.RawMessage, *Problem) {
	raw, ok := m[name]
	if !ok || IsNull(raw) {
		return nil, Problemf(name, "missing", "required field is missing (want an array)")
	}
	if k := Kind(raw); k != "an array" {
		return nil, Problemf(name, "wrong type", "found %s (want an array)", k)
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, Problemf(name, "invalid value", "%v", err)
	}
	return a, nil
}

// DecodeString decodes a raw JSON string taken from an already validated document. The
// common case (no escapes, valid UTF-8) is a plain copy; escapes go through
// encoding/json. Bytes that are not valid UTF-8 are an error, not silently replaced
// with U+FFFD as encoding/json would: a prompt must reach the tokenizer as written.
func DecodeString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		body := raw[1 : len(raw)-1]
		if !utf8.Valid(body) {
			off := 0
			for off < len(body) {
				r, n := utf8.DecodeRune(body[off:])
				if r == utf8.RuneError && n <= 1 {
					break
				}
				off += n
			}
			return "", fmt.Errorf("the string has bytes that are not valid UTF-8 (first at byte %d of the value); re-encode the file as UTF-8", off)
		}
		if bytes.IndexByte(body, '\\') < 0 && bytes.IndexByte(body, '"') < 0 {
			return string(body), nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// MaxLineBytes bounds one JSONL record; a longer line ends the stream with an error.
const MaxLineBytes = 16 << 20

// LineReader reads a JSONL file line by line. Lines are numbered from 1; Next returns
// each without its end-of-line bytes and surrounding white space, and drops a UTF-8
// byte order mark at the start of line 1.
type LineReader struct {
	file string
	br   *bufio.Reader
	line int
	buf  []byte
}

// NewLineReader reads r; file names it in errors.
func NewLineReader(file string, r io.Reader) *LineReader {
	return &LineReader{file: file, br: bufio.NewReaderSize(r, 64<<10)}
}

// Line is the number of the line Next last returned (0 before the first).
func (r *LineReader) Line() int { return r.line }

// Next returns the next line, valid until the next call, or io.EOF after the last. A
// line longer than MaxLineBytes or a read error is an error naming the file and line.
func (r *LineReader) Next() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > MaxLineBytes {
			return nil, fmt.Errorf("file %q: line %d: longer than %d bytes", r.file, r.line+1, MaxLineBytes)
		}
		switch {
		case err == nil:
			if len(r.buf) == 0 { // the whole line is in bufio's buffer: no copy
				return r.finish(chunk[:len(chunk)-1]), nil
			}
			r.buf = append(r.buf, chunk[:len(chunk)-1]...)
			return r.finish(r.buf), nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.buf = append(r.buf, chunk...)
		case errors.Is(err, io.EOF):
			r.buf = append(r.buf, chunk...)
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			return r.finish(r.buf), nil
		default:
			return nil, fmt.Errorf("file %q: line %d: %w", r.file, r.line+1, err)
		}
	}
}

func (r *LineReader) finish(b []byte) []byte {
	r.line++
	if r.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	return bytes.TrimSpace(b)
}

// MaxUnknownNames is how many distinct unknown field names CountUnknown
// keeps; further names are counted under "(other)".
const MaxUnknownNames = 64

// CountUnknown counts one record carrying the unknown field name in counts
// (made when nil, and returned), keeping at most MaxUnknownNames names.
func CountUnknown(counts map[string]int, name string) map[string]int {
	if counts == nil {
		counts = map[string]int{}
	}
	if _, ok := counts[name]; !ok && len(counts) >= MaxUnknownNames {
		name = "(other)"
	}
	counts[name]++
	return counts
}
