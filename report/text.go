package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/rules"
)

// TextOptions adjusts the terminal report.
type TextOptions struct {
	// Color adds ANSI colours. The CLI sets it only when stdout is a
	// terminal and NO_COLOR is unset, so redirected output stays plain.
	Color bool
	// Verbose adds the inventory table (every file, its kind and parser)
	// and each finding's whole knowledge-base article. Without it a
	// finding shows its summary, resolution steps and references, and
	// names `triage rules show ID` for the symptoms, cause, diagnosis and
	// caveats, so that a busy host's finding stays one screen long.
	Verbose bool
	// Tool is printed in the header; zero means "triage" and the build
	// version.
	Tool Tool
	// Width is the column at which prose wraps; 0 means 100.
	Width int
}

// ANSI styles used by the text report.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var severityANSI = map[rules.Severity]string{
	rules.Critical: "\x1b[1;97;41m",
	rules.High:     "\x1b[1;31m",
	rules.Medium:   "\x1b[1;33m",
	rules.Low:      "\x1b[36m",
	rules.Info:     "\x1b[2m",
}

// textWriter accumulates output and the first write error, so the
// renderer reads as a straight sequence of lines.
type textWriter struct {
	w     *bufio.Writer
	color bool
	width int
}

func (t *textWriter) style(code, s string) string {
	if !t.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) printf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }
func (t *textWriter) line(s string)                     { t.w.WriteString(s + "\n") }

func (t *textWriter) heading(s string) {
	t.line("")
	t.line(t.style(ansiBold, s))
	t.line(strings.Repeat("─", len([]rune(s))))
}

// Text writes the report of r for a person at a terminal: a header about
// the bundle and host, a table of findings worst first, every finding in
// full with its evidence and remediation, and at the end every warning and
// rule error. Nothing from the bundle reaches the terminal unescaped.
func Text(w io.Writer, r *analyze.Result, opts TextOptions) error {
	tool := opts.Tool
	if tool.Name == "" {
		tool = defaultTool()
	}
	width := opts.Width
	if width <= 0 {
		width = 100
	}
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color, width: width}
	h := host(r)
	findings := sortedFindings(r.Findings)
	cnt := countFindings(r.Findings)

	if v := verdictLine(r); v != "" {
		// Before anything else: what follows is not the whole picture.
		t.line(t.style(ansiBold, safeText(v)))
		t.line("  Findings below come from what could be read; see \"What this analysis could not see\".")
		t.line("")
	}
	t.line(t.style(ansiBold, fmt.Sprintf("%s %s report", tool.Name, tool.Version)))
	kv := func(k, v string) {
		if v == "" {
			v = "unknown"
		}
		t.printf("  %-12s %s\n", k+":", safeText(v))
	}
	kv("Bundle", r.Bundle.Path)
	if r.Bundle.SHA256 != "" {
		kv("SHA-256", r.Bundle.SHA256)
	}
	kv("Format", bundleSize(r.Bundle))
	kv("Host", h.Hostname)
	osName := h.OS
	if h.Arch != "" {
		osName = strings.TrimSpace(osName + " " + h.Arch)
	}
	kv("OS", osName)
	kv("Kernel", h.Kernel)
	kv("Collected", h.CollectedAt)
	arts := fmt.Sprintf("%d read", len(r.Inventory))
	if len(r.Others) > 0 {
		arts += fmt.Sprintf(", %d other entries not parsed", len(r.Others))
		if !opts.Verbose {
			arts += " (--verbose lists them)"
		}
	}
	kv("Artifacts", arts)
	kv("Warnings", strconv.Itoa(warningCount(r)))
	if len(r.Errors) > 0 {
		kv("Rule errors", strconv.Itoa(len(r.Errors)))
	}
	kv("Findings", cnt.String())

	for _, n := range r.RuleNotes {
		kv("Rules", n)
	}

	switch {
	case len(findings) == 0 && !r.Complete():
		t.line("")
		t.line(t.style(ansiBold, "No known problems found in what could be read; this is not an all-clear."))
		t.line("  Part of the bundle was not read or a rule could not run: see below.")
	case len(findings) == 0:
		t.line("")
		t.line(t.style(ansiBold, "No known problems found."))
		switch {
		case len(r.NotEvaluated()) > 0:
			t.line("  No rule matched this bundle; the rules listed under \"What this analysis")
			t.line("  could not see\" lacked their inputs, so their problems were not checked.")
		case len(r.Coverage) == 0:
			t.line("  No rule matched this bundle.")
		default:
			t.line("  No rule matched this bundle, and every rule had the artifacts it needs.")
		}
	default:
		t.heading(fmt.Sprintf("Findings (%d)", len(findings)))
		if err := t.findingsTable(findings); err != nil {
			return err
		}
		for i, f := range findings {
			t.finding(i+1, f, opts.Verbose)
		}
	}

	if hasNotSeen(r) {
		t.heading("What this analysis could not see")
		for _, l := range wrap(notSeenIntro, t.width-2) {
			t.line("  " + l)
		}
		if len(r.Incomplete) > 0 {
			t.line("")
			t.line("  Not read or not run (" + strconv.Itoa(len(r.Incomplete)) + "):")
		}
		shown, more := shownReasons(r)
		for _, x := range shown {
			t.item(x.Kind+" "+reasonLoc(x), x.Message)
		}
		if more > 0 {
			t.line(fmt.Sprintf("  +%d more (the JSON report lists them all)", more))
		}
		if ne := r.NotEvaluated(); len(ne) > 0 {
			t.line("")
			t.line("  Rules not evaluated (" + strconv.Itoa(len(ne)) + "):")
			for _, g := range notEvaluatedGroups(r) {
				t.item(g.IDs(), g.Reason)
			}
		}
	}

	if opts.Verbose {
		t.heading(fmt.Sprintf("Inventory (%d files)", len(r.Inventory)))
		rows := [][]string{}
		for _, a := range sortedInventory(r.Inventory) {
			rows = append(rows, []string{safeText(a.Path), safeText(string(a.Kind)), safeText(a.Parser),
				safeText(a.IdentifiedBy), wording.Bytes(a.Size), strconv.Itoa(a.Facts), strconv.Itoa(len(a.Warnings))})
		}
		if len(rows) == 0 {
			t.line("  (no files)")
		} else if err := t.table([]string{"Path", "Kind", "Parser", "By", "Size", "Facts", "Warnings"}, rows, 0); err != nil {
			return err
		}
	}

	if opts.Verbose && len(r.Others) > 0 {
		t.heading(fmt.Sprintf("Entries not parsed (%d)", len(r.Others)))
		for _, o := range sortedOthers(r.Others) {
			t.printf("  %s  %s\n", t.style(ansiDim, safeText(o.Path)), safeText(otherLine(o)))
		}
	}

	if ws := allWarnings(r); len(ws) > 0 {
		t.heading(fmt.Sprintf("Warnings (%d)", len(ws)))
		for _, w := range ws {
			t.printf("  %s  %s\n", t.style(ansiDim, safeText(warningLoc(w))), safeText(w.Msg))
		}
	}
	if len(r.Errors) > 0 {
		t.heading(fmt.Sprintf("Rule errors (%d)", len(r.Errors)))
		t.line("  These rules could not be evaluated; their problems may be present but unreported.")
		for _, e := range r.Errors {
			t.printf("  %s  %s\n", t.style(ansiBold, safeText(e.RuleID)), safeText(e.Msg))
		}
	}
	if err := t.w.Flush(); err != nil {
		return fmt.Errorf("writing the text report: %w", err)
	}
	return nil
}

func (t *textWriter) sev(s rules.Severity) string {
	return t.style(severityANSI[s], strings.ToUpper(s.String()))
}

// table renders rows with tablewriter, wrapping cells at spaces. With
// breakCol >= 0 that column (a path, which has no spaces) is capped so the
// table fits the width, and broken where it must.
func (t *textWriter) table(header []string, rows [][]string, breakCol ...int) error {
	opts := []tablewriter.Option{
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithMaxWidth(t.width),
	}
	if len(breakCol) > 0 {
		// The other columns of the inventory need about 60 columns.
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapBreak),
			tablewriter.WithColumnWidths(tw.NewMapper[int, int]().Set(breakCol[0], max(24, t.width-62))))
	}
	return t.renderTable(opts, header, rows)
}

// renderTable writes one table with the light box style both tables use.
func (t *textWriter) renderTable(opts []tablewriter.Option, header []string, rows [][]string) error {
	opts = append([]tablewriter.Option{
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithTrimSpace(tw.Off),
	}, opts...)
	tb := tablewriter.NewTable(t.w, opts...)
	tb.Header(header)
	if err := tb.Bulk(rows); err != nil {
		return fmt.Errorf("writing the text report table: %w", err)
	}
	if err := tb.Render(); err != nil {
		return fmt.Errorf("writing the text report table: %w", err)
	}
	return nil
}

// Bounds of the findings table's columns. A subject longer than the rule
// column is shortened in the table (the finding's own section below prints
// it whole); rule ids are never shortened, since --explain, --only and
// --skip need them exactly.
const (
	subjectColMax = 32
	titleColMin   = 24
)

// findingsTable writes the one-row-per-finding overview. The rule id and
// the finding's subject share a column (the subject on the second line,
// where the wrapped title needs a line anyway); every column but the title
// is as narrow as its content allows, and the title takes the rest of the
// report width, so that at 100 columns a title needs one or two lines.
func (t *textWriter) findingsTable(findings []rules.Finding) error {
	ruleHead := "Rule"
	numW, sevW, ruleW, subjW := len("#"), len("Severity"), len(ruleHead), 0
	for i, f := range findings {
		numW = max(numW, len(strconv.Itoa(i+1)))
		sevW = max(sevW, len(f.Severity.String()))
		ruleW = max(ruleW, utf8.RuneCountInString(safeText(f.RuleID)))
		subjW = max(subjW, utf8.RuneCountInString(safeText(f.Subject)))
	}
	if subjW > 0 {
		ruleHead = "Rule / subject"
		ruleW = max(ruleW, min(subjW, subjectColMax), len(ruleHead))
	}
	// A light box costs one rule plus two padding spaces per column, and
	// one closing rule.
	titleW := t.width - (3*4 + 1 + numW + sevW + ruleW)
	// On a narrow terminal the severity moves into the rule column, above
	// the rule id, to leave the title its room.
	stacked := titleW < titleColMin
	if stacked {
		ruleHead = "Severity / " + strings.ToLower(ruleHead)
		ruleW = max(ruleW, len(ruleHead))
		titleW = max(t.width-(3*3+1+numW+ruleW), titleColMin)
	}

	rows := make([][]string, 0, len(findings))
	for i, f := range findings {
		rule := safeText(f.RuleID)
		if stacked {
			rule = t.sev(f.Severity) + "\n" + rule
		}
		if f.Subject != "" {
			rule += "\n" + t.style(ansiDim, ellipsize(safeText(f.Subject), ruleW))
		}
		if stacked {
			rows = append(rows, []string{strconv.Itoa(i + 1), rule, safeText(f.Title)})
		} else {
			rows = append(rows, []string{strconv.Itoa(i + 1), t.sev(f.Severity), rule, safeText(f.Title)})
		}
	}
	header := []string{"#", "Severity", ruleHead, "Title"}
	widths := []int{numW, sevW, ruleW, titleW}
	if stacked {
		header = []string{"#", ruleHead, "Title"}
		widths = []int{numW, ruleW, titleW}
	}
	m := tw.NewMapper[int, int]()
	for i, w := range widths {
		m.Set(i, w+2) // the width tablewriter sees includes the padding
	}
	return t.renderTable([]tablewriter.Option{
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithColumnWidths(m),
	}, header, rows)
}

// ellipsize shortens s to at most n runes, keeping its end (the telling
// part of a path or a rule id) behind a leading "…".
func ellipsize(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return "…" + string(r[len(r)-(n-1):])
}

// finding writes one finding: what was found and its proof first, then
// what to do. With full unset the article's background (symptoms, cause,
// diagnosis, caveats) is left to `triage rules show`, which the block names.
func (t *textWriter) finding(n int, f rules.Finding, full bool) {
	t.line("")
	t.line(fmt.Sprintf("%s %s  %s", t.style(ansiBold, fmt.Sprintf("[%d]", n)), t.sev(f.Severity),
		t.style(ansiBold, safeText(f.Title))))
	t.printf("    Rule: %s", safeText(f.RuleID))
	if f.Subject != "" {
		t.printf("    Subject: %s", safeText(f.Subject))
	}
	t.line("")
	t.prose("", f.Message)
	if len(f.Aggregates) > 0 {
		t.label("Counts")
		for _, a := range f.Aggregates {
			t.prose("  ", safeText(aggregateText(a)))
		}
	}
	if ev := evidence(f); len(ev) > 0 {
		t.label("Evidence")
		for _, s := range ev {
			t.printf("      %s  %s\n", t.style(ansiDim, safeText(location(s))), safeText(s.Text))
		}
		if more := evidenceMore(f); more != "" {
			t.printf("      %s\n", t.style(ansiDim, more))
		}
	}
	if f.Summary != "" {
		t.label("Summary")
		t.prose("  ", f.Summary)
	}
	if full {
		t.steps("Symptoms", f.Symptoms, false)
		if f.Cause != "" {
			t.label("Cause")
			t.prose("  ", f.Cause)
		}
		t.steps("Diagnosis", f.Diagnosis, true)
	}
	t.steps("Resolution", f.Resolution, true)
	if full {
		t.steps("Caveats", f.Caveats, false)
	}
	if len(f.References) > 0 {
		t.label("References")
		for _, ref := range f.References {
			s := safeText(ref.Title)
			if ref.URL != "" {
				s += " <" + safeText(ref.URL) + ">"
			}
			if ref.Doc != "" {
				s += " (" + safeText(ref.Doc) + ")"
			}
			t.line("      - " + s)
		}
	}
	if more := articleRest(f); !full && more != "" {
		t.line("")
		t.prose("", more+": `triage rules show "+safeText(f.RuleID)+"` or --verbose.")
	}
}

// articleRest names the parts of f's article the short text form leaves
// out, or "" when it has none.
func articleRest(f rules.Finding) string {
	var parts []string
	if len(f.Symptoms) > 0 {
		parts = append(parts, "symptoms")
	}
	if f.Cause != "" {
		parts = append(parts, "cause")
	}
	if len(f.Diagnosis) > 0 {
		parts = append(parts, "diagnosis")
	}
	if len(f.Caveats) > 0 {
		parts = append(parts, "caveats")
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, ", ")
	if i := strings.LastIndex(s, ", "); i >= 0 {
		s = s[:i] + " and " + s[i+2:]
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (t *textWriter) label(s string) {
	t.line("")
	t.line("    " + t.style(ansiBold, s+":"))
}

// item writes "  - label: text", wrapped with continuation lines hanging
// under the label; both come from the bundle and are escaped.
func (t *textWriter) item(label, text string) {
	const head, hang = "  - ", "      "
	for j, l := range wrap(safeText(label)+": "+safeText(text), t.width-len(head)) {
		if j == 0 {
			t.line(head + l)
		} else {
			t.line(hang + l)
		}
	}
}

// prose writes a paragraph wrapped to the report width, indented by four
// spaces plus extra.
func (t *textWriter) prose(extra, s string) {
	indent := "    " + extra
	for _, l := range wrap(safeBlock(strings.TrimSpace(s)), t.width-len(indent)) {
		if l == "" {
			t.line("")
		} else {
			t.line(indent + l)
		}
	}
}

// steps writes a list, numbered when the order matters (diagnosis,
// resolution) and bulleted otherwise; continuation lines hang under the
// text, not the number.
func (t *textWriter) steps(label string, items []string, numbered bool) {
	if len(items) == 0 {
		return
	}
	t.label(label)
	for i, it := range items {
		mark := "-"
		if numbered {
			mark = fmt.Sprintf("%d.", i+1)
		}
		head := "      " + mark + " "
		hang := strings.Repeat(" ", len(head))
		for j, l := range wrap(safeBlock(strings.TrimSpace(it)), t.width-len(head)) {
			switch {
			case j == 0:
				t.line(head + l)
			case l == "":
				t.line("")
			default:
				t.line(hang + l)
			}
		}
	}
}

// wrap breaks text into lines of at most width display columns (a wide
// CJK character counts two, a combining mark none) at spaces, keeping the
// author's own line breaks and the indentation of lines that start with
// spaces (commands, quoted output). A word longer than width stays whole.
func wrap(s string, width int) []string {
	if width < 20 {
		width = 20
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if strings.HasPrefix(para, " ") || strings.HasPrefix(para, "\t") || twwidth.Width(para) <= width {
			out = append(out, strings.TrimRight(para, " "))
			continue
		}
		var cur strings.Builder
		curW := 0
		for _, word := range strings.Fields(para) {
			ww := twwidth.Width(word)
			if curW > 0 && curW+1+ww > width {
				out = append(out, cur.String())
				cur.Reset()
				curW = 0
			}
			if curW > 0 {
				cur.WriteByte(' ')
				curW++
			}
			cur.WriteString(word)
			curW += ww
		}
		out = append(out, cur.String())
	}
	return out
}
