package dualenc

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// EmbeddingCache stores embeddings in SQLite keyed by (encoder identity,
// content key), so a backbone embeds each prompt and image once across
// training runs and ablation cells. The identity (Encoder.Identity) covers
// the model fingerprint, the plugin binary, the runtime, the provider, the
// pipeline and the tokenizer; the column keeps its historical name
// "fingerprint". Keys are "t:" + sha256(prompt) for
// texts and "i:" + sha256(image bytes) for images.
type EmbeddingCache struct {
	db   *sql.DB
	path string
}

// OpenEmbeddingCache opens (creating) the cache at path.
func OpenEmbeddingCache(path string) (*EmbeddingCache, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("embedding cache %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("embedding cache %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS embeddings (
		fingerprint TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL,
		PRIMARY KEY (fingerprint, key)) WITHOUT ROWID`); err != nil {
		db.Close()
		return nil, fmt.Errorf("embedding cache %s: %w", path, err)
	}
	return &EmbeddingCache{db: db, path: path}, nil
}

// Close closes the database.
func (c *EmbeddingCache) Close() error { return c.db.Close() }

// Get returns the cached vectors of keys (nil where missing).
func (c *EmbeddingCache) Get(fingerprint string, keys []string) ([][]float32, error) {
	out := make([][]float32, len(keys))
	stmt, err := c.db.Prepare(`SELECT vec FROM embeddings WHERE fingerprint = ? AND key = ?`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	for i, k := range keys {
		var b []byte
		switch err := stmt.QueryRow(fingerprint, k).Scan(&b); {
		case err == sql.ErrNoRows:
		case err != nil:
			return nil, fmt.Errorf("embedding cache %s: %w", c.path, err)
		default:
			v := make([]float32, len(b)/4)
			for j := range v {
				v[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			}
			out[i] = v
		}
	}
	return out, nil
}

// Put stores vectors (nil entries are skipped).
func (c *EmbeddingCache) Put(fingerprint string, keys []string, vecs [][]float32) error {
	tx, err := c.db.Begin()
	if err != nil {
		return err
	}
	stmt, err := tx.Prepare(`INSERT OR REPLACE INTO embeddings (fingerprint, key, vec) VALUES (?, ?, ?)`)
	if err != nil {
		tx.Rollback()
		return err
	}
	defer stmt.Close()
	for i, v := range vecs {
		if v == nil {
			continue
		}
		b := make([]byte, 4*len(v))
		for j, x := range v {
			binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(x))
		}
		if _, err := stmt.Exec(fingerprint, keys[i], b); err != nil {
			tx.Rollback()
			return fmt.Errorf("embedding cache %s: %w", c.path, err)
		}
	}
	return tx.Commit()
}
