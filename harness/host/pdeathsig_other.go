//go:build !linux

package host

import (
	"os"
	"os/exec"
)

// setParentDeathSignal is Linux-only; elsewhere plugins are killed by
// Host.Close and go-plugin's own cleanup.
func setParentDeathSignal(*exec.Cmd) {}

// killGroup kills the plugin process itself where process groups are not
// set up.
func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil && pid > 0 {
		_ = p.Kill()
	}
}

// ProcessGroup is Linux-only (it reads /proc); elsewhere it reports none.
func ProcessGroup(int) []int { return nil }
