package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// touch creates an empty file (and its directories) and returns its path.
func touch(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(parts...)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not really a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFindLibrary(t *testing.T) {
	root := t.TempDir()
	explicit := touch(t, root, "explicit", "libonnxruntime.so.1")
	fromEnv := touch(t, root, "env", "custom-ort.so")
	// A cache with versions whose string order differs from version order.
	cache := filepath.Join(root, "cache")
	touch(t, cache, "onnxruntime", "1.9.0", "libonnxruntime.so.1")
	newest := touch(t, cache, "onnxruntime", "1.100.0", "libonnxruntime.so.1")
	touch(t, cache, "onnxruntime", "1.24.1", "libonnxruntime.so.1")
	if err := os.MkdirAll(filepath.Join(cache, "onnxruntime", "2.0.0"), 0o755); err != nil { // empty: skipped
		t.Fatal(err)
	}
	xdg := filepath.Join(root, "xdg")
	xdgLib := touch(t, xdg, "srbench", "onnxruntime", "1.24.1", "libonnxruntime.so.1")
	home := filepath.Join(root, "home")
	homeLib := touch(t, home, ".cache", "srbench", "onnxruntime", "1.24.1", "libonnxruntime.so.1")
	emptyHome := filepath.Join(root, "empty-home")
	sysDir := filepath.Join(root, "usr-lib")
	sysLib := touch(t, sysDir, "libonnxruntime.so.1")
	ldDir := filepath.Join(root, "ld")
	ldLib := touch(t, ldDir, "libonnxruntime.so")
	empty := t.TempDir()

	for _, tc := range []struct {
		name    string
		opts    Options
		want    string
		wantErr []string // substrings of the error
	}{
		{name: "explicit path wins", opts: Options{LibraryPath: explicit, Getenv: envMap(map[string]string{EnvLibrary: fromEnv})}, want: explicit},
		{name: "explicit path missing", opts: Options{LibraryPath: filepath.Join(empty, "nope.so")},
			wantErr: []string{"Options.LibraryPath", "nope.so", "no such file", "make setup"}},
		{name: "ONNXRUNTIME_LIB", opts: Options{Getenv: envMap(map[string]string{EnvLibrary: fromEnv, "SRBENCH_CACHE": cache})}, want: fromEnv},
		{name: "ONNXRUNTIME_LIB missing is an error, not a fallback",
			opts:    Options{Getenv: envMap(map[string]string{EnvLibrary: filepath.Join(empty, "x.so"), "SRBENCH_CACHE": cache})},
			wantErr: []string{"$ONNXRUNTIME_LIB=", "x.so", "no such file", "make setup"}},
		{name: "ONNXRUNTIME_LIB is a directory", opts: Options{Getenv: envMap(map[string]string{EnvLibrary: empty})},
			wantErr: []string{"is a directory"}},
		{name: "SRBENCH_CACHE newest version", opts: Options{Getenv: envMap(map[string]string{"SRBENCH_CACHE": cache, "XDG_CACHE_HOME": xdg})}, want: newest},
		{name: "XDG_CACHE_HOME", opts: Options{Getenv: envMap(map[string]string{"XDG_CACHE_HOME": xdg, "HOME": home})}, want: xdgLib},
		{name: "HOME cache", opts: Options{Getenv: envMap(map[string]string{"HOME": home}), SystemDirs: []string{sysDir}}, want: homeLib},
		{name: "LD_LIBRARY_PATH before system dirs",
			opts: Options{Getenv: envMap(map[string]string{"HOME": emptyHome, "LD_LIBRARY_PATH": empty + ":" + ldDir}), SystemDirs: []string{sysDir}}, want: ldLib},
		{name: "system dir", opts: Options{Getenv: envMap(map[string]string{"HOME": emptyHome}), SystemDirs: []string{empty, sysDir}}, want: sysLib},
		{name: "nothing anywhere",
			opts: Options{Getenv: envMap(map[string]string{"HOME": emptyHome, "LD_LIBRARY_PATH": ldDir + "-missing"}), SystemDirs: []string{empty}},
			wantErr: []string{
				"ONNX Runtime shared library not found",
				"$ONNXRUNTIME_LIB: not set",
				filepath.Join(emptyHome, ".cache", "srbench", "onnxruntime", "<version>", "libonnxruntime.so.1") + ": no versions installed",
				ldDir + "-missing/{libonnxruntime.so,libonnxruntime.so.1}: not there",
				empty + "/{libonnxruntime.so,libonnxruntime.so.1}: not there",
				"run `make setup` (downloads onnxruntime-node from npm and extracts libonnxruntime.so.1) or set ONNXRUNTIME_LIB",
			}},
		{name: "no environment at all", opts: Options{Getenv: envMap(nil), SystemDirs: []string{}},
			wantErr: []string{"none of $SRBENCH_CACHE, $XDG_CACHE_HOME, $HOME is set", "make setup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindLibrary(tc.opts)
			if tc.wantErr != nil {
				var nf *NotFoundError
				if !errors.As(err, &nf) {
					t.Fatalf("FindLibrary = %q, %v; want a *NotFoundError", got, err)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error does not contain %q:\n%v", s, err)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("FindLibrary = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCacheDir(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SRBENCH_CACHE": "/a", "XDG_CACHE_HOME": "/b", "HOME": "/c"}, "/a"},
		{map[string]string{"XDG_CACHE_HOME": "/b", "HOME": "/c"}, "/b/srbench"},
		{map[string]string{"HOME": "/c"}, "/c/.cache/srbench"},
		{nil, ""},
	} {
		if got := CacheDir(envMap(tc.env)); got != tc.want {
			t.Errorf("CacheDir(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestCachedVersionsOrder(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"1.9.0", "nightly", "1.24.1", "1.100", "1.24.10", "v1.25.0"} {
		if err := os.MkdirAll(filepath.Join(root, v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"1.100", "v1.25.0", "1.24.10", "1.24.1", "1.9.0", "nightly"}
	if diff := cmp.Diff(want, cachedVersions(root)); diff != "" {
		t.Errorf("cachedVersions (-want +got):\n%s", diff)
	}
}

func TestCheckVersion(t *testing.T) {
	for _, tc := range []struct {
		v       string
		wantErr string
	}{
		{"1.24.1", ""},
		{"1.24.0", ""},
		{"1.30.0-dev+abc", ""},
		{"2.0", ""},
		{"1.23.2", "is ONNX Runtime 1.23.2, but srbench needs 1.24.0 or newer"},
		{"1.9.1", "needs 1.24.0 or newer"},
		{"banana", `reports version "banana"`},
	} {
		t.Run(tc.v, func(t *testing.T) {
			err := checkVersion("/x/libonnxruntime.so", tc.v)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("checkVersion(%q) = %v, want nil", tc.v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("checkVersion(%q) = %v, want an error containing %q", tc.v, err, tc.wantErr)
			}
			var ve *VersionError
			if strings.Contains(tc.wantErr, "needs") && (!errors.As(err, &ve) || !strings.Contains(err.Error(), "make setup")) {
				t.Errorf("checkVersion(%q) = %v, want a *VersionError with the install hint", tc.v, err)
			}
		})
	}
}

func TestProbeVersion(t *testing.T) {
	t.Run("not a shared library", func(t *testing.T) {
		p := touch(t, t.TempDir(), "libonnxruntime.so")
		if v, err := probeVersion(p); err == nil {
			t.Errorf("probeVersion(%s) = %q, want an error", p, v)
		}
	})
	t.Run("a library without ONNX Runtime", func(t *testing.T) {
		// libdl/libc is always there and has no OrtGetApiBase.
		if v, err := probeVersion("libc.so.6"); err == nil || !strings.Contains(err.Error(), "OrtGetApiBase") {
			t.Errorf("probeVersion(libc.so.6) = %q, %v; want a missing-symbol error", v, err)
		}
	})
	t.Run("installed library", func(t *testing.T) {
		p, err := FindLibrary(Options{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := probeVersion(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkVersion(p, v); err != nil {
			t.Error(err)
		}
	})
}
