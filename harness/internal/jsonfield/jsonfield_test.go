package jsonfield

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// want is an expected result: the value (as text) and found flag, or a Problem whose
// Detail must contain detail.
type want struct {
	val         string
	found       bool
	field, kind string
	detail      string
}

func check(t *testing.T, got string, found bool, p *Problem, w want) {
	t.Helper()
	if w.kind == "" {
		if p != nil {
			t.Fatalf("problem %+v, want %q found=%v", *p, w.val, w.found)
		}
		if got != w.val || found != w.found {
			t.Fatalf("got %q found=%v, want %q found=%v", got, found, w.val, w.found)
		}
		return
	}
	if p == nil {
		t.Fatalf("got %q found=%v, want a %q problem", got, found, w.kind)
	}
	if p.Field != w.field || p.Kind != w.kind || !strings.Contains(p.Detail, w.detail) {
		t.Fatalf("problem %+v, want field %q kind %q detail containing %q", *p, w.field, w.kind, w.detail)
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	const rec = `{"s":"text","blank":"  ","n":null,"num":3,"big":1e999,"float":1.5,"exp":1e3,` +
		`"huge":99999999999999999999,"arr":[1,"a"],"obj":{},"bool":true,"esc":"a\u00e9\"b",` +
		`"bad":"x` + "\xff" + `y"}`
	m, p := DecodeObject([]byte(rec))
	if p != nil {
		t.Fatalf("DecodeObject: %+v", *p)
	}
	str := func(req bool) func(string) (string, bool, *Problem) {
		return func(name string) (string, bool, *Problem) { return String(m, name, req) }
	}
	id := func(name string) (string, bool, *Problem) { return ID(m, name) }
	num := func(name string) (string, bool, *Problem) {
		v, ok, p := Number(m, name)
		return fmtNum(v, ok), ok, p
	}
	integer := func(name string) (string, bool, *Problem) {
		v, ok, p := Int(m, name)
		return fmtNum(float64(v), ok), ok, p
	}
	tests := []struct {
		name  string
		read  func(string) (string, bool, *Problem)
		field string
		want  want
	}{
		{"required string", str(true), "s", want{val: "text", found: true}},
		{"escaped string", str(true), "esc", want{val: "a\u00e9\"b", found: true}},
		{"required missing", str(true), "absent", want{field: "absent", kind: "missing", detail: "required field is missing (want a non-empty string)"}},
		{"required null", str(true), "n", want{field: "n", kind: "missing", detail: "required field is null"}},
		{"optional missing", str(false), "absent", want{}},
		{"optional null", str(false), "n", want{}},
		{"blank", str(false), "blank", want{field: "blank", kind: "empty", detail: "is empty (want a non-empty string)"}},
		{"string of number", str(true), "num", want{field: "num", kind: "wrong type", detail: "found a number (want a string)"}},
		{"string of array", str(true), "arr", want{field: "arr", kind: "wrong type", detail: "found an array (want a string)"}},
		{"string of object", str(true), "obj", want{field: "obj", kind: "wrong type", detail: "found an object (want a string)"}},
		{"string of bool", str(true), "bool", want{field: "bool", kind: "wrong type", detail: "found a boolean (want a string)"}},
		{"invalid UTF-8", str(true), "bad", want{field: "bad", kind: "invalid value", detail: "not valid UTF-8 (first at byte 1 of the value)"}},
		{"id string", id, "s", want{val: "text", found: true}},
		{"id integer", id, "num", want{val: "3", found: true}},
		{"id integer kept as written", id, "huge", want{val: "99999999999999999999", found: true}},
		{"id absent", id, "absent", want{}},
		{"id null", id, "n", want{}},
		{"id float", id, "float", want{field: "float", kind: "wrong type", detail: "found the number 1.5 (want a string or an integer)"}},
		{"id exponent", id, "exp", want{field: "exp", kind: "wrong type", detail: "found the number 1e3"}},
		{"id bool", id, "bool", want{field: "bool", kind: "wrong type", detail: "found a boolean (want a string or an integer)"}},
		{"id blank", id, "blank", want{field: "blank", kind: "empty"}},
		{"number", num, "float", want{val: "1.5", found: true}},
		{"number exponent", num, "exp", want{val: "1000", found: true}},
		{"number absent", num, "absent", want{}},
		{"number null", num, "n", want{}},
		{"number of string", num, "s", want{field: "s", kind: "wrong type", detail: "found a string (want a number)"}},
		{"number not finite", num, "big", want{field: "big", kind: "invalid value", detail: "number 1e999 is out of range (not finite"}},
		{"int", integer, "num", want{val: "3", found: true}},
		{"int absent", integer, "absent", want{}},
		{"int null", integer, "n", want{}},
		{"int float", integer, "float", want{field: "float", kind: "wrong type", detail: "found the number 1.5 (want an integer)"}},
		{"int of string", integer, "s", want{field: "s", kind: "wrong type", detail: "found a string (want an integer)"}},
		{"int out of range", integer, "huge", want{field: "huge", kind: "invalid value", detail: "out of range (want a 64-bit signed integer)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, p := tt.read(tt.field)
			check(t, got, found, p, tt.want)
		})
	}
}

func fmtNum(v float64, ok bool) string {
	if !ok {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestArray(t *testing.T) {
	t.Parallel()
	m := map[string]json.RawMessage{"a": json.RawMessage(`[1, "x"]`), "s": json.RawMessage(`"x"`), "n": json.RawMessage(`null`)}
	tests := []struct {
		name, field string
		want        want
	}{
		{"array", "a", want{val: "2", found: true}},
		{"missing", "absent", want{field: "absent", kind: "missing", detail: "want an array"}},
		{"null", "n", want{field: "n", kind: "missing", detail: "want an array"}},
		{"string", "s", want{field: "s", kind: "wrong type", detail: "found a string (want an array)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, p := Array(m, tt.field)
			got := ""
			if p == nil {
				got = fmtNum(float64(len(a)), true)
			}
			check(t, got, p == nil, p, tt.want)
		})
	}
}

func TestDecodeObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in   string
		kind       string
		detail     string
		wantFields int
	}{
		{"object", ` {"a":1,"b":"x"} `, "", "", 2},
		{"empty object", `{}`, "", "", 0},
		{"null", `null`, "not an object", "found null (want a JSON object)", 0},
		{"array", `[1,2]`, "not an object", "found an array (want a JSON object)", 0},
		{"string", `"s"`, "not an object", "found a string (want a JSON object)", 0},
		{"number", `3`, "not an object", "found a number (want a JSON object)", 0},
		{"truncated", `{"a":`, "invalid JSON", "invalid JSON at byte", 0},
		{"trailing garbage", `{"a":1} x`, "invalid JSON", "invalid character 'x'", 0},
		{"NaN", `{"a":NaN}`, "invalid JSON", "invalid JSON at byte", 0},
		{"bare word", `nope`, "invalid JSON", "invalid JSON at byte", 0},
		{"empty", ``, "invalid JSON", "unexpected end of JSON input", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, p := DecodeObject([]byte(tt.in))
			if tt.kind == "" {
				if p != nil || len(m) != tt.wantFields {
					t.Fatalf("DecodeObject(%q) = %v, %+v; want %d fields", tt.in, m, p, tt.wantFields)
				}
				return
			}
			if p == nil || p.Field != "" || p.Kind != tt.kind || !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("DecodeObject(%q) problem %+v; want kind %q detail containing %q", tt.in, p, tt.kind, tt.detail)
			}
		})
	}
}

// TestDecodeString checks the fast path against encoding/json, the reference, on valid
// UTF-8, and that invalid bytes are an error with their offset.
func TestDecodeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, wantErr string
	}{
		{raw: `"plain"`}, {raw: `""`}, {raw: `"caf\u00e9"`}, {raw: `"tab\tand \"quotes\""`},
		{raw: `"snow ☃ man"`}, {raw: `"\ud83d\ude00"`}, {raw: `"back\\slash"`}, {raw: ` "spaced" `},
		{raw: "\"ok \xc3\"", wantErr: "first at byte 3 of the value"},
		{raw: "\"\xff\\n\"", wantErr: "first at byte 0 of the value"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := DecodeString([]byte(tt.raw))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("DecodeString(%q) = %q, %v; want an error containing %q", tt.raw, got, err, tt.wantErr)
				}
				return
			}
			var want string
			if err := json.Unmarshal([]byte(tt.raw), &want); err != nil {
				t.Fatal(err)
			}
			if err != nil || got != want {
				t.Errorf("DecodeString(%s) = %q, %v; want %q", tt.raw, got, err, want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{`"x"`, "a string"}, {` {}`, "an object"}, {`[]`, "an array"}, {`true`, "a boolean"},
		{`false`, "a boolean"}, {`null`, "null"}, {`-1.5`, "a number"}, {`  `, "nothing"},
	}
	for _, tt := range tests {
		if got := Kind(json.RawMessage(tt.raw)); got != tt.want {
			t.Errorf("Kind(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// errReader returns data, then err.
type errReader struct {
	data string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestLineReader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100<<10) // longer than bufio's buffer
	boom := errors.New("boom")
	tests := []struct {
		name    string
		in      io.Reader
		want    []string
		wantErr string
	}{
		{name: "empty", in: strings.NewReader(""), want: nil},
		{name: "lines", in: strings.NewReader("a\nb\n"), want: []string{"a", "b"}},
		{name: "no final newline", in: strings.NewReader("a\nb"), want: []string{"a", "b"}},
		{name: "BOM, CRLF and blanks", in: strings.NewReader("\xef\xbb\xbf{}\r\n\n  \t\r\n x \n"), want: []string{"{}", "", "", "x"}},
		{name: "BOM only on line 1", in: strings.NewReader("a\n\xef\xbb\xbfb\n"), want: []string{"a", "\xef\xbb\xbfb"}},
		{name: "long line", in: strings.NewReader("a\n" + long + "\nb"), want: []string{"a", long, "b"}},
		{name: "too long", in: strings.NewReader("a\n" + strings.Repeat("y", MaxLineBytes+1) + "\n"), want: []string{"a"}, wantErr: `file "f.jsonl": line 2: longer than 16777216 bytes`},
		{name: "read error", in: &errReader{data: "a\nb", err: boom}, want: []string{"a"}, wantErr: `file "f.jsonl": line 2: boom`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := NewLineReader("f.jsonl", tt.in)
			var got []string
			var err error
			for {
				var line []byte
				line, err = lr.Next()
				if err != nil {
					break
				}
				got = append(got, string(line))
				if lr.Line() != len(got) {
					t.Fatalf("Line() = %d after %d lines", lr.Line(), len(got))
				}
			}
			if tt.wantErr == "" && !errors.Is(err, io.EOF) || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("error %v, want %q (or io.EOF)", err, tt.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("lines %q, want %q", got, tt.want)
			}
		})
	}
}
