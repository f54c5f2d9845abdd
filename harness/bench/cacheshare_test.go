package bench

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/scorer"
)

// testCache opens a fresh cache holding score[i] under scorerKey for item i.
func testCache(t *testing.T, scorerKey string, scores ...float64) *Cache {
	t.Helper()
	c, err := OpenCache(filepath.Join(t.TempDir(), "c.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	keys := make([]itemKey, len(scores))
	res := make([]scorer.Result, len(scores))
	for i, s := range scores {
		keys[i] = testItemKey(i)
		res[i] = scorer.Result{Score: s}
	}
	if err := c.store(scorerKey, keys, res); err != nil {
		t.Fatal(err)
	}
	return c
}

func testItemKey(i int) itemKey {
	return itemKey{prompt: hashString("prompt"), image: hashBytes([]byte{byte(i)})}
}

func exportTo(t *testing.T, c *Cache) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := c.Export(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "export.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCacheExportImport(t *testing.T) {
	key := ScorerKey(scorer.Description{Name: "s", Version: "1", Fingerprint: "f"}, "abc", map[string]string{"o": "1"})
	other := ScorerKey(scorer.Description{Name: "s", Version: "2", Fingerprint: "f"}, "abc", map[string]string{"o": "1"})
	src := testCache(t, key, 0.5, -1.25, math.Inf(1), 1e-300)
	export := exportTo(t, src)

	for _, tc := range []struct {
		name  string
		local func(t *testing.T) *Cache
		want  ImportStats // Examples not compared
	}{
		{"into an empty cache", func(t *testing.T) *Cache { return testCache(t, key) },
			ImportStats{Files: 1, Entries: 4, Added: 4}},
		{"into a copy", func(t *testing.T) *Cache { return testCache(t, key, 0.5, -1.25, math.Inf(1), 1e-300) },
			ImportStats{Files: 1, Entries: 4, Present: 4}},
		{"conflicts keep the local score", func(t *testing.T) *Cache { return testCache(t, key, 0.5, 7, 8) },
			ImportStats{Files: 1, Entries: 4, Added: 1, Present: 1, Conflicts: 2}},
		{"another scorer key is another entry", func(t *testing.T) *Cache { return testCache(t, other, 9, 9, 9, 9) },
			ImportStats{Files: 1, Entries: 4, Added: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.local(t)
			before := lookupAll(t, c, key)
			st, err := c.Import([]string{export})
			if err != nil {
				t.Fatal(err)
			}
			ex := st.Examples
			st.Examples = nil
			if !reflect.DeepEqual(st, tc.want) {
				t.Errorf("import: %+v, want %+v", st, tc.want)
			}
			if len(ex) != tc.want.Conflicts {
				t.Errorf("%d conflict examples, want %d", len(ex), tc.want.Conflicts)
			}
			after, exported := lookupAll(t, c, key), lookupAll(t, src, key)
			for i := range after {
				want := exported[i]
				if before[i] != nil {
					want = before[i] // the local score is kept
				}
				if after[i] == nil || *after[i] != *want {
					t.Errorf("item %d after import: %v, want %v", i, after[i], *want)
				}
			}
			// Importing again adds nothing.
			again, err := c.Import([]string{export})
			if err != nil {
				t.Fatal(err)
			}
			if again.Added != 0 || again.Present+again.Conflicts != 4 {
				t.Errorf("second import: %+v, want nothing added", again)
			}
		})
	}
}

// lookupAll returns the cache's scores of the four test items (nil on a miss).
func lookupAll(t *testing.T, c *Cache, key string) []*float64 {
	t.Helper()
	keys := []itemKey{testItemKey(0), testItemKey(1), testItemKey(2), testItemKey(3)}
	scores, found, err := c.lookup(key, keys)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*float64, len(keys))
	for i := range keys {
		if found[i] {
			out[i] = &scores[i]
		}
	}
	return out
}

func TestCacheImportRefusesBadFiles(t *testing.T) {
	key := ScorerKey(scorer.Description{Name: "s"}, "", nil)
	good, err := os.ReadFile(exportTo(t, testCache(t, key, 1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	header, e1, e2, end := lines[0], lines[1], lines[2], lines[3]
	for _, tc := range []struct {
		name, content, want string
	}{
		{"empty", "", "empty file; expected an srbench score cache export"},
		{"foreign JSON", `{"prompt":"a cat","image_a":"a.png"}` + "\n", "not a score cache export; expected"},
		{"binary", "SQLite format 3\x00\x10\x00", "not a score cache export"},
		{"other format version", strings.Replace(header, `"version":1`, `"version":2`, 1) + e1 + e2 + end,
			"format version 2; this srbench reads version 1 only"},
		{"other key scheme", strings.Replace(header, "key v2", "key v1", 1) + e1 + e2 + end, `cache keys of scheme "srbench score key v1"`},
		{"truncated", header + e1 + e2, "truncated: 2 entries and no end line"},
		{"truncated mid-line", header + e1 + e2[:20], "line 3: corrupt entry"},
		{"entry count", header + e1 + end, "line 3: the end line counts 2 entries but the file holds 1"},
		{"corrupt entry", header + e1 + "{\"scorer\":\n" + e2 + end, "line 3: corrupt entry"},
		{"bad key", header + strings.Replace(e1, `"image":"`, `"image":"x`, 1) + e2 + end, "line 2: entry's image key"},
		{"missing score", header + `{"scorer":"` + key + `","prompt":"` + key + `","image":"` + key + "\"}\n" + e2 + end, "line 2: entry has no score"},
		{"string score", header + `{"scorer":"` + key + `","prompt":"` + key + `","image":"` + key + "\",\"score\":\"1\"}\n" + e2 + end, "line 2: corrupt entry"},
		{"after the end", header + e1 + e2 + end + e1, "line 5: lines after the end line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.jsonl")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			goodPath := filepath.Join(t.TempDir(), "good.jsonl")
			if err := os.WriteFile(goodPath, good, 0o644); err != nil {
				t.Fatal(err)
			}
			c := testCache(t, key)
			// The good file first: nothing of it is imported either.
			_, err := c.Import([]string{goodPath, path})
			var fe *ImportFileError
			if !errors.As(err, &fe) || fe.File != path {
				t.Fatalf("import: %v, want an ImportFileError naming %s", err, path)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file and say %q", err, tc.want)
			}
			if got := lookupAll(t, c, key); got[0] != nil || got[1] != nil {
				t.Errorf("a failed import stored scores")
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		c := testCache(t, key)
		path := filepath.Join(t.TempDir(), "nope.jsonl")
		if _, err := c.Import([]string{path}); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("import of a missing file: %v", err)
		}
	})
}
