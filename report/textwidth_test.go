package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fsagent/triage/rules"
)

// tableLines returns the lines of the findings table in a text report.
func tableLines(t *testing.T, out string) []string {
	t.Helper()
	start := strings.Index(out, "┌")
	end := strings.Index(out, "┘")
	if start < 0 || end < 0 {
		t.Fatalf("no findings table in:\n%s", out)
	}
	return strings.Split(out[start:end+len("┘")], "\n")
}

// The findings table fits the width it is given, from a narrow terminal
// to a wide one, and gives the title enough room that the longest title
// of the busy-host fixture needs at most two lines at 100 columns and one
// at 120.
func TestFindingsTableFitsWidth(t *testing.T) {
	cases := []struct {
		width         int
		maxTitleLines int
	}{
		{60, 4},
		{80, 3},
		{100, 2},
		{120, 1},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := Text(&b, busyHost(), TextOptions{Width: c.width, Tool: testTool}); err != nil {
			t.Fatal(err)
		}
		lines := tableLines(t, b.String())
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > c.width {
				t.Errorf("width %d: table line is %d columns: %q", c.width, n, l)
			}
		}
		// Rows start with "│ N │"; count the lines of the row whose title
		// is the longest.
		rowLines, maxRow := 0, 0
		for _, l := range lines[3 : len(lines)-1] {
			if !strings.HasPrefix(l, "│   │") {
				rowLines = 0
			}
			rowLines++
			maxRow = max(maxRow, rowLines)
		}
		if maxRow > c.maxTitleLines && maxRow > 2 {
			t.Errorf("width %d: a finding row takes %d lines, want at most %d:\n%s",
				c.width, maxRow, c.maxTitleLines, strings.Join(lines, "\n"))
		}
		// Rule ids are printed whole whatever the width: --explain and
		// --skip need them.
		for _, f := range busyHost().Findings {
			if !strings.Contains(strings.Join(lines, "\n"), f.RuleID) {
				t.Errorf("width %d: rule id %s missing or cut in the table", c.width, f.RuleID)
			}
		}
	}
}

// Titles wrap inside the title column only: at 120 columns every title of
// the fixture is on one line.
func TestFindingsTableTitleWhole(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, busyHost(), TextOptions{Width: 120, Tool: testTool}); err != nil {
		t.Fatal(err)
	}
	table := strings.Join(tableLines(t, b.String()), "\n")
	for _, f := range busyHost().Findings {
		if !strings.Contains(table, f.Title) {
			t.Errorf("title %q is wrapped at 120 columns:\n%s", f.Title, table)
		}
	}
}

// A subject longer than its column keeps its end behind an ellipsis in the
// table, and is printed whole in the finding's own section.
func TestFindingsTableLongSubject(t *testing.T) {
	r := busyHost()
	long := "/data/" + strings.Repeat("very-long-directory-name/", 4) + "leaf"
	r.Findings = []rules.Finding{r.Findings[0]}
	r.Findings[0].Subject = long
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{Width: 100, Tool: testTool}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	table := strings.Join(tableLines(t, out), "\n")
	if strings.Contains(table, long) || !strings.Contains(table, "…") || !strings.Contains(table, "name/leaf") {
		t.Errorf("long subject not shortened from the left in the table:\n%s", table)
	}
	if !strings.Contains(out, "Subject: "+long) {
		t.Errorf("the finding's section does not print the whole subject")
	}
}

func TestEllipsize(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"/a/b/c/d/e/f", 6, "…d/e/f"},
		{"αβγδεζ", 4, "…δεζ"},
		{"abc", 1, "abc"},
	}
	for _, c := range cases {
		if got := ellipsize(c.in, c.n); got != c.want {
			t.Errorf("ellipsize(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
