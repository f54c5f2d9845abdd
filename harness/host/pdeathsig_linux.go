package host

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// setParentDeathSignal asks the kernel to SIGKILL the plugin when the harness
// dies, however it dies (including SIGKILL, where no cleanup code runs), and
// starts the plugin in a process group of its own, so that killGroup reaches
// anything it started and a terminal's Ctrl-C reaches only the harness,
// which then shuts the plugin down.
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true
}

// killGroup SIGKILLs the process group of a plugin started by
// setParentDeathSignal (its leader's pid); a group already gone is not an
// error.
func killGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// ProcessGroup lists the running (not zombie) processes of process group
// pgid, read from /proc: a plugin's group is its pid (see Stop.Leftover).
func ProcessGroup(pgid int) []int {
	if pgid <= 0 {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// After the parenthesised command name: state, ppid, pgrp, ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			out = append(out, pid)
		}
	}
	return out
}
