package bench

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver

	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/internal/cachedir"
)

// Cache stores scores in SQLite, keyed by (scorer key, prompt hash, image
// content hash). The scorer key (ScorerKey) names everything that changes a
// score: the plugin binary, its version, the model fingerprint, the
// variant, ONNX Runtime's version, the execution provider, the tokenizer and
// preprocessing the plugin describes, and the options; so a rebuilt plugin,
// a changed model or another runtime never reuses a stale score. Failed
// items are not cached: they are retried on the next run.
type Cache struct {
	db   *sql.DB
	path string
}

// DefaultCachePath is scores.sqlite in the srbench cache directory
// ($SRBENCH_CACHE, else $XDG_CACHE_HOME/srbench, else ~/.cache/srbench).
func DefaultCachePath() string {
	dir := cachedir.Dir(nil)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "srbench")
	}
	return filepath.Join(dir, "scores.sqlite")
}

// CacheError is a score cache that cannot be opened, read or written; its
// message says how to run without it.
type CacheError struct {
	Path string
	Err  error
}

func (e *CacheError) Error() string {
	return fmt.Sprintf("score cache %s: %v (run with --no-cache, or give a writable file with --cache PATH)", e.Path, e.Err)
}

func (e *CacheError) Unwrap() error { return e.Err }

// OpenCache opens (creating) the cache database at path.
func OpenCache(path string) (*Cache, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, &CacheError{Path: path, Err: err}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, &CacheError{Path: path, Err: err}
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS scores (
		scorer TEXT NOT NULL, prompt TEXT NOT NULL, image TEXT NOT NULL, score REAL NOT NULL,
		PRIMARY KEY (scorer, prompt, image)) WITHOUT ROWID`); err != nil {
		db.Close()
		return nil, &CacheError{Path: path, Err: err}
	}
	return &Cache{db: db, path: path}, nil
}

// Close closes the database.
func (c *Cache) Close() error { return c.db.Close() }

// ScorerKey identifies a scorer configuration for caching: the plugin
// binary's sha256 (pluginSHA256, "" for an in-process scorer), the
// description's name, version, model fingerprint, variant, runtime,
// execution provider, preprocessing and tokenizer, and the options.
func ScorerKey(d scorer.Description, pluginSHA256 string, opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// A JSON array is an unambiguous encoding of the fields, whatever they hold.
	fields := []string{"srbench score key v2", pluginSHA256, d.Name, d.Version, d.Fingerprint, d.Variant,
		d.Runtime, d.Provider, d.Preprocessing, d.Tokenizer}
	for _, k := range keys {
		fields = append(fields, k, opts[k])
	}
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err) // strings always marshal
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// itemKey is the cache key of one item: hashes of the prompt and the image content.
type itemKey struct{ prompt, image string }

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

func hashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// lookup returns the cached scores of keys (found[i] false on a miss).
func (c *Cache) lookup(scorerKey string, keys []itemKey) (scores []float64, found []bool, err error) {
	scores = make([]float64, len(keys))
	found = make([]bool, len(keys))
	stmt, err := c.db.Prepare(`SELECT score FROM scores WHERE scorer = ? AND prompt = ? AND image = ?`)
	if err != nil {
		return nil, nil, err
	}
	defer stmt.Close()
	for i, k := range keys {
		if k.image == "" {
			continue
		}
		err := stmt.QueryRow(scorerKey, k.prompt, k.image).Scan(&scores[i])
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return nil, nil, &CacheError{Path: c.path, Err: err}
		default:
			found[i] = true
		}
	}
	return scores, found, nil
}

// store saves successful results.
func (c *Cache) store(scorerKey string, keys []itemKey, res []scorer.Result) error {
	tx, err := c.db.Begin()
	if err != nil {
		return &CacheError{Path: c.path, Err: err}
	}
	stmt, err := tx.Prepare(`INSERT OR REPLACE INTO scores (scorer, prompt, image, score) VALUES (?, ?, ?, ?)`)
	if err != nil {
		tx.Rollback()
		return err
	}
	defer stmt.Close()
	for i, k := range keys {
		if res[i].Failed() || k.image == "" {
			continue
		}
		if _, err := stmt.Exec(scorerKey, k.prompt, k.image, res[i].Score); err != nil {
			tx.Rollback()
			return &CacheError{Path: c.path, Err: err}
		}
	}
	if err := tx.Commit(); err != nil {
		return &CacheError{Path: c.path, Err: err}
	}
	return nil
}
