package pqread

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"

	"github.com/srbench/srbench/harness/internal/pqread/pqtest"
)

// write writes rows to a new file in a test directory.
func write[T any](t *testing.T, rows []T, opts ...parquet.WriterOption) string {
	t.Helper()
	return pqtest.Write(t, filepath.Join(t.TempDir(), "t.parquet"), rows, opts...)
}

// readAll reads every row's values of the named columns, with the row index.
func readAll(t *testing.T, r *Reader, names ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for {
		row, idx, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{"#": idx}
		for _, n := range names {
			v := row.Value(n)
			if b, ok := v.([]byte); ok {
				v = append([]byte{}, b...) // valid only until the next call
			}
			m[n] = v
		}
		out = append(out, m)
	}
}

type hfImage struct {
	Bytes []byte  `parquet:"bytes"`
	Path  *string `parquet:"path,optional"`
}

// everyType has a column of each kind, nullable where the kind allows.
type everyType struct {
	Str     *string   `parquet:"str,optional"`
	Bin     []byte    `parquet:"bin"`
	Img     *hfImage  `parquet:"img,optional"`
	IDStr   string    `parquet:"id_str"`
	ID32    int32     `parquet:"id_32"`
	Num64   *float64  `parquet:"num_64,optional"`
	Num32   float32   `parquet:"num_32"`
	Count   int64     `parquet:"count"`
	Flag    *bool     `parquet:"flag,optional"`
	TimeStr string    `parquet:"time_str"`
	TimeMs  time.Time `parquet:"time_ms,timestamp(millisecond)"`
	TimeUs  time.Time `parquet:"time_us,timestamp(microsecond)"`
	Extra   string    `parquet:"extra"`
}

func ptr[T any](v T) *T { return &v }

func TestValues(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := []everyType{
		{Str: ptr("a"), Bin: []byte("b0"), Img: &hfImage{Bytes: []byte("i0")}, IDStr: "x", ID32: 7, Num64: ptr(0.25), Num32: 1.5,
			Count: 3, Flag: ptr(true), TimeStr: "2024-03-01T12:00:00Z", TimeMs: t0.Add(1500 * time.Millisecond), TimeUs: t0.Add(7 * time.Microsecond), Extra: "e"},
		{Bin: []byte{}, Num32: -2, Count: -1, TimeMs: t0, TimeUs: t0},
	}
	path := write(t, rows, parquet.MaxRowsPerRowGroup(1))
	cols := []Column{
		{Name: "str", Kind: String}, {Name: "bin", Kind: Bytes}, {Name: "img", Kind: Bytes},
		{Name: "id_str", Kind: ID}, {Name: "id_32", Kind: ID}, {Name: "num_64", Kind: Number}, {Name: "num_32", Kind: Number},
		{Name: "count", Kind: Count}, {Name: "flag", Kind: Bool}, {Name: "time_str", Kind: Time},
		{Name: "time_ms", Kind: Time}, {Name: "time_us", Kind: Time}, {Name: "absent", Kind: String},
	}
	r, err := Open(path, 1, cols)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wantNames := []string{"str", "bin", "img", "id_str", "id_32", "num_64", "num_32", "count", "flag", "time_str", "time_ms", "time_us", "extra"}
	if d := cmp.Diff(wantNames, r.Names()); d != "" {
		t.Errorf("Names (-want +got):\n%s", d)
	}
	if r.Has("absent") || r.Has("extra") || !r.Has("img") {
		t.Errorf("Has: absent %v, extra (not asked for) %v, img %v; want false, false, true", r.Has("absent"), r.Has("extra"), r.Has("img"))
	}
	got := readAll(t, r, "str", "bin", "img", "id_str", "id_32", "num_64", "num_32", "count", "flag", "time_str", "time_ms", "time_us", "absent", "extra")
	want := []map[string]any{
		{"#": 0, "str": "a", "bin": []byte("b0"), "img": []byte("i0"), "id_str": "x", "id_32": int64(7), "num_64": 0.25, "num_32": 1.5,
			"count": int64(3), "flag": true, "time_str": "2024-03-01T12:00:00Z", "time_ms": t0.Add(1500 * time.Millisecond),
			"time_us": t0.Add(7 * time.Microsecond), "absent": nil, "extra": nil},
		{"#": 1, "str": nil, "bin": []byte{}, "img": nil, "id_str": "", "id_32": int64(0), "num_64": nil, "num_32": -2.0,
			"count": int64(-1), "flag": nil, "time_str": "", "time_ms": t0, "time_us": t0, "absent": nil, "extra": nil},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}
}

// TestRowGroups: rows come in file order with their indexes whatever the
// batch and row-group sizes, and the values of a batch stay valid until the
// next call.
func TestRowGroups(t *testing.T) {
	t.Parallel()
	type row struct {
		S string `parquet:"s"`
		N int64  `parquet:"n"`
	}
	var rows []row
	var want []map[string]any
	for i := range 7 {
		rows = append(rows, row{S: string(rune('a' + i)), N: int64(10 * i)})
		want = append(want, map[string]any{"#": i, "s": string(rune('a' + i)), "n": int64(10 * i)})
	}
	for _, group := range []int64{1, 2, 3, 7} {
		path := write(t, rows, parquet.MaxRowsPerRowGroup(group))
		for _, batch := range []int{1, 2, 3, 16} {
			r, err := Open(path, batch, []Column{{Name: "s", Kind: String, Required: true}, {Name: "n", Kind: Number, Required: true}})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, readAll(t, r, "s", "n")); d != "" {
				t.Errorf("groups of %d, batches of %d (-want +got):\n%s", group, batch, d)
			}
			if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("after the last row: %v, want io.EOF", err)
			}
			r.Close()
		}
	}
}

func TestSchemaErrors(t *testing.T) {
	t.Parallel()
	type plain struct {
		Prompt string   `parquet:"prompt"`
		N      int64    `parquet:"n"`
		List   []string `parquet:"list,list"`
		Img    hfImage  `parquet:"img"`
		Stamp  int64    `parquet:"stamp"`
	}
	path := write(t, []plain{{Prompt: "p"}})
	found := []string{"prompt", "n", "list", "img", "stamp"}
	tests := []struct {
		name string
		cols []Column
		want SchemaError
		msg  string
	}{
		{"missing", []Column{{Name: "prompt", Kind: String, Required: true}, {Name: "a", Required: true}, {Name: "opt"}, {Name: "b", Kind: ID, Required: true}},
			SchemaError{File: path, Found: found, Missing: []string{"a", "b"}},
			`file "` + path + `": missing column(s) "a", "b" (found: "prompt", "n", "list", "img", "stamp")`},
		{"list", []Column{{Name: "list", Kind: String}},
			SchemaError{File: path, Found: found, Column: "list", Kind: String, Nested: true},
			`file "` + path + `": column "list" is nested (a list or struct; want a string column)`},
		{"struct without bytes", []Column{{Name: "img", Kind: String}},
			SchemaError{File: path, Found: found, Column: "img", Kind: String, Nested: true},
			`file "` + path + `": column "img" is nested (a list or struct; want a string column)`},
		{"int as string", []Column{{Name: "n", Kind: String}},
			SchemaError{File: path, Found: found, Column: "n", Kind: String},
			`file "` + path + `": column "n" has type INT64 (INT(64,true)) (want a string column)`},
		{"string as number", []Column{{Name: "prompt", Kind: Count}},
			SchemaError{File: path, Found: found, Column: "prompt", Kind: Count},
			`file "` + path + `": column "prompt" has type BYTE_ARRAY (STRING) (want an integer column)`},
		{"int64 without timestamp", []Column{{Name: "stamp", Kind: Time}},
			SchemaError{File: path, Found: found, Column: "stamp", Kind: Time},
			`file "` + path + `": column "stamp" has type INT64 (INT(64,true)) (want an RFC 3339 string column or an INT64 TIMESTAMP column)`},
		{"string as bool", []Column{{Name: "prompt", Kind: Bool}},
			SchemaError{File: path, Found: found, Column: "prompt", Kind: Bool},
			`file "` + path + `": column "prompt" has type BYTE_ARRAY (STRING) (want a boolean column)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(path, 4, tc.cols)
			var se *SchemaError
			if !errors.As(err, &se) {
				if r != nil {
					r.Close()
				}
				t.Fatalf("err = %v, want a *SchemaError", err)
			}
			if d := cmp.Diff(&tc.want, se, cmpopts.IgnoreFields(SchemaError{}, "Type")); d != "" {
				t.Errorf("SchemaError (-want +got):\n%s", d)
			}
			if err.Error() != tc.msg {
				t.Errorf("message\n%s\nwant\n%s", err, tc.msg)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "none.parquet"), 1, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.parquet")
	if err := os.WriteFile(bad, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(bad, 1, nil)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != bad || fe.Err == nil {
		t.Fatalf("not parquet: %v, want a *FormatError", err)
	}
	f, err := os.Open(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ColumnNames(bad, f); !errors.As(err, &fe) {
		t.Errorf("ColumnNames of a non-parquet file: %v, want a *FormatError", err)
	}
}

// TestReadError: a file whose footer is intact but whose second row group's
// pages are corrupt opens, yields the first group's rows, then a *ReadError
// naming the group and the first row that could not be read.
func TestReadError(t *testing.T) {
	t.Parallel()
	type row struct {
		S string `parquet:"s,zstd"`
	}
	var rows []row
	for i := range 4 {
		rows = append(rows, row{S: string(rune('a'+i)) + "-some text that compresses, some text that compresses"})
	}
	path := write(t, rows, parquet.MaxRowsPerRowGroup(2))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	chunk := pf.Metadata().RowGroups[1].Columns[0].MetaData
	start, size := chunk.DataPageOffset, chunk.TotalCompressedSize
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := start + size/2; i < start+size; i++ {
		b[i] ^= 0x5a // the compressed data, past the page header
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, 2, []Column{{Name: "s", Kind: String, Required: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range 2 {
		if _, idx, err := r.Next(); err != nil || idx != i {
			t.Fatalf("row %d: index %d, %v", i, idx, err)
		}
	}
	_, _, err = r.Next()
	var re *ReadError
	if !errors.As(err, &re) || re.File != path || re.Group != 1 || re.Row != 2 || re.Err == nil {
		t.Fatalf("err = %v, want a *ReadError in group 1 from row 2", err)
	}
}
