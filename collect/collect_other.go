//go:build !unix

package collect

import "os/exec"

// ownGroup does nothing where process groups do not exist; the timeout
// still kills the command itself.
func ownGroup(c *exec.Cmd) {}

// killGroup kills the command (its children may survive on this platform).
func killGroup(c *exec.Cmd) error {
	if c.Process == nil {
		return nil
	}
	return c.Process.Kill()
}

// interruptGroup has no gentle form here: it kills.
func interruptGroup(c *exec.Cmd) error { return killGroup(c) }
