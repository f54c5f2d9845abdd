package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImageLimitsCheck: inside the root only (links followed), regular
// files only, within the size limit; AllowOutside lifts only the first rule.
func TestImageLimitsCheck(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "images")
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "a.png"), make([]byte, 100), 0o644)
	os.WriteFile(filepath.Join(base, "outside.png"), make([]byte, 10), 0o644)
	os.Symlink(filepath.Join(root, "a.png"), filepath.Join(root, "sub", "in-link.png"))
	os.Symlink(filepath.Join(base, "outside.png"), filepath.Join(root, "out-link.png"))
	os.Symlink("/dev/zero", filepath.Join(root, "zero.png"))
	linkedRoot := filepath.Join(base, "linked-root")
	os.Symlink(root, linkedRoot)
	tests := []struct {
		name         string
		root, path   string
		allowOutside bool
		max          int64
		kind         string // "" = allowed
	}{
		{"regular file", root, filepath.Join(root, "a.png"), false, 0, ""},
		{"link inside the root", root, filepath.Join(root, "sub", "in-link.png"), false, 0, ""},
		{"root given through a link", linkedRoot, filepath.Join(linkedRoot, "a.png"), false, 0, ""},
		{"link outside the root", root, filepath.Join(root, "out-link.png"), false, 0, "outside images root"},
		{"link outside, allowed", root, filepath.Join(root, "out-link.png"), true, 0, ""},
		{"device through a link", root, filepath.Join(root, "zero.png"), true, 0, "not a regular file"},
		{"directory", root, filepath.Join(root, "sub"), false, 0, "not a regular file"},
		{"over the size limit", root, filepath.Join(root, "a.png"), false, 99, "too large"},
		{"at the size limit", root, filepath.Join(root, "a.png"), false, 100, ""},
		{"missing", root, filepath.Join(root, "nope.png"), false, 0, "unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &ImageLimits{Root: tt.root, AllowOutside: tt.allowOutside, MaxBytes: tt.max}
			err := l.Check(tt.path)
			var ie *ImageError
			switch {
			case tt.kind == "" && err != nil:
				t.Fatalf("Check: %v, want allowed", err)
			case tt.kind != "" && (!errors.As(err, &ie) || ie.Kind != tt.kind):
				t.Fatalf("Check: %v, want an *ImageError of kind %q", err, tt.kind)
			}
			if tt.kind == "" {
				if b, err := l.ReadFile(tt.path); err != nil || len(b) == 0 {
					t.Errorf("ReadFile: %d bytes, %v", len(b), err)
				}
			}
		})
	}
}

// TestNonUTF8PromptRefused: a prompt with bytes that are not UTF-8 is a
// malformed record naming the field, not silently changed to U+FFFD.
func TestNonUTF8PromptRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line string
		ok         bool
	}{
		{"valid", "{\"prompt\":\"caf\xc3\xa9\",\"image_a\":\"a.png\",\"image_b\":\"b.png\",\"label\":\"a\"}", true},
		{"latin-1 byte", "{\"prompt\":\"caf\xe9\",\"image_a\":\"a.png\",\"image_b\":\"b.png\",\"label\":\"a\"}", false},
		{"escape and bad byte", "{\"prompt\":\"\\\"q\\\" \xff\",\"image_a\":\"a.png\",\"image_b\":\"b.png\",\"label\":\"a\"}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "p.jsonl")
			os.WriteFile(path, []byte(tt.line+"\n"), 0o644)
			src, err := Open(Spec{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			p, err := src.Next()
			if tt.ok {
				if err != nil || p.Prompt != "caf\u00e9" {
					t.Fatalf("prompt %q, %v", p.Prompt, err)
				}
				return
			}
			var re *RowError
			if !errors.As(err, &re) || re.Field != "prompt" || !strings.Contains(err.Error(), "not valid UTF-8") {
				t.Fatalf("error %v, want a RowError on field prompt about UTF-8", err)
			}
		})
	}
}
