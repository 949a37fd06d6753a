//go:build unix

package collect

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo uses the mkfifo program, which every Unix has (syscall.Mkfifo
// does not exist on AIX).
func mkfifo(p string) error { return exec.Command("mkfifo", p).Run() }

// gone reports whether a process no longer runs: it does not exist, or it
// is a zombie waiting for a parent that does not reap (holding nothing).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) != nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// TestHangingCommandKilledWithItsGroup runs a script that starts a child
// which sleeps and then sleeps itself: at the timeout both must be killed,
// and the record must say so.
func TestHangingCommandKilledWithItsGroup(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	script := filepath.Join(dir, "hang.sh")
	body := "#!/bin/sh\nsleep 300 &\necho \"$$ $!\" > " + pids + "\necho started\nsleep 300\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{Runner: ExecRunner{Grace: 2 * time.Second}}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	spool := c.command(context.Background(), "x/hang", []string{script}, cmdOpts{timeout: 500 * time.Millisecond})
	r := c.recs[0]
	if !r.TimedOut || r.ExitCode == nil || *r.ExitCode != -1 || !strings.Contains(r.Error, "process group killed") {
		t.Errorf("record of a hanging command: %+v", r)
	}
	if out, _ := os.ReadFile(spool); string(out) != "started\n" {
		t.Errorf("output before the kill not kept: %q", out)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatalf("the script never ran: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		t.Fatalf("pids file: %q", b)
	}
	for _, s := range f {
		pid, _ := strconv.Atoi(s)
		deadline := time.Now().Add(5 * time.Second)
		for !gone(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !gone(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d of the group survived the timeout", pid)
		}
	}
}

// TestInterruptStopsStraceLikeCommand: a command expected to run until its
// timeout (strace) is stopped with SIGINT, which it may catch to finish
// cleanly; the record is not an error.
func TestInterruptStopsStraceLikeCommand(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "trace.sh")
	body := "#!/bin/sh\ntrap 'echo detached; exit 0' INT\necho tracing\nwhile :; do sleep 0.05; done\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{Runner: ExecRunner{Grace: 3 * time.Second}}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	spool := c.command(context.Background(), "x/trace.out", []string{script}, cmdOpts{timeout: 300 * time.Millisecond, interrupt: true})
	r := c.recs[0]
	if r.Error != "" || r.TimedOut || !strings.Contains(r.Note, "as planned") {
		t.Errorf("record: %+v", r)
	}
	if out, _ := os.ReadFile(spool); !strings.Contains(string(out), "detached") {
		t.Errorf("SIGINT handler did not run: %q", out)
	}
}

// TestStraceDetachesAndLeavesTraceeAlive traces a sleeping child for a
// moment: the trace is kept, the stop is not an error, and the traced
// process lives on.
func TestStraceDetachesAndLeavesTraceeAlive(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("SKIP: strace is not installed (Debian package strace)")
	}
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	o := Options{StracePID: child.Process.Pid, StraceDuration: 500 * time.Millisecond}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	c.strace(context.Background())
	r := c.recs[0]
	out, _ := os.ReadFile(c.files[0].spool)
	if strings.Contains(string(out), "Operation not permitted") {
		t.Skipf("SKIP: ptrace is not permitted here: %s", out)
	}
	if r.Error != "" || !strings.Contains(r.Note, "as planned") || !strings.HasSuffix(r.Path, ".out") {
		t.Errorf("record: %+v", r)
	}
	if !strings.Contains(string(out), "attached") {
		t.Errorf("no trace: %q", out)
	}
	if gone(child.Process.Pid) {
		t.Errorf("the traced process died")
	}
}
