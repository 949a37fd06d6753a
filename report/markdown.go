package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// Markdown writes the report of r for pasting into a ticket: a summary
// table, one section per finding with its evidence in fenced blocks and the
// numbered resolution, then warnings and rule errors. Text from the bundle
// is escaped so it renders literally: pipes cannot split a table cell and
// backticks cannot close a fence.
func Markdown(w io.Writer, r *analyze.Result, opts ...Option) error {
	c := newConfig(opts)
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	h := host(r)
	findings := sortedFindings(r.Findings)

	name := h.Hostname
	if name == "" {
		name = "unknown host"
	}
	if v := verdictLine(r); v != "" {
		p("> **%s.** Findings below come from what could be read; see *What this analysis could not see*.\n\n", mdText(v))
	}
	p("# Triage report: %s\n\n", mdText(name))
	p("| | |\n|---|---|\n")
	row := func(k, v string) { p("| %s | %s |\n", k, mdCell(v)) }
	row("Bundle", r.Bundle.Path)
	if r.Bundle.SHA256 != "" {
		row("SHA-256", r.Bundle.SHA256)
	}
	row("Format", bundleSize(r.Bundle))
	row("OS", strings.TrimSpace(h.OS+" "+h.Arch))
	row("Kernel", h.Kernel)
	row("Collected", h.CollectedAt)
	row("Artifacts", fmt.Sprintf("%d read, %d other entries not parsed, %d warnings", len(r.Inventory), len(r.Others), warningCount(r)))
	row("Findings", countFindings(r.Findings).String())
	for _, n := range r.RuleNotes {
		row("Rules", n)
	}
	row("Tool", c.tool.Name+" "+c.tool.Version)
	p("\n")

	switch {
	case len(findings) == 0 && !r.Complete():
		p("**No known problems found in what could be read; this is not an all-clear.** Part of the bundle was not read or a rule could not run.\n\n")
	case len(findings) == 0 && len(r.NotEvaluated()) > 0:
		p("**No known problems found.** No rule matched this bundle; the rules under *What this analysis could not see* lacked their inputs, so their problems were not checked.\n\n")
	case len(findings) == 0 && len(r.Coverage) == 0:
		p("**No known problems found.** No rule matched this bundle.\n\n")
	case len(findings) == 0:
		p("**No known problems found.** No rule matched this bundle, and every rule had the artifacts it needs.\n\n")
	default:
		p("## Summary\n\n| # | Severity | Rule | Title | Subject |\n|---:|---|---|---|---|\n")
		for i, f := range findings {
			p("| %d | **%s** | %s | %s | %s |\n", i+1, strings.ToUpper(f.Severity.String()),
				mdCodeCell(f.RuleID), mdCell(f.Title), mdCell(f.Subject))
		}
		p("\n")
		for i, f := range findings {
			mdFinding(b, i+1, f)
		}
	}

	if hasNotSeen(r) {
		p("## What this analysis could not see\n\n%s\n\n", notSeenIntro)
		shown, more := shownReasons(r)
		for _, x := range shown {
			p("- **%s** %s: %s\n", x.Kind, mdCode(reasonLoc(x)), mdText(x.Message))
		}
		if more > 0 {
			p("- +%d more (the JSON report lists them all)\n", more)
		}
		for _, g := range notEvaluatedGroups(r) {
			ids := make([]string, len(g.RuleIDs))
			for i, id := range g.RuleIDs {
				ids[i] = mdCode(id)
			}
			p("- not evaluated %s: %s\n", strings.Join(ids, ", "), mdText(g.Reason))
		}
		p("\n")
	}
	if len(r.Others) > 0 {
		p("## Entries not parsed (%d)\n\n", len(r.Others))
		for _, o := range sortedOthers(r.Others) {
			p("- %s: %s\n", mdCode(o.Path), mdText(otherLine(o)))
		}
		p("\n")
	}
	if ws := allWarnings(r); len(ws) > 0 {
		p("## Warnings (%d)\n\n", len(ws))
		for _, w := range ws {
			p("- %s: %s\n", mdCode(warningLoc(w)), mdText(w.Msg))
		}
		p("\n")
	}
	if len(r.Errors) > 0 {
		p("## Rule errors (%d)\n\nThese rules could not be evaluated; their problems may be present but unreported.\n\n", len(r.Errors))
		for _, e := range r.Errors {
			p("- %s: %s\n", mdCode(e.RuleID), mdText(e.Msg))
		}
		p("\n")
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing the Markdown report: %w", err)
	}
	return nil
}

func mdFinding(b *bufio.Writer, n int, f rules.Finding) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## %d. [%s] %s\n\n", n, strings.ToUpper(f.Severity.String()), mdText(f.Title))
	p("Rule %s", mdCode(f.RuleID))
	if f.Subject != "" {
		p(" · subject %s", mdCode(f.Subject))
	}
	p("\n\n%s\n\n", mdParagraph(f.Message))
	if len(f.Aggregates) > 0 {
		p("**Counts**\n\n")
		for _, a := range f.Aggregates {
			p("- %s\n", mdText(aggregateText(a)))
		}
		p("\n")
	}
	if ev := evidence(f); len(ev) > 0 {
		lines := make([]string, len(ev))
		for i, s := range ev {
			lines[i] = safeText(location(s)) + "  " + safeText(s.Text)
		}
		body := strings.Join(lines, "\n")
		fence := mdFence(body)
		p("**Evidence**\n\n%stext\n%s\n%s\n\n", fence, body, fence)
		if more := evidenceMore(f); more != "" {
			p("%s\n\n", mdText(more))
		}
	}
	if f.Summary != "" {
		p("**Summary.** %s\n\n", mdProse(f.Summary))
	}
	mdList(b, "Symptoms", f.Symptoms, false)
	if f.Cause != "" {
		p("**Cause.** %s\n\n", mdProse(f.Cause))
	}
	mdList(b, "Diagnosis", f.Diagnosis, true)
	mdList(b, "Resolution", f.Resolution, true)
	mdList(b, "Caveats", f.Caveats, false)
	if len(f.References) > 0 {
		p("**References**\n\n")
		for _, ref := range f.References {
			title := mdText(ref.Title)
			if u := refLink(ref); u != "" {
				title = "[" + title + "](<" + strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20").Replace(u) + ">)"
			}
			if ref.Doc != "" {
				title += " (" + mdText(ref.Doc) + ")"
			}
			p("- %s\n", title)
		}
		p("\n")
	}
}

func mdList(b *bufio.Writer, label string, items []string, numbered bool) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "**%s**\n\n", label)
	for i, it := range items {
		mark := "-"
		if numbered {
			mark = fmt.Sprintf("%d.", i+1)
		}
		hang := strings.Repeat(" ", len(mark)+1)
		text := strings.ReplaceAll(mdProse(it), "\n", "\n"+hang)
		fmt.Fprintf(b, "%s %s\n", mark, text)
	}
	b.WriteString("\n")
}

// mdEscaper backslash-escapes the ASCII punctuation that Markdown gives a
// meaning to, so bundle text renders literally. CommonMark allows a
// backslash before any ASCII punctuation.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `#`, `\#`, `~`, `\~`, `&`, `\&`, `!`, `\!`,
)

// mdText escapes one line of text for Markdown prose.
func mdText(s string) string { return mdEscaper.Replace(safeText(s)) }

// mdCell escapes text for a table cell: one line, pipes escaped, and an
// empty cell shown as a dash.
func mdCell(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return mdText(s)
}

// mdParagraph escapes multi-line text, keeping its line breaks as hard
// breaks and making sure no line starts a heading, list or quote.
func mdParagraph(s string) string {
	lines := strings.Split(strings.TrimSpace(safeBlock(s)), "\n")
	for i, l := range lines {
		l = mdEscaper.Replace(strings.ReplaceAll(l, "\t", "    "))
		l = strings.TrimLeft(l, " ")
		// A line starting "1." or "-" or "+" would become a list item.
		if len(l) > 0 && (l[0] == '-' || l[0] == '+' || l[0] == '=') {
			l = `\` + l
		}
		if j := strings.IndexFunc(l, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && (l[j] == '.' || l[j] == ')') {
			l = l[:j] + `\` + l[j:]
		}
		lines[i] = l
	}
	return strings.Join(lines, "  \n")
}

// mdProse is the knowledge-base text of a rule: written by trusted rule
// authors, with code spans for commands, which are kept. Outside code
// spans the characters that would turn plain prose into markup are escaped
// ("fuser -vm <guard point>" would otherwise vanish as an HTML tag, and
// two globs like "fuse*" would italicise the text between them). Line
// breaks become hard breaks.
func mdProse(s string) string {
	lines := strings.Split(strings.TrimSpace(safeBlock(s)), "\n")
	for i, l := range lines {
		l = strings.TrimLeft(strings.ReplaceAll(l, "\t", "    "), " ")
		l = mdOutsideCode(l, mdProseEscaper.Replace)
		if strings.HasPrefix(l, "#") || strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+") {
			l = `\` + l
		}
		lines[i] = l
	}
	return strings.Join(lines, "  \n")
}

var mdProseEscaper = strings.NewReplacer(`\`, `\\`, `<`, `\<`, `>`, `\>`, `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`)

// mdOutsideCode applies esc to the parts of one line that are not inside a
// code span (a backtick run up to the next run of the same length).
func mdOutsideCode(l string, esc func(string) string) string {
	var b strings.Builder
	for l != "" {
		i := strings.IndexByte(l, '`')
		if i < 0 {
			b.WriteString(esc(l))
			break
		}
		b.WriteString(esc(l[:i]))
		n := 0
		for i+n < len(l) && l[i+n] == '`' {
			n++
		}
		ticks := l[i : i+n]
		rest := l[i+n:]
		end := -1
		for j := 0; j < len(rest); {
			k := strings.IndexByte(rest[j:], '`')
			if k < 0 {
				break
			}
			m := 0
			for j+k+m < len(rest) && rest[j+k+m] == '`' {
				m++
			}
			if m == n {
				end = j + k
				break
			}
			j += k + m
		}
		if end < 0 {
			// An unclosed run is literal text: escape it.
			b.WriteString(strings.Repeat("\\`", n))
			l = rest
			continue
		}
		b.WriteString(ticks + rest[:end] + ticks)
		l = rest[end+n:]
	}
	return b.String()
}

// mdCode wraps s in a code span whose backtick run is longer than any run
// inside it, padded with spaces when s starts or ends with a backtick.
func mdCode(s string) string {
	s = safeText(s)
	if s == "" {
		return "—"
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// mdCodeCell is mdCode for a table cell, where a pipe ends the cell even
// inside a code span unless it is escaped (GFM removes the backslash).
func mdCodeCell(s string) string {
	return strings.ReplaceAll(mdCode(s), "|", `\|`)
}

// mdFence returns a code fence longer than any backtick run in body (at
// least three), so the body cannot close it.
func mdFence(body string) string {
	n := longestRun(body, '`') + 1
	if n < 3 {
		n = 3
	}
	return strings.Repeat("`", n)
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			if cur > best {
				best = cur
			}
		} else {
			cur = 0
		}
	}
	return best
}
