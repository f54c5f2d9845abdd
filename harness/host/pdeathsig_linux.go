package host

import (
	"os/exec"
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
