//go:build !linux

package host

import "os/exec"

// setParentDeathSignal is Linux-only; elsewhere plugins are killed by
// Host.Close and go-plugin's own cleanup.
func setParentDeathSignal(*exec.Cmd) {}
