package main

import (
	"bytes"
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
	// A compression bomb of text, so that reading goes on until the ratio
	// limit stops it.
	bomb := archivetest.Write(t, "dmesg.gz", archivetest.Compress(t, "gz",
		bytes.Repeat([]byte("[    1.000000] all quiet\n"), (32<<20)/25)))
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"compression bomb stopped at --max-ratio", []string{"analyze", bomb, "--max-ratio", "50", "--fail-on", "high"}, exitIncomplete},
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

// A batch over a ticket archive with a truncated bundle records it
// incomplete, lists it in every summary format, and exits 4; a bundle that
// cannot be read at all makes it exit 3.
func TestBatchIncompleteBundle(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	whole := archivetest.Build(t, busyBundle, "tar.xz")
	root := t.TempDir()
	put := func(ticket, name string, data []byte) {
		if err := os.MkdirAll(filepath.Join(root, ticket), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, ticket, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("TS-1", "whole.tar.xz", whole)
	put("TS-2", "half.tar.xz", whole[:len(whole)/2])
	out := filepath.Join(t.TempDir(), "results.jsonl")
	code, stdout, stderr := triage(t, nil, "batch", root, "--out", out, "--jobs", "1")
	if code != exitIncomplete {
		t.Fatalf("batch exit %d, want %d\n%s", code, exitIncomplete, stderr)
	}
	if !strings.Contains(stderr, "1 bundle analyzed only in part") {
		t.Errorf("stderr does not count the incomplete bundle: %s", stderr)
	}
	if !strings.Contains(stdout, "TS-2") {
		t.Errorf("the batch's own summary does not list the incomplete bundle:\n%s", stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var half struct {
		Status     string `json:"status"`
		Incomplete []struct {
			Kind string `json:"kind"`
		} `json:"incomplete"`
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.Contains(line, `"TS-2"`) {
			if err := json.Unmarshal([]byte(line), &half); err != nil {
				t.Fatal(err)
			}
		}
	}
	if half.Status != "incomplete" || len(half.Incomplete) == 0 || half.Incomplete[0].Kind != "archive" {
		t.Fatalf("the truncated bundle's record: %+v, want status incomplete with an archive reason\n%s", half, data)
	}
	for _, format := range []string{"text", "json", "csv", "markdown", "html"} {
		code, stdout, stderr := triage(t, nil, "summarize", out, "--format", format)
		if code != exitIncomplete {
			t.Fatalf("summarize --format %s: exit %d, want %d (a bundle read in part): %s", format, code, exitIncomplete, stderr)
		}
		if !strings.Contains(stdout, "TS-2") || !strings.Contains(stdout, "half.tar.xz") || !strings.Contains(stdout, "incomplete") {
			t.Errorf("summarize --format %s does not list the incomplete bundle:\n%s", format, stdout)
		}
	}

	// Binary junk: a plain-text upload would be read as a one-file bundle.
	put("TS-3", "junk.tar.gz", []byte("\x00\x01not an archive at all\xff"))
	code, _, stderr = triage(t, nil, "batch", root, "--out", out, "--resume", "--quiet")
	if code != exitUnreadable {
		t.Fatalf("batch with a failed bundle: exit %d, want %d\n%s", code, exitUnreadable, stderr)
	}
}

// A shipped rule replaced by a --rules directory's rule of the same id is
// noted in every report format, not only with --verbose.
func TestReplacedRuleNotedInEveryFormat(t *testing.T) {
	if _, err := os.Stat(busyBundle); err != nil {
		t.Skipf("SKIPPED LOUDLY: scenario bundle %s is missing: %v", busyBundle, err)
	}
	src, err := os.ReadFile("../../rules.d/gde.nested-mount.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gde.nested-mount.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json", "markdown", "html"} {
		code, stdout, stderr := triage(t, nil, "analyze", busyBundle, "--rules", dir, "--format", format)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		if !strings.Contains(stdout, "rule gde.nested-mount from ") || !strings.Contains(stdout, "overrides the one from rules.d/gde.nested-mount.yaml") {
			t.Errorf("the %s report does not note the replaced rule:\n%.2000s", format, stdout)
		}
	}
	code, stdout, _ := triage(t, nil, "analyze", busyBundle, "--format", "json")
	if code != 0 || strings.Contains(stdout, "overrides") || !strings.Contains(stdout, `"rule_notes": []`) {
		t.Errorf("a run without --rules notes an override (exit %d)", code)
	}
}
