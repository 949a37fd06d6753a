package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const sampleBundle = "../../testdata/sample-bundle"

// Every usage or read error is one message on stderr that names what was
// wrong and points at the fix, with the contract's exit code.
func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "upload.tar.gz")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "rules")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "x.yaml"), []byte("id: x.bad\ntitle: t\nseverity: high\nmessage: m\nwhen: len(Nope) > 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no bundle", []string{"analyze"}, exitUsage, []string{"analyze needs a BUNDLE", "'triage analyze --help'"}},
		{"two bundles", []string{"inventory", "a", "b"}, exitUsage, []string{"one BUNDLE at a time", "triage batch", "'triage inventory --help'"}},
		{"unknown flag", []string{"facts", "--bogus", sampleBundle}, exitUsage, []string{"unknown flag: --bogus", "'triage facts --help'"}},
		{"missing path", []string{"analyze", filepath.Join(dir, "nope")}, exitUnreadable, []string{"nope", "no such file", "check the path"}},
		{"empty upload analyze", []string{"analyze", empty}, exitUnreadable, []string{"upload.tar.gz", "empty upload", "ask for the bundle again"}},
		{"empty upload inventory", []string{"inventory", empty}, exitUnreadable, []string{"upload.tar.gz", "ask for the bundle again"}},
		{"empty upload facts", []string{"facts", empty}, exitUnreadable, []string{"upload.tar.gz", "ask for the bundle again"}},
		{"bad rule file", []string{"analyze", sampleBundle, "--rules", bad}, exitUsage, []string{"1 problem in the rule files", "x.yaml:5:", "unknown name Nope", "triage rules lint"}},
		{"bad --only", []string{"analyze", sampleBundle, "--only", "no.such"}, exitUsage, []string{`--only: "no.such" matches no rule id`}},
		{"bad --only batch", []string{"batch", sampleBundle, "--out", filepath.Join(dir, "r.jsonl"), "--only", "no.such"}, exitUsage, []string{`--only: "no.such" matches no rule id`}},
		{"unknown kind", []string{"facts", sampleBundle, "--kind", "bogus"}, exitUsage, []string{`unknown --kind "bogus"`, "lsof", "mount", "this bundle has"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := triage(t, nil, c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, c.code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "fix the rule file, or check") {
				t.Errorf("stale double advice in: %s", stderr)
			}
		})
	}
}

// The text report wraps at the terminal's width (COLUMNS stands in for a
// terminal here), within 60..120 columns, and at 100 when piped.
func TestAnalyzeWidth(t *testing.T) {
	cases := []struct {
		columns string
		want    int
	}{
		{"", 100},
		{"80", 80},
		{"120", 120},
		{"300", 120},
		{"20", 60},
	}
	for _, c := range cases {
		env := []string{"COLUMNS=" + c.columns}
		code, out, stderr := triage(t, env, "analyze", sampleBundle)
		if code != 0 {
			t.Fatalf("COLUMNS=%s: exit %d: %s", c.columns, code, stderr)
		}
		widest := 0
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "┌") {
				widest = max(widest, utf8.RuneCountInString(l))
			}
		}
		if widest != c.want {
			t.Errorf("COLUMNS=%q: findings table is %d columns wide, want %d", c.columns, widest, c.want)
		}
	}
}

// Names from the bundle never reach the terminal as raw control bytes in
// inventory's listing, and every warning is listed.
func TestInventoryEscapesNames(t *testing.T) {
	dir := t.TempDir()
	evil := "mount\x1b[31m\x1b]0;pwned\x07"
	if err := os.WriteFile(filepath.Join(dir, evil), []byte("/dev/sda1 on / type ext4 (rw)\n"), 0o644); err != nil {
		t.Skipf("SKIPPED LOUDLY: this filesystem refuses control characters in names: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lsof.out"), []byte("\x00\x01\x02\xff\xfe binary junk \x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := triage(t, []string{"COLUMNS=100"}, "inventory", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.ContainsAny(out, "\x1b\x07\x00") {
		t.Errorf("raw control bytes reached stdout:\n%q", out)
	}
	if !strings.Contains(out, `\x1b`) {
		t.Errorf("the escaped name is not shown:\n%s", out)
	}
	if !strings.Contains(out, "lsof.out") || !strings.Contains(out, "binary") {
		t.Errorf("the binary lsof.out is not reported:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); strings.HasPrefix(l, "│") && n > 100 {
			t.Errorf("inventory row is %d columns at COLUMNS=100: %q", n, l)
		}
	}
}
