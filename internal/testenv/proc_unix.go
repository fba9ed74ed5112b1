//go:build unix

package testenv

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group so that stopping it
// also stops anything it spawned, and (on Linux) asks the kernel to kill it
// if the test binary dies without running its cleanups (go test -timeout,
// SIGKILL).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr)
}

// signalGroup sends sig to the process group led by pid. It reports false
// when the group no longer exists.
func signalGroup(pid int, sig syscall.Signal) bool {
	err := syscall.Kill(-pid, sig)
	return !errors.Is(err, syscall.ESRCH)
}

func terminate(cmd *exec.Cmd) bool { return signalGroup(cmd.Process.Pid, syscall.SIGTERM) }
func kill(cmd *exec.Cmd) bool      { return signalGroup(cmd.Process.Pid, syscall.SIGKILL) }

// processExists reports whether a process with this id exists.
func processExists(pid int) bool {
	return pid > 0 && !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
