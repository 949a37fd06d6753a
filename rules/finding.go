package rules

import (
	"fmt"
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
	Subject  string         `json:"subject,omitempty"`
	Evidence []model.Source `json:"evidence"`
	KB
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
