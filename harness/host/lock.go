package host

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/srbench/srbench/internal/cachedir"
	"github.com/srbench/srbench/internal/selfhash"
)

// LockFileName is the name of the checksum lock file in a plugins directory.
const LockFileName = "plugins.lock"

// Lock pins plugin binaries to sha256 checksums.
type Lock struct {
	Version int                  `json:"version"`
	Plugins map[string]LockEntry `json:"plugins"`
}

// LockEntry is one pinned plugin.
type LockEntry struct {
	SHA256 string `json:"sha256"`
}

// ReadLock reads a lock file. A missing file is not an error: it returns
// (nil, nil) and plugins run unpinned.
func ReadLock(path string) (*Lock, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plugin lock %s: %w", path, err)
	}
	var l Lock
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("plugin lock %s: not valid: %w (want {\"version\":1,\"plugins\":{\"NAME\":{\"sha256\":\"HEX\"}}})", path, err)
	}
	if l.Version != 1 {
		return nil, fmt.Errorf("plugin lock %s: field \"version\": want 1, got %d", path, l.Version)
	}
	for name, e := range l.Plugins {
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("plugin lock %s: plugin %q: field \"sha256\": want 64 hex digits, got %q", path, name, e.SHA256)
		}
	}
	return &l, nil
}

// WriteLock pins every plugin in dir to its current checksum.
func WriteLock(dir string) (*Lock, error) {
	ps, err := Discover(dir)
	if err != nil {
		return nil, err
	}
	l := &Lock{Version: 1, Plugins: map[string]LockEntry{}}
	for _, p := range ps {
		l.Plugins[p.Name] = LockEntry{SHA256: p.SHA256}
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, LockFileName), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return l, nil
}

// FileSHA256 returns the hex sha256 of a file.
func FileSHA256(path string) (string, error) { return selfhash.File(path) }

// Info describes a plugin binary found on disk.
type Info struct {
	Name   string // scorer name = file name
	Path   string // absolute path
	SHA256 string // current checksum of the binary
	Pin    string // pinned checksum from the lock file, "" if unpinned
}

// Discover lists the plugin executables in dir (sorted by name) with their
// checksums and pins. Files that are not executable, directories and the
// lock file are ignored.
func Discover(dir string) ([]Info, error) {
	paths, lock, err := executables(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(paths))
	for _, path := range paths {
		info, err := inspect(path, lock)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// executables lists the plugin executables in dir, sorted by name, and
// reads its lock file.
func executables(dir string) (paths []string, lock *Lock, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	ents, err := os.ReadDir(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("plugins directory %s: %w (build the plugins with `make build`, or pass --plugin-dir)", abs, err)
	}
	if lock, err = ReadLock(filepath.Join(abs, LockFileName)); err != nil {
		return nil, nil, err
	}
	for _, e := range ents { // os.ReadDir sorts by name
		if e.IsDir() || e.Name() == LockFileName || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.Mode()&0o111 == 0 || !fi.Mode().IsRegular() {
			continue
		}
		paths = append(paths, filepath.Join(abs, e.Name()))
	}
	return paths, lock, nil
}

// Find returns the plugin called name in dir, or an error listing the ones
// there. Only that plugin's binary is hashed.
func Find(dir, name string) (Info, error) {
	paths, lock, err := executables(dir)
	if err != nil {
		return Info{}, err
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		if filepath.Base(p) == name {
			return inspect(p, lock)
		}
		names[i] = filepath.Base(p)
	}
	return Info{}, fmt.Errorf("no plugin %q in %s (found: %s)", name, dir, strings.Join(names, ", "))
}

// FromPath describes an explicitly given plugin binary; the lock file of its
// directory applies, if any.
func FromPath(path string) (Info, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Info{}, err
	}
	lock, err := ReadLock(filepath.Join(filepath.Dir(abs), LockFileName))
	if err != nil {
		return Info{}, err
	}
	return inspect(abs, lock)
}

// inspect hashes the plugin binary at path and looks up its pin. The hash
// is remembered in srbench's cache under the file's stat identity (size,
// inode, change time; selfhash.FileRemembered), so an unchanged binary is
// not read at every launch; SRBENCH_FINGERPRINT_CACHE=off hashes every
// time. go-plugin's SecureConfig still hashes a pinned binary as it starts
// it, and refuses one that does not match its pin.
func inspect(path string, lock *Lock) (Info, error) {
	cache := cachedir.Dir(nil)
	if os.Getenv("SRBENCH_FINGERPRINT_CACHE") == "off" {
		cache = ""
	}
	sum, err := selfhash.FileRemembered(path, cache, time.Now())
	if err != nil {
		return Info{}, fmt.Errorf("plugin %s: %w", path, err)
	}
	info := Info{Name: filepath.Base(path), Path: path, SHA256: sum}
	if lock != nil {
		info.Pin = lock.Plugins[info.Name].SHA256
	}
	return info, nil
}

// ChecksumError is a plugin binary that does not match its pin.
type ChecksumError struct {
	Name, Path, Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("plugin %q (%s): sha256 does not match its pin in %s: pinned %s, binary has %s; rebuild and re-pin with `srbench plugins lock` if the change is intended",
		e.Name, e.Path, LockFileName, e.Want, e.Got)
}

// UnpinnedError is a plugin binary without a pin, launched without
// Options.AllowUnpinned.
type UnpinnedError struct {
	Name, Path, SHA256 string
}

func (e *UnpinnedError) Error() string {
	return fmt.Sprintf("plugin %q (%s, sha256 %s) has no pin in %s beside it, so nothing says it is the binary you built; "+
		"pin it with `make build` (which pins every plugin it builds) or `srbench plugins lock --plugin-dir %s`, "+
		"or run it anyway with --allow-unpinned (recorded in results.json)",
		e.Name, e.Path, e.SHA256, LockFileName, filepath.Dir(e.Path))
}

// Verify checks the binary against its pin (no-op when unpinned).
func (i Info) Verify() error {
	if i.Pin == "" {
		return nil
	}
	if !strings.EqualFold(i.Pin, i.SHA256) {
		return &ChecksumError{Name: i.Name, Path: i.Path, Want: i.Pin, Got: i.SHA256}
	}
	return nil
}
