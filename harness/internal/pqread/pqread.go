package pqread

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Kind is what a column must hold.
type Kind int

const (
	// String is a BYTE_ARRAY column (string, large_string, binary); values are strings.
	String Kind = iota
	// Bytes is a BYTE_ARRAY column, or a struct with a BYTE_ARRAY "bytes" field (a
	// Hugging Face Image); values are []byte, valid until the next call of Next.
	Bytes
	// ID is a BYTE_ARRAY, INT32 or INT64 column; values are strings or int64.
	ID
	// Number is a DOUBLE, FLOAT, INT32 or INT64 column; values are float64 or int64.
	Number
	// Count is a Number column that should hold integers; values are float64 or int64
	// (the caller decides what a fractional value means).
	Count
	// Bool is a BOOLEAN column; values are bool.
	Bool
	// Time is a BYTE_ARRAY column (RFC 3339 text, values are strings) or an INT64
	// TIMESTAMP column (values are time.Time in UTC).
	Time
)

// Want describes the column types the kind accepts, for messages.
func (k Kind) Want() string {
	switch k {
	case String:
		return "a string column"
	case Bytes:
		return "a binary column (or a struct with a binary \"bytes\" field)"
	case ID:
		return "a string or integer column"
	case Number:
		return "a numeric column"
	case Count:
		return "an integer column"
	case Bool:
		return "a boolean column"
	case Time:
		return "an RFC 3339 string column or an INT64 TIMESTAMP column"
	}
	return "?"
}

// accepts reports whether a leaf of type t can hold the kind, and for INT64
// timestamps the duration of one unit.
func (k Kind) accepts(t parquet.Type) (ok bool, unit time.Duration) {
	switch kind := t.Kind(); k {
	case String, Bytes:
		return kind == parquet.ByteArray, 0
	case ID:
		return kind == parquet.ByteArray || kind == parquet.Int32 || kind == parquet.Int64, 0
	case Number, Count:
		return kind == parquet.Double || kind == parquet.Float || kind == parquet.Int32 || kind == parquet.Int64, 0
	case Bool:
		return kind == parquet.Boolean, 0
	case Time:
		if kind == parquet.ByteArray {
			return true, 0
		}
		if kind == parquet.Int64 {
			if lt := t.LogicalType(); lt != nil {
				if ts, isTS := lt.Value.(*format.TimestampType); isTS && ts.Unit.Value != nil {
					unit = ts.Unit.Value.Duration()
					return unit > 0, unit
				}
			}
		}
	}
	return false, 0
}

// Column asks for one top-level column.
type Column struct {
	Name     string
	Kind     Kind
	Required bool
}

// SchemaError says why a file's columns do not fit the columns asked for:
// required columns are missing (Missing lists them in the order asked), or
// Column is nested, or Column has a Type its Kind does not accept. Error
// gives a default message; callers with their own wording read the fields.
type SchemaError struct {
	File    string
	Found   []string // the file's top-level columns, in schema order
	Missing []string
	Column  string
	Kind    Kind
	Nested  bool
	Type    parquet.Type // when Column has the wrong type
}

func (e *SchemaError) Error() string {
	switch {
	case len(e.Missing) > 0:
		return fmt.Sprintf("file %q: missing column(s) %s (found: %s)", e.File, strings.Join(Quote(e.Missing), ", "), strings.Join(Quote(e.Found), ", "))
	case e.Nested:
		return fmt.Sprintf("file %q: column %q is nested (a list or struct; want %s)", e.File, e.Column, e.Kind.Want())
	}
	return fmt.Sprintf("file %q: column %q has type %s (want %s)", e.File, e.Column, TypeName(e.Type), e.Kind.Want())
}

// TypeName names a column type for messages: the physical type, with the
// logical type in parentheses when it says more ("BYTE_ARRAY (STRING)",
// "INT64").
func TypeName(t parquet.Type) string {
	name := t.Kind().String()
	if s := t.String(); s != name {
		name += " (" + s + ")"
	}
	return name
}

// FormatError is a file parquet-go cannot open as parquet.
type FormatError struct {
	File string
	Err  error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("file %q: not a readable parquet file: %v", e.File, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// ReadError is a failure to read rows: Row is the index of the first row of
// the batch that could not be read, Group its row group.
type ReadError struct {
	File  string
	Group int
	Row   int
	Err   error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("file %q: row group %d (rows from %d): %v", e.File, e.Group, e.Row, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// Quote quotes each name, for messages listing columns.
func Quote(names []string) []string {
	q := make([]string, len(names))
	for i, s := range names {
		q[i] = strconv.Quote(s)
	}
	return q
}

// column is an asked-for column found in the file.
type column struct {
	index int           // leaf column index
	unit  time.Duration // INT64 timestamps: one unit
	kind  Kind
}

// Reader streams the rows of one parquet file.
type Reader struct {
	path   string
	f      *os.File
	names  []string
	cols   map[string]column
	groups []parquet.RowGroup
	g      int // next row group
	rows   parquet.Rows
	// groupDone is set once rows has reported the end of its group.
	groupDone bool
	buf       []parquet.Row
	n, k      int // rows in buf, next row in buf
	row       int // 0-based index of the next row
}

// Open opens the parquet file at path and finds the asked-for columns; rows
// are read batch rows at a time. An error opening the file is returned as
// is (an *fs.PathError); a file parquet-go cannot open is a *FormatError;
// columns that do not fit are a *SchemaError.
// Columns that are asked for but absent and not required read as null.
func Open(path string, batch int, cols []Column) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := open(path, f, batch, cols)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// ColumnNames lists the top-level columns of the parquet file f (named path
// in messages) without reading rows.
func ColumnNames(path string, f *os.File) ([]string, error) {
	pf, err := openFile(path, f)
	if err != nil {
		return nil, err
	}
	return topLevelNames(pf), nil
}

func openFile(path string, f *os.File) (*parquet.File, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &FormatError{File: path, Err: err}
	}
	return pf, nil
}

func topLevelNames(pf *parquet.File) []string {
	var names []string
	for _, fld := range pf.Schema().Fields() {
		names = append(names, fld.Name())
	}
	return names
}

func open(path string, f *os.File, batch int, cols []Column) (*Reader, error) {
	pf, err := openFile(path, f)
	if err != nil {
		return nil, err
	}
	r := &Reader{path: path, f: f, names: topLevelNames(pf), cols: map[string]column{}, groups: pf.RowGroups(), buf: make([]parquet.Row, batch)}
	top := map[string]bool{}
	for _, n := range r.names {
		top[n] = true
	}
	schema := pf.Schema()
	var missing []string
	for _, c := range cols {
		if !top[c.Name] {
			if c.Required {
				missing = append(missing, c.Name)
			}
			continue
		}
		leaf, ok := schema.Lookup(c.Name)
		if ok && !leaf.Node.Leaf() {
			ok = false
		}
		if !ok && c.Kind == Bytes {
			leaf, ok = schema.Lookup(c.Name, "bytes")
		}
		if !ok || leaf.MaxRepetitionLevel > 0 {
			return nil, &SchemaError{File: path, Found: r.names, Column: c.Name, Kind: c.Kind, Nested: true}
		}
		t := leaf.Node.Type()
		accepted, unit := c.Kind.accepts(t)
		if !accepted {
			return nil, &SchemaError{File: path, Found: r.names, Column: c.Name, Kind: c.Kind, Type: t}
		}
		r.cols[c.Name] = column{index: leaf.ColumnIndex, unit: unit, kind: c.Kind}
	}
	if len(missing) > 0 {
		return nil, &SchemaError{File: path, Missing: missing, Found: r.names}
	}
	return r, nil
}

// Names lists the file's top-level columns in schema order.
func (r *Reader) Names() []string { return r.names }

// Has reports whether the asked-for column name is in the file.
func (r *Reader) Has(name string) bool {
	_, ok := r.cols[name]
	return ok
}

// Row is one row of the file. Its values are valid until the next call of
// Next.
type Row struct {
	r   *Reader
	row parquet.Row
}

// Next returns the next row and its 0-based index in the file, or io.EOF
// after the last; a failure to read is a *ReadError.
func (r *Reader) Next() (Row, int, error) {
	for r.k >= r.n {
		if err := r.fill(); err != nil {
			return Row{}, 0, err
		}
	}
	row, idx := r.buf[r.k], r.row
	r.k++
	r.row++
	return Row{r: r, row: row}, idx, nil
}

// fill reads the next batch of rows, moving to the next row group when one ends. A
// group's reader is closed only on the call after its last batch, so the values of that
// batch stay valid while they are used.
func (r *Reader) fill() error {
	for {
		if r.rows != nil && r.groupDone {
			r.closeRows()
		}
		if r.rows == nil {
			if r.g >= len(r.groups) {
				return io.EOF
			}
			r.rows = r.groups[r.g].Rows()
			r.g++
		}
		n, err := r.rows.ReadRows(r.buf)
		if errors.Is(err, io.EOF) {
			r.groupDone = true
		} else if err != nil {
			return &ReadError{File: r.path, Group: r.g - 1, Row: r.row, Err: err}
		}
		if n > 0 {
			r.n, r.k = n, 0
			return nil
		}
		r.groupDone = true
	}
}

func (r *Reader) closeRows() {
	if r.rows != nil {
		r.rows.Close()
		r.rows = nil
	}
	r.groupDone = false
}

// Close releases the file.
func (r *Reader) Close() error {
	r.closeRows()
	return r.f.Close()
}

// Unsupported is the value of a physical type no kind accepts (the schema
// check makes it unreachable; it keeps Value total). Kind is parquet's name
// for the type, e.g. "INT96".
type Unsupported struct{ Kind string }

// Value returns the value of the asked-for column name in the row: nil when
// the value is null or the column is not in the file; otherwise by physical
// type, a string (BYTE_ARRAY; []byte for the Bytes kind, valid until the next
// call of Next), int64 (INT32, INT64), float64 (FLOAT, DOUBLE), bool
// (BOOLEAN) or time.Time (INT64 TIMESTAMP of the Time kind, UTC).
func (row Row) Value(name string) any {
	c, ok := row.r.cols[name]
	if !ok {
		return nil
	}
	v := leafValue(row.row, c.index)
	if v.IsNull() {
		return nil
	}
	switch v.Kind() {
	case parquet.ByteArray:
		if c.kind == Bytes {
			return v.ByteArray()
		}
		return string(v.ByteArray())
	case parquet.Int32:
		return int64(v.Int32())
	case parquet.Int64:
		if c.unit > 0 {
			return time.Unix(0, 0).UTC().Add(time.Duration(v.Int64()) * c.unit)
		}
		return v.Int64()
	case parquet.Float:
		return float64(v.Float())
	case parquet.Double:
		return v.Double()
	case parquet.Boolean:
		return v.Boolean()
	}
	return Unsupported{Kind: v.Kind().String()}
}

// leafValue finds the value of leaf column col in row (rows list values by column).
func leafValue(row parquet.Row, col int) parquet.Value {
	if col < len(row) && row[col].Column() == col {
		return row[col]
	}
	for _, v := range row {
		if v.Column() == col {
			return v
		}
	}
	return parquet.Value{}
}
