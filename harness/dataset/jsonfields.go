package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fieldProblem is a malformed field before the caller adds file and position.
type fieldProblem struct {
	field, kind, detail string
}

func problem(field, kind, format string, args ...any) *fieldProblem {
	return &fieldProblem{field: field, kind: kind, detail: fmt.Sprintf(format, args...)}
}

// jsonKind names the JSON type of a raw value for messages.
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

// jsonString reads a string field. A required field must be present, not null, and not
// blank. An optional field that is absent or null gives ("", false, nil); present but
// blank is a problem.
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

// stringValue decodes a raw JSON value that must be a non-blank string.
func stringValue(raw json.RawMessage, field string) (string, bool, *fieldProblem) {
	if jsonKind(raw) != "a string" {
		return "", false, problem(field, "wrong type", "found %s (want a string)", jsonKind(raw))
	}
	s, err := decodeString(raw)
	if err != nil {
		return "", false, problem(field, "invalid value", "%v", err)
	}
	if strings.TrimSpace(s) == "" {
		return "", false, problem(field, "empty", "is empty (want a non-empty string)")
	}
	return s, true, nil
}

// jsonID reads an optional identifier: a non-blank string or an integer (kept as written).
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
	if jsonKind(raw) != "a string" {
		return "", false, problem(name, "wrong type", "found %s (want a string or an integer)", jsonKind(raw))
	}
	return stringValue(raw, name)
}

// jsonNumber reads an optional number field.
func jsonNumber(m map[string]json.RawMessage, name string) (float64, bool, *fieldProblem) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	v, p := numberValue(raw, name)
	return v, p == nil, p
}

func numberValue(raw json.RawMessage, field string) (float64, *fieldProblem) {
	if k := jsonKind(raw); k != "a number" {
		return 0, problem(field, "wrong type", "found %s (want a number)", k)
	}
	t := string(bytes.TrimSpace(raw))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, problem(field, "invalid value", "number %s is out of range", t)
	}
	return v, nil
}

// decodeString decodes a raw JSON string taken from an already validated document. The
// common case (no escapes, valid UTF-8) is a plain copy; escapes go through
// encoding/json. Bytes that are not valid UTF-8 are an error, not silently
// replaced with U+FFFD as encoding/json would: a prompt must reach the tokenizer as
// written.
func decodeString(raw json.RawMessage) (string, error) {
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

// jsonArray reads a required array field.
func jsonArray(m map[string]json.RawMessage, name string) ([]json.RawMessage, *fieldProblem) {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return nil, problem(name, "missing", "required field is missing (want an array)")
	}
	if k := jsonKind(raw); k != "an array" {
		return nil, problem(name, "wrong type", "found %s (want an array)", k)
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, problem(name, "invalid value", "%v", err)
	}
	return a, nil
}

// decodeObject parses one JSON object record into its fields.
func decodeObject(data []byte) (map[string]json.RawMessage, *fieldProblem) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		if !json.Valid(data) {
			return nil, problem("", "invalid JSON", "%s", describeJSONErr(syntaxErr(data)))
		}
		return nil, problem("", "not an object", "found %s (want a JSON object)", jsonKind(data))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, problem("", "invalid JSON", "%s", describeJSONErr(err))
	}
	return m, nil
}

func syntaxErr(data []byte) error {
	var v any
	return json.Unmarshal(data, &v)
}

// describeJSONErr says where a syntax error is (1-based byte column in the record).
func describeJSONErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return fmt.Sprintf("invalid JSON: %v", err)
}
