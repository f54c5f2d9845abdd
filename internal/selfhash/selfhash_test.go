package selfhash

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestFileAndExecutable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content []byte
	}{
		{"empty", nil},
		{"text", []byte("srbench")},
		{"binary", []byte{0, 1, 2, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(p, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(tt.content)
			got, err := File(p)
			if err != nil || got != hex.EncodeToString(want[:]) {
				t.Errorf("File = %q, %v; want %x", got, err, want)
			}
		})
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(b)
	if got, err := Executable(); err != nil || got != hex.EncodeToString(want[:]) {
		t.Errorf("Executable = %q, %v; want %x", got, err, want)
	}
	if _, err := File(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
}
