package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/internal/archivetest"
)

func TestDiffExitCodesAndFormats(t *testing.T) {
	fixed := "../../testdata/bundles/gde-busy-nearmiss"
	dir := t.TempDir()
	oldJSON := filepath.Join(dir, "old.json")
	if code, _, stderr := triage(t, nil, "analyze", busyBundle, "--format", "json", "--out", oldJSON); code != 0 {
		t.Fatalf("analyze: %d %s", code, stderr)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"fixed: resolved, no new", []string{"diff", oldJSON, fixed, "--fail-on", "info"}, 0, "1 resolved", ""},
		{"regressed: new high finding fails", []string{"diff", fixed, busyBundle, "--fail-on", "high"}, exitFindings, "NEW", "1 new finding(s) at or above high"},
		{"below --fail-on", []string{"diff", fixed, busyBundle, "--fail-on", "critical"}, 0, "NEW", ""},
		{"persisting does not fail", []string{"diff", busyBundle, oldJSON, "--fail-on", "info"}, 0, "1 persisting", ""},
		{"markdown", []string{"diff", oldJSON, fixed, "--format", "markdown"}, 0, "## Comparison", ""},
		{"html", []string{"diff", oldJSON, fixed, "--format", "html"}, 0, "<!DOCTYPE html>", ""},
		{"bad format", []string{"diff", oldJSON, fixed, "--format", "yaml"}, exitUsage, "", "unknown --format"},
		{"one argument", []string{"diff", oldJSON}, exitUsage, "", "diff needs OLD and NEW"},
		{"missing path", []string{"diff", oldJSON, filepath.Join(dir, "nope")}, exitUnreadable, "", "nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := triage(t, nil, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %s", code, c.code, stderr)
			}
			if !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
				t.Errorf("stdout lacks %q or stderr lacks %q:\n%s\n%s", c.stdout, c.stderr, stdout, stderr)
			}
		})
	}
	out := filepath.Join(dir, "d.json")
	if code, _, stderr := triage(t, nil, "diff", oldJSON, fixed, "--format", "json", "--out", out); code != 0 {
		t.Fatalf("diff --out: %d %s", code, stderr)
	}
	var doc struct {
		SchemaVersion string `json:"schema_version"`
		Summary       struct{ Resolved int }
	}
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &doc); err != nil || doc.SchemaVersion != "1" || doc.Summary.Resolved != 1 {
		t.Errorf("diff JSON: %v %s", err, b)
	}
}

// A comparison whose new side is incomplete exits 4 like `triage analyze`:
// a finding absent from half a bundle is no all-clear.
func TestDiffIncompleteNewSideExits4(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	whole := archivetest.Build(t, busyBundle, "tar.gz")
	full := archivetest.Write(t, "whole.tar.gz", whole)
	half := archivetest.Write(t, "half.tar.gz", whole[:len(whole)/2])
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"both complete", []string{"diff", full, full}, exitOK},
		{"new incomplete", []string{"diff", full, half}, exitIncomplete},
		{"new incomplete, --fail-on", []string{"diff", full, half, "--fail-on", "info"}, exitIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := triage(t, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if tc.code == exitIncomplete && (!strings.Contains(stderr, "new analysis is incomplete") || !strings.Contains(stdout, "INCOMPLETE")) {
				t.Errorf("the incomplete new side is not stated:\nstdout: %s\nstderr: %s", stdout, stderr)
			}
		})
	}
}
