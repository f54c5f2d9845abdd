package curate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// LogRow is one image of an engagement log: who posted it for which prompt, when, and how
// the community took it up by the time the log was written.
type LogRow struct {
	ImageID   string // unique within the log
	ImagePath string // relative to the log file's directory, slash-separated, never leaving it
	Prompt    string // the prompt the image was generated from
	PromptID  string // groups images of one prompt; defaults to PromptHash(Prompt)
	AuthorID  string
	// AuthorFollowers is the author's follower count (at observation time).
	AuthorFollowers int64
	CreatedAt       time.Time // when the image was posted
	ObservedAt      time.Time // when its counters were read; not before CreatedAt
	// Views is how often the image was shown; meaningful only when HasViews.
	Views    int64
	HasViews bool
	// Remixes is how often community members remixed (took up and edited) the image.
	Remixes int64
	// CreatorRemixes counts the remixes by top creators (a subset of Remixes); meaningful
	// only when HasCreatorRemixes.
	CreatorRemixes    int64
	HasCreatorRemixes bool
	// Source says where the row was read: "log.jsonl:line 12", "log.parquet:row 3" ("" for
	// rows built in memory). It is not written.
	Source string
}

// Exposure is how long the image had been online when its counters were read.
func (r LogRow) Exposure() time.Duration { return r.ObservedAt.Sub(r.CreatedAt) }

// ExposureDays is Exposure in days (24 h).
func (r LogRow) ExposureDays() float64 { return r.Exposure().Hours() / 24 }

// PromptHash is the prompt id used when a row has none: the first 16 hex digits of the
// SHA-256 of the prompt text (the same rule as the dataset package).
func PromptHash(prompt string) string { return shortHash(prompt) }

// logFields are the fields (JSONL keys, parquet columns) of the engagement log format.
var logFields = [...]string{
	"image_id", "image_path", "prompt", "prompt_id", "author_id", "author_followers",
	"created_at", "observed_at", "views", "remixes", "creator_remixes",
}

func isLogField(k string) bool {
	for _, f := range logFields {
		if k == f {
			return true
		}
	}
	return false
}

// RowError reports a malformed engagement-log row.
type RowError struct {
	File   string // log file as given
	Where  string // "line 12" (JSONL) or "row 3" (parquet, 0-based)
	Field  string // the offending field; "" when the row as a whole is bad
	Reason string // short, stable category: "missing", "negative count", "duplicate image_id", ...
	Detail string // what was found and what was expected
}

func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("file %q: %s: %s", e.File, e.Where, e.Detail)
	}
	return fmt.Sprintf("file %q: %s: field %q: %s", e.File, e.Where, e.Field, e.Detail)
}

// ReadOptions says how OpenLogOptions reads a log. The zero value is strict.
type ReadOptions struct {
	// Lenient skips malformed rows (counted per reason in ReadStats, the first few kept
	// as examples) instead of ending the stream with a *RowError.
	Lenient bool
}

// ReadStats counts what a LogReader has read and left out.
type ReadStats struct {
	Rows       int            `json:"rows"`        // records read (non-blank lines, parquet rows)
	Kept       int            `json:"kept"`        // rows returned by Next
	Skipped    int            `json:"skipped"`     // malformed rows skipped (lenient only)
	SkipReason map[string]int `json:"skip_reason"` // skipped rows per "field: reason"
	Examples   []string       `json:"examples"`    // the first MaxExamples skip messages
	// UnknownFields counts, per name, the rows carrying a field the format does not
	// define. They are ignored: a warning, not an error.
	UnknownFields map[string]int `json:"unknown_fields"`
	BlankLines    int            `json:"blank_lines"`
}

// MaxExamples bounds the example messages kept in ReadStats and the funnel.
const MaxExamples = 5

// Warnings returns the reader's warnings in a fixed order: unknown fields, then skipped rows.
func (s ReadStats) Warnings() []string {
	var w []string
	for _, k := range sortedKeys(s.UnknownFields) {
		w = append(w, fmt.Sprintf("unknown field %q ignored in %d row(s)", k, s.UnknownFields[k]))
	}
	for _, k := range sortedKeys(s.SkipReason) {
		w = append(w, fmt.Sprintf("skipped %d malformed row(s): %s", s.SkipReason[k], k))
	}
	return w
}

func sortedKeys(m map[string]int) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// LogReader streams the rows of one engagement log (JSONL or parquet), validating each.
type LogReader struct {
	path    string
	opts    ReadOptions
	stats   ReadStats
	ids     map[string]string // image_id -> where first seen
	prompts map[string]string // prompt_id -> prompt text
	pfirst  map[string]string // prompt_id -> where first seen
	src     rowSource
	err     error
}

// rowSource yields raw field values of one record at a time.
type rowSource interface {
	// next returns the next record's fields and its position ("line 3"); io.EOF at the
	// end; a *RowError for a record that cannot be decoded at all (the stream goes on).
	next() (fields, string, error)
	close() error
}

// fields holds one record's values by field name, already converted to Go values:
// string, int64, float64 (non-integral JSON numbers), time.Time, nil (JSON null / parquet
// null) or jsonWrong (a JSON value of another type: object, array, bool).
type fields map[string]any

// jsonWrong marks a JSON value whose type no field accepts.
type jsonWrong string

// OpenLog opens an engagement log for strict reading: the first malformed row ends the
// stream with a *RowError. The encoding follows the extension: ".jsonl" or ".json"
// (JSON Lines), ".parquet".
func OpenLog(path string) (*LogReader, error) { return OpenLogOptions(path, ReadOptions{}) }

// OpenLogOptions is OpenLog with options.
func OpenLogOptions(path string, opts ReadOptions) (*LogReader, error) {
	var src rowSource
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".jsonl", ".json", ".ndjson":
		src, err = openJSONLSource(path)
	case ".parquet":
		src, err = openParquetSource(path)
	default:
		return nil, fmt.Errorf("engagement log %q: unknown extension %q (want .jsonl or .parquet)", path, ext)
	}
	if err != nil {
		return nil, err
	}
	return &LogReader{path: path, opts: opts, src: src, ids: map[string]string{},
		prompts: map[string]string{}, pfirst: map[string]string{},
		stats: ReadStats{SkipReason: map[string]int{}, UnknownFields: map[string]int{}}}, nil
}

// Next returns the next valid row, or io.EOF at the end. After another error the stream
// is over and Next keeps returning it.
func (r *LogReader) Next() (LogRow, error) {
	if r.err != nil {
		return LogRow{}, r.err
	}
	for {
		f, where, err := r.src.next()
		var re *RowError
		if errors.As(err, &re) {
			r.stats.Rows++
			if err := r.skip(re); err != nil {
				return LogRow{}, err
			}
			continue
		}
		if err != nil {
			r.err = err
			return LogRow{}, err
		}
		r.stats.Rows++
		for k := range f {
			if !isLogField(k) {
				if _, ok := r.stats.UnknownFields[k]; ok || len(r.stats.UnknownFields) < 64 {
					r.stats.UnknownFields[k]++
				} else {
					r.stats.UnknownFields["(other)"]++
				}
			}
		}
		row, re := r.parse(f, where)
		if re == nil {
			r.stats.Kept++
			return row, nil
		}
		if err := r.skip(re); err != nil {
			return LogRow{}, err
		}
	}
}

// skip counts a malformed row in lenient mode; in strict mode it ends the stream.
func (r *LogReader) skip(re *RowError) error {
	if !r.opts.Lenient {
		r.err = re
		return re
	}
	r.stats.Skipped++
	key := re.Reason
	if re.Field != "" {
		key = fmt.Sprintf("field %q: %s", re.Field, re.Reason)
	}
	r.stats.SkipReason[key]++
	if len(r.stats.Examples) < MaxExamples {
		r.stats.Examples = append(r.stats.Examples, re.Error())
	}
	return nil
}

// Stats returns a copy of the counters so far.
func (r *LogReader) Stats() ReadStats {
	s := r.stats
	s.SkipReason = cloneCounts(s.SkipReason)
	s.UnknownFields = cloneCounts(s.UnknownFields)
	s.Examples = append([]string(nil), s.Examples...)
	return s
}

func cloneCounts(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Close releases the file.
func (r *LogReader) Close() error {
	if r.err == nil {
		r.err = errors.New("engagement log: reader closed")
	}
	return r.src.close()
}

// ReadLog reads a whole log (strictly unless opts.Lenient).
func ReadLog(path string, opts ReadOptions) ([]LogRow, ReadStats, error) {
	r, err := OpenLogOptions(path, opts)
	if err != nil {
		return nil, ReadStats{}, err
	}
	defer r.Close()
	var rows []LogRow
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, r.Stats(), nil
		}
		if err != nil {
			return nil, r.Stats(), err
		}
		rows = append(rows, row)
	}
}

// parse validates one record and turns it into a LogRow.
func (r *LogReader) parse(f fields, where string) (LogRow, *RowError) {
	bad := func(field, reason, format string, a ...any) *RowError {
		return &RowError{File: r.path, Where: where, Field: field, Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	var row LogRow
	var re *RowError
	str := func(name string, required bool) string {
		if re != nil {
			return ""
		}
		v, ok := f[name]
		if !ok || v == nil {
			if required {
				re = bad(name, "missing", "is missing (want a non-empty string)")
			}
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			re = bad(name, "wrong type", "is %s (want a string)", describe(v))
			return ""
		}
		if !utf8.ValidString(s) {
			re = bad(name, "invalid value", "is not valid UTF-8")
			return ""
		}
		if strings.TrimSpace(s) == "" {
			if required {
				re = bad(name, "empty", "is empty (want a non-empty string)")
			}
			return ""
		}
		return s
	}
	id := func(name string, required bool) string {
		if re != nil {
			return ""
		}
		if n, ok := f[name].(int64); ok {
			return strconv.FormatInt(n, 10)
		}
		return str(name, required)
	}
	count := func(name string, required bool) (int64, bool) {
		if re != nil {
			return 0, false
		}
		v, ok := f[name]
		if !ok || v == nil {
			if required {
				re = bad(name, "missing", "is missing (want an integer >= 0)")
			}
			return 0, false
		}
		switch n := v.(type) {
		case int64:
			if n < 0 {
				re = bad(name, "negative count", "is %d (want an integer >= 0)", n)
				return 0, false
			}
			return n, true
		case float64:
			re = bad(name, "wrong type", "is %v (want an integer >= 0)", n)
		default:
			re = bad(name, "wrong type", "is %s (want an integer >= 0)", describe(v))
		}
		return 0, false
	}
	stamp := func(name string) time.Time {
		if re != nil {
			return time.Time{}
		}
		v, ok := f[name]
		if !ok || v == nil {
			re = bad(name, "missing", "is missing (want an RFC 3339 timestamp)")
			return time.Time{}
		}
		switch t := v.(type) {
		case time.Time:
			return t
		case string:
			ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(t))
			if err != nil {
				re = bad(name, "invalid timestamp", "is %q (want an RFC 3339 timestamp such as 2024-03-01T12:00:00Z)", t)
				return time.Time{}
			}
			return ts
		}
		re = bad(name, "wrong type", "is %s (want an RFC 3339 timestamp string)", describe(v))
		return time.Time{}
	}
	row.ImageID = id("image_id", true)
	row.ImagePath = str("image_path", true)
	row.Prompt = str("prompt", true)
	row.PromptID = id("prompt_id", false)
	row.AuthorID = id("author_id", true)
	row.AuthorFollowers, _ = count("author_followers", true)
	row.CreatedAt = stamp("created_at")
	row.ObservedAt = stamp("observed_at")
	row.Views, row.HasViews = count("views", false)
	row.Remixes, _ = count("remixes", true)
	row.CreatorRemixes, row.HasCreatorRemixes = count("creator_remixes", false)
	if re != nil {
		return LogRow{}, re
	}
	if msg := checkImagePath(row.ImagePath); msg != "" {
		return LogRow{}, bad("image_path", "invalid path", "%s", msg)
	}
	if row.ObservedAt.Before(row.CreatedAt) {
		return LogRow{}, bad("observed_at", "observed before created", "is %s, before created_at %s (want observed_at >= created_at)",
			row.ObservedAt.Format(time.RFC3339Nano), row.CreatedAt.Format(time.RFC3339Nano))
	}
	if row.HasCreatorRemixes && row.CreatorRemixes > row.Remixes {
		return LogRow{}, bad("creator_remixes", "exceeds remixes", "is %d, more than remixes %d (creator remixes are a subset of remixes)", row.CreatorRemixes, row.Remixes)
	}
	if row.PromptID == "" {
		row.PromptID = PromptHash(row.Prompt)
	}
	if first, dup := r.ids[row.ImageID]; dup {
		return LogRow{}, bad("image_id", "duplicate image_id", "%q already used at %s (want unique image ids)", row.ImageID, first)
	}
	if text, seen := r.prompts[row.PromptID]; seen && text != row.Prompt {
		return LogRow{}, bad("prompt", "prompt_id conflict", "prompt_id %q has prompt %q at %s but %q here (want one text per prompt_id)",
			row.PromptID, text, r.pfirst[row.PromptID], row.Prompt)
	}
	r.ids[row.ImageID] = where
	if _, seen := r.prompts[row.PromptID]; !seen {
		r.prompts[row.PromptID] = row.Prompt
		r.pfirst[row.PromptID] = where
	}
	row.Source = fmt.Sprintf("%s:%s", r.path, where)
	return row, nil
}

// checkImagePath returns why p is not an acceptable image path ("" if it is).
func checkImagePath(p string) string {
	switch {
	case strings.ContainsRune(p, 0):
		return fmt.Sprintf("%q contains a NUL byte", p)
	case filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || filepath.VolumeName(p) != "":
		return fmt.Sprintf("%q is absolute (want a path relative to the log's directory)", p)
	case !filepath.IsLocal(filepath.FromSlash(p)):
		return fmt.Sprintf("%q leaves the log's directory (want a path inside it)", p)
	}
	return ""
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case int64:
		return fmt.Sprintf("the number %d", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case time.Time:
		return "a timestamp"
	case jsonWrong:
		return string(x)
	}
	return fmt.Sprintf("%T", v)
}

// ---- JSONL ----

const maxLineBytes = 16 << 20

type jsonlSource struct {
	path string
	f    *os.File
	sc   *bufio.Scanner
	line int
}

func openJSONLSource(path string) (*jsonlSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("engagement log: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	return &jsonlSource{path: path, f: f, sc: sc}, nil
}

func (s *jsonlSource) close() error { return s.f.Close() }

func (s *jsonlSource) next() (fields, string, error) {
	for s.sc.Scan() {
		s.line++
		line := s.sc.Bytes()
		if s.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		line = bytes.TrimSpace(line)
		where := fmt.Sprintf("line %d", s.line)
		if len(line) == 0 {
			continue
		}
		f, err := decodeJSONRecord(line)
		if err != nil {
			return nil, where, &RowError{File: s.path, Where: where, Reason: "invalid JSON", Detail: err.Error() + " (want one JSON object per line)"}
		}
		return f, where, nil
	}
	if err := s.sc.Err(); err != nil {
		return nil, "", fmt.Errorf("engagement log %q: line %d: %w", s.path, s.line+1, err)
	}
	return nil, "", io.EOF
}

// decodeJSONRecord decodes one JSON object into fields: strings, int64 for integral
// numbers, float64 for others, nil for null, jsonWrong for other types.
func decodeJSONRecord(line []byte) (fields, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	f := make(fields, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0:
			f[k] = jsonWrong("empty")
		case string(v) == "null":
			f[k] = nil
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("field %q: %v", k, err)
			}
			f[k] = s
		case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				f[k] = n
				continue
			}
			x, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				return nil, fmt.Errorf("field %q: bad number %s", k, v)
			}
			f[k] = jsonNumber(x)
		case v[0] == '{':
			f[k] = jsonWrong("an object")
		case v[0] == '[':
			f[k] = jsonWrong("an array")
		default:
			f[k] = jsonWrong("the value " + string(v))
		}
	}
	return f, nil
}

// jsonNumber is a non-integer-typed number as a field value: int64 when it is
// integral and exactly representable (below 2^53), float64 otherwise. JSON
// numbers written with a fraction or exponent and parquet FLOAT/DOUBLE values
// both go through it.
func jsonNumber(x float64) any {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return int64(x)
	}
	return x
}
