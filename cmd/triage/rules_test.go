package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRulesLintBroken(t *testing.T) {
	code, out, errOut := triage(t, nil, "rules", "lint", "../../rules/testdata/broken")
	if code != exitFindings {
		t.Errorf("exit %d, want 1", code)
	}
	// The closing message counts the problems and says what to do.
	if want := "triage: 14 problems in the rule files; fix each file:line:col listed above and run the lint again\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	// One line per problem (14 broken files, one problem each), each
	// file:line:col: message.
	pos := regexp.MustCompile(`^\.\./\.\./rules/testdata/broken/[a-z-]+\.yaml:\d+:\d+: \S`)
	if len(lines) != 14 {
		t.Errorf("%d lines, want 14:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !pos.MatchString(l) {
			t.Errorf("not file:line:col: message: %q", l)
		}
	}
	if lines[0] != "../../rules/testdata/broken/bad-expr.yaml:5:11: when: unknown name OpenFilesUnderr (did you mean OpenFilesUnder?)" {
		t.Errorf("first line %q", lines[0])
	}
}

func TestRulesLintGood(t *testing.T) {
	code, out, errOut := triage(t, nil, "rules", "lint", "../../rules/testdata/good")
	if code != 0 || out != "7 rules OK\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestRulesUsage(t *testing.T) {
	for _, args := range [][]string{{"rules"}, {"rules", "show"}, {"rules", "show", "no.such-rule"}, {"rules", "lint", "a", "b"}, {"rules", "bogus"}} {
		if code, _, _ := triage(t, nil, args...); code != exitUsage {
			t.Errorf("triage %v: exit %d, want 2", args, code)
		}
	}
}

func TestRulesShowAndList(t *testing.T) {
	code, out, errOut := triage(t, nil, "rules", "show", "--rules", "../../rules/testdata/good", "test.guardpoint-busy")
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Processes hold files inside a guard point\n====", "Rule:     test.guardpoint-busy",
		"Severity: high", "Summary\n-------\nThe agent cannot unload", "Resolution\n----------\n1. Stop the processes",
		"fires when: len(open) + len(users) > 0", "tests: 1 case(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = triage(t, nil, "rules", "list", "--rules", "../../rules/testdata/good")
	if !regexp.MustCompile(`test\.slab-growth\s+│\s+low\s+│\s+A slab cache grows steadily`).MatchString(out) {
		t.Errorf("list output:\n%s", out)
	}
	// list exits 1 exactly when some rule file did not load, and says which.
	if (code == exitFindings) != strings.Contains(errOut, ".yaml:") || (code != 0 && code != exitFindings) {
		t.Errorf("list: exit %d with stderr %q", code, errOut)
	}
}

func TestRulesTestRealPipeline(t *testing.T) {
	code, out, errOut := triage(t, nil, "rules", "test", "../../rules/testdata/cli")
	if code != 0 || !strings.HasSuffix(out, "2 passed, 0 failed\n") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, _ = triage(t, nil, "rules", "test", "../../rules/testdata/ruletests")
	if code != exitFindings || !strings.Contains(out, "FAIL test.busy: wrong expectation") {
		t.Errorf("failing cases: exit %d\n%s", code, out)
	}
}

// TestRulesListEscapesTitles: `rules list` holds the promise of
// report.SafeText, so a rule file from a --rules directory cannot send
// terminal escapes through its title.
func TestRulesListEscapesTitles(t *testing.T) {
	dir := t.TempDir()
	rule := "id: test.escape\ntitle: \"Red \\e[31malert\"\nseverity: low\nwhen: \"true\"\nmessage: m\n"
	if err := os.WriteFile(filepath.Join(dir, "escape.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := triage(t, nil, "rules", "list", "--rules", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("a raw escape reached the terminal:\n%q", out)
	}
	if !strings.Contains(out, `Red \x1b[31malert`) {
		t.Errorf("the title is not shown with its escape made visible:\n%s", out)
	}
}
