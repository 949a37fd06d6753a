package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// triage runs the real command in a child process (see TestMain) and
// returns its exit code, stdout and stderr.
func triage(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "TRIAGE_RUN_MAIN=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running triage: %v", err)
	}
	return code, out.String(), errb.String()
}

const busyBundle = "../../testdata/bundles/gde-busy-flat"

func TestAnalyzeExitCodes(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring expected on stdout
		stderr   string // substring expected on stderr
		noStdout bool
	}{
		{"text report", []string{"analyze", busyBundle}, 0, "gde.guardpoint-busy", "", false},
		{"json report", []string{"analyze", busyBundle, "--format", "json"}, 0, `"schema_version"`, "", false},
		{"markdown report", []string{"analyze", busyBundle, "--format", "markdown"}, 0, "## Summary", "", false},
		{"html report", []string{"analyze", busyBundle, "--format", "html"}, 0, "<!DOCTYPE html>", "", false},
		{"fail-on below the finding", []string{"analyze", busyBundle, "--fail-on", "info", "--format", "json"}, 1, `"rule_id": "gde.guardpoint-busy"`, "", false},
		{"fail-on above the finding", []string{"analyze", busyBundle, "--fail-on", "critical", "--only", "gde.guardpoint-busy"}, 0, "gde.guardpoint-busy", "", false},
		{"bad format", []string{"analyze", busyBundle, "--format", "pdf"}, 2, "", "--format", true},
		{"bad severity", []string{"analyze", busyBundle, "--fail-on", "urgent"}, 2, "", "--fail-on", true},
		{"no bundle argument", []string{"analyze"}, 2, "", "needs a BUNDLE", true},
		{"missing bundle", []string{"analyze", "/nonexistent/bundle.tar.gz"}, 3, "", "/nonexistent/bundle.tar.gz", true},
		{"unknown rule to explain", []string{"analyze", busyBundle, "--explain", "no.such-rule"}, 2, "", "no.such-rule", true},
		{"explain", []string{"analyze", busyBundle, "--explain", "gde.guardpoint-busy"}, 0, "gde.guardpoint-busy", "", false},
		{"explain as json", []string{"analyze", busyBundle, "--explain", "gde.guardpoint-busy", "--format", "json"}, 0, `"rule_id": "gde.guardpoint-busy"`, "", false},
		{"explain refuses markdown", []string{"analyze", busyBundle, "--explain", "gde.guardpoint-busy", "--format", "markdown"}, 2, "", "--explain writes text or json", true},
		{"evidence cap", []string{"analyze", busyBundle, "--evidence", "1", "--only", "gde.guardpoint-busy"}, 0, "... and ", "", false},
		{"bad evidence cap", []string{"analyze", busyBundle, "--evidence", "none"}, 2, "", "--evidence", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := triage(t, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%.1500s", tc.stdout, stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q: %s", tc.stderr, stderr)
			}
			if tc.noStdout && stdout != "" {
				t.Errorf("an error run wrote a report: %.300s", stdout)
			}
			if tc.code >= 2 && strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
				t.Errorf("the error should be one clear sentence, got:\n%s", stderr)
			}
		})
	}
}

func TestAnalyzeOutFile(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := triage(t, nil, "analyze", busyBundle, "--format", "json", "--out", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion string `json:"schema_version"`
		Findings      []struct {
			RuleID string `json:"rule_id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.SchemaVersion == "" || len(doc.Findings) == 0 {
		t.Fatalf("report file is not a JSON report with findings (%v): %.300s", err, b)
	}
	if !strings.Contains(stderr, out) {
		t.Errorf("stderr does not say where the report went: %s", stderr)
	}
	// An unwritable destination is reported, and leaves nothing behind.
	code, _, stderr = triage(t, nil, "analyze", busyBundle, "--out", "/nonexistent-dir/r.txt")
	if code == 0 || !strings.Contains(stderr, "/nonexistent-dir/r.txt") {
		t.Errorf("writing to a missing directory: exit %d, stderr %s", code, stderr)
	}
}

// TestAnalyzeNoColorWhenRedirected: stdout is a pipe here, so the text
// report must hold no escape codes even without NO_COLOR.
func TestAnalyzeNoColorWhenRedirected(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	_, stdout, _ := triage(t, nil, "analyze", busyBundle)
	if strings.Contains(stdout, "\x1b") {
		t.Error("text report to a pipe holds escape codes")
	}
}

func TestParseFailOn(t *testing.T) {
	for _, s := range []string{"", "never", "NONE"} {
		if _, ok, err := parseFailOn(s); ok || err != nil {
			t.Errorf("parseFailOn(%q) = %v, %v; want never", s, ok, err)
		}
	}
	if sev, ok, err := parseFailOn("High"); !ok || err != nil || sev.String() != "high" {
		t.Errorf("parseFailOn(High) = %v %v %v", sev, ok, err)
	}
	if _, _, err := parseFailOn("urgent"); err == nil {
		t.Error("parseFailOn(urgent) accepted")
	}
}

// TestOutToDeviceWritesInPlace guards against replacing a device with a
// regular file: --out /dev/null must leave /dev/null a device.
func TestOutToDeviceWritesInPlace(t *testing.T) {
	st, err := os.Stat(os.DevNull)
	if err != nil || st.Mode().IsRegular() {
		t.Skipf("SKIP: %s is not a device on this machine", os.DevNull)
	}
	cmd := triageCmd("analyze", "../../testdata/sample-bundle", "--format", "json", "--out", os.DevNull)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("analyze --out %s: %v\n%s", os.DevNull, err, out)
	}
	after, err := os.Stat(os.DevNull)
	if err != nil || after.Mode().IsRegular() || after.Mode()&os.ModeDevice == 0 {
		t.Fatalf("%s is no longer a device after --out: mode %v", os.DevNull, after.Mode())
	}
}

// TestEmptyBundleIsNotAnAllClear: a bundle with no readable file must not
// exit 0 as if the host were healthy.
func TestEmptyBundleIsNotAnAllClear(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc/passwd", dir+"/lsof.out"); err != nil {
		t.Fatal(err)
	}
	cmd := triageCmd("analyze", dir)
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitUnreadable {
		t.Fatalf("exit %d (err %v), want %d:\n%s", code, err, exitUnreadable, out)
	}
	if !strings.Contains(string(out), "no artifacts found, so nothing was analyzed") {
		t.Fatalf("output does not say nothing was analyzed:\n%s", out)
	}
}

// TestEmptyBundleExplainIsNotAnAllClear: --explain on a bundle with no
// readable file prints the explanation but, like the report, exits 3, so
// that "the rule did not fire" is not taken as a verdict on the host.
func TestEmptyBundleExplainIsNotAnAllClear(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/etc/passwd", dir+"/lsof.out"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := triage(t, nil, "analyze", dir, "--explain", "gde.guardpoint-busy")
	if code != exitUnreadable {
		t.Fatalf("exit %d, want %d:\n%s%s", code, exitUnreadable, stdout, stderr)
	}
	if !strings.Contains(stdout, "rule gde.guardpoint-busy") {
		t.Errorf("the explanation is missing from stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "no artifacts found, so nothing was analyzed") {
		t.Errorf("stderr does not say nothing was analyzed:\n%s", stderr)
	}
}

// TestReportWriteFailure: a report that cannot be written (a full disk)
// is not an all-clear and not a command-line mistake: the run fails with
// the write error and does not send the user to --help.
func TestReportWriteFailure(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("SKIPPED LOUDLY: /dev/full is needed to simulate a full disk: %v", err)
	}
	code, _, stderr := triage(t, nil, "analyze", busyBundle, "--out", "/dev/full")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d:\n%s", code, exitUsage, stderr)
	}
	if !strings.Contains(stderr, "no space left on device") {
		t.Errorf("stderr does not give the write error:\n%s", stderr)
	}
	if strings.Contains(stderr, "--help") {
		t.Errorf("a write failure is not a usage mistake, yet stderr points at --help:\n%s", stderr)
	}
}

// TestExplainEscapesBundleText: --explain prints subjects and values taken
// from the bundle, so it holds the reports' promise: a bidirectional
// override in a mount path is shown as a visible escape, never as the
// character that would reorder the terminal line.
func TestExplainEscapesBundleText(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mount"), []byte("/data\u202eevil on /data\u202eevil type secfs2 (rw)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := triage(t, nil, "analyze", dir, "--explain", "gde.guardpoint-busy")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if strings.Contains(stdout, "\u202e") {
		t.Errorf("a raw bidirectional override reached the terminal:\n%q", stdout)
	}
	if !strings.Contains(stdout, `item /data\u202eevil`) {
		t.Errorf("the subject is not shown with its override made visible:\n%s", stdout)
	}
}

// TestExplainOnTruncatedBundleExitsIncomplete: --explain on the first half
// of an archive exits 4 in every format it writes, as the report does, so
// "the rule did not fire" on half a bundle is never read as a verdict.
func TestExplainOnTruncatedBundleExitsIncomplete(t *testing.T) {
	var tgz bytes.Buffer
	tar := exec.Command("tar", "--sort=name", "-czf", "-", "-C", filepath.Dir(busyBundle), filepath.Base(busyBundle))
	tar.Stdout = &tgz
	if err := tar.Run(); err != nil {
		t.Skipf("SKIPPED LOUDLY: GNU tar is needed to pack the scenario bundle: %v", err)
	}
	half := filepath.Join(t.TempDir(), "half.tar.gz")
	if err := os.WriteFile(half, tgz.Bytes()[:tgz.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		code, stdout, stderr := triage(t, nil, "analyze", half, "--explain", "gde.guardpoint-busy", "--format", format)
		if code != exitIncomplete {
			t.Errorf("%s: exit %d, want %d:\n%s%s", format, code, exitIncomplete, stdout, stderr)
		}
		if !strings.Contains(stdout, "gde.guardpoint-busy") || !strings.Contains(stderr, "incomplete analysis") {
			t.Errorf("%s: want the explanation on stdout and the incomplete verdict on stderr:\n%s%s", format, stdout, stderr)
		}
	}
}
