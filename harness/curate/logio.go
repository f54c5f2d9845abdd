package curate

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// ---- parquet reading ----

type colClass int

const (
	classString colClass = iota // BYTE_ARRAY
	classID                     // BYTE_ARRAY, INT32, INT64
	classCount                  // INT32, INT64, DOUBLE, FLOAT
	classTime                   // BYTE_ARRAY (RFC 3339) or INT64 TIMESTAMP
)

func fieldClass(name string) colClass {
	switch name {
	case "image_id", "prompt_id", "author_id":
		return classID
	case "author_followers", "views", "remixes", "creator_remixes":
		return classCount
	case "created_at", "observed_at":
		return classTime
	}
	return classString
}

type parquetCol struct {
	name  string
	index int           // leaf column index; -1 for unknown (non-leaf or ignored) columns
	unit  time.Duration // INT64 timestamps: one unit
	known bool
}

type parquetSource struct {
	path   string
	f      *os.File
	groups []parquet.RowGroup
	g      int
	rows   parquet.Rows
	buf    []parquet.Row
	n, k   int
	row    int
	cols   []parquetCol
}

func openParquetSource(path string) (*parquetSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("engagement log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("engagement log: %w", err)
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("engagement log %q: not a readable parquet file: %w", path, err)
	}
	s := &parquetSource{path: path, f: f, groups: pf.RowGroups(), buf: make([]parquet.Row, 256)}
	schema := pf.Schema()
	var names []string
	for _, fld := range schema.Fields() {
		names = append(names, fld.Name())
	}
	present := map[string]bool{}
	for _, name := range names {
		present[name] = true
		col := parquetCol{name: name, index: -1, known: isLogField(name)}
		if col.known {
			leaf, ok := schema.Lookup(name)
			if !ok || !leaf.Node.Leaf() || leaf.MaxRepetitionLevel > 0 {
				f.Close()
				return nil, fmt.Errorf("engagement log %q: column %q is nested (want a plain column)", path, name)
			}
			t := leaf.Node.Type()
			kind := t.Kind()
			okType := false
			switch fieldClass(name) {
			case classString:
				okType = kind == parquet.ByteArray
			case classID:
				okType = kind == parquet.ByteArray || kind == parquet.Int32 || kind == parquet.Int64
			case classCount:
				okType = kind == parquet.Int32 || kind == parquet.Int64 || kind == parquet.Double || kind == parquet.Float
			case classTime:
				if kind == parquet.ByteArray {
					okType = true
				} else if kind == parquet.Int64 {
					if lt := t.LogicalType(); lt != nil {
						if ts, isTS := lt.Value.(*format.TimestampType); isTS && ts.Unit.Value != nil {
							col.unit = ts.Unit.Value.Duration()
							okType = col.unit > 0
						}
					}
				}
			}
			if !okType {
				f.Close()
				return nil, fmt.Errorf("engagement log %q: column %q has type %s (want %s)", path, name, t, wantClass(fieldClass(name)))
			}
			col.index = leaf.ColumnIndex
		}
		s.cols = append(s.cols, col)
	}
	var missing []string
	for _, req := range []string{"image_id", "image_path", "prompt", "author_id", "author_followers", "created_at", "observed_at", "remixes"} {
		if !present[req] {
			missing = append(missing, fmt.Sprintf("%q", req))
		}
	}
	if len(missing) > 0 {
		f.Close()
		return nil, fmt.Errorf("engagement log %q: missing column(s) %s (found: %s)", path, strings.Join(missing, ", "), strings.Join(names, ", "))
	}
	return s, nil
}

func wantClass(c colClass) string {
	switch c {
	case classID:
		return "a string or integer column"
	case classCount:
		return "an integer column"
	case classTime:
		return "an RFC 3339 string column or an INT64 TIMESTAMP column"
	}
	return "a string column"
}

func (s *parquetSource) close() error {
	if s.rows != nil {
		s.rows.Close()
		s.rows = nil
	}
	return s.f.Close()
}

func (s *parquetSource) next() (fields, string, error) {
	for s.k >= s.n {
		if err := s.fill(); err != nil {
			return nil, "", err
		}
	}
	row := s.buf[s.k]
	s.k++
	where := fmt.Sprintf("row %d", s.row)
	s.row++
	f := make(fields, len(s.cols))
	for _, c := range s.cols {
		if c.index < 0 {
			f[c.name] = nil
			continue
		}
		v := leafValue(row, c.index)
		if v.IsNull() {
			f[c.name] = nil
			continue
		}
		switch v.Kind() {
		case parquet.ByteArray:
			f[c.name] = string(v.ByteArray())
		case parquet.Int32:
			f[c.name] = int64(v.Int32())
		case parquet.Int64:
			if c.unit > 0 {
				f[c.name] = time.Unix(0, 0).UTC().Add(time.Duration(v.Int64()) * c.unit)
			} else {
				f[c.name] = v.Int64()
			}
		case parquet.Double, parquet.Float:
			x := v.Double()
			if v.Kind() == parquet.Float {
				x = float64(v.Float())
			}
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				f[c.name] = int64(x)
			} else {
				f[c.name] = x
			}
		default:
			f[c.name] = jsonWrong("a " + v.Kind().String() + " value")
		}
	}
	return f, where, nil
}

func (s *parquetSource) fill() error {
	for {
		if s.rows == nil {
			if s.g >= len(s.groups) {
				return io.EOF
			}
			s.rows = s.groups[s.g].Rows()
			s.g++
		}
		n, err := s.rows.ReadRows(s.buf)
		if n > 0 {
			s.n, s.k = n, 0
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("engagement log %q: row %d: %w", s.path, s.row, err)
			}
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("engagement log %q: row %d: %w", s.path, s.row, err)
		}
		s.rows.Close()
		s.rows = nil
	}
}

// leafValue finds leaf column col in row.
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

// ---- writing ----

// jsonLogRow is the on-disk shape of a LogRow in both encodings.
type jsonLogRow struct {
	ImageID         string `json:"image_id" parquet:"image_id"`
	ImagePath       string `json:"image_path" parquet:"image_path"`
	Prompt          string `json:"prompt" parquet:"prompt"`
	PromptID        string `json:"prompt_id" parquet:"prompt_id"`
	AuthorID        string `json:"author_id" parquet:"author_id"`
	AuthorFollowers int64  `json:"author_followers" parquet:"author_followers"`
	CreatedAt       string `json:"created_at" parquet:"created_at"`
	ObservedAt      string `json:"observed_at" parquet:"observed_at"`
	Views           *int64 `json:"views,omitempty" parquet:"views,optional"`
	Remixes         int64  `json:"remixes" parquet:"remixes"`
	CreatorRemixes  *int64 `json:"creator_remixes,omitempty" parquet:"creator_remixes,optional"`
}

func toDisk(r LogRow) jsonLogRow {
	d := jsonLogRow{
		ImageID: r.ImageID, ImagePath: r.ImagePath, Prompt: r.Prompt, PromptID: r.PromptID,
		AuthorID: r.AuthorID, AuthorFollowers: r.AuthorFollowers,
		CreatedAt:  r.CreatedAt.Format(time.RFC3339Nano),
		ObservedAt: r.ObservedAt.Format(time.RFC3339Nano),
		Remixes:    r.Remixes,
	}
	if r.HasViews {
		v := r.Views
		d.Views = &v
	}
	if r.HasCreatorRemixes {
		c := r.CreatorRemixes
		d.CreatorRemixes = &c
	}
	return d
}

// LogWriter writes an engagement log, JSONL or parquet by the file's extension.
type LogWriter struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	enc  *json.Encoder
	pw   *parquet.GenericWriter[jsonLogRow]
	pbuf []jsonLogRow
	err  error
}

// CreateLog creates (truncates) an engagement log at path: ".jsonl" for JSON Lines,
// ".parquet" for parquet. Timestamps are written as RFC 3339 strings in both encodings.
func CreateLog(path string) (*LogWriter, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".jsonl" && ext != ".parquet" {
		return nil, fmt.Errorf("engagement log %q: unknown extension %q (want .jsonl or .parquet)", path, ext)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("engagement log: %w", err)
	}
	w := &LogWriter{path: path, f: f, bw: bufio.NewWriterSize(f, 256<<10)}
	if ext == ".jsonl" {
		w.enc = json.NewEncoder(w.bw)
		w.enc.SetEscapeHTML(false)
	} else {
		w.pw = parquet.NewGenericWriter[jsonLogRow](w.bw, parquet.Compression(&parquet.Zstd))
	}
	return w, nil
}

// Write appends one row. Rows are written as given: validation happens when reading.
func (w *LogWriter) Write(r LogRow) error {
	if w.err != nil {
		return w.err
	}
	d := toDisk(r)
	if w.enc != nil {
		if err := w.enc.Encode(d); err != nil {
			w.err = fmt.Errorf("engagement log %q: %w", w.path, err)
		}
		return w.err
	}
	w.pbuf = append(w.pbuf, d)
	if len(w.pbuf) >= 1024 {
		w.flushParquet()
	}
	return w.err
}

func (w *LogWriter) flushParquet() {
	if w.err != nil || len(w.pbuf) == 0 {
		return
	}
	if _, err := w.pw.Write(w.pbuf); err != nil {
		w.err = fmt.Errorf("engagement log %q: %w", w.path, err)
	}
	w.pbuf = w.pbuf[:0]
}

// Close flushes and closes the file; it reports the first error of any Write.
func (w *LogWriter) Close() error {
	if w.pw != nil {
		w.flushParquet()
		if err := w.pw.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("engagement log %q: %w", w.path, err)
		}
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = fmt.Errorf("engagement log %q: %w", w.path, err)
	}
	if err := w.f.Close(); err != nil && w.err == nil {
		w.err = fmt.Errorf("engagement log %q: %w", w.path, err)
	}
	return w.err
}

// WriteLog writes rows to path (encoding by extension).
func WriteLog(path string, rows []LogRow) error {
	w, err := CreateLog(path)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}
