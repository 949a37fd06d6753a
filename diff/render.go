package diff

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/fsagent/triage/report"
)

// Formats are the output formats of a comparison.
var Formats = []string{"text", "json", "markdown", "html"}

// ValidFormat reports whether format is one Write knows.
func ValidFormat(format string) bool {
	switch strings.ToLower(format) {
	case "text", "json", "markdown", "md", "html":
		return true
	}
	return false
}

// Write renders r in format (one of Formats; "md" is markdown).
func Write(w io.Writer, format string, r *Result) error {
	switch strings.ToLower(format) {
	case "text", "":
		return Text(w, r)
	case "json":
		return JSON(w, r)
	case "markdown", "md":
		return Markdown(w, r)
	case "html":
		return HTML(w, r)
	}
	return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// JSON writes the comparison as one indented JSON object.
func JSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing the JSON comparison: %w", err)
	}
	return nil
}

func completeness(s Side) string {
	switch {
	case s.Complete == nil:
		return "completeness not stated"
	case *s.Complete:
		return "complete"
	}
	return fmt.Sprintf("INCOMPLETE (%d reason(s))", len(s.Incomplete))
}

func sideLine(s Side) string {
	host := s.Hostname
	if host == "" {
		host = "unknown host"
	}
	return fmt.Sprintf("%s — %s, %d finding(s), %s", report.SafeText(s.Label), report.SafeText(host), s.Findings, completeness(s))
}

// Text writes the comparison for a terminal: counts, then each change
// with the evidence of both sides. Bundle text is escaped.
func Text(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "old: %s\nnew: %s\n\n", sideLine(r.Old), sideLine(r.New))
	fmt.Fprintf(bw, "%d new, %d persisting, %d unverified, %d resolved\n",
		r.Summary.New, r.Summary.Persisting, r.Summary.Unverified, r.Summary.Resolved)
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "note: %s\n", n)
	}
	for _, c := range r.Changes {
		fmt.Fprintf(bw, "\n%-10s %-8s %s", strings.ToUpper(string(c.Status)), c.Severity, report.SafeText(c.RuleID))
		if c.Subject != "" {
			fmt.Fprintf(bw, "  [%s]", report.SafeText(c.Subject))
		}
		fmt.Fprintf(bw, "\n           %s\n", report.SafeText(c.Title))
		if c.Reason != "" {
			fmt.Fprintf(bw, "           why not resolved: %s\n", report.SafeText(c.Reason))
		}
		if c.Old != nil && c.New != nil && c.Old.Severity != c.New.Severity {
			fmt.Fprintf(bw, "           severity: %s -> %s\n", c.Old.Severity, c.New.Severity)
		}
		for _, s := range []struct {
			name string
			f    *report.DocFinding
		}{{"old", c.Old}, {"new", c.New}} {
			if s.f == nil {
				continue
			}
			fmt.Fprintf(bw, "           %s: %s\n", s.name, report.SafeText(s.f.Message))
			for _, e := range s.f.Evidence {
				fmt.Fprintf(bw, "             %s:%d: %s\n", report.SafeText(e.Path), e.Line, report.SafeText(e.Text))
			}
		}
	}
	return bw.Flush()
}

// mdEscape makes bundle text inert in Markdown, also inside a table cell.
var mdEscape = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;",
	"|", `\|`, "#", `\#`, "\n", " ", "\r", " ", "&", "&amp;")

func md(s string) string { return mdEscape.Replace(report.SafeText(s)) }

// Markdown writes the comparison to paste into a ticket.
func Markdown(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## Comparison: %d new, %d persisting, %d unverified, %d resolved\n\n",
		r.Summary.New, r.Summary.Persisting, r.Summary.Unverified, r.Summary.Resolved)
	fmt.Fprintf(bw, "- **old:** %s\n- **new:** %s\n", md(sideLine(r.Old)), md(sideLine(r.New)))
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "- _note:_ %s\n", md(n))
	}
	if len(r.Changes) > 0 {
		fmt.Fprintf(bw, "\n| status | severity | rule | subject | old evidence | new evidence |\n|---|---|---|---|---|---|\n")
	}
	for _, c := range r.Changes {
		status := string(c.Status)
		if c.Reason != "" {
			status += " (" + md(c.Reason) + ")"
		}
		fmt.Fprintf(bw, "| %s | %s | `%s` | %s | %s | %s |\n", status, md(c.Severity),
			strings.ReplaceAll(report.SafeText(c.RuleID), "`", "'"), md(c.Subject), mdEvidence(c.Old), mdEvidence(c.New))
	}
	return bw.Flush()
}

func mdEvidence(f *report.DocFinding) string {
	if f == nil {
		return "—"
	}
	var parts []string
	for _, e := range f.Evidence {
		parts = append(parts, md(fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Text)))
	}
	if len(parts) == 0 {
		return md(f.Message)
	}
	return strings.Join(parts, "<br>")
}

//go:embed diff.html.tmpl
var htmlSource string

var htmlTmpl = template.Must(template.New("diff").Funcs(template.FuncMap{
	"safe":    report.SafeText,
	"upper":   strings.ToUpper,
	"compl":   completeness,
	"sideStr": sideLine,
}).Parse(htmlSource))

// HTML writes the comparison as one self-contained page (no script, no
// request to the network).
func HTML(w io.Writer, r *Result) error {
	return htmlTmpl.ExecuteTemplate(w, "page", r)
}

// HTMLBody writes the comparison's body without the page around it, for a
// server that has its own layout and stylesheet (the classes are those of
// HTMLStyle).
func HTMLBody(w io.Writer, r *Result) error {
	return htmlTmpl.ExecuteTemplate(w, "body", r)
}

// HTMLStyle is the stylesheet HTMLBody's markup expects.
func HTMLStyle() string {
	var b strings.Builder
	_ = htmlTmpl.ExecuteTemplate(&b, "style", nil)
	return b.String()
}
