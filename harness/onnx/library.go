package onnx

import (
	"errors"
	"fmt"
	"github.com/srbench/srbench/internal/cachedir"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// InstallHint tells a user how to get the ONNX Runtime library.
const InstallHint = "run `make setup` (downloads onnxruntime-node from npm and extracts libonnxruntime.so.1) or set ONNXRUNTIME_LIB to the path of libonnxruntime.so"

// EnvLibrary names the environment variable holding an explicit library path.
const EnvLibrary = "ONNXRUNTIME_LIB"

// cacheLibName is the file name the installer puts in
// <cache>/onnxruntime/<version>/.
const cacheLibName = "libonnxruntime.so.1"

// systemLibNames are the names looked for in system directories, in order.
var systemLibNames = [...]string{"libonnxruntime.so", "libonnxruntime.so.1"}

// Options says where the ONNX Runtime shared library is looked for. The zero
// value searches the process environment and the default system
// directories.
type Options struct {
	// LibraryPath, when set, is the library to load; nothing is searched.
	LibraryPath string
	// Getenv reads environment variables (ONNXRUNTIME_LIB, SRBENCH_CACHE,
	// XDG_CACHE_HOME, HOME, LD_LIBRARY_PATH). Nil means os.Getenv; tests
	// inject a map lookup instead of changing the process environment.
	Getenv func(string) string
	// SystemDirs are searched last. Nil means DefaultSystemDirs(); an empty
	// non-nil slice searches none.
	SystemDirs []string
}

func (o Options) getenv(k string) string {
	if o.Getenv == nil {
		return os.Getenv(k)
	}
	return o.Getenv(k)
}

// DefaultSystemDirs are the standard dynamic-loader directories:
// /usr/local/lib, /usr/lib and the multiarch directory of this platform
// (e.g. /usr/lib/x86_64-linux-gnu).
func DefaultSystemDirs() []string {
	dirs := []string{"/usr/local/lib", "/usr/lib"}
	triplets := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}
	if t, ok := triplets[runtime.GOARCH]; ok {
		dirs = append(dirs, "/usr/lib/"+t, "/usr/local/lib/"+t)
	}
	return dirs
}

// CacheDir is srbench's cache directory as the installer computes it:
// $SRBENCH_CACHE, else $XDG_CACHE_HOME/srbench, else $HOME/.cache/srbench.
// It returns "" when none of those variables is set. getenv nil means
// os.Getenv.
func CacheDir(getenv func(string) string) string { return cachedir.Dir(getenv) }

// NotFoundError reports that no ONNX Runtime library was found. Searched
// lists every place looked at, with the reason it did not qualify.
type NotFoundError struct {
	Searched []string
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("onnx: ONNX Runtime shared library not found; looked in:")
	for _, s := range e.Searched {
		b.WriteString("\n  ")
		b.WriteString(s)
	}
	b.WriteString("\nto install it, ")
	b.WriteString(InstallHint)
	return b.String()
}

// isFile reports whether path names an existing regular file (after
// following symlinks), and why not.
func isFile(path string) (bool, string) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, "no such file"
	case err != nil:
		return false, err.Error()
	case st.IsDir():
		return false, "is a directory"
	case !st.Mode().IsRegular():
		return false, "not a regular file"
	}
	return true, ""
}

// FindLibrary returns the path of the ONNX Runtime shared library. It looks
// at, in order: opts.LibraryPath; $ONNXRUNTIME_LIB (a file path; when set it
// must exist, nothing else is tried); the srbench cache
// (<CacheDir>/onnxruntime/<version>/libonnxruntime.so.1, newest version
// first); the $LD_LIBRARY_PATH entries and then the system directories, each
// for libonnxruntime.so and libonnxruntime.so.1. When nothing qualifies the
// error is a *NotFoundError listing where it looked and how to install the
// library.
func FindLibrary(opts Options) (string, error) {
	if p := opts.LibraryPath; p != "" {
		if ok, why := isFile(p); !ok {
			return "", &NotFoundError{Searched: []string{fmt.Sprintf("Options.LibraryPath %q: %s", p, why)}}
		}
		return p, nil
	}
	var searched []string
	if p := opts.getenv(EnvLibrary); p != "" {
		if ok, why := isFile(p); !ok {
			return "", &NotFoundError{Searched: []string{fmt.Sprintf("$%s=%q: %s", EnvLibrary, p, why)}}
		}
		return p, nil
	}
	searched = append(searched, "$"+EnvLibrary+": not set")

	if cache := CacheDir(opts.getenv); cache != "" {
		root := filepath.Join(cache, "onnxruntime")
		versions := cachedVersions(root)
		for _, v := range versions {
			p := filepath.Join(root, v, cacheLibName)
			if ok, _ := isFile(p); ok {
				return p, nil
			}
		}
		what := "no versions installed"
		if len(versions) > 0 {
			what = "no " + cacheLibName + " in " + strings.Join(versions, ", ")
		}
		searched = append(searched, fmt.Sprintf("%s: %s", filepath.Join(root, "<version>", cacheLibName), what))
	} else {
		searched = append(searched, "srbench cache: none of $SRBENCH_CACHE, $XDG_CACHE_HOME, $HOME is set")
	}

	var dirs []string
	for _, d := range filepath.SplitList(opts.getenv("LD_LIBRARY_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	sys := opts.SystemDirs
	if sys == nil {
		sys = DefaultSystemDirs()
	}
	dirs = append(dirs, sys...)
	for _, d := range dirs {
		for _, name := range systemLibNames {
			p := filepath.Join(d, name)
			if ok, _ := isFile(p); ok {
				return p, nil
			}
		}
		searched = append(searched, fmt.Sprintf("%s/{%s}: not there", d, strings.Join(systemLibNames[:], ",")))
	}
	return "", &NotFoundError{Searched: searched}
}

// cachedVersions lists the version directories under root, newest first.
// Names that are not dotted version numbers come last, in reverse name
// order.
func cachedVersions(root string) []string {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		va, erra := parseVersion(a)
		vb, errb := parseVersion(b)
		switch {
		case erra == nil && errb == nil:
			return -compareVersions(va, vb)
		case erra == nil:
			return -1
		case errb == nil:
			return 1
		}
		return -strings.Compare(a, b)
	})
	return names
}

// version is a parsed dotted version; missing parts are zero.
type version [3]int

func (v version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// parseVersion parses "1.24.1" (and "1.24", "v1.24.1", "1.24.1-dev...").
func parseVersion(s string) (version, error) {
	var v version
	t := strings.TrimPrefix(s, "v")
	if i := strings.IndexAny(t, "-+ "); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("version %q: part %d %q is not a number", s, i+1, p)
		}
		v[i] = n
	}
	return v, nil
}

func compareVersions(a, b version) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
