package onnx

import (
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// MinVersion is the oldest ONNX Runtime the bindings work with:
// onnxruntime_go v1.27 asks for C API version 24 (ONNX Runtime 1.24).
const MinVersion = "1.24.0"

// VersionError reports an ONNX Runtime library older than MinVersion.
type VersionError struct {
	Path    string
	Version string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("onnx: %s is ONNX Runtime %s, but srbench needs %s or newer (its Go bindings use C API version 24); %s",
		e.Path, e.Version, MinVersion, InstallHint)
}

// AlreadyInitializedError reports an Init that asks for a different library
// than the one already loaded in this process.
type AlreadyInitializedError struct {
	Loaded, Requested string
}

func (e *AlreadyInitializedError) Error() string {
	return fmt.Sprintf("onnx: ONNX Runtime is already initialised from %s in this process; it cannot switch to %s", e.Loaded, e.Requested)
}

// Runtime is the process's ONNX Runtime environment. There is at most one
// per process (the C library and its Go bindings keep global state); Init
// returns it. It stays alive until the process exits. Its methods are safe
// for concurrent use.
type Runtime struct {
	libPath string
	version string
}

// LibraryPath is the shared library the runtime was loaded from.
func (r *Runtime) LibraryPath() string { return r.libPath }

// Version is the ONNX Runtime version reported by the library (e.g. "1.24.1").
func (r *Runtime) Version() string { return r.version }

// active is the process's runtime. ONNX Runtime's environment is
// process-global state inside the C library and onnxruntime_go; this guard
// mirrors it so Init is idempotent. It is the package's only mutable global.
var active struct {
	mu sync.Mutex
	rt *Runtime
}

// Init finds the library with FindLibrary(opts), checks that it is ONNX
// Runtime MinVersion or newer, and initialises the environment. Calling Init
// again returns the same *Runtime when opts lead to the same library file;
// asking for a different file is an *AlreadyInitializedError. A failed Init
// may be retried.
func Init(opts Options) (*Runtime, error) {
	path, err := FindLibrary(opts)
	if err != nil {
		return nil, err
	}
	active.mu.Lock()
	defer active.mu.Unlock()
	if rt := active.rt; rt != nil {
		if sameFile(rt.libPath, path) {
			return rt, nil
		}
		return nil, &AlreadyInitializedError{Loaded: rt.libPath, Requested: path}
	}
	if ort.IsInitialized() {
		return nil, fmt.Errorf("onnx: onnxruntime_go was initialised outside this package; use onnx.Init only")
	}
	probed, err := probeVersion(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: load %s: %v; %s", path, err, InstallHint)
	}
	if err := checkVersion(path, probed); err != nil {
		return nil, err
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return nil, fmt.Errorf("onnx: initialise ONNX Runtime %s from %s: %w", probed, path, err)
	}
	active.rt = &Runtime{libPath: path, version: ort.GetVersion()}
	return active.rt, nil
}

// checkVersion returns a *VersionError unless v is MinVersion or newer.
func checkVersion(path, v string) error {
	got, err := parseVersion(v)
	if err != nil {
		return fmt.Errorf("onnx: %s reports version %q: %w", path, v, err)
	}
	want, _ := parseVersion(MinVersion)
	if compareVersions(got, want) < 0 {
		return &VersionError{Path: path, Version: v}
	}
	return nil
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
