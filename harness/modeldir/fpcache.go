package modeldir

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/srbench/srbench/internal/cachedir"
	"github.com/srbench/srbench/internal/selfhash"
)

// racyWindow is how recent a file's change may be for its directory's
// fingerprint to be remembered (selfhash.RacyWindow: a file changed within
// it could change again without its timestamps moving on a coarse-clock
// file system), so such a directory is hashed every time.
const racyWindow = selfhash.RacyWindow

var fingerprintForm = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// statKey summarises what the file system says about every file the
// fingerprint reads: directory, names, sizes, inode numbers, and change and
// modification times in nanoseconds. Content cannot change without changing
// the change time (ctime), which no user can set. ok is false when the
// platform gives no inode and ctime, or when a file changed within
// racyWindow of now.
func statKey(dir string, now time.Time) (key string, ok bool, err error) {
	files, err := modelFiles(dir)
	if err != nil {
		return "", false, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "srbench model directory stat v1\x00%s\x00", dir)
	limit := now.Add(-racyWindow).UnixNano()
	for _, f := range files {
		sys, isUnix := f.info.Sys().(*syscall.Stat_t)
		if !isUnix {
			return "", false, nil
		}
		mtime, ctime := f.info.ModTime().UnixNano(), sys.Ctim.Sec*1e9+sys.Ctim.Nsec
		if mtime >= limit || ctime >= limit {
			return "", false, nil
		}
		fmt.Fprintf(h, "%s\x00%d %d %d %d %d\x00", f.rel, f.info.Size(), mtime, ctime, sys.Ino, sys.Dev)
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// cachedFingerprint is Fingerprint(dir), remembered in cacheDir under the
// directory's stat key so that an unchanged model is not hashed again (a
// 600 MB model takes about half a second). With cacheDir "" it just hashes.
// A file changed within racyWindow of now is never remembered.
func cachedFingerprint(dir, cacheDir string, now time.Time) (string, error) {
	if cacheDir == "" {
		return Fingerprint(dir)
	}
	return selfhash.Remember(filepath.Join(cacheDir, "fingerprints"), fingerprintForm,
		func() (string, bool, error) {
			key, ok, err := statKey(dir, now)
			if err != nil {
				err = fmt.Errorf("fingerprint %s: %w", dir, err)
			}
			return key, ok, err
		},
		func() (string, error) { return Fingerprint(dir) })
}

// defaultCacheDir is where fingerprints are remembered: srbench's cache
// directory, unless SRBENCH_FINGERPRINT_CACHE=off.
func defaultCacheDir() string {
	if os.Getenv("SRBENCH_FINGERPRINT_CACHE") == "off" {
		return ""
	}
	return cachedir.Dir(nil)
}
