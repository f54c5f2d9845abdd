package curate

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/srbench/srbench/harness/internal/pqread"
)

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// ---- parquet reading ----

// logColumn is the parquet column kind of each log field.
func logColumn(name string) pqread.Column {
	c := pqread.Column{Name: name, Kind: pqread.String}
	switch name {
	case "image_id", "prompt_id", "author_id":
		c.Kind = pqread.ID
	case "author_followers", "views", "remixes", "creator_remixes":
		c.Kind = pqread.Count
	case "created_at", "observed_at":
		c.Kind = pqread.Time
	}
	switch name {
	case "image_id", "image_path", "prompt", "author_id", "author_followers", "created_at", "observed_at", "remixes":
		c.Required = true
	}
	return c
}

// parquetSource reads an engagement log through pqread, srbench's parquet layer, and
// gives each row's values in the same Go types as the JSONL source.
type parquetSource struct {
	path string
	r    *pqread.Reader
}

func openParquetSource(path string) (*parquetSource, error) {
	cols := make([]pqread.Column, len(logFields))
	for i, name := range logFields {
		cols[i] = logColumn(name)
	}
	r, err := pqread.Open(path, 256, cols)
	var se *pqread.SchemaError
	var fe *pqread.FormatError
	switch {
	case errors.As(err, &se) && len(se.Missing) > 0:
		return nil, fmt.Errorf("engagement log %q: missing column(s) %s (found: %s)", path, strings.Join(pqread.Quote(se.Missing), ", "), strings.Join(se.Found, ", "))
	case errors.As(err, &se) && se.Nested:
		return nil, fmt.Errorf("engagement log %q: column %q is nested (want a plain column)", path, se.Column)
	case errors.As(err, &se):
		return nil, fmt.Errorf("engagement log %q: column %q has type %s (want %s)", path, se.Column, se.Type, se.Kind.Want())
	case errors.As(err, &fe):
		return nil, fmt.Errorf("engagement log %q: not a readable parquet file: %w", path, fe.Err)
	case err != nil:
		return nil, fmt.Errorf("engagement log: %w", err)
	}
	return &parquetSource{path: path, r: r}, nil
}

func (s *parquetSource) close() error { return s.r.Close() }

func (s *parquetSource) next() (fields, string, error) {
	row, idx, err := s.r.Next()
	var re *pqread.ReadError
	if errors.As(err, &re) {
		return nil, "", fmt.Errorf("engagement log %q: row %d: %w", s.path, re.Row, re.Err)
	}
	if err != nil {
		return nil, "", err
	}
	f := make(fields, len(s.r.Names()))
	for _, name := range s.r.Names() {
		switch v := row.Value(name).(type) {
		case float64:
			f[name] = jsonNumber(v)
		case pqread.Unsupported:
			f[name] = jsonWrong("a " + v.Kind + " value")
		default:
			f[name] = v // nil (null, or a column the format does not define), string, int64, time.Time
		}
	}
	return f, fmt.Sprintf("row %d", idx), nil
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
