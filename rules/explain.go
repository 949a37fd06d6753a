package rules

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/fsagent/triage/model"
)

// Explanation tells why a rule did or did not fire on one bundle: for every
// for_each item, the value of each let, of when, and of each operand of a
// top-level && / || chain. `triage analyze --explain ID` prints it.
type Explanation struct {
	RuleID  string        `json:"rule_id"`
	Title   string        `json:"title"`
	ForEach string        `json:"for_each,omitempty"` // the for_each expression, empty without one
	Items   int           `json:"items"`              // how many items for_each yielded
	When    string        `json:"when"`
	Cases   []ExplainCase `json:"cases"`
	Fired   int           `json:"fired"`
	// Err is the evaluation error, when the rule failed.
	Err string `json:"error,omitempty"`
}

// ExplainCase is the evaluation of one item.
type ExplainCase struct {
	Subject  string       `json:"subject,omitempty"`
	Lets     []NamedValue `json:"lets,omitempty"`
	When     bool         `json:"when"`
	Op       string       `json:"op,omitempty"`       // "&&" or "||" when Operands are set
	Operands []NamedValue `json:"operands,omitempty"` // the chain's operands with their values
	Fired    bool         `json:"fired"`
	Message  string       `json:"message,omitempty"`
	Err      string       `json:"error,omitempty"`
}

// NamedValue is an expression (and, for let, its name) with its value
// described briefly.
type NamedValue struct {
	Name  string `json:"name,omitempty"`
	Expr  string `json:"expr"`
	Value string `json:"value"`
}

// Explain evaluates one rule on the model and records every step.
func (s *Set) Explain(ctx context.Context, m *model.Model, id string) (*Explanation, error) {
	r := s.Rule(id)
	if r == nil {
		return nil, fmt.Errorf("no rule %q (see `triage rules list`)", id)
	}
	ex := &Explanation{RuleID: r.ID, Title: r.Title, ForEach: r.ForEach, When: r.When}
	fs, err := r.run(ctx, s.timeout(), s.EvidenceLimit, modelEnv(m), m, ex)
	if err != nil {
		ex.Err = err.Error()
	}
	ex.Fired = len(fs)
	return ex, nil
}

// String renders the explanation for a terminal.
func (e *Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule %s: %s\n", e.RuleID, e.Title)
	if e.ForEach != "" {
		fmt.Fprintf(&b, "for_each %s: %d item(s)\n", e.ForEach, e.Items)
	}
	fmt.Fprintf(&b, "when %s\n", strings.TrimSpace(e.When))
	if e.ForEach != "" && e.Items == 0 && e.Err == "" {
		b.WriteString("the rule did not fire: for_each yielded no item\n")
		return b.String()
	}
	for _, c := range e.Cases {
		if e.ForEach != "" {
			fmt.Fprintf(&b, "\nitem %s\n", c.Subject)
		} else {
			b.WriteString("\n")
		}
		for _, l := range c.Lets {
			fmt.Fprintf(&b, "  let %s = %s\n", l.Name, l.Value)
		}
		if c.Err != "" {
			fmt.Fprintf(&b, "  error: %s\n", c.Err)
			continue
		}
		fmt.Fprintf(&b, "  when: %t\n", c.When)
		for _, o := range c.Operands {
			mark := ""
			if c.Op == "&&" && o.Value == "false" {
				mark = "   <- false" // each of these alone keeps the rule quiet
			}
			fmt.Fprintf(&b, "    %s %s: %s%s\n", c.Op, o.Expr, o.Value, mark)
		}
		if c.Fired {
			fmt.Fprintf(&b, "  fired: %s\n", c.Message)
		}
	}
	if e.Err != "" {
		fmt.Fprintf(&b, "\nerror: %s\n", e.Err)
	}
	fmt.Fprintf(&b, "\nfindings: %d\n", e.Fired)
	return b.String()
}

// describe summarizes a value for Explain: lists by their length and first
// few items, facts by their subject.
func describe(v any) string {
	if v == nil {
		return "nil"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		n := rv.Len()
		if n == 0 {
			return "[] (empty)"
		}
		var parts []string
		for i := 0; i < n && i < 3; i++ {
			parts = append(parts, clip(render(rv.Index(i).Interface()), 60))
		}
		more := ""
		if n > 3 {
			more = ", ..."
		}
		return fmt.Sprintf("%d item(s): [%s%s]", n, strings.Join(parts, "; "), more)
	case reflect.String:
		return fmt.Sprintf("%q", rv.String())
	case reflect.Struct:
		return subjectOf(v)
	}
	return render(v)
}
