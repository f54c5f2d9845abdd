package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCacheExportImportServesRun scores a benchmark as 2 shards, each with
// its own cache, exports both caches, imports the exports into an empty
// cache, and runs the whole benchmark on it: every score comes from the
// cache (no plugin call) and the results equal an uncached run's. Then it
// checks conflicts and refused files.
func TestCacheExportImportServesRun(t *testing.T) {
	const pairs = 60
	spec := writeBench(t, pairs, map[string]string{"jitter": "3"})
	tmp := t.TempDir()
	var exports []string
	for i := 0; i < 2; i++ {
		cache := filepath.Join(tmp, "shard-cache-"+string(rune('0'+i))+".sqlite")
		runOK(t, "run", spec, "--shard", string(rune('0'+i))+"/2", "--cache", cache, "--no-progress", "--out", filepath.Join(tmp, "shard-"+string(rune('0'+i))))
		export := filepath.Join(tmp, "export-"+string(rune('0'+i))+".jsonl")
		if out := runOK(t, "cache", "export", "--cache", cache, "--out", export); !strings.Contains(out, "exported ") {
			t.Errorf("cache export output:\n%s", out)
		}
		exports = append(exports, export)
	}
	merged := filepath.Join(tmp, "merged.sqlite")
	out := runOK(t, append([]string{"cache", "import", "--cache", merged}, exports...)...)
	// An item in both shards (the same prompt and image) is in both exports.
	if !regexp.MustCompile(`imported 2 files into \S+: \d+ entries, \d+ added, \d+ already present, 0 conflicts`).MatchString(out) {
		t.Fatalf("cache import output:\n%s", out)
	}

	cached := filepath.Join(tmp, "cached")
	out = runOK(t, "run", spec, "--cache", merged, "--no-progress", "--out", cached)
	if strings.Contains(out, "scoring trivial") {
		t.Errorf("the run on the imported cache called the plugin:\n%s", out)
	}
	if got := readResults(t, cached).Provenance.Cached; got != 2*pairs {
		t.Errorf("provenance cached_items %d, want all %d items", got, 2*pairs)
	}
	fresh := filepath.Join(tmp, "fresh")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--out", fresh)
	if diff := cmp.Diff(readResults(t, fresh), readResults(t, cached), volatile); diff != "" {
		t.Errorf("the run served from the imported cache differs from an uncached run:\n%s", diff)
	}

	// A conflict: an export whose first score differs from the cache's.
	b, err := os.ReadFile(exports[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	lines[1] = regexp.MustCompile(`"score":[^}]*`).ReplaceAllString(lines[1], `"score":12345`)
	conflicting := filepath.Join(tmp, "conflicting.jsonl")
	if err := os.WriteFile(conflicting, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	out = runOK(t, "cache", "import", "--cache", merged, conflicting)
	if !regexp.MustCompile(`0 added, \d+ already present, 1 conflicts`).MatchString(out) ||
		!strings.Contains(out, "warning: 1 imported scores differ") || !strings.Contains(out, conflicting+" line 2:") {
		t.Errorf("conflicting import output:\n%s", out)
	}
	// The cache's score was kept: a rerun still equals the uncached run.
	again := filepath.Join(tmp, "again")
	runOK(t, "run", spec, "--cache", merged, "--no-progress", "--out", again)
	if diff := cmp.Diff(readResults(t, fresh), readResults(t, again), volatile); diff != "" {
		t.Errorf("a conflicting import changed the cache's scores:\n%s", diff)
	}

	for _, tc := range []struct {
		name, content, want string
	}{
		{"corrupt", lines[0] + lines[1] + "{\"scorer\": tr", "line 3: corrupt entry"},
		{"other version", strings.Replace(lines[0], `"version":1`, `"version":9`, 1) + strings.Join(lines[1:], ""),
			"score cache export format version 9; this srbench reads version 1 only"},
		{"a samples file", `{"index":0,"id":"p0","scores":{}}` + "\n", "not a score cache export; expected an srbench score cache export"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.jsonl")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			empty := filepath.Join(t.TempDir(), "empty.sqlite")
			out := runFails(t, 1, nil, "cache", "import", "--cache", empty, exports[0], path)
			if !strings.Contains(out, "cache import "+path) || !strings.Contains(out, tc.want) || !strings.Contains(out, "nothing was imported") {
				t.Errorf("import of a %s file: want the file named and %q:\n%s", tc.name, tc.want, out)
			}
			// Nothing of the good file was imported either.
			exp := filepath.Join(t.TempDir(), "e.jsonl")
			if out := runOK(t, "cache", "export", "--cache", empty, "--out", exp); !strings.Contains(out, "exported 0 ") {
				t.Errorf("a refused import stored entries:\n%s", out)
			}
		})
	}
}
