package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/internal/archivetest"
)

// The exit codes of issue 13: an analysis that did not see the whole
// bundle exits 4 unless a finding reaches --fail-on (1 wins); every report
// format leads with "Incomplete analysis" and never gives a bare all-clear.
func TestIncompleteExitCodes(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	whole := archivetest.Build(t, busyBundle, "tar.gz")
	full := archivetest.Write(t, "whole.tar.gz", whole)
	half := archivetest.Write(t, "half.tar.gz", whole[:len(whole)/2])
	odd := t.TempDir()
	for name, body := range map[string]string{"notes.txt": "it hangs\n", "data.csv": "a,b\n1,2\n"} {
		if err := os.WriteFile(filepath.Join(odd, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"whole archive, finding reaches --fail-on", []string{"analyze", full, "--fail-on", "high"}, exitFindings},
		{"whole archive, complete, no --fail-on", []string{"analyze", full}, exitOK},
		{"half archive, --fail-on high", []string{"analyze", half, "--fail-on", "high"}, exitIncomplete},
		{"half archive, --fail-on info still finds nothing", []string{"analyze", half, "--fail-on", "info"}, exitIncomplete},
		{"unrecognized files", []string{"analyze", odd}, exitIncomplete},
		{"half archive, markdown", []string{"analyze", half, "--format", "markdown"}, exitIncomplete},
		{"half archive, html", []string{"analyze", half, "--format", "html"}, exitIncomplete},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := triage(t, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if tc.code != exitIncomplete {
				return
			}
			if !strings.Contains(stderr, "incomplete analysis") {
				t.Errorf("stderr does not say the analysis is incomplete: %s", stderr)
			}
			at := strings.Index(stdout, "Incomplete analysis")
			if at < 0 || at > strings.Index(stdout, "Bundle") {
				t.Errorf("the report does not lead with \"Incomplete analysis\":\n%.600s", stdout)
			}
			for _, l := range strings.Split(stdout, "\n") {
				l = strings.Trim(strings.TrimSpace(l), "*<>/p")
				if l == "No known problems found." || strings.HasSuffix(l, `class="ok">No known problems found.`) {
					t.Errorf("a bare all-clear in an incomplete report: %q", l)
				}
			}
			if !strings.Contains(stdout, "What this analysis could not see") {
				t.Errorf("no \"What this analysis could not see\" section")
			}
		})
	}
}

// The JSON report of half an archive: complete false, an archive reason,
// and gde.guardpoint-busy not evaluated.
func TestIncompleteJSON(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	whole := archivetest.Build(t, busyBundle, "tar.gz")
	half := archivetest.Write(t, "half.tar.gz", whole[:len(whole)/2])
	code, stdout, stderr := triage(t, nil, "analyze", half, "--format", "json", "--fail-on", "high")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d: %s", code, exitIncomplete, stderr)
	}
	var doc struct {
		Summary struct {
			Complete   *bool `json:"complete"`
			Incomplete []struct {
				Kind, Path, RuleID, Message string
			} `json:"incomplete"`
		} `json:"summary"`
		Coverage []struct {
			RuleID string `json:"rule_id"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Complete == nil || *doc.Summary.Complete {
		t.Fatalf("summary.complete is %v, want false", doc.Summary.Complete)
	}
	if len(doc.Summary.Incomplete) == 0 || doc.Summary.Incomplete[0].Kind != "archive" {
		t.Errorf("summary.incomplete %+v: want an archive reason first", doc.Summary.Incomplete)
	}
	found := false
	for _, c := range doc.Coverage {
		if c.RuleID == "gde.guardpoint-busy" {
			found = c.Status == "not_evaluated" && c.Reason != ""
		}
	}
	if !found {
		t.Errorf("gde.guardpoint-busy is not reported not_evaluated with a reason: %+v", doc.Coverage)
	}
}
