package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/srbench/srbench/internal/safefile"
)

// DefaultMaxImageBytes is the largest image file read when
// ImageLimits.MaxBytes is 0: 64 MiB, far above any real JPEG, PNG or WebP of
// the 50-megapixel decode limit that is not hostile.
const DefaultMaxImageBytes = 64 << 20

// ImageLimits confines and bounds the image files a run reads: a dataset
// entry is hostile input, and may name a symbolic link to /dev/zero, a FIFO,
// a file outside the images root or a huge sparse file. The zero value with
// Root set is the documented default: inside the root only, regular files
// only, at most DefaultMaxImageBytes.
type ImageLimits struct {
	// Root is the images root. An image must resolve (symbolic links
	// followed) to a file inside it, unless AllowOutside.
	Root         string
	AllowOutside bool
	// MaxBytes is the largest file read; 0 = DefaultMaxImageBytes,
	// negative = no limit.
	MaxBytes int64

	once     sync.Once
	realRoot string
	rootErr  error
}

// ImageError is an image file that may not be read. Its message names the
// file and why, never its content.
type ImageError struct {
	Path string
	// Kind is a short reason: "outside images root", "not a regular
	// file", "too large", "unreadable".
	Kind   string
	Detail string
}

func (e *ImageError) Error() string { return fmt.Sprintf("image file %q: %s", e.Path, e.Detail) }

// maxBytes is the effective size limit, -1 for none.
func (l *ImageLimits) maxBytes() int64 {
	switch {
	case l.MaxBytes == 0:
		return DefaultMaxImageBytes
	case l.MaxBytes < 0:
		return -1
	}
	return l.MaxBytes
}

// ImagesRoot is the images root of a dataset spec: Spec.Images, or the
// dataset file's directory; absolute.
func ImagesRoot(spec Spec) (string, error) {
	root := spec.Images
	if root == "" {
		root = filepath.Dir(spec.Path)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("dataset: images root %q: %w", root, err)
	}
	return abs, nil
}

// Check returns an *ImageError when the image at path may not be read: it
// does not resolve inside the root, is not a regular file (a device, a FIFO,
// a directory), or is larger than the limit. It opens nothing.
func (l *ImageLimits) Check(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return &ImageError{Path: path, Kind: "unreadable", Detail: unwrapPathError(err)}
	}
	if !l.AllowOutside {
		l.once.Do(func() { l.realRoot, l.rootErr = filepath.EvalSymlinks(l.Root) })
		if l.rootErr != nil {
			return &ImageError{Path: path, Kind: "unreadable", Detail: fmt.Sprintf("images root %q: %s", l.Root, unwrapPathError(l.rootErr))}
		}
		if rel, err := filepath.Rel(l.realRoot, real); err != nil || !filepath.IsLocal(rel) {
			return &ImageError{Path: path, Kind: "outside images root", Detail: fmt.Sprintf(
				"resolves to %q, outside the images root %q (a symbolic link leaving the root; pass --allow-outside-images to read it)", real, l.realRoot)}
		}
	}
	st, err := os.Stat(real)
	if err != nil {
		return &ImageError{Path: path, Kind: "unreadable", Detail: unwrapPathError(err)}
	}
	return l.checkInfo(path, st)
}

func (l *ImageLimits) checkInfo(path string, st fs.FileInfo) error {
	if err := safefile.CheckInfo(st, l.maxBytes()); err != nil {
		return &ImageError{Path: path, Kind: err.Kind, Detail: err.Detail}
	}
	return nil
}

// ReadFile checks the image at path (Check) and reads it, never opening a
// FIFO in a blocking way and never reading more than the limit (a file that
// grows past it while being read is refused).
func (l *ImageLimits) ReadFile(path string) ([]byte, error) {
	if err := l.Check(path); err != nil {
		return nil, err
	}
	b, err := safefile.ReadRegular(path, l.maxBytes())
	if err != nil {
		var fe *safefile.Error
		if errors.As(err, &fe) {
			return nil, &ImageError{Path: path, Kind: fe.Kind, Detail: fe.Detail}
		}
		return nil, err
	}
	return b, nil
}

// unwrapPathError drops the path an *fs.PathError repeats (ImageError names
// it already).
func unwrapPathError(err error) string { return safefile.Describe(err) }
