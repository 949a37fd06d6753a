package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsagent/triage/batch"
	"github.com/fsagent/triage/internal/synth"
)

func triageCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRIAGE_RUN_MAIN=1")
	return cmd
}

func recordKeys(t *testing.T, p string) string {
	t.Helper()
	recs, err := batch.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		var ids []string
		for _, f := range r.Findings {
			ids = append(ids, f.RuleID)
		}
		sort.Strings(ids)
		out = append(out, fmt.Sprintf("%s %s %s %v", r.Ticket, r.SHA256, r.Status, ids))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func countLines(p string) int {
	b, _ := os.ReadFile(p)
	return bytes.Count(b, []byte("\n"))
}

// TestBatchSurvivesKillAndResumes kills a real `triage batch` process with
// SIGKILL in the middle of a run, resumes it, and checks the results equal
// those of an uninterrupted run.
func TestBatchSurvivesKillAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: -short: the kill-and-resume test runs the command three times")
	}
	const n = 150
	root := t.TempDir()
	if err := synth.WriteTicketArchive(root, n, synth.Spec{LsofLines: 3000, StraceLines: 500, LogLines: 200, SlabSamples: 2}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	full := filepath.Join(dir, "full.jsonl")
	if out, err := triageCmd("batch", root, "--out", full, "--jobs", "2", "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	if got := countLines(full); got != n {
		t.Fatalf("uninterrupted run wrote %d records, want %d", got, n)
	}

	killed := filepath.Join(dir, "killed.jsonl")
	cmd := triageCmd("batch", root, "--out", killed, "--jobs", "1", "--quiet")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for countLines(killed) < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before := countLines(killed)
	if before < 10 || before >= n {
		t.Fatalf("the kill came at %d of %d records; the test needs it mid-run", before, n)
	}
	// Whatever the kill left, every complete line must be a valid record.
	if _, err := batch.ReadFile(killed); err != nil && !errors.Is(err, batch.ErrTornLine) {
		t.Fatalf("killed run left an invalid line: %v", err)
	}

	out, err := triageCmd("batch", root, "--out", killed, "--jobs", "2", "--resume").CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "already recorded") || !strings.Contains(string(out), "gde.guardpoint-busy") {
		t.Errorf("resume output lacks its counts or the per-rule table:\n%s", out)
	}
	if got, want := recordKeys(t, killed), recordKeys(t, full); got != want {
		t.Fatalf("resumed results differ from the uninterrupted run:\n--- resumed\n%s\n--- uninterrupted\n%s", got, want)
	}
	if c := strings.Count(recordKeys(t, full), "gde.guardpoint-busy"); c != n/3 {
		t.Errorf("gde.guardpoint-busy fired in %d bundles, want %d", c, n/3)
	}
}

// TestBatchBadFormatIsAUsageErrorUpFront: an unknown --format is a
// command-line mistake and must stop the run before any bundle is
// analyzed, not after hours of work when the summary is printed.
func TestBatchBadFormatIsAUsageErrorUpFront(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results.jsonl")
	code, _, stderr := triage(t, nil, "batch", busyBundle, "--out", out, "--format", "pdf")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d:\n%s", code, exitUsage, stderr)
	}
	if !strings.Contains(stderr, "--format") {
		t.Errorf("stderr does not name --format:\n%s", stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("bundles were analyzed into %s before the bad --format was reported", out)
	}
}

// TestSummarizeExitCodes checks that summarize exits as batch does over
// the merged records, after --fail-on: a summary that leaves bundles out
// or holds a failed one is never exit 0.
func TestSummarizeExitCodes(t *testing.T) {
	dir := t.TempDir()
	rec := func(ticket, status, sev string) string {
		findings := "[]"
		if sev != "" {
			findings = `[{"rule_id":"kernel.hung-task","severity":"` + sev + `","message":"m"}]`
		}
		return `{"ticket":"` + ticket + `","bundle":"/a/` + ticket + `.tgz","sha256":"` + ticket + `","status":"` + status + `","findings":` + findings + "}\n"
	}
	file := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := file("ok.jsonl", rec("T1", "ok", ""), rec("T2", "ok", "high"))
	partial := file("partial.jsonl", rec("T3", "incomplete", ""))
	failed := file("failed.jsonl", rec("T4", "error", ""))
	torn := file("torn.jsonl", rec("T5", "ok", ""), `{"ticket":"T6","bun`)
	empty := file("empty.jsonl")
	// T3 analyzed again, completely, in a later file: its latest record counts.
	redone := file("redone.jsonl", rec("T3", "ok", ""))
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"all ok", []string{ok}, 0},
		{"an incomplete bundle", []string{ok, partial}, exitIncomplete},
		{"incomplete, then analyzed whole", []string{partial, redone}, 0},
		{"a failed bundle wins over incomplete", []string{ok, partial, failed}, exitUnreadable},
		{"a torn last line", []string{torn}, exitIncomplete},
		{"no bundle at all", []string{empty}, exitUnreadable},
		{"--fail-on high, a high finding", []string{ok, failed, "--fail-on", "high"}, exitFindings},
		{"--fail-on critical, only high", []string{ok, "--fail-on", "critical"}, 0},
		{"--fail-on nonsense", []string{ok, "--fail-on", "loud"}, exitUsage},
		{"a missing file", []string{filepath.Join(dir, "none.jsonl")}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := triage(t, nil, append([]string{"summarize"}, tc.args...)...)
			if code != tc.want {
				t.Errorf("exit %d, want %d:\n%s", code, tc.want, stderr)
			}
		})
	}
}
