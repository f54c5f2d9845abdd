package selfhash

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/srbench/srbench/internal/atomicfile"
)

// RacyWindow is how recent a file's change may be for its hash to be
// remembered: a file changed within it could change again without its
// timestamps moving on a coarse-clock file system (the "racy git"
// problem), so it is hashed every time.
const RacyWindow = 2 * time.Second

var hexSum = regexp.MustCompile(`^[0-9a-f]{64}$`)

// statKey summarises what the file system says about path: its absolute
// path, size, inode, device, and modification and change times in
// nanoseconds. Content cannot change without the change time (ctime)
// moving, and no user can set it. ok is false when the platform gives no
// inode and ctime, or when the file changed within RacyWindow of now.
func statKey(path string, now time.Time) (key string, ok bool, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", false, err
	}
	sys, isUnix := fi.Sys().(*syscall.Stat_t)
	if !isUnix {
		return "", false, nil
	}
	mtime, ctime := fi.ModTime().UnixNano(), sys.Ctim.Sec*1e9+sys.Ctim.Nsec
	if limit := now.Add(-RacyWindow).UnixNano(); mtime >= limit || ctime >= limit {
		return "", false, nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "srbench file stat v1\x00%s\x00%d %d %d %d %d", path, fi.Size(), mtime, ctime, sys.Ino, sys.Dev)
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// FileRemembered is File(path), remembered in cacheDir under the file's
// stat key so that an unchanged file (a plugin binary, hashed at every
// launch) is not read again; with cacheDir "" it just hashes. A file
// changed within RacyWindow of now is never remembered, and a hash is
// remembered only when the file did not change while it was read.
func FileRemembered(path, cacheDir string, now time.Time) (string, error) {
	if cacheDir == "" {
		return File(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return Remember(filepath.Join(cacheDir, "filehashes"), hexSum,
		func() (string, bool, error) { return statKey(abs, now) },
		func() (string, error) { return File(abs) })
}

// Remember is compute(), remembered in dir under the key that stat
// returns: a stored value matching form is returned without computing.
// Nothing is remembered when stat says the inputs cannot be (ok false: a
// recent change, or no stat identity), or when the key changed while
// computing. Storing is best effort: a cache that cannot be written only
// costs time.
func Remember(dir string, form *regexp.Regexp, stat func() (key string, ok bool, err error), compute func() (string, error)) (string, error) {
	key, ok, err := stat()
	if err != nil {
		return "", err
	}
	entry := filepath.Join(dir, key)
	if ok {
		if b, err := os.ReadFile(entry); err == nil && form.Match(b) {
			return string(b), nil
		}
	}
	v, err := compute()
	if err != nil || !ok {
		return v, err
	}
	if again, ok2, err := stat(); err == nil && ok2 && again == key {
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = atomicfile.WriteBytes(entry, []byte(v))
		}
	}
	return v, nil
}
