package bench

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// Score cache export and import (srbench cache export / import): a way for
// the shards of a run, or reruns on other machines, to share scores.
//
// The export format is JSON lines:
//
//	{"format":"srbench-score-cache","version":1,"key":"srbench score key v2"}
//	{"scorer":"<32 hex>","prompt":"<32 hex>","image":"<32 hex>","score":0.25}
//	...
//	{"end":true,"entries":N}
//
// The first line names the format, its version and the scorer-key scheme
// (ScorerKey's first field); an entry carries the whole cache key as the
// cache stores it: the scorer key (a hash of the plugin binary's sha256,
// name, version, model fingerprint, variant, runtime, provider,
// preprocessing, tokenizer and options), the prompt's hash and the image
// content's hash. The last line counts the entries, so a truncated file is
// refused rather than half imported. A non-finite score is written as the
// string "NaN", "+Inf" or "-Inf".

// CacheExportFormat and CacheExportVersion head an export file.
const (
	CacheExportFormat  = "srbench-score-cache"
	CacheExportVersion = 1
	// cacheKeyScheme is ScorerKey's scheme (its first hashed field): keys of
	// another scheme would never match this srbench's, so such files are refused.
	cacheKeyScheme = "srbench score key v2"
)

type exportHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Key     string `json:"key"`
}

type exportEntry struct {
	Scorer string       `json:"scorer"`
	Prompt string       `json:"prompt"`
	Image  string       `json:"image"`
	Score  *exportScore `json:"score"`
}

type exportTrailer struct {
	End     bool `json:"end"`
	Entries int  `json:"entries"`
}

// exportScore is a float64 that also writes and reads NaN and ±Inf (as strings).
type exportScore float64

func (s exportScore) MarshalJSON() ([]byte, error) {
	f := float64(s)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return json.Marshal(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return json.Marshal(f)
}

func (s *exportScore) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		f, err := strconv.ParseFloat(str, 64)
		if err != nil || !(math.IsNaN(f) || math.IsInf(f, 0)) {
			return fmt.Errorf("score %s is not a number", b)
		}
		*s = exportScore(f)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("score %s is not a number", b)
	}
	*s = exportScore(f)
	return nil
}

// Export writes every entry of the cache to w in the export format and
// returns how many it wrote.
func (c *Cache) Export(w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(exportHeader{Format: CacheExportFormat, Version: CacheExportVersion, Key: cacheKeyScheme}); err != nil {
		return 0, err
	}
	// One read transaction: a run writing to the cache meanwhile does not
	// make the count disagree with the entries.
	tx, err := c.db.Begin()
	if err != nil {
		return 0, &CacheError{Path: c.path, Err: err}
	}
	defer tx.Rollback()
	rows, err := tx.Query(`SELECT scorer, prompt, image, score FROM scores ORDER BY scorer, prompt, image`)
	if err != nil {
		return 0, &CacheError{Path: c.path, Err: err}
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var e exportEntry
		var score float64
		if err := rows.Scan(&e.Scorer, &e.Prompt, &e.Image, &score); err != nil {
			return n, &CacheError{Path: c.path, Err: err}
		}
		s := exportScore(score)
		e.Score = &s
		if err := enc.Encode(e); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, &CacheError{Path: c.path, Err: err}
	}
	if err := enc.Encode(exportTrailer{End: true, Entries: n}); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// ImportStats counts what an import did.
type ImportStats struct {
	Files   int // files read
	Entries int // entries read
	Added   int // entries new to the cache, now stored
	Present int // entries the cache held with the same score
	// Conflicts are entries the cache held with another score: the cache's
	// score is kept. Examples holds the first few.
	Conflicts int
	Examples  []ImportConflict
}

// ImportConflict is an imported entry whose key the cache holds with another score.
type ImportConflict struct {
	File                  string
	Line                  int
	Scorer, Prompt, Image string
	Local, Imported       float64
}

// maxConflictExamples bounds ImportStats.Examples.
const maxConflictExamples = 5

// ImportFileError is an export file that cannot be imported; nothing of any
// file was imported.
type ImportFileError struct {
	File string
	Line int // 0 when not about one line
	Err  error
}

func (e *ImportFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("cache import %s, line %d: %v (nothing was imported)", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("cache import %s: %v (nothing was imported)", e.File, e.Err)
}

func (e *ImportFileError) Unwrap() error { return e.Err }

// Import merges the entries of export files into the cache, all or nothing:
// every file is checked first, and any unreadable, corrupt, truncated or
// foreign file (or one of another format version) is an *ImportFileError and
// nothing is imported. An entry new to the cache is added; one the cache
// holds with the same score is counted as present; one the cache holds with
// another score is a conflict: counted, and the cache's score kept (a
// conflict between two imported files keeps the first file's).
func (c *Cache) Import(files []string) (ImportStats, error) {
	var st ImportStats
	for _, f := range files {
		if err := readExport(f, func(int, exportEntry) error { return nil }); err != nil {
			return st, err
		}
	}
	tx, err := c.db.Begin()
	if err != nil {
		return st, &CacheError{Path: c.path, Err: err}
	}
	defer tx.Rollback()
	get, err := tx.Prepare(`SELECT score FROM scores WHERE scorer = ? AND prompt = ? AND image = ?`)
	if err != nil {
		return st, &CacheError{Path: c.path, Err: err}
	}
	defer get.Close()
	put, err := tx.Prepare(`INSERT INTO scores (scorer, prompt, image, score) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return st, &CacheError{Path: c.path, Err: err}
	}
	defer put.Close()
	for _, f := range files {
		err := readExport(f, func(line int, e exportEntry) error {
			st.Entries++
			imported := float64(*e.Score)
			var local float64
			switch err := get.QueryRow(e.Scorer, e.Prompt, e.Image).Scan(&local); {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := put.Exec(e.Scorer, e.Prompt, e.Image, imported); err != nil {
					return &CacheError{Path: c.path, Err: err}
				}
				st.Added++
			case err != nil:
				return &CacheError{Path: c.path, Err: err}
			case local == imported || math.IsNaN(local) && math.IsNaN(imported):
				st.Present++
			default:
				st.Conflicts++
				if len(st.Examples) < maxConflictExamples {
					st.Examples = append(st.Examples, ImportConflict{File: f, Line: line,
						Scorer: e.Scorer, Prompt: e.Prompt, Image: e.Image, Local: local, Imported: imported})
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		st.Files++
	}
	if err := tx.Commit(); err != nil {
		return st, &CacheError{Path: c.path, Err: err}
	}
	return st, nil
}

// readExport checks an export file line by line, calling fn on every entry.
func readExport(path string, fn func(line int, e exportEntry) error) error {
	f, err := os.Open(path)
	if err != nil {
		return &ImportFileError{File: path, Err: err}
	}
	defer f.Close()
	fail := func(line int, format string, args ...any) error {
		return &ImportFileError{File: path, Line: line, Err: fmt.Errorf(format, args...)}
	}
	expected := fmt.Sprintf(`an srbench score cache export (srbench cache export), whose first line is {"format":%q,"version":%d,...}`, CacheExportFormat, CacheExportVersion)
	r := bufio.NewReader(f)
	line := 0
	next := func() ([]byte, bool, error) {
		b, err := r.ReadBytes('\n')
		if err == io.EOF && len(b) == 0 {
			return nil, false, nil
		}
		if err != nil && err != io.EOF {
			return nil, false, &ImportFileError{File: path, Err: err}
		}
		line++
		return bytes.TrimRight(b, "\r\n"), true, nil
	}
	b, ok, err := next()
	if err != nil {
		return err
	}
	if !ok {
		return fail(0, "empty file; expected %s", expected)
	}
	var h exportHeader
	if err := strictUnmarshal(b, &h); err != nil || h.Format != CacheExportFormat {
		return fail(0, "not a score cache export; expected %s", expected)
	}
	if h.Version != CacheExportVersion {
		return fail(0, "score cache export format version %d; this srbench reads version %d only (export it again with this srbench's version, or import it with the srbench that wrote it)", h.Version, CacheExportVersion)
	}
	if h.Key != cacheKeyScheme {
		return fail(0, "cache keys of scheme %q; this srbench keys scores by %q, so none of them could ever be served", h.Key, cacheKeyScheme)
	}
	n := 0
	for {
		b, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			return fail(0, "truncated: %d entries and no end line (%s)", n, `{"end":true,"entries":N}`)
		}
		if bytes.Contains(b, []byte(`"end"`)) {
			var t exportTrailer
			if err := strictUnmarshal(b, &t); err != nil || !t.End {
				return fail(line, "corrupt end line %.80q", b)
			}
			if t.Entries != n {
				return fail(line, "the end line counts %d entries but the file holds %d", t.Entries, n)
			}
			if _, more, err := next(); err != nil {
				return err
			} else if more {
				return fail(line, "lines after the end line")
			}
			return nil
		}
		var e exportEntry
		if err := strictUnmarshal(b, &e); err != nil {
			return fail(line, "corrupt entry %.80q: %v", b, err)
		}
		for _, k := range [...]struct{ name, v string }{{"scorer", e.Scorer}, {"prompt", e.Prompt}, {"image", e.Image}} {
			if !isKeyHash(k.v) {
				return fail(line, "entry's %s key %q is not 32 lowercase hex digits", k.name, k.v)
			}
		}
		if e.Score == nil {
			return fail(line, "entry has no score")
		}
		n++
		if err := fn(line, e); err != nil {
			return err
		}
	}
}

// strictUnmarshal decodes one JSON object refusing unknown fields and trailing data.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

// isKeyHash reports whether s is a cache key hash: 16 bytes in lowercase hex.
func isKeyHash(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
