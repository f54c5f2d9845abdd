// Package selfhash gives the sha256 of the running executable, so that a
// plugin can key what it caches by its own code: a rebuilt plugin (a fix in
// tokenization or preprocessing, a new ONNX Runtime binding) never reuses
// what an older build computed.
package selfhash

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
)

var (
	once sync.Once
	sum  string
	err  error
)

// Executable returns the hex sha256 of the running program's file (read
// once per process).
func Executable() (string, error) {
	once.Do(func() {
		var path string
		if path, err = os.Executable(); err != nil {
			err = fmt.Errorf("own executable: %w", err)
			return
		}
		sum, err = File(path)
	})
	return sum, err
}

// File returns the hex sha256 of the file at path.
func File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
