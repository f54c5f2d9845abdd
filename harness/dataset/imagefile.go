package dataset

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
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
	if !st.Mode().IsRegular() {
		return &ImageError{Path: path, Kind: "not a regular file", Detail: fmt.Sprintf("is %s, not a regular file", describeMode(st.Mode()))}
	}
	if max := l.maxBytes(); max >= 0 && st.Size() > max {
		return &ImageError{Path: path, Kind: "too large", Detail: fmt.Sprintf(
			"is %d bytes, more than the limit of %d (--max-image-bytes)", st.Size(), max)}
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
	return ReadRegularFile(path, l.maxBytes())
}

// ReadRegularFile reads the regular file at path, at most max bytes (max < 0:
// no limit). It opens with O_NONBLOCK, so a FIFO or device swapped in after a
// check cannot block, and refuses anything fstat does not call a regular
// file. Errors name the file and never include its content.
func ReadRegularFile(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &ImageError{Path: path, Kind: "unreadable", Detail: unwrapPathError(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &ImageError{Path: path, Kind: "unreadable", Detail: unwrapPathError(err)}
	}
	l := ImageLimits{MaxBytes: max}
	if max < 0 {
		l.MaxBytes = -1
	}
	if err := l.checkInfo(path, st); err != nil {
		return nil, err
	}
	r := io.Reader(f)
	if max >= 0 {
		r = io.LimitReader(f, max+1)
	}
	b := make([]byte, 0, st.Size()+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ImageError{Path: path, Kind: "unreadable", Detail: unwrapPathError(err)}
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
	if max >= 0 && int64(len(b)) > max {
		return nil, &ImageError{Path: path, Kind: "too large", Detail: fmt.Sprintf("grew past the limit of %d bytes while being read (--max-image-bytes)", max)}
	}
	return b, nil
}

// unwrapPathError drops the path an *fs.PathError repeats (ImageError names
// it already).
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "a " + m.Type().String() + " file"
}
