package rules

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

func (t TestSummary) String() string {
	s := fmt.Sprintf("%d passed, %d failed", t.Passed, t.Failed)
	if t.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", t.Skipped)
	}
	return s
}

// RunTests runs every rule's test cases, writing one line per case and a
// closing "N passed, N failed" line to w. Each case evaluates only its own
// rule. A case whose bundle directory cannot be located (a shipped rule
// outside a source tree) is skipped with the reason. The error is for
// problems of the run itself (a temp dir that cannot be written).
func (s *Set) RunTests(ctx context.Context, load ModelLoader, w io.Writer) (TestSummary, error) {
	var sum TestSummary
	for _, r := range s.rules {
		one := newSet([]*Rule{r})
		for _, tc := range r.Tests {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			label := fmt.Sprintf("%s: %s", r.ID, tc.Name)
			problem, skip, err := runCase(ctx, one, r, tc, load)
			if err != nil {
				return sum, err
			}
			switch {
			case skip != "":
				sum.Skipped++
				fmt.Fprintf(w, "SKIP %s (%s)\n", label, skip)
			case problem != "":
				sum.Failed++
				fmt.Fprintf(w, "FAIL %s (%s:%d): %s\n", label, r.File, tc.Line, problem)
			default:
				sum.Passed++
				fmt.Fprintf(w, "ok   %s\n", label)
			}
		}
	}
	fmt.Fprintln(w, sum.String())
	return sum, nil
}

// runCase runs one case and says what went wrong ("" when it passed) or
// why it was skipped.
func runCase(ctx context.Context, one *Set, r *Rule, tc TestCase, load ModelLoader) (problem, skip string, err error) {
	dir := ""
	if tc.Bundle != "" {
		if r.Dir == "" {
			return "", "bundle " + tc.Bundle + " is relative to rules.d, which is not on disk here", nil
		}
		dir = filepath.Join(r.Dir, filepath.FromSlash(tc.Bundle))
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Sprintf("bundle directory %s not found", dir), "", nil
		}
	} else {
		tmp, err := os.MkdirTemp("", "triage-ruletest-")
		if err != nil {
			return "", "", fmt.Errorf("rule tests: %w", err)
		}
		defer os.RemoveAll(tmp)
		for _, f := range tc.Files {
			p := filepath.Join(tmp, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return "", "", fmt.Errorf("rule tests: %w", err)
			}
			if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
				return "", "", fmt.Errorf("rule tests: %w", err)
			}
		}
		dir = tmp
	}
	m, err := load(ctx, dir, one.LinePatterns())
	if err != nil {
		return "cannot load bundle: " + err.Error(), "", nil
	}
	findings, errs := one.Evaluate(ctx, m)
	if len(errs) > 0 {
		return "evaluation failed: " + errs[0].Msg, "", nil
	}
	return checkCase(tc, findings), "", nil
}

// checkCase compares findings with a case's expectations.
func checkCase(tc TestCase, findings []Finding) string {
	var problems []string
	switch {
	case tc.Expect == "fire" && len(findings) == 0:
		problems = append(problems, "expected the rule to fire, it stayed quiet")
	case tc.Expect == "quiet" && len(findings) > 0:
		problems = append(problems, fmt.Sprintf("expected quiet, got %d finding(s): %s", len(findings), findings[0].Message))
	}
	if tc.Count >= 0 && len(findings) != tc.Count {
		problems = append(problems, fmt.Sprintf("expected %d finding(s), got %d", tc.Count, len(findings)))
	}
	if tc.MessageContains != "" {
		found := false
		for _, f := range findings {
			if strings.Contains(f.Message, tc.MessageContains) {
				found = true
				break
			}
		}
		if !found {
			var msgs []string
			for _, f := range findings {
				msgs = append(msgs, fmt.Sprintf("%q", f.Message))
			}
			problems = append(problems, fmt.Sprintf("no message contains %q (messages: %s)", tc.MessageContains, strings.Join(msgs, ", ")))
		}
	}
	return strings.Join(problems, "; ")
}
