//go:build !unix

package testenv

import (
	"os"
	"os/exec"
)

func setProcAttr(*exec.Cmd) {}

func terminate(cmd *exec.Cmd) bool { return cmd.Process.Signal(os.Interrupt) == nil }
func kill(cmd *exec.Cmd) bool      { return cmd.Process.Kill() == nil }

// processExists is conservative where it cannot tell: stale directories stay.
func processExists(int) bool { return true }
