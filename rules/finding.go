package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fsagent/triage/model"
)

// Severity orders findings; a higher value is worse.
type Severity int

// The severities, from least to most serious.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(n, name) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", name, strings.Join(severityNames, ", "))
}

// MarshalText writes the severity's name, so JSON shows "high", not 3.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Reference points the reader at a source document.
type Reference struct {
	Title string `json:"title" yaml:"title"`
	URL   string `json:"url,omitempty" yaml:"url"`
	Doc   string `json:"doc,omitempty" yaml:"doc"` // a document id when there is no URL
}

// KB is the knowledge-base part of a rule, copied into each finding so a
// report can stand alone.
type KB struct {
	Summary    string      `json:"summary,omitempty"`
	Symptoms   []string    `json:"symptoms,omitempty"`
	Cause      string      `json:"cause,omitempty"`
	Diagnosis  []string    `json:"diagnosis,omitempty"`
	Resolution []string    `json:"resolution,omitempty"`
	Caveats    []string    `json:"caveats,omitempty"`
	References []Reference `json:"references,omitempty"`
}

// Finding is one rule firing on one bundle (or on one item of its
// for_each list).
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	// Subject names the item the finding is about (a guard point path, a
	// module, a cache), empty for rules without for_each.
	Subject string `json:"subject,omitempty"`
	// Evidence is a bounded, representative sample of the proving lines
	// (see Set.EvidenceLimit): the first line of each distinct process,
	// path or file first, then the others in the order the rule yielded
	// them, shown in that order.
	Evidence []model.Source `json:"evidence"`
	// EvidenceTotal counts every distinct proving line, sampled or not.
	EvidenceTotal int `json:"evidence_total"`
	// Aggregates summarize the finding's facts (the rule's aggregates:
	// block): distinct processes, descriptors, top commands.
	Aggregates []Aggregate `json:"aggregates,omitempty"`
	KB
}

// Aggregate is one named summary of a finding: a total, and for a list the
// most frequent values with their counts.
type Aggregate struct {
	Name string `json:"name"`
	// Total is the number given, or for a list the number of distinct
	// values.
	Total int     `json:"total"`
	Top   []Count `json:"top,omitempty"`
}

// MoreEvidence is how many proving lines the sample leaves out.
func (f Finding) MoreEvidence() int {
	if n := f.EvidenceTotal - len(f.Evidence); n > 0 {
		return n
	}
	return 0
}

// EvalError is a rule that failed while being evaluated on one bundle. The
// other rules still ran.
type EvalError struct {
	RuleID string `json:"rule_id"`
	Msg    string `json:"message"`
	// Deadline: the rule was abandoned at its deadline (see DeadlineError),
	// so whether it would have fired is unknown.
	Deadline bool `json:"deadline,omitempty"`
}

func (e EvalError) Error() string { return e.RuleID + ": " + e.Msg }

// ParseEvidenceLimit reads --evidence: a number of lines (at least 1) or
// "all", for Set.EvidenceLimit.
func ParseEvidenceLimit(s string) (int, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, nil
	}
	if s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("--evidence %q: expected a number of lines (1 or more) or all", s)
	}
	return n, nil
}
