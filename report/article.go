package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/fsagent/triage/rules"
)

// ArticleWidth is the column at which Article wraps when given 0: narrow
// enough to paste into a ticket or an e-mail.
const ArticleWidth = 78

// Article writes a rule as a knowledge-base article for people: title,
// summary, symptoms, cause, diagnosis and resolution steps, caveats,
// references, then how the rule detects the problem. Text from the rule
// file is escaped as the reports escape bundle text (a rule may come from
// any --rules directory), and prose wraps at width display columns (0
// means ArticleWidth).
func Article(w io.Writer, r *rules.Rule, width int) error {
	if width <= 0 {
		width = ArticleWidth
	}
	bw := bufio.NewWriter(w)
	title := safeText(r.Title)
	fmt.Fprintf(bw, "%s\n%s\n\n", title, strings.Repeat("=", min(twwidth.Width(title), width)))
	fmt.Fprintf(bw, "Rule:     %s\nSeverity: %s\n", safeText(r.ID), r.Severity)
	if len(r.Tags) > 0 {
		tags := make([]string, len(r.Tags))
		for i, t := range r.Tags {
			tags[i] = safeText(t)
		}
		fmt.Fprintf(bw, "Applies:  %s\n", strings.Join(tags, ", "))
	}
	if len(r.Needs) > 0 {
		groups := make([]string, len(r.Needs))
		for i, g := range r.Needs {
			kinds := make([]string, len(g))
			for j, k := range g {
				kinds[j] = safeText(string(k))
			}
			groups[i] = strings.Join(kinds, " or ")
		}
		fmt.Fprintf(bw, "Needs:    %s\n", strings.Join(groups, "; "))
	}
	fmt.Fprintf(bw, "File:     %s\n", safeText(r.File))
	heading := func(s string) { fmt.Fprintf(bw, "\n%s\n%s\n", s, strings.Repeat("-", len(s))) }
	prose := func(title, text string) {
		if strings.TrimSpace(text) == "" {
			return
		}
		heading(title)
		for _, l := range wrap(safeBlock(strings.TrimSpace(text)), width) {
			fmt.Fprintln(bw, l)
		}
	}
	list := func(title string, items []string, numbered bool) {
		if len(items) == 0 {
			return
		}
		heading(title)
		for i, it := range items {
			mark := "-"
			if numbered {
				mark = fmt.Sprintf("%d.", i+1)
			}
			hang := strings.Repeat(" ", len(mark)+1)
			for j, l := range wrap(safeBlock(strings.TrimSpace(it)), width-len(hang)) {
				switch {
				case j == 0:
					fmt.Fprintln(bw, mark+" "+l)
				case l == "":
					fmt.Fprintln(bw)
				default:
					fmt.Fprintln(bw, hang+l)
				}
			}
		}
	}
	prose("Summary", r.KB.Summary)
	list("Symptoms", r.KB.Symptoms, false)
	prose("Cause", r.KB.Cause)
	list("Diagnosis", r.KB.Diagnosis, true)
	list("Resolution", r.KB.Resolution, true)
	list("Caveats", r.KB.Caveats, false)
	if len(r.KB.References) > 0 {
		var refs []string
		for _, ref := range r.KB.References {
			s := ref.Title
			if ref.URL != "" {
				s += " <" + ref.URL + ">"
			}
			if ref.Doc != "" {
				s += " (" + ref.Doc + ")"
			}
			refs = append(refs, s)
		}
		list("References", refs, false)
	}
	heading("Detection")
	// Expressions are shown as written, escaped.
	expr := func(s string) string { return safeBlock(strings.TrimSpace(s)) }
	if r.ForEach != "" {
		fmt.Fprintf(bw, "for each: %s\n", expr(r.ForEach))
	}
	for _, l := range r.Let {
		fmt.Fprintf(bw, "let %s = %s\n", safeText(l.Name), expr(l.Expr))
	}
	fmt.Fprintf(bw, "fires when: %s\n", expr(r.When))
	for _, e := range r.Evidence {
		fmt.Fprintf(bw, "evidence: %s\n", expr(e))
	}
	for _, lp := range r.Lines {
		fmt.Fprintf(bw, "reads lines of %s matching %s\n", safeText(lp.Files), safeText(lp.Regex.String()))
	}
	if len(r.Tests) > 0 {
		fmt.Fprintf(bw, "tests: %d case(s) (`triage rules test`)\n", len(r.Tests))
	}
	return bw.Flush()
}

// RuleList writes the rules as a table of id, severity and title, escaped
// as Article escapes them.
func RuleList(w io.Writer, rs []*rules.Rule) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header("ID", "SEVERITY", "TITLE")
	for _, r := range rs {
		if err := t.Append(safeText(r.ID), r.Severity.String(), safeText(r.Title)); err != nil {
			return err
		}
	}
	return t.Render()
}
