package results_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/results"
)

// TestShardField: results.json records a shard only for a shard run, and
// files written before the field existed read as whole runs.
func TestShardField(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		shard *results.Shard
		want  string // in the file; "" = no shard field
	}{
		{"whole run", nil, ""},
		{"shard", &results.Shard{Index: 2, Count: 4}, `"shard": {
    "index": 2,
    "count": 4
  }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".json")
			if err := results.WriteJSON(path, &results.Results{SchemaVersion: results.SchemaVersion, Shard: tc.shard}); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if got := strings.Contains(string(b), `"shard"`); got != (tc.want != "") || !strings.Contains(string(b), tc.want) {
				t.Errorf("file:\n%s\nwant shard %q", b, tc.want)
			}
			r, err := results.ReadResults(path)
			if err != nil {
				t.Fatal(err)
			}
			if (r.Shard == nil) != (tc.shard == nil) || (r.Shard != nil && *r.Shard != *tc.shard) {
				t.Errorf("read shard %v, want %v", r.Shard, tc.shard)
			}
		})
	}
	if s := (results.Shard{Index: 1, Count: 3}); s.String() != "1/3" || !strings.Contains(s.Note(), "shard 1 of 3") {
		t.Errorf("String %q, Note %q", s.String(), s.Note())
	}
}
