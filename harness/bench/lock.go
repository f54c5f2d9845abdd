package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockName is the advisory lock file in a run directory.
const LockName = ".srbench.lock"

// BusyError is a run directory another srbench process is writing.
type BusyError struct {
	RunDir string
	// Holder says who holds the lock ("pid 123, srbench run, since …"), as
	// that process wrote it; "" when unknown.
	Holder string
}

func (e *BusyError) Error() string {
	who := "another srbench process"
	if e.Holder != "" {
		who += " (" + e.Holder + ")"
	}
	return fmt.Sprintf("run directory %s is in use by %s: wait for it to finish or stop it; two writers would mix their samples", e.RunDir, who)
}

// LockRunDir takes the run directory's advisory lock (flock on LockName)
// for the life of one writer: srbench run, resume, analyze and report
// hold it, so a second one on a live run fails with a *BusyError. The
// kernel releases the lock when its holder dies however it dies, so a lock
// file left by a killed process is stale and taken over. what names the
// holder in the other process's message (e.g. "srbench run").
func LockRunDir(dir, what string) (unlock func(), err error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run directory %s: lock: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 512)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &BusyError{RunDir: dir, Holder: strings.TrimSpace(string(b[:n]))}
		}
		return nil, fmt.Errorf("run directory %s: lock: %w", dir, err)
	}
	// Say who holds it, for the message another process shows.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d, %s, since %s", os.Getpid(), what, time.Now().UTC().Format(time.RFC3339))
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
