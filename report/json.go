package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// Document is the JSON report: one stable, versioned object whose shape is
// described by docs/report.schema.json. Every list is present (empty, never
// null) and every field is written, so scripts need no existence checks.
// Batch runs and other tools may build it with NewDocument and embed it.
type Document struct {
	SchemaVersion string       `json:"schema_version"`
	Tool          Tool         `json:"tool"`
	Bundle        DocBundle    `json:"bundle"`
	Host          DocHost      `json:"host"`
	Summary       DocSummary   `json:"summary"`
	Findings      []DocFinding `json:"findings"`
	// Coverage says, for every rule evaluated, whether it fired, was
	// evaluated with its inputs present, or could not be evaluated and why.
	Coverage []DocCoverage `json:"coverage"`
	// RuleNotes tell about the rule set, such as a shipped rule replaced
	// by one of a --rules directory.
	RuleNotes []string      `json:"rule_notes"`
	Inventory []DocArtifact `json:"inventory"`
	Others    []DocOther    `json:"others"`
	Warnings  []DocWarning  `json:"warnings"`
	Errors    []DocError    `json:"errors"`
}

// DocOther is an entry of the bundle that was listed but not parsed: a
// nested archive (its files are in the inventory), a link, a device, or an
// entry skipped for safety or a limit.
type DocOther struct {
	Path   string `json:"path"`
	Type   string `json:"type"`
	Target string `json:"target"`
	Note   string `json:"note"`
}

// DocBundle identifies the bundle a report is about.
type DocBundle struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // empty for a directory
	Size   int64  `json:"size"`
	Format string `json:"format"`
}

// DocHost is what the bundle says about the host it came from; unknown
// fields are empty strings.
type DocHost struct {
	Hostname    string `json:"hostname"`
	OS          string `json:"os"`
	Kernel      string `json:"kernel"`
	Arch        string `json:"arch"`
	CollectedAt string `json:"collected_at"`
}

// DocSummary counts findings by severity, plus warnings and rule errors,
// so a script can decide without walking the lists.
type DocSummary struct {
	Findings  int `json:"findings"`
	Critical  int `json:"critical"`
	High      int `json:"high"`
	Medium    int `json:"medium"`
	Low       int `json:"low"`
	Info      int `json:"info"`
	Artifacts int `json:"artifacts"`
	Others    int `json:"others"`   // entries listed but not parsed
	Warnings  int `json:"warnings"` // bundle-level and per-artifact together
	Errors    int `json:"errors"`
	// Complete is true only when the whole bundle was read and every rule
	// ran: only then does "no findings" mean no known problem.
	Complete bool `json:"complete"`
	// Incomplete lists why Complete is false (empty when it is true).
	Incomplete []DocReason `json:"incomplete"`
}

// DocReason is one reason an analysis is incomplete. Kind is archive,
// artifact, limit, rule or coverage; Path and RuleID are "" when they do
// not apply.
type DocReason struct {
	Kind    string `json:"kind"`
	Path    string `json:"path"`
	RuleID  string `json:"rule_id"`
	Message string `json:"message"`
}

// DocCoverage is whether one rule could look at the bundle: status fired,
// evaluated or not_evaluated, with the reason ("" when there is none).
type DocCoverage struct {
	RuleID string `json:"rule_id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// DocEvidence is one quoted line of the bundle.
type DocEvidence struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line,omitempty"`
	Text    string `json:"text"`
}

// DocAggregate is one named count of a finding (distinct processes,
// descriptors) with, for a list, its most frequent values.
type DocAggregate struct {
	Name  string     `json:"name"`
	Total int        `json:"total"`
	Top   []DocCount `json:"top"`
}

// DocCount is one value and how often it occurs.
type DocCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// DocReference points at a source document.
type DocReference struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Doc   string `json:"doc"`
}

// DocFinding is one finding with its knowledge-base text.
type DocFinding struct {
	RuleID   string        `json:"rule_id"`
	Severity string        `json:"severity"`
	Title    string        `json:"title"`
	Message  string        `json:"message"`
	Subject  string        `json:"subject"`
	Evidence []DocEvidence `json:"evidence"`
	// EvidenceTotal counts every proving line; Evidence is a sample of at
	// most --evidence lines (20 by default).
	EvidenceTotal int            `json:"evidence_total"`
	Aggregates    []DocAggregate `json:"aggregates"`
	Summary       string         `json:"summary"`
	Symptoms      []string       `json:"symptoms"`
	Cause         string         `json:"cause"`
	Diagnosis     []string       `json:"diagnosis"`
	Resolution    []string       `json:"resolution"`
	Caveats       []string       `json:"caveats"`
	References    []DocReference `json:"references"`
}

// DocArtifact is one file of the bundle as identified and parsed.
type DocArtifact struct {
	Path         string       `json:"path"`
	Size         int64        `json:"size"`
	Kind         string       `json:"kind"`
	Parser       string       `json:"parser"`
	IdentifiedBy string       `json:"identified_by"`
	Facts        int          `json:"facts"`
	Warnings     []DocWarning `json:"warnings"`
}

// DocWarning is a problem with the bundle, an entry or one line of a file.
// Line is 0 when the problem is not about one line.
type DocWarning struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// DocError is a rule that failed to evaluate on this bundle.
type DocError struct {
	RuleID  string `json:"rule_id"`
	Message string `json:"message"`
}

// NewDocument builds the JSON report of r: findings worst first, inventory
// by path, nothing that varies between two runs on one bundle (no times,
// no durations, no map order).
func NewDocument(r *analyze.Result, opts ...Option) Document {
	c := newConfig(opts)
	h := host(r)
	d := Document{
		SchemaVersion: analyze.SchemaVersion,
		Tool:          c.tool,
		Bundle:        DocBundle{Path: r.Bundle.Path, SHA256: r.Bundle.SHA256, Size: r.Bundle.Size, Format: r.Bundle.Format},
		Host:          DocHost{Hostname: h.Hostname, OS: h.OS, Kernel: h.Kernel, Arch: h.Arch, CollectedAt: h.CollectedAt},
		Findings:      []DocFinding{},
		Coverage:      []DocCoverage{},
		RuleNotes:     append([]string{}, r.RuleNotes...),
		Inventory:     []DocArtifact{},
		Others:        []DocOther{},
		Warnings:      []DocWarning{},
		Errors:        []DocError{},
	}
	cnt := countFindings(r.Findings)
	d.Summary = DocSummary{
		Findings: len(r.Findings), Critical: cnt[rules.Critical], High: cnt[rules.High],
		Medium: cnt[rules.Medium], Low: cnt[rules.Low], Info: cnt[rules.Info],
		Artifacts: len(r.Inventory), Others: len(r.Others), Warnings: warningCount(r), Errors: len(r.Errors),
		Complete: r.Complete(), Incomplete: []DocReason{},
	}
	for _, x := range r.Incomplete {
		d.Summary.Incomplete = append(d.Summary.Incomplete, DocReason(x))
	}
	for _, c := range r.Coverage {
		d.Coverage = append(d.Coverage, DocCoverage{RuleID: c.RuleID, Status: c.Status, Reason: c.Reason})
	}
	for _, f := range sortedFindings(r.Findings) {
		df := DocFinding{
			RuleID: f.RuleID, Severity: f.Severity.String(), Title: f.Title, Message: f.Message,
			Subject: f.Subject, Evidence: []DocEvidence{}, Summary: f.Summary, Cause: f.Cause,
			Symptoms: nonNil(f.Symptoms), Diagnosis: nonNil(f.Diagnosis), Resolution: nonNil(f.Resolution),
			Caveats: nonNil(f.Caveats), References: []DocReference{},
		}
		for _, s := range evidence(f) {
			df.Evidence = append(df.Evidence, DocEvidence{Path: s.Path, Line: s.Line, EndLine: s.EndLine, Text: s.Text})
		}
		df.EvidenceTotal = max(f.EvidenceTotal, len(df.Evidence))
		df.Aggregates = []DocAggregate{}
		for _, a := range f.Aggregates {
			da := DocAggregate{Name: a.Name, Total: a.Total, Top: []DocCount{}}
			for _, c := range a.Top {
				da.Top = append(da.Top, DocCount{Value: fmt.Sprint(c.Value), Count: c.Count})
			}
			df.Aggregates = append(df.Aggregates, da)
		}
		for _, ref := range f.References {
			df.References = append(df.References, DocReference(ref))
		}
		d.Findings = append(d.Findings, df)
	}
	for _, a := range sortedInventory(r.Inventory) {
		da := DocArtifact{Path: a.Path, Size: a.Size, Kind: string(a.Kind), Parser: a.Parser,
			IdentifiedBy: a.IdentifiedBy, Facts: a.Facts, Warnings: []DocWarning{}}
		for _, w := range a.Warnings {
			p := w.Path
			if p == "" {
				p = a.Path
			}
			da.Warnings = append(da.Warnings, DocWarning{Path: p, Line: w.Line, Message: w.Msg})
		}
		d.Inventory = append(d.Inventory, da)
	}
	for _, o := range sortedOthers(r.Others) {
		d.Others = append(d.Others, DocOther(o))
	}
	for _, w := range r.Warnings {
		d.Warnings = append(d.Warnings, DocWarning{Path: w.Path, Message: w.Msg})
	}
	for _, e := range r.Errors {
		d.Errors = append(d.Errors, DocError{RuleID: e.RuleID, Message: e.Msg})
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON writes the report of r as one indented JSON object followed by a
// newline. Strings from the bundle are escaped by encoding/json; <, > and &
// are left readable since the document is not meant to be pasted into HTML.
func JSON(w io.Writer, r *analyze.Result, opts ...Option) error {
	return NewDocument(r, opts...).Write(w)
}

// Write writes d as JSON writes a report, for a caller that also reads
// the document (the desk service indexes its findings) and so builds it
// only once.
func (d Document) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return nil
}
