package report_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/synth"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

// maxFindingLines is issue 12's bound on the text report of one busy
// guard point's finding.
const maxFindingLines = 60

// TestBusyGuardPointFindingFitsAScreen: on the harness's "lsof15" shape (a
// 15 MB lsof, 150,000 rows inside the guard point from 800 processes) the
// text report's block of gde.guardpoint-busy is at most 60 lines at the
// default width and still says what was found, how much, and what to do;
// --verbose adds the rest of the article. Every shipped rule runs, so the
// bundle is the one the issue describes.
func TestBusyGuardPointFindingFitsAScreen(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and analyzes a 15 MB bundle; skipped with -short")
	}
	spec, err := synth.Shape("lsof15", 0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lsof15.tar")
	if err := synth.WriteFile(path, spec); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadSet(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := analyze.Run(context.Background(), path, analyze.Options{Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		verbose bool
		want    []string
		wantNot []string
	}{
		{false,
			[]string{"Counts:", "descriptors: 150,001", "more (150,002 evidence lines in all", "Summary:", "Resolution:",
				"1. Stop the applications", "`triage rules show gde.guardpoint-busy` or --verbose"},
			[]string{"Cause:", "Diagnosis:", "Symptoms:"}},
		{true,
			[]string{"Symptoms:", "Cause:", "Diagnosis:", "Resolution:", "Caveats:"},
			[]string{"`triage rules show gde.guardpoint-busy` or --verbose"}},
	} {
		var text bytes.Buffer
		if err := report.Text(&text, res, report.TextOptions{Verbose: tc.verbose}); err != nil {
			t.Fatal(err)
		}
		block := findingBlock(text.String(), "gde.guardpoint-busy")
		if block == nil {
			t.Fatalf("verbose=%v: no gde.guardpoint-busy finding in the text report:\n%s", tc.verbose, text.String())
		}
		joined := strings.Join(block, "\n")
		if !tc.verbose && len(block) > maxFindingLines {
			t.Errorf("the finding takes %d lines, want at most %d:\n%s", len(block), maxFindingLines, joined)
		}
		for _, w := range tc.want {
			if !strings.Contains(joined, w) {
				t.Errorf("verbose=%v: the finding lacks %q:\n%s", tc.verbose, w, joined)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(joined, w) {
				t.Errorf("verbose=%v: the finding has %q:\n%s", tc.verbose, w, joined)
			}
		}
	}
}

// findingBlock returns the lines of the text report's section of the
// finding of rule id: from its "[n] SEVERITY title" line up to the next
// finding or section heading, without trailing blank lines.
func findingBlock(text, id string) []string {
	lines := strings.Split(text, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "    Rule: "+id) && i > 0 && strings.HasPrefix(lines[i-1], "[") {
			start = i - 1
			break
		}
	}
	if start < 0 {
		return nil
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "[") || strings.HasPrefix(l, "─") {
			end = i
			if strings.HasPrefix(l, "─") {
				end-- // the heading's title line
			}
			break
		}
	}
	for end > start && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	return lines[start:end]
}
