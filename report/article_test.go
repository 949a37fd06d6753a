package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// loadRule loads one rule from YAML text through the real loader.
func loadRule(t *testing.T, text string) *rules.Rule {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set.Rules()[0]
}

// A rule from a --rules directory is text from anywhere: `rules show`
// escapes it as the reports escape bundle text.
func TestArticleEscapes(t *testing.T) {
	r := loadRule(t, "id: test.escape\ntitle: \"Red \\e[31malert\\u202e\"\nseverity: low\n"+
		"summary: \"clears \\e[2J the screen\"\nsymptoms: [\"bell \\a here\"]\nwhen: \"true\"\nmessage: m\n")
	var b bytes.Buffer
	if err := Article(&b, r, 0); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\a\u202e") {
		t.Errorf("a raw control character reached the article:\n%q", out)
	}
	for _, want := range []string{`Red \x1b[31malert\u202e`, `clears \x1b[2J the screen`, `- bell \x07 here`} {
		if !strings.Contains(out, want) {
			t.Errorf("article lacks %q:\n%s", want, out)
		}
	}
}

// Prose wraps at display columns, not bytes or runes: a line of wide
// characters is cut at half as many of them, and no line of prose is
// wider than asked.
func TestArticleWrapsByDisplayWidth(t *testing.T) {
	wide := strings.Repeat("漢字 ", 40) // 40 words of 4 columns each
	r := loadRule(t, "id: test.wide\ntitle: 警告 wide title\nseverity: low\nsummary: \""+wide+"\"\n"+
		"resolution: [\""+wide+"\"]\nwhen: \"true\"\nmessage: m\n")
	for _, width := range []int{40, 60, 78} {
		var b bytes.Buffer
		if err := Article(&b, r, width); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(b.String(), "\n")
		wrapped := 0
		for _, l := range lines {
			if !strings.Contains(l, "漢字") {
				continue
			}
			wrapped++
			if twwidth.Width(l) > width {
				t.Errorf("width %d: line of %d columns: %q", width, twwidth.Width(l), l)
			}
		}
		// 40 words × 5 columns (with the space) need at least 200/width lines
		// per paragraph; counting runes would give about half as many.
		if min := 2 * (200 / width); wrapped < min {
			t.Errorf("width %d: wide prose on %d lines, want at least %d", width, wrapped, min)
		}
		if !strings.Contains(b.String(), "警告 wide title\n"+strings.Repeat("=", twwidth.Width("警告 wide title"))+"\n") {
			t.Errorf("width %d: the title's underline does not match its display width:\n%s", width, b.String())
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]string{"text": "text", "JSON": "json", "md": "markdown", " Markdown ": "markdown", "html": "html"} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("pdf"); err == nil || !strings.Contains(err.Error(), "text, json, markdown, html") {
		t.Errorf("ParseFormat(pdf): %v", err)
	}
}

// Write dispatches to each format's renderer: the output is the same as
// calling that renderer directly.
func TestWriteDispatches(t *testing.T) {
	res := busyHost()
	direct := map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return Text(b, res, TextOptions{Tool: testTool}) },
		"json":     func(b *bytes.Buffer) error { return JSON(b, res, WithTool(testTool.Name, testTool.Version)) },
		"markdown": func(b *bytes.Buffer) error { return Markdown(b, res, WithTool(testTool.Name, testTool.Version)) },
		"html":     func(b *bytes.Buffer) error { return HTML(b, res, WithTool(testTool.Name, testTool.Version)) },
	}
	for _, f := range Formats {
		var got, want bytes.Buffer
		if err := Write(&got, f, res, TextOptions{Tool: testTool}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := direct[f](&want); err != nil {
			t.Fatal(err)
		}
		if got.Len() == 0 || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("Write(%s) differs from the %s renderer", f, f)
		}
	}
	if err := Write(&bytes.Buffer{}, "pdf", &analyze.Result{}, TextOptions{}); err == nil {
		t.Error("Write accepted an unknown format")
	}
}

// The article says which artifact kinds the rule needs, so a reader knows
// what to ask the customer for when the report says it was not evaluated.
func TestArticleNamesNeeds(t *testing.T) {
	r := loadRule(t, "id: test.needs\ntitle: t\nseverity: low\nneeds: [[mount, df], lsof]\nwhen: \"true\"\nmessage: m\n")
	var b bytes.Buffer
	if err := Article(&b, r, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Needs:    mount or df; lsof\n") {
		t.Errorf("article lacks the needs line:\n%s", b.String())
	}
}
