package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is parsed once, on first use (not at the start of every
// command); a template error is a programming error that any test run
// catches.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"upper":  strings.ToUpper,
		"safe":   safeText,
		"plural": wording.Plural,
		"lines":  func(s string) []string { return strings.Split(strings.TrimSpace(safeBlock(s)), "\n") },
	}).Parse(htmlSource))
})

type htmlSeverity struct {
	Name  string
	Count int
}

type htmlEvidence struct {
	Loc, Text string
}

type htmlRef struct {
	Title, URL, Doc string
}

type htmlFinding struct {
	N        int
	Anchor   string
	Sev      string
	F        rules.Finding
	Evidence []htmlEvidence
	// More is the "and N more" of a sampled evidence block, "" when all
	// lines are shown; Counts are the finding's aggregates as text.
	More       string
	Counts     []string
	References []htmlRef
}

type htmlArtifact struct {
	analyze.Artifact
	SizeH string
}

type htmlView struct {
	Title         string
	Tool          Tool
	SchemaVersion string
	Bundle        analyze.BundleInfo
	BundleSize    string
	Host          model.Host
	Severities    []htmlSeverity
	Findings      []htmlFinding
	Inventory     []htmlArtifact
	Others        []bundle.Other
	Warnings      []parsers.Warning
	WarningCount  int
	Errors        []rules.EvalError
	Slab          []slabChart
	SlabHidden    int
	HasSlabs      bool
	Mounts        *mountTree
	Timeline      *timeline
	// Verdict is the "Incomplete analysis: ..." headline, "" when complete.
	Verdict      string
	Incomplete   []analyze.Reason
	MoreReasons  int
	ReasonCount  int
	NotEvaluated []analyze.RuleCoverage
	NotEvalBy    []notEvaluatedGroup
	NotSeenIntro string
	RuleNotes    []string
	HasCoverage  bool
}

// HTML writes the report of r as one self-contained page: inline CSS and
// SVG, no scripts and nothing fetched from the network, so it can be
// attached to a ticket and opened offline. It holds the summary, every
// finding with collapsible evidence and remediation, charts of slab growth,
// the mount tree around the guard points and the timeline of agent and
// kernel events, and the inventory with its warnings. html/template escapes
// every string from the bundle.
func HTML(w io.Writer, r *analyze.Result, opts ...Option) error {
	c := newConfig(opts)
	h := host(r)
	v := htmlView{
		Tool: c.tool, SchemaVersion: analyze.SchemaVersion, Bundle: r.Bundle,
		BundleSize: bundleSize(r.Bundle), Host: h, Errors: r.Errors,
		Warnings: allWarnings(r), WarningCount: warningCount(r), Others: sortedOthers(r.Others),
	}
	v.Incomplete, v.MoreReasons = shownReasons(r)
	v.ReasonCount = len(r.Incomplete)
	v.Verdict, v.NotEvaluated, v.NotEvalBy = verdictLine(r), r.NotEvaluated(), notEvaluatedGroups(r)
	v.NotSeenIntro, v.RuleNotes, v.HasCoverage = notSeenIntro, r.RuleNotes, len(r.Coverage) > 0
	v.Title = "Triage report"
	if h.Hostname != "" {
		v.Title += ": " + safeText(h.Hostname)
	}
	cnt := countFindings(r.Findings)
	for _, s := range severities {
		v.Severities = append(v.Severities, htmlSeverity{Name: s.String(), Count: cnt[s]})
	}
	for i, f := range sortedFindings(r.Findings) {
		hf := htmlFinding{N: i + 1, Anchor: fmt.Sprintf("finding-%d", i+1), Sev: f.Severity.String(), F: f}
		for _, s := range evidence(f) {
			hf.Evidence = append(hf.Evidence, htmlEvidence{Loc: safeText(location(s)), Text: safeText(s.Text)})
		}
		hf.More = evidenceMore(f)
		for _, a := range f.Aggregates {
			hf.Counts = append(hf.Counts, safeText(aggregateText(a)))
		}
		for _, ref := range f.References {
			hf.References = append(hf.References, htmlRef{Title: ref.Title, URL: refLink(ref), Doc: ref.Doc})
		}
		v.Findings = append(v.Findings, hf)
	}
	for _, a := range sortedInventory(r.Inventory) {
		v.Inventory = append(v.Inventory, htmlArtifact{Artifact: a, SizeH: wording.Bytes(a.Size)})
	}
	v.Slab, v.SlabHidden = slabCharts(r.Model)
	v.HasSlabs = r.Model != nil && len(r.Model.Slabs) > 0
	v.Mounts = mountTreeOf(r.Model)
	v.Timeline = timelineOf(r.Model)
	if err := htmlTemplate().Execute(w, v); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}
