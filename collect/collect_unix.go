//go:build unix

package collect

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownGroup puts the command in a process group of its own, so that a
// timeout can kill everything it started (a shell's children too) without
// touching triage itself.
func ownGroup(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends SIGKILL to the command's whole process group.
func killGroup(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	err := syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// interruptGroup asks the group to stop (SIGINT), which lets strace detach
// from its tracee cleanly instead of being killed in the middle.
func interruptGroup(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	err := syscall.Kill(-c.Process.Pid, syscall.SIGINT)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
