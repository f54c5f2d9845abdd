package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("0123456789"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		max        int64
		want       string // content, or the error's kind
		isErr      bool
	}{
		{"within the limit", small, 10, "0123456789", false},
		{"no limit", small, -1, "0123456789", false},
		{"empty", empty, 0, "", false},
		{"over the limit", small, 9, "too large", true},
		{"fifo", fifo, 100, "not a regular file", true},
		{"device", "/dev/zero", 100, "not a regular file", true},
		{"directory", dir, 100, "not a regular file", true},
		{"missing", filepath.Join(dir, "nope"), 100, "unreadable", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadRegular(tt.path, tt.max)
			if !tt.isErr {
				if err != nil || string(b) != tt.want {
					t.Fatalf("ReadRegular = %q, %v; want %q", b, err, tt.want)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != tt.want || fe.Path != tt.path {
				t.Fatalf("error %v, want an *Error of kind %q naming the path", err, tt.want)
			}
			if strings.Contains(err.Error(), "0123456789") {
				t.Errorf("error %q quotes the content", err)
			}
		})
	}
	_, err := ReadRegular(filepath.Join(dir, "nope"), 1)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}
}
