package rules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fsagent/triage/model"
)

// ModelLoader reads a bundle directory into a model, collecting the lines
// the rules asked for. The CLI passes the real pipeline; the rules package
// cannot import it (the pipeline imports rules).
type ModelLoader func(ctx context.Context, bundleDir string, patterns []LinePattern) (*model.Model, error)

// TestSummary counts the outcomes of RunTests.
type TestSummary struct {
	Passed, Failed, Skipped int
}

// String is the one-line summary RunTests prints after the cases.
func (t TestSummary) String() string {
	s := fmt.Sprintf("%d passed, %d failed", t.Passed, t.Failed)
	if t.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", t.Skipped)
	}
	return s
}

// CaseResult is what running one test case gave.
type CaseResult struct {
	// Findings are the rule's findings on the case's bundle.
	Findings []Finding
	// Problem says what the case expected and did not get; empty when it
	// passed.
	Problem string
	// Skip says why the case could not run (its bundle is relative to a
	// rules.d that is not on disk); empty when it ran.
	Skip string
}

// RunTests runs every rule's test cases, writing one line per case and a
// closing "N passed, N failed" line to w. Each case evaluates only its own
// rule. A case whose bundle directory cannot be located (a shipped rule
// outside a source tree) is skipped with the reason. The error is for
// problems of the run itself (a temp dir that cannot be written).
func (s *Set) RunTests(ctx context.Context, load ModelLoader, w io.Writer) (TestSummary, error) {
	var sum TestSummary
	for _, r := range s.rules {
		for _, tc := range r.Tests {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			label := fmt.Sprintf("%s: %s", r.ID, tc.Name)
			res, err := RunCase(ctx, r, tc, load)
			if err != nil {
				return sum, err
			}
			switch {
			case res.Skip != "":
				sum.Skipped++
				fmt.Fprintf(w, "SKIP %s (%s)\n", label, res.Skip)
			case res.Problem != "":
				sum.Failed++
				fmt.Fprintf(w, "FAIL %s (%s:%d): %s\n", label, r.File, tc.Line, res.Problem)
			default:
				sum.Passed++
				fmt.Fprintf(w, "ok   %s\n", label)
			}
		}
	}
	fmt.Fprintln(w, sum.String())
	return sum, nil
}

// errNoRuleDir is BundleDir's error for a relative bundle of a rule that
// has no directory on disk.
var errNoRuleDir = errors.New("relative to rules.d, which is not on disk here")

// BundleDir is the directory a `bundle:` case names: an absolute path as
// written, a relative one resolved against the rule file's directory.
func (r *Rule) BundleDir(tc TestCase) (string, error) {
	b := filepath.FromSlash(tc.Bundle)
	if filepath.IsAbs(b) {
		return filepath.Clean(b), nil
	}
	if r.Dir == "" {
		return "", errNoRuleDir
	}
	return filepath.Join(r.Dir, b), nil
}

// RunCase runs one case of rule r: it loads the case's bundle with load,
// evaluates r alone and checks the findings against the case. The error is
// for problems of the run itself (a temp dir that cannot be written); a
// case that fails says so in CaseResult.Problem.
func RunCase(ctx context.Context, r *Rule, tc TestCase, load ModelLoader) (CaseResult, error) {
	one := newSet([]*Rule{r})
	dir := ""
	if tc.Bundle != "" {
		d, err := r.BundleDir(tc)
		if err != nil {
			return CaseResult{Skip: "bundle " + tc.Bundle + " is " + err.Error()}, nil
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return CaseResult{Problem: fmt.Sprintf("bundle directory %s not found", d)}, nil
		}
		dir = d
	} else {
		tmp, err := os.MkdirTemp("", "triage-ruletest-")
		if err != nil {
			return CaseResult{}, fmt.Errorf("rule tests: %w", err)
		}
		defer os.RemoveAll(tmp)
		for _, f := range tc.Files {
			p := filepath.Join(tmp, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return CaseResult{}, fmt.Errorf("rule tests: %w", err)
			}
			if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
				return CaseResult{}, fmt.Errorf("rule tests: %w", err)
			}
		}
		dir = tmp
	}
	m, err := load(ctx, dir, one.LinePatterns())
	if err != nil {
		return CaseResult{Problem: "cannot load bundle: " + err.Error()}, nil
	}
	findings, errs := one.Evaluate(ctx, m)
	if len(errs) > 0 {
		return CaseResult{Findings: findings, Problem: "evaluation failed: " + errs[0].Msg}, nil
	}
	return CaseResult{Findings: findings, Problem: tc.Check(findings)}, nil
}

// Check compares a rule's findings with the case's expectations and says
// everything that differs, or "" when the findings satisfy the case.
func (tc TestCase) Check(findings []Finding) string {
	var problems []string
	switch {
	case tc.Expect == "fire" && len(findings) == 0:
		problems = append(problems, "expected the rule to fire, it stayed quiet")
	case tc.Expect == "quiet" && len(findings) > 0:
		problems = append(problems, fmt.Sprintf("expected quiet, got %d finding(s): %s", len(findings), findings[0].Message))
	case tc.Expect != "fire" && tc.Expect != "quiet":
		problems = append(problems, fmt.Sprintf("expect %q: expected fire or quiet", tc.Expect))
	}
	if tc.Count >= 0 && len(findings) != tc.Count {
		problems = append(problems, fmt.Sprintf("expected %d finding(s), got %d", tc.Count, len(findings)))
	}
	if len(findings) == 0 {
		return strings.Join(problems, "; ")
	}
	// The findings the remaining checks look at: the one of Subject when
	// the case names it, else all of them.
	scope := findings
	if tc.Subject != "" {
		scope = nil
		var subjects []string
		for _, f := range findings {
			if f.Subject == tc.Subject {
				scope = append(scope, f)
			}
			subjects = append(subjects, fmt.Sprintf("%q", f.Subject))
		}
		if len(scope) == 0 {
			return strings.Join(append(problems, fmt.Sprintf("no finding has subject %q (subjects: %s)", tc.Subject, strings.Join(subjects, ", "))), "; ")
		}
	}
	for _, want := range tc.MessageContains {
		found := false
		for _, f := range scope {
			if strings.Contains(f.Message, want) {
				found = true
				break
			}
		}
		if !found {
			var msgs []string
			for _, f := range scope {
				msgs = append(msgs, fmt.Sprintf("%q", f.Message))
			}
			problems = append(problems, fmt.Sprintf("no message contains %q (messages: %s)", want, strings.Join(msgs, ", ")))
		}
	}
	for _, want := range tc.Evidence {
		p, line, _ := splitLocation(want)
		found := false
		for _, f := range scope {
			for _, e := range f.Evidence {
				if filepath.ToSlash(e.Path) == p && (e.Line == line || (e.Line < line && line <= e.EndLine)) {
					found = true
				}
			}
		}
		if !found {
			var quoted []string
			for _, f := range scope {
				for _, e := range f.Evidence {
					quoted = append(quoted, fmt.Sprintf("%s:%d", e.Path, e.Line))
				}
			}
			problems = append(problems, fmt.Sprintf("evidence does not quote %s (quoted: %s)", want, strings.Join(quoted, ", ")))
		}
	}
	return strings.Join(problems, "; ")
}

// splitLocation reads a "path:line" evidence location.
func splitLocation(s string) (path string, line int, err error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, fmt.Errorf("expected path:line, a bundle path and a line number")
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("expected path:line with a line number of 1 or more after the last colon")
	}
	return filepath.ToSlash(s[:i]), n, nil
}
