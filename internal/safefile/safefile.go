// Package safefile reads files named by untrusted input (a dataset's image
// paths) without the ways a plain os.ReadFile goes wrong on them: a FIFO
// that blocks the reader, a device such as /dev/zero that never ends, a
// huge or sparse file that exhausts memory. Errors name the reason and
// never include the file's content.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Error is a file that may not, or could not, be read.
type Error struct {
	Path string
	// Kind is a short reason: "not a regular file", "too large",
	// "unreadable".
	Kind   string
	Detail string
	// Err is the underlying error, if any (e.g. fs.ErrNotExist).
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("file %q: %s", e.Path, e.Detail) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Reason is the error without the path: Detail as its message, Err as what
// it wraps, for callers that name the file themselves.
func (e *Error) Reason() error { return &reason{e} }

type reason struct{ e *Error }

func (r *reason) Error() string { return r.e.Detail }
func (r *reason) Unwrap() error { return r.e.Err }

// CheckInfo refuses what st does not describe as a regular file of at most
// max bytes (max < 0: any size). The returned Error has no Path.
func CheckInfo(st fs.FileInfo, max int64) *Error {
	if !st.Mode().IsRegular() {
		return &Error{Kind: "not a regular file", Detail: fmt.Sprintf("is %s, not a regular file", describeMode(st.Mode()))}
	}
	if max >= 0 && st.Size() > max {
		return &Error{Kind: "too large", Detail: fmt.Sprintf("is %d bytes, more than the limit of %d (--max-image-bytes)", st.Size(), max)}
	}
	return nil
}

// ReadRegular reads the regular file at path, at most max bytes (max < 0: no
// limit). It opens with O_NONBLOCK, so a FIFO or device cannot block the
// open, refuses anything fstat does not call a regular file, never reads
// more than max+1 bytes, and refuses a file that grew past max while being
// read.
func ReadRegular(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &Error{Path: path, Kind: "unreadable", Detail: Describe(err), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{Path: path, Kind: "unreadable", Detail: Describe(err), Err: err}
	}
	if e := CheckInfo(st, max); e != nil {
		e.Path = path
		return nil, e
	}
	r := io.Reader(f)
	if max >= 0 {
		r = io.LimitReader(f, max+1)
	}
	b := make([]byte, 0, st.Size()+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Error{Path: path, Kind: "unreadable", Detail: Describe(err), Err: err}
		}
	}
	if max >= 0 && int64(len(b)) > max {
		return nil, &Error{Path: path, Kind: "too large", Detail: fmt.Sprintf("grew past the limit of %d bytes while being read (--max-image-bytes)", max)}
	}
	return b, nil
}

// Describe is err without the path an *fs.PathError repeats.
func Describe(err error) string {
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
	return "not a regular file (" + m.Type().String() + ")"
}
