package batch

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// maxExamples is how many example tickets a rule's row names.
const maxExamples = 5

// maxSlowest is how many of the slowest bundles a summary lists.
const maxSlowest = 5

// maxListed is how many incomplete or failed bundles the text, Markdown and
// HTML summaries list before "+N more"; JSON and CSV list them all.
const maxListed = 20

// Summary answers the question a batch run is for: which known problems
// occur, how often, and in which tickets.
type Summary struct {
	Bundles  int            `json:"bundles"`
	ByStatus map[string]int `json:"by_status"`
	Rules    []RuleStat     `json:"rules"`
	Slowest  []Slow         `json:"slowest"`
	Errors   []Failed       `json:"errors"`
	// Incomplete are the bundles analyzed only in part: their findings
	// count, but a rule that did not fire there proves nothing.
	Incomplete []Unfinished `json:"incomplete"`
	// Rows are one per bundle, for the CSV (and JSON) summary.
	Rows []BundleRow `json:"bundle_rows"`
	// Unchecked are the rules that could not look at some analyzed
	// bundles, most such bundles first: their share counts only the
	// bundles they could look at.
	Unchecked []RuleGap `json:"not_evaluated"`
}

// RuleGap is a rule that could not be evaluated on some bundles.
type RuleGap struct {
	RuleID  string `json:"rule_id"`
	Bundles int    `json:"bundles"` // analyzed bundles it could not look at
	Of      int    `json:"of"`      // bundles analyzed
}

// Unfinished is a bundle whose analysis is incomplete and why.
type Unfinished struct {
	Ticket string `json:"ticket"`
	Bundle string `json:"bundle"`
	// Reason is the first reason; Reasons counts them all.
	Reason  string `json:"reason"`
	Reasons int    `json:"reasons"`
}

// BundleRow is one bundle in a line: what a spreadsheet of a ticket
// archive needs.
type BundleRow struct {
	Ticket string `json:"ticket"`
	Bundle string `json:"bundle"`
	Status string `json:"status"`
	// Highest is the worst severity found, "" when nothing fired.
	Highest string   `json:"highest_severity"`
	RuleIDs []string `json:"rule_ids"`
	// Note is the error or the first incomplete reason.
	Note string `json:"note"`
}

// RuleStat is one rule's frequency across the bundles.
type RuleStat struct {
	RuleID   string   `json:"rule_id"`
	Severity string   `json:"severity"`
	Bundles  int      `json:"bundles"`       // bundles it fired in (once per bundle)
	Findings int      `json:"findings"`      // findings in all (a rule may fire per guard point)
	Share    float64  `json:"share"`         // Bundles / bundles it could look at (analyzed, ok or incomplete, and evaluated)
	Examples []string `json:"examples"`      // ticket ids, at most maxExamples
	More     int      `json:"more_examples"` // bundles it fired in beyond Examples
}

// Slow is one of the slowest bundles.
type Slow struct {
	Ticket     string `json:"ticket"`
	Bundle     string `json:"bundle"`
	DurationMS int64  `json:"duration_ms"`
}

// Failed is a bundle that could not be analyzed.
type Failed struct {
	Ticket string `json:"ticket"`
	Bundle string `json:"bundle"`
	Error  string `json:"error"`
}

// Merge joins the records of several results files (the shards of one run,
// or a run and its resume), keeping the last record of each bundle.
func Merge(sets ...[]Record) []Record {
	index := map[string]int{}
	var out []Record
	for _, recs := range sets {
		for _, r := range recs {
			if i, ok := index[r.key()]; ok {
				out[i] = r
				continue
			}
			index[r.key()] = len(out)
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Bundle < out[j].Bundle })
	return out
}

// Summarize counts rules and statuses over records (already merged).
func Summarize(recs []Record) Summary {
	s := Summary{Bundles: len(recs), ByStatus: map[string]int{}, Rules: []RuleStat{}, Slowest: []Slow{},
		Errors: []Failed{}, Incomplete: []Unfinished{}, Rows: []BundleRow{}}
	stats := map[string]*RuleStat{}
	unchecked := map[string]int{}
	analyzed := 0
	for _, r := range recs {
		s.ByStatus[r.Status]++
		row := BundleRow{Ticket: r.Ticket, Bundle: r.Bundle, Status: r.Status, RuleIDs: []string{}}
		switch r.Status {
		case StatusOK:
			analyzed++
		case StatusIncomplete:
			analyzed++
			u := Unfinished{Ticket: r.Ticket, Bundle: r.Bundle, Reasons: max(r.IncompleteTotal, len(r.Incomplete))}
			if len(r.Incomplete) > 0 {
				u.Reason = reasonText(r.Incomplete[0])
			}
			row.Note = u.Reason
			s.Incomplete = append(s.Incomplete, u)
		default:
			s.Errors = append(s.Errors, Failed{r.Ticket, r.Bundle, r.Error})
			row.Note = r.Error
		}
		if r.Status != StatusError {
			for _, id := range r.NotEvaluated {
				unchecked[id]++
			}
		}
		seen := map[string]bool{}
		for _, f := range r.Findings {
			if severityRank(f.Severity) > severityRank(row.Highest) {
				row.Highest = f.Severity
			}
			st := stats[f.RuleID]
			if st == nil {
				st = &RuleStat{RuleID: f.RuleID, Severity: f.Severity, Examples: []string{}}
				stats[f.RuleID] = st
			}
			st.Findings++
			if !seen[f.RuleID] {
				seen[f.RuleID] = true
				row.RuleIDs = append(row.RuleIDs, f.RuleID)
				st.Bundles++
				if len(st.Examples) < maxExamples {
					st.Examples = append(st.Examples, r.Ticket)
				} else {
					st.More++
				}
			}
		}
		sort.Strings(row.RuleIDs)
		s.Rows = append(s.Rows, row)
	}
	for _, st := range stats {
		if looked := analyzed - unchecked[st.RuleID]; looked > 0 {
			st.Share = float64(st.Bundles) / float64(looked)
		}
		s.Rules = append(s.Rules, *st)
	}
	sort.Slice(s.Rules, func(i, j int) bool {
		if s.Rules[i].Bundles != s.Rules[j].Bundles {
			return s.Rules[i].Bundles > s.Rules[j].Bundles
		}
		return s.Rules[i].RuleID < s.Rules[j].RuleID
	})
	s.Unchecked = []RuleGap{}
	for id, n := range unchecked {
		s.Unchecked = append(s.Unchecked, RuleGap{RuleID: id, Bundles: n, Of: analyzed})
	}
	sort.Slice(s.Unchecked, func(i, j int) bool {
		if s.Unchecked[i].Bundles != s.Unchecked[j].Bundles {
			return s.Unchecked[i].Bundles > s.Unchecked[j].Bundles
		}
		return s.Unchecked[i].RuleID < s.Unchecked[j].RuleID
	})
	slow := append([]Record(nil), recs...)
	sort.SliceStable(slow, func(i, j int) bool { return slow[i].DurationMS > slow[j].DurationMS })
	for i := 0; i < len(slow) && i < maxSlowest; i++ {
		s.Slowest = append(s.Slowest, Slow{slow[i].Ticket, slow[i].Bundle, slow[i].DurationMS})
	}
	return s
}

// reasonText is one incomplete reason on one line: "archive: tar.gz
// archive is truncated ...", "rule gde.x: ...".
func reasonText(x RecordReason) string {
	loc := x.Kind
	switch {
	case x.RuleID != "":
		loc += " " + x.RuleID
	case x.Path != "":
		loc += " " + x.Path
	}
	return loc + ": " + x.Message
}

// severityRank orders severities, "" (nothing found) lowest.
func severityRank(s string) int {
	switch s {
	case "info":
		return 1
	case "low":
		return 2
	case "medium":
		return 3
	case "high":
		return 4
	case "critical":
		return 5
	}
	return 0
}

// examples joins a rule's example tickets, with "+N more" when it fired in
// more bundles than are named.
func (r RuleStat) examples(sep string) string {
	s := strings.Join(r.Examples, sep)
	if r.More > 0 {
		s += fmt.Sprintf("%s+%d more", sep, r.More)
	}
	return s
}

// cut returns the first maxListed items of a list and how many are left
// out.
func cut[T any](items []T) ([]T, int) {
	if len(items) <= maxListed {
		return items, 0
	}
	return items[:maxListed], len(items) - maxListed
}

// The "+N more" lines under a cut list of bundles, in text and Markdown.
const (
	textMore = "  +%d more (--format csv or json lists every bundle)\n"
	mdMore   = "\n+%d more (`--format csv` or `json` lists every bundle)\n"
)

// listed writes the first maxListed items with line, then more (a format
// taking the count left out) if any were cut, so no list is silently short.
func listed[T any](w io.Writer, items []T, more string, line func(T)) {
	list, n := cut(items)
	for _, it := range list {
		line(it)
	}
	if n > 0 {
		fmt.Fprintf(w, more, n)
	}
}

// Formats lists the formats Write accepts.
var Formats = []string{"text", "json", "csv", "markdown", "html"}

// Write renders a summary in one of Formats.
func (s Summary) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return s.text(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	case "csv":
		return s.csv(w)
	case "markdown":
		return s.markdown(w)
	case "html":
		return summaryPage.Execute(w, s.htmlData())
	}
	return fmt.Errorf("unknown summary format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func (s Summary) statusLine() string {
	var keys []string
	for k := range s.ByStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.ByStatus[k]))
	}
	return fmt.Sprintf("%d bundles: %s", s.Bundles, strings.Join(parts, ", "))
}

func (s Summary) text(w io.Writer) error {
	fmt.Fprintln(w, s.statusLine())
	fmt.Fprintln(w)
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header("RULE", "SEVERITY", "BUNDLES", "SHARE", "FINDINGS", "EXAMPLE TICKETS")
	for _, r := range s.Rules {
		if err := t.Append(r.RuleID, r.Severity, strconv.Itoa(r.Bundles), pct(r.Share), strconv.Itoa(r.Findings), r.examples(", ")); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(s.Rules) == 0 {
		if len(s.Incomplete)+len(s.Errors)+len(s.Unchecked) > 0 {
			fmt.Fprintln(w, "No known problem fired in what could be read; this is not an all-clear (see below).")
		} else {
			fmt.Fprintln(w, "No known problem fired in any bundle.")
		}
	}
	fmt.Fprintln(w, "\nSlowest bundles:")
	for _, sl := range s.Slowest {
		fmt.Fprintf(w, "  %8d ms  %s  %s\n", sl.DurationMS, sl.Ticket, sl.Bundle)
	}
	if len(s.Unchecked) > 0 {
		fmt.Fprintf(w, "\nRules that could not look at every bundle (an input they need was missing):\n")
		listed(w, s.Unchecked, "  +%d more (--format json lists them all)\n", func(g RuleGap) {
			fmt.Fprintf(w, "  %s: not evaluated in %d of %d bundles\n", g.RuleID, g.Bundles, g.Of)
		})
	}
	if len(s.Incomplete) > 0 {
		fmt.Fprintf(w, "\nBundles analyzed only in part (%d): a rule that did not fire there proves nothing\n", len(s.Incomplete))
		listed(w, s.Incomplete, textMore, func(u Unfinished) {
			fmt.Fprintf(w, "  %s  %s: %s\n", safe(u.Ticket), safe(u.Bundle), safe(u.reason()))
		})
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "\nBundles that could not be analyzed (%d):\n", len(s.Errors))
		listed(w, s.Errors, textMore, func(e Failed) {
			fmt.Fprintf(w, "  %s  %s: %s\n", safe(e.Ticket), safe(e.Bundle), safe(e.Error))
		})
	}
	return nil
}

// reason is the first reason, with a count of the others.
func (u Unfinished) reason() string {
	if u.Reasons > 1 {
		return fmt.Sprintf("%s (%d reasons in all)", u.Reason, u.Reasons)
	}
	return u.Reason
}

// safe keeps a ticket id, path or message on one terminal line, with no
// escape sequence from a bundle reaching the terminal.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return '?'
		}
		return r
	}, s)
}

// csv writes one row per bundle: the sheet a ticket archive is triaged
// from (the rule frequencies are in the other formats).
func (s Summary) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"ticket", "bundle", "status", "highest_severity", "rule_ids", "note"})
	for _, r := range s.Rows {
		_ = cw.Write([]string{csvCell(r.Ticket), csvCell(r.Bundle), r.Status, r.Highest, strings.Join(r.RuleIDs, " "), csvCell(r.Note)})
	}
	cw.Flush()
	return cw.Error()
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// mdCell keeps bundle-derived text from breaking a Markdown table.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s)
}

func (s Summary) markdown(w io.Writer) error {
	fmt.Fprintf(w, "## Batch summary\n\n%s\n\n", s.statusLine())
	fmt.Fprintln(w, "| rule | severity | bundles | share | findings | example tickets |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|")
	for _, r := range s.Rules {
		fmt.Fprintf(w, "| `%s` | %s | %d | %s | %d | %s |\n", r.RuleID, r.Severity, r.Bundles, pct(r.Share), r.Findings, mdCell(r.examples(", ")))
	}
	if len(s.Unchecked) > 0 {
		fmt.Fprintf(w, "\n### Rules that could not look at every bundle\n\n| rule | not evaluated in | of bundles |\n|---|---:|---:|\n")
		listed(w, s.Unchecked, "\n+%d more (`--format json` lists them all)\n", func(g RuleGap) {
			fmt.Fprintf(w, "| `%s` | %d | %d |\n", g.RuleID, g.Bundles, g.Of)
		})
	}
	if len(s.Incomplete) > 0 {
		fmt.Fprintf(w, "\n### Bundles analyzed only in part (%d)\n\nA rule that did not fire in these bundles proves nothing.\n\n| ticket | bundle | reason |\n|---|---|---|\n", len(s.Incomplete))
		listed(w, s.Incomplete, mdMore, func(u Unfinished) {
			fmt.Fprintf(w, "| %s | %s | %s |\n", mdCell(u.Ticket), mdCell(u.Bundle), mdCell(u.reason()))
		})
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "\n### Bundles that could not be analyzed (%d)\n\n| ticket | bundle | error |\n|---|---|---|\n", len(s.Errors))
		listed(w, s.Errors, mdMore, func(e Failed) {
			fmt.Fprintf(w, "| %s | %s | %s |\n", mdCell(e.Ticket), mdCell(e.Bundle), mdCell(e.Error))
		})
	}
	return nil
}

type htmlBar struct {
	RuleStat
	Y, Width int
	Label    string
}

func (s Summary) htmlData() map[string]any {
	const maxWidth = 420
	max := 1
	for _, r := range s.Rules {
		if r.Bundles > max {
			max = r.Bundles
		}
	}
	var bars []htmlBar
	for i, r := range s.Rules {
		bars = append(bars, htmlBar{RuleStat: r, Y: i * 26, Width: r.Bundles * maxWidth / max, Label: fmt.Sprintf("%d (%s)", r.Bundles, pct(r.Share))})
	}
	incomplete, moreIncomplete := cut(s.Incomplete)
	failed, moreFailed := cut(s.Errors)
	unchecked, moreUnchecked := cut(s.Unchecked)
	return map[string]any{"S": s, "Status": s.statusLine(), "Bars": bars, "Height": len(bars)*26 + 4,
		"Unchecked": unchecked, "MoreUnchecked": moreUnchecked,
		"Incomplete": incomplete, "MoreIncomplete": moreIncomplete, "Failed": failed, "MoreFailed": moreFailed}
}

var summaryPage = template.Must(template.New("summary").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>triage batch summary</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1d2330}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d5d9e0;padding:.3em .6em;text-align:left}
th{background:#f1f3f6}.n{text-align:right}svg text{font:12px system-ui,sans-serif}
</style></head><body>
<h1>Batch summary</h1>
<p>{{.Status}}</p>
<h2>Known problems by frequency</h2>
<svg width="900" height="{{.Height}}" role="img" aria-label="bundles per rule">
{{range .Bars}}<text x="0" y="{{.Y}}" dy="16">{{.RuleID}}</text>
<rect x="260" y="{{.Y}}" width="{{.Width}}" height="20" fill="#4a78c2"></rect>
<text x="{{.Width}}" dx="266" y="{{.Y}}" dy="15">{{.Label}}</text>
{{end}}</svg>
<table><tr><th>rule</th><th>severity</th><th class="n">bundles</th><th class="n">findings</th><th>example tickets</th></tr>
{{range .S.Rules}}<tr><td>{{.RuleID}}</td><td>{{.Severity}}</td><td class="n">{{.Bundles}}</td><td class="n">{{.Findings}}</td><td>{{range $i, $e := .Examples}}{{if $i}}, {{end}}{{$e}}{{end}}{{if .More}}, +{{.More}} more{{end}}</td></tr>
{{end}}</table>
<h2>Slowest bundles</h2>
<table><tr><th class="n">ms</th><th>ticket</th><th>bundle</th></tr>
{{range .S.Slowest}}<tr><td class="n">{{.DurationMS}}</td><td>{{.Ticket}}</td><td>{{.Bundle}}</td></tr>{{end}}</table>
{{if .Unchecked}}<h2>Rules that could not look at every bundle</h2>
<table><tr><th>rule</th><th class="n">not evaluated in</th><th class="n">of bundles</th></tr>
{{range .Unchecked}}<tr><td>{{.RuleID}}</td><td class="n">{{.Bundles}}</td><td class="n">{{.Of}}</td></tr>{{end}}</table>
{{if .MoreUnchecked}}<p>+{{.MoreUnchecked}} more (<code>--format json</code> lists them all)</p>{{end}}{{end}}
{{if .Incomplete}}<h2>Bundles analyzed only in part ({{len .S.Incomplete}})</h2>
<p>A rule that did not fire in these bundles proves nothing.</p>
<table><tr><th>ticket</th><th>bundle</th><th>reason</th></tr>
{{range .Incomplete}}<tr><td>{{.Ticket}}</td><td>{{.Bundle}}</td><td>{{.Reason}}{{if gt .Reasons 1}} ({{.Reasons}} reasons in all){{end}}</td></tr>{{end}}</table>
{{if .MoreIncomplete}}<p>+{{.MoreIncomplete}} more (<code>--format csv</code> or <code>json</code> lists every bundle)</p>{{end}}{{end}}
{{if .Failed}}<h2>Bundles that could not be analyzed ({{len .S.Errors}})</h2>
<table><tr><th>ticket</th><th>bundle</th><th>error</th></tr>
{{range .Failed}}<tr><td>{{.Ticket}}</td><td>{{.Bundle}}</td><td>{{.Error}}</td></tr>{{end}}</table>
{{if .MoreFailed}}<p>+{{.MoreFailed}} more (<code>--format csv</code> or <code>json</code> lists every bundle)</p>{{end}}{{end}}
</body></html>
`))
