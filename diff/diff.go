// Package diff compares two analyses of a host (typically a customer's
// bundle before and after a fix) and says which findings were resolved,
// which are new and which persist. It works on JSON reports, so a report
// saved months ago compares with one made today, and a finding that merely
// went unseen (the new analysis could not read what the rule needs) is never
// called resolved.
package diff

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

// SchemaVersion is the version of the JSON comparison document.
const SchemaVersion = "1"

// Report is one side of a comparison: a JSON report as `analyze --format
// json` writes it. Fields added to the report schema later (completeness,
// per-rule coverage) are read when present and left unknown otherwise.
type Report struct {
	Doc report.Document
	// Label names the side for the reader: a path or an analysis id.
	Label string
	// Complete is summary.complete; nil when the report does not say.
	Complete *bool
	// Incomplete lists summary.incomplete: why the analysis is partial.
	Incomplete []Incomplete
	// Coverage maps a rule id to its status (fired, evaluated,
	// not_evaluated) and reason; nil when the report has no coverage.
	Coverage map[string]Coverage
}

// Incomplete is one reason why an analysis did not see everything.
type Incomplete struct {
	Kind    string `json:"kind"`
	Path    string `json:"path,omitempty"`
	RuleID  string `json:"rule_id,omitempty"`
	Message string `json:"message"`
}

// Coverage is what a report says about one rule's evaluation.
type Coverage struct {
	RuleID string `json:"rule_id"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// extras are the report fields this package reads beyond report.Document.
type extras struct {
	Summary struct {
		Complete   *bool        `json:"complete"`
		Incomplete []Incomplete `json:"incomplete"`
	} `json:"summary"`
	Coverage []Coverage `json:"coverage"`
}

// Parse reads a JSON report. It refuses a document that is not a triage
// report (no schema_version), so a wrong file is named instead of compared
// as if it had no findings.
func Parse(data []byte, label string) (*Report, error) {
	var probe struct {
		SchemaVersion *string `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a JSON report: %w", label, err)
	}
	if probe.SchemaVersion == nil {
		return nil, fmt.Errorf("%s: not a triage JSON report (no schema_version)", label)
	}
	r := &Report{Label: label}
	if err := json.Unmarshal(data, &r.Doc); err != nil {
		return nil, fmt.Errorf("%s: reading the JSON report: %w", label, err)
	}
	var ex extras
	if err := json.Unmarshal(data, &ex); err != nil {
		return nil, fmt.Errorf("%s: reading the JSON report: %w", label, err)
	}
	r.Complete, r.Incomplete = ex.Summary.Complete, ex.Summary.Incomplete
	if ex.Coverage != nil {
		r.Coverage = make(map[string]Coverage, len(ex.Coverage))
		for _, c := range ex.Coverage {
			r.Coverage[c.RuleID] = c
		}
	}
	return r, nil
}

// FromDocument wraps a report built in this process (report.NewDocument):
// it goes through JSON so that both sides are read the same way.
func FromDocument(d report.Document, label string) (*Report, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(d); err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return Parse(buf.Bytes(), label)
}

// Status is what happened to one finding between the two analyses.
type Status string

// The statuses of a Change, in the order reports list them.
const (
	// New: found in the new analysis only.
	New Status = "new"
	// Persisting: found in both.
	Persisting Status = "persisting"
	// Unverified: found in the old analysis only, but the new one could
	// not judge it (the rule was not evaluated, failed, or the analysis is
	// incomplete), so it is not called resolved.
	Unverified Status = "unverified"
	// Resolved: found in the old analysis only, and the new one evaluated
	// the rule on what it needs.
	Resolved Status = "resolved"
)

var statusOrder = map[Status]int{New: 0, Persisting: 1, Unverified: 2, Resolved: 3}

// Change is one finding's fate: the rule and subject, and the finding as
// each side reported it (nil on the side where it is absent).
type Change struct {
	Status   Status             `json:"status"`
	RuleID   string             `json:"rule_id"`
	Severity string             `json:"severity"`
	Title    string             `json:"title"`
	Subject  string             `json:"subject"`
	Reason   string             `json:"reason,omitempty"`
	Old      *report.DocFinding `json:"old"`
	New      *report.DocFinding `json:"new"`
}

// Side describes one analysis of the comparison.
type Side struct {
	Label    string `json:"label"`
	Bundle   string `json:"bundle"`
	SHA256   string `json:"sha256"`
	Hostname string `json:"hostname"`
	// Complete is the report's summary.complete; null when it did not say.
	Complete   *bool        `json:"complete"`
	Incomplete []Incomplete `json:"incomplete"`
	Findings   int          `json:"findings"`
	Errors     int          `json:"errors"`
}

// Counts are the number of changes of each status.
type Counts struct {
	New        int `json:"new"`
	Persisting int `json:"persisting"`
	Unverified int `json:"unverified"`
	Resolved   int `json:"resolved"`
}

// Result is the comparison of two analyses.
type Result struct {
	SchemaVersion string   `json:"schema_version"`
	Old           Side     `json:"old"`
	New           Side     `json:"new"`
	Summary       Counts   `json:"summary"`
	Notes         []string `json:"notes"`
	Changes       []Change `json:"changes"`
}

func side(r *Report) Side {
	s := Side{Label: r.Label, Bundle: r.Doc.Bundle.Path, SHA256: r.Doc.Bundle.SHA256,
		Hostname: r.Doc.Host.Hostname, Complete: r.Complete, Incomplete: r.Incomplete,
		Findings: len(r.Doc.Findings), Errors: len(r.Doc.Errors)}
	if s.Incomplete == nil {
		s.Incomplete = []Incomplete{}
	}
	return s
}

func key(f *report.DocFinding) string { return f.RuleID + "\x00" + f.Subject }

// Compare matches the findings of old and new by rule id and subject.
func Compare(old, new *Report) *Result {
	res := &Result{SchemaVersion: SchemaVersion, Old: side(old), New: side(new), Notes: []string{}, Changes: []Change{}}
	newBy := map[string][]*report.DocFinding{}
	for i := range new.Doc.Findings {
		f := &new.Doc.Findings[i]
		newBy[key(f)] = append(newBy[key(f)], f)
	}
	failed := map[string]string{}
	for _, e := range new.Doc.Errors {
		failed[e.RuleID] = e.Message
	}
	for i := range old.Doc.Findings {
		o := &old.Doc.Findings[i]
		k := key(o)
		if list := newBy[k]; len(list) > 0 {
			n := list[0]
			newBy[k] = list[1:]
			res.Changes = append(res.Changes, Change{Status: Persisting, RuleID: n.RuleID, Severity: n.Severity,
				Title: n.Title, Subject: n.Subject, Old: o, New: n})
			continue
		}
		st, reason := Resolved, ""
		switch cov, ok := new.Coverage[o.RuleID]; {
		case failed[o.RuleID] != "":
			st, reason = Unverified, "the rule failed on the new bundle: "+failed[o.RuleID]
		case new.Coverage != nil && !ok:
			st, reason = Unverified, "the new analysis did not run this rule"
		case ok && cov.Status == "not_evaluated":
			st, reason = Unverified, "the new analysis could not evaluate this rule"
			if cov.Reason != "" {
				reason += ": " + cov.Reason
			}
		case new.Coverage == nil && new.Complete != nil && !*new.Complete:
			st, reason = Unverified, "the new analysis is incomplete, so the finding may only have gone unseen"
		}
		res.Changes = append(res.Changes, Change{Status: st, RuleID: o.RuleID, Severity: o.Severity,
			Title: o.Title, Subject: o.Subject, Reason: reason, Old: o})
	}
	for i := range new.Doc.Findings {
		n := &new.Doc.Findings[i]
		// Findings matched above were consumed from the front of each list.
		if slices.Contains(newBy[key(n)], n) {
			res.Changes = append(res.Changes, Change{Status: New, RuleID: n.RuleID, Severity: n.Severity,
				Title: n.Title, Subject: n.Subject, New: n})
		}
	}
	slices.SortStableFunc(res.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(statusOrder[a.Status], statusOrder[b.Status]),
			-cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)),
			cmp.Compare(a.RuleID, b.RuleID), cmp.Compare(a.Subject, b.Subject))
	})
	for _, c := range res.Changes {
		switch c.Status {
		case New:
			res.Summary.New++
		case Persisting:
			res.Summary.Persisting++
		case Unverified:
			res.Summary.Unverified++
		case Resolved:
			res.Summary.Resolved++
		}
	}
	if new.Complete == nil && new.Coverage == nil && res.Summary.Resolved > 0 {
		res.Notes = append(res.Notes, "the new report does not say whether the analysis was complete: a finding counted as resolved may only have gone unseen")
	} else if new.Complete != nil && !*new.Complete {
		res.Notes = append(res.Notes, "the new analysis is incomplete: see its report's list of what it could not see")
	}
	if old.Complete != nil && !*old.Complete {
		res.Notes = append(res.Notes, "the old analysis is incomplete: a finding counted as new may have been present but unseen before")
	}
	if old.Doc.Host.Hostname != "" && new.Doc.Host.Hostname != "" && old.Doc.Host.Hostname != new.Doc.Host.Hostname {
		res.Notes = append(res.Notes, fmt.Sprintf("the bundles come from different hosts (%s and %s)",
			report.SafeText(old.Doc.Host.Hostname), report.SafeText(new.Doc.Host.Hostname)))
	}
	if old.Doc.Bundle.SHA256 != "" && old.Doc.Bundle.SHA256 == new.Doc.Bundle.SHA256 {
		res.Notes = append(res.Notes, "both analyses read the same bundle (same sha256)")
	}
	return res
}

// sevRank orders severity names; an unknown name ranks below info.
func sevRank(name string) int {
	s, err := rules.ParseSeverity(name)
	if err != nil {
		return -1
	}
	return int(s)
}

// NewAtOrAbove counts the new findings at or above sev: `triage diff
// --fail-on` exits 1 when it is not zero.
func (r *Result) NewAtOrAbove(sev rules.Severity) int {
	n := 0
	for _, c := range r.Changes {
		if c.Status == New && sevRank(c.Severity) >= int(sev) {
			n++
		}
	}
	return n
}

// NewIncomplete reports whether the new analysis says it did not see the
// whole bundle: no new finding there is then no all-clear, and `triage
// diff` exits 4 as `triage analyze` does.
func (r *Result) NewIncomplete() bool {
	return r.New.Complete != nil && !*r.New.Complete
}
