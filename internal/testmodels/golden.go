package testmodels

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// HashTree returns one line per regular file below root, sorted by path:
// "<sha256 hex>  <slash-separated path relative to root>" (sha256sum's
// format, so `sha256sum -c` can check a tree against it).
func HashTree(root string) ([]string, error) {
	var lines []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		lines = append(lines, hex.EncodeToString(sum[:])+"  "+filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", root, err)
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	return lines, nil
}

// CheckHashes compares HashTree(root) with the golden file (one line per
// file, as HashTree writes them), or rewrites the golden file when update
// is set. It is how tests pin the exact bytes of the models srbench writes.
func CheckHashes(t testing.TB, root, golden string, update bool) {
	t.Helper()
	got, err := HashTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("golden hashes: %v (run the test with -update to write them)", err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sha256 of the files written differ from %s (-golden +now):\n%s", golden, diff)
	}
}
