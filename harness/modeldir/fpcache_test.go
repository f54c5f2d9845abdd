package modeldir

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCachedFingerprint walks a model directory through the cache's life:
// fresh files are hashed and not remembered, settled files are remembered
// and served from the cache, and any content change is hashed again.
func TestCachedFingerprint(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("model.onnx", "weights-1")
	write("srbench.yaml", "kind: clipscore\n")
	later := time.Now().Add(time.Hour) // the files have settled by then
	remembered := func() []string {
		es, _ := os.ReadDir(filepath.Join(cache, "fingerprints"))
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	steps := []struct {
		name       string
		change     func()
		now        time.Time
		wantStored int
	}{
		{"fresh files are not remembered", nil, time.Now(), 0},
		{"settled files are remembered", nil, later, 1},
		{"served again unchanged", nil, later, 1},
		{"same-size content change is hashed again", func() { write("model.onnx", "weights-2") }, later, 2},
		{"a new file is hashed again", func() { write("extra.json", "{}") }, later, 3},
	}
	for _, st := range steps {
		if st.change != nil {
			// File times come from the kernel's coarse clock (a few ms per
			// tick); let it tick so the change is visible, as it always is
			// to a run that remembered the directory at least racyWindow
			// after its last change.
			time.Sleep(30 * time.Millisecond)
			st.change()
		}
		got, err := cachedFingerprint(dir, cache, st.now)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want, err := Fingerprint(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %s, want %s", st.name, got, want)
		}
		if n := len(remembered()); n != st.wantStored {
			t.Errorf("%s: %d fingerprints remembered, want %d", st.name, n, st.wantStored)
		}
	}
	// The remembered value is what is served: replace it and see it come
	// back; a malformed entry is ignored and the directory hashed.
	key, ok, err := statKey(dir, later)
	if err != nil || !ok {
		t.Fatalf("statKey: %v %v", ok, err)
	}
	entry := filepath.Join(cache, "fingerprints", key)
	planted := "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct{ content, want string }{
		{planted, planted},
		{"not a fingerprint", ""},
	} {
		if err := os.WriteFile(entry, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := cachedFingerprint(dir, cache, later)
		if err != nil {
			t.Fatal(err)
		}
		want := tc.want
		if want == "" {
			want, _ = Fingerprint(dir)
		}
		if got != want {
			t.Errorf("cache entry %q: served %s, want %s", tc.content, got, want)
		}
	}
	if got, _ := cachedFingerprint(dir, "", later); got == planted {
		t.Error("no cache directory: served a remembered value")
	}
}
