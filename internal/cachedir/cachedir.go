// Package cachedir locates srbench's cache directory, shared by the ONNX
// Runtime installer, the score cache and the embedding cache.
package cachedir

import (
	"os"
	"path/filepath"
)

// Dir is $SRBENCH_CACHE, else $XDG_CACHE_HOME/srbench, else
// $HOME/.cache/srbench; "" when none of those is set. getenv nil means os.Getenv.
func Dir(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("SRBENCH_CACHE"); d != "" {
		return d
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "srbench")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "srbench")
	}
	return ""
}
