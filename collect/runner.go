package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Cmd is one command to run on the host.
type Cmd struct {
	Argv    []string
	Timeout time.Duration
	// Interrupt marks a command that is expected to run until its timeout
	// (strace): it is stopped with SIGINT first and a stop at the timeout is
	// not an error.
	Interrupt bool
}

// RunResult is what became of one command.
type RunResult struct {
	ExitCode int // -1 when the command did not exit by itself
	TimedOut bool
	// Abandoned is set when the command survived SIGKILL (a process in
	// uninterruptible sleep on a hung filesystem): triage stopped waiting
	// for it rather than hang with it.
	Abandoned bool
	Err       error
}

// Runner runs commands for the collector. ExecRunner runs real ones; tests
// inject canned outputs so they do not depend on the host.
type Runner interface {
	// LookPath finds a program by name, or returns an error when it is not
	// installed.
	LookPath(name string) (string, error)
	// Run runs c, writing its standard output and error, merged, to w. It
	// returns within c.Timeout plus a short grace whatever the command does.
	Run(ctx context.Context, c Cmd, w io.Writer) RunResult
}

// ExecRunner runs real commands, each in a process group of its own that
// is killed as a whole when the timeout expires.
type ExecRunner struct {
	// ExtraPath is searched after $PATH: the sbin directories hold lsmod,
	// fuser and the agent's tools but are often missing from a user's PATH.
	ExtraPath []string
	// Grace is how long to wait after the kill for the process to go away
	// before abandoning it (zero: 3 s).
	Grace time.Duration
}

// DefaultExtraPath lists the directories searched after $PATH.
var DefaultExtraPath = []string{"/sbin", "/usr/sbin", "/bin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}

// LookPath searches $PATH, then ExtraPath.
func (r ExecRunner) LookPath(name string) (string, error) {
	if filepath.IsAbs(name) {
		if isExecutable(name) {
			return name, nil
		}
		return "", fmt.Errorf("%s: not installed", name)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range r.ExtraPath {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not installed (searched $PATH and %v)", name, r.ExtraPath)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Run starts the command with a C locale, stdin from /dev/null, in its
// own process group, and kills the group at the timeout.
func (r ExecRunner) Run(ctx context.Context, c Cmd, w io.Writer) RunResult {
	if len(c.Argv) == 0 {
		return RunResult{ExitCode: -1, Err: errors.New("empty command")}
	}
	grace := r.Grace
	if grace <= 0 {
		grace = 3 * time.Second
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "TZ=UTC", "COLUMNS=4096")
	cmd.Stdout = w
	cmd.Stderr = w
	ownGroup(cmd)
	// A pipe left open by an orphaned grandchild must not hold Wait.
	cmd.WaitDelay = grace
	if err := cmd.Start(); err != nil {
		return RunResult{ExitCode: -1, Err: fmt.Errorf("start %s: %w", c.Argv[0], err)}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	timeout := c.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res RunResult
	select {
	case err := <-done:
		// Whatever the command left behind in its group goes too.
		_ = killGroup(cmd)
		return finish(res, err, cmd)
	case <-timer.C:
		res.TimedOut = true
	case <-ctx.Done():
		res.Err = ctx.Err()
	}
	if c.Interrupt && res.Err == nil {
		_ = interruptGroup(cmd)
		select {
		case err := <-done:
			_ = killGroup(cmd)
			return finish(res, err, cmd)
		case <-time.After(grace):
		}
	}
	_ = killGroup(cmd)
	select {
	case err := <-done:
		return finish(res, err, cmd)
	case <-time.After(grace):
		res.Abandoned = true
		res.ExitCode = -1
		if res.Err == nil {
			res.Err = fmt.Errorf("%s did not exit after SIGKILL within %s (uninterruptible sleep?); abandoned", c.Argv[0], grace)
		}
		return res
	}
}

// finish fills the exit status from Wait's error.
func finish(res RunResult, err error, cmd *exec.Cmd) RunResult {
	res.ExitCode = -1
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	var ee *exec.ExitError
	switch {
	case err == nil, errors.As(err, &ee):
	case errors.Is(err, exec.ErrWaitDelay):
		if res.Err == nil {
			res.Err = errors.New("output pipe held open by a leftover child; closed")
		}
	default:
		if res.Err == nil {
			res.Err = err
		}
	}
	if res.TimedOut {
		res.ExitCode = -1
	}
	return res
}
