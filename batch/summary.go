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

// Summary answers the question a batch run is for: which known problems
// occur, how often, and in which tickets.
type Summary struct {
	Bundles  int            `json:"bundles"`
	ByStatus map[string]int `json:"by_status"`
	Rules    []RuleStat     `json:"rules"`
	Slowest  []Slow         `json:"slowest"`
	Errors   []Failed       `json:"errors"`
}

// RuleStat is one rule's frequency across the bundles.
type RuleStat struct {
	RuleID   string   `json:"rule_id"`
	Severity string   `json:"severity"`
	Bundles  int      `json:"bundles"`  // bundles it fired in (once per bundle)
	Findings int      `json:"findings"` // findings in all (a rule may fire per guard point)
	Share    float64  `json:"share"`    // Bundles / bundles analyzed successfully
	Examples []string `json:"examples"` // ticket ids
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
	s := Summary{Bundles: len(recs), ByStatus: map[string]int{}, Rules: []RuleStat{}, Slowest: []Slow{}, Errors: []Failed{}}
	stats := map[string]*RuleStat{}
	ok := 0
	for _, r := range recs {
		s.ByStatus[r.Status]++
		if r.Status == StatusOK {
			ok++
		} else {
			s.Errors = append(s.Errors, Failed{r.Ticket, r.Bundle, r.Error})
		}
		seen := map[string]bool{}
		for _, f := range r.Findings {
			st := stats[f.RuleID]
			if st == nil {
				st = &RuleStat{RuleID: f.RuleID, Severity: f.Severity, Examples: []string{}}
				stats[f.RuleID] = st
			}
			st.Findings++
			if !seen[f.RuleID] {
				seen[f.RuleID] = true
				st.Bundles++
				if len(st.Examples) < maxExamples {
					st.Examples = append(st.Examples, r.Ticket)
				}
			}
		}
	}
	for _, st := range stats {
		if ok > 0 {
			st.Share = float64(st.Bundles) / float64(ok)
		}
		s.Rules = append(s.Rules, *st)
	}
	sort.Slice(s.Rules, func(i, j int) bool {
		if s.Rules[i].Bundles != s.Rules[j].Bundles {
			return s.Rules[i].Bundles > s.Rules[j].Bundles
		}
		return s.Rules[i].RuleID < s.Rules[j].RuleID
	})
	slow := append([]Record(nil), recs...)
	sort.SliceStable(slow, func(i, j int) bool { return slow[i].DurationMS > slow[j].DurationMS })
	for i := 0; i < len(slow) && i < maxSlowest; i++ {
		s.Slowest = append(s.Slowest, Slow{slow[i].Ticket, slow[i].Bundle, slow[i].DurationMS})
	}
	return s
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
		if err := t.Append(r.RuleID, r.Severity, strconv.Itoa(r.Bundles), pct(r.Share), strconv.Itoa(r.Findings), strings.Join(r.Examples, ", ")); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(s.Rules) == 0 {
		fmt.Fprintln(w, "No known problem fired in any bundle.")
	}
	fmt.Fprintln(w, "\nSlowest bundles:")
	for _, sl := range s.Slowest {
		fmt.Fprintf(w, "  %8d ms  %s  %s\n", sl.DurationMS, sl.Ticket, sl.Bundle)
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "\nBundles that could not be analyzed (%d):\n", len(s.Errors))
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %s  %s: %s\n", e.Ticket, e.Bundle, e.Error)
		}
	}
	return nil
}

func (s Summary) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"rule_id", "severity", "bundles", "share", "findings", "example_tickets"})
	for _, r := range s.Rules {
		_ = cw.Write([]string{r.RuleID, r.Severity, strconv.Itoa(r.Bundles), strconv.FormatFloat(r.Share, 'f', 4, 64), strconv.Itoa(r.Findings), strings.Join(r.Examples, " ")})
	}
	cw.Flush()
	return cw.Error()
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
		fmt.Fprintf(w, "| `%s` | %s | %d | %s | %d | %s |\n", r.RuleID, r.Severity, r.Bundles, pct(r.Share), r.Findings, mdCell(strings.Join(r.Examples, ", ")))
	}
	if len(s.Errors) > 0 {
		fmt.Fprintf(w, "\n### Bundles that could not be analyzed\n\n| ticket | bundle | error |\n|---|---|---|\n")
		for _, e := range s.Errors {
			fmt.Fprintf(w, "| %s | %s | %s |\n", mdCell(e.Ticket), mdCell(e.Bundle), mdCell(e.Error))
		}
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
	return map[string]any{"S": s, "Status": s.statusLine(), "Bars": bars, "Height": len(bars)*26 + 4}
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
{{range .S.Rules}}<tr><td>{{.RuleID}}</td><td>{{.Severity}}</td><td class="n">{{.Bundles}}</td><td class="n">{{.Findings}}</td><td>{{range $i, $e := .Examples}}{{if $i}}, {{end}}{{$e}}{{end}}</td></tr>
{{end}}</table>
<h2>Slowest bundles</h2>
<table><tr><th class="n">ms</th><th>ticket</th><th>bundle</th></tr>
{{range .S.Slowest}}<tr><td class="n">{{.DurationMS}}</td><td>{{.Ticket}}</td><td>{{.Bundle}}</td></tr>{{end}}</table>
{{if .S.Errors}}<h2>Bundles that could not be analyzed</h2>
<table><tr><th>ticket</th><th>bundle</th><th>error</th></tr>
{{range .S.Errors}}<tr><td>{{.Ticket}}</td><td>{{.Bundle}}</td><td>{{.Error}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))
