package selfhash

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sumOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestFileRemembered: a file's hash is remembered under its stat identity
// (a planted entry is what a second call returns, which proves it was not
// read again), never for a file changed within RacyWindow, and a changed
// file (new ctime, new key) is hashed again.
func TestFileRemembered(t *testing.T) {
	t.Parallel()
	planted := strings.Repeat("ab", 32)
	tests := []struct {
		name       string
		later      time.Duration // how long after the file's change "now" is
		cache      bool
		remembered bool // a second call returns the planted entry
	}{
		{"old file", 5 * time.Second, true, true},
		{"just changed", 0, true, false},
		{"no cache dir", 5 * time.Second, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "plugin")
			content := []byte("binary " + tc.name)
			if err := os.WriteFile(path, content, 0o755); err != nil {
				t.Fatal(err)
			}
			cache := ""
			if tc.cache {
				cache = filepath.Join(dir, "cache")
			}
			now := time.Now().Add(tc.later)
			got, err := FileRemembered(path, cache, now)
			if err != nil || got != sumOf(content) {
				t.Fatalf("first call: %q, %v; want %s", got, err, sumOf(content))
			}
			entries, _ := filepath.Glob(filepath.Join(dir, "cache", "filehashes", "*"))
			if tc.remembered != (len(entries) == 1) {
				t.Fatalf("cache entries %v, want remembered=%v", entries, tc.remembered)
			}
			for _, e := range entries {
				if err := os.WriteFile(e, []byte(planted), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err = FileRemembered(path, cache, now)
			want := sumOf(content)
			if tc.remembered {
				want = planted
			}
			if err != nil || got != want {
				t.Errorf("second call: %q, %v; want %s", got, err, want)
			}
			// A changed file has a new change time, so a new key.
			changed := []byte("rebuilt " + tc.name)
			if err := os.WriteFile(path, changed, 0o755); err != nil {
				t.Fatal(err)
			}
			if got, err := FileRemembered(path, cache, time.Now().Add(tc.later)); err != nil || got != sumOf(changed) {
				t.Errorf("after a change: %q, %v; want %s", got, err, sumOf(changed))
			}
		})
	}
}
