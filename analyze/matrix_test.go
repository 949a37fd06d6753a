package analyze_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// The rules' own `tests:` cases (rules.d/*.yaml) are the one source of
// truth for what every rule must do. This file runs all of them under
// `go test`, with the same runner as `triage rules test`, and derives the
// rules × scenarios matrix from them: on each scenario bundle
// (testdata/bundles/* and the sample bundle) exactly the rules that have an
// `expect: fire` case naming that bundle must fire, every other rule must
// stay quiet. Adding a rule therefore touches its YAML file and, at most,
// the one scenario directory it adds.

// scenarioDirs lists every scenario bundle of testdata/bundles plus the
// README sample bundle, relative to this package.
func scenarioDirs(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "testdata", "bundles")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("reading scenario directory %s: %v", root, err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(root, e.Name()))
		}
	}
	dirs = append(dirs, filepath.Join("..", "testdata", "sample-bundle"))
	if len(dirs) < 2 {
		t.Fatalf("no scenario bundles found under %s", root)
	}
	for _, d := range dirs {
		// The scenarios' expectations used to live beside them; a file
		// written that way now would be silently ignored, so it is an error.
		if _, err := os.Stat(filepath.Join(d, "expected.yaml")); err == nil {
			t.Errorf("%s: expected.yaml is no longer read: say what must fire there with `expect: fire` cases (bundle: ../testdata/bundles/%s) in the rules' YAML files, and delete it", d, filepath.Base(d))
		}
	}
	return dirs
}

// absDir is a directory made absolute, so that a case's bundle (relative
// to rules.d) and a scenario directory (relative to here) compare.
func absDir(t *testing.T, d string) string {
	t.Helper()
	abs, err := filepath.Abs(d)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// shipped loads the shipped rules, with rules.d found on disk so that
// `bundle:` cases resolve.
func shipped(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatalf("loading the shipped rules: %v", err)
	}
	if len(set.Rules()) == 0 {
		t.Fatal("no shipped rules")
	}
	return set
}

// caseRef is one test case of one rule.
type caseRef struct {
	rule *rules.Rule
	tc   rules.TestCase
	dir  string // the bundle directory, absolute; "" for inline files
}

func (c caseRef) where() string { return fmt.Sprintf("%s:%d", c.rule.File, c.tc.Line) }

// allCases lists every case of every shipped rule, failing the test for a
// bundle case that cannot be located: in the source tree every case must
// run.
func allCases(t *testing.T, set *rules.Set) []caseRef {
	t.Helper()
	var out []caseRef
	for _, r := range set.Rules() {
		for _, tc := range r.Tests {
			c := caseRef{rule: r, tc: tc}
			if tc.Bundle != "" {
				d, err := r.BundleDir(tc)
				if err != nil {
					t.Fatalf("%s: bundle %s: %v", c.where(), tc.Bundle, err)
				}
				c.dir = absDir(t, d)
			}
			out = append(out, c)
		}
	}
	return out
}

// expectedMatrix derives, from the cases, which rules must fire on each
// scenario bundle: scenario dir -> rule id -> the case that says so.
func expectedMatrix(t *testing.T, cases []caseRef, dirs []string) map[string]map[string]caseRef {
	t.Helper()
	isScenario := map[string]bool{}
	for _, d := range dirs {
		isScenario[absDir(t, d)] = true
	}
	want := map[string]map[string]caseRef{}
	quiet := map[[2]string]caseRef{}
	for _, c := range cases {
		if c.dir == "" {
			continue
		}
		if !isScenario[c.dir] {
			t.Errorf("%s: bundle %s is not a scenario bundle (testdata/bundles/NAME or testdata/sample-bundle), so the matrix cannot hold it", c.where(), c.tc.Bundle)
			continue
		}
		key := [2]string{c.dir, c.rule.ID}
		switch c.tc.Expect {
		case "fire":
			if want[c.dir] == nil {
				want[c.dir] = map[string]caseRef{}
			}
			want[c.dir][c.rule.ID] = c
		case "quiet":
			quiet[key] = c
		}
	}
	for key, q := range quiet {
		if f, ok := want[key[0]][key[1]]; ok {
			t.Errorf("%s expects %s quiet on %s, but %s expects it to fire", q.where(), key[1], filepath.Base(key[0]), f.where())
		}
	}
	return want
}

// TestRuleCases runs every `tests:` case of every shipped rule, exactly as
// `triage rules test` does, and checks that each one is decisive: the same
// findings checked against the case with its expectation flipped (fire ↔
// quiet) must fail. So flipping any case in rules.d fails `go test ./...`.
func TestRuleCases(t *testing.T) {
	set := shipped(t)
	for _, c := range allCases(t, set) {
		t.Run(c.rule.ID+"/"+c.tc.Name, func(t *testing.T) {
			res, err := rules.RunCase(context.Background(), c.rule, c.tc, analyze.LoadModel)
			if err != nil {
				t.Fatal(err)
			}
			if res.Skip != "" {
				t.Fatalf("%s: skipped in the source tree: %s", c.where(), res.Skip)
			}
			if res.Problem != "" {
				t.Fatalf("%s: %s", c.where(), res.Problem)
			}
			for _, f := range res.Findings {
				if len(f.Evidence) == 0 {
					t.Errorf("%s fired without evidence: %s", f.RuleID, f.Message)
				}
			}
			flipped := c.tc
			flipped.Expect = map[string]string{"fire": "quiet", "quiet": "fire"}[c.tc.Expect]
			flipped.MessageContains, flipped.Subject, flipped.Evidence, flipped.Count = nil, "", nil, -1
			if flipped.Check(res.Findings) == "" {
				t.Errorf("%s: the case passes with expect: %s as well, so it tests nothing", c.where(), flipped.Expect)
			}
		})
	}
}

// TestFlippedYAMLCaseFails proves the claim end to end on the files: a copy
// of rules.d with one `expect:` flipped in the YAML text makes the runner
// fail. (Bundle paths are rewritten to absolute ones, which also exercises
// absolute `bundle:` paths.)
func TestFlippedYAMLCaseFails(t *testing.T) {
	set := shipped(t)
	r := set.Rule("gde.guardpoint-busy")
	if r == nil || r.Dir == "" {
		t.Fatal("gde.guardpoint-busy not loaded from rules.d on disk")
	}
	src, err := os.ReadFile(filepath.Join(r.Dir, "gde.guardpoint-busy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join(r.Dir, "..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(src), "bundle: ../testdata", "bundle: "+filepath.ToSlash(abs))
	for _, tt := range []struct{ name, from, to string }{
		{"unchanged", "", ""},
		{"fire to quiet", "expect: fire", "expect: quiet"},
		{"quiet to fire", "expect: quiet", "expect: fire"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mutated := text
			if tt.from != "" {
				i := strings.Index(mutated, tt.from)
				if i < 0 {
					t.Fatalf("no %q in the rule", tt.from)
				}
				// A flipped fire case must also lose what only a finding
				// can satisfy, or lint rejects it before it runs.
				end := strings.Index(mutated[i:], "\n  - ")
				if end < 0 {
					end = len(mutated) - i
				}
				block := mutated[i : i+end]
				var kept []string
				for _, l := range strings.Split(block, "\n") {
					f := strings.TrimSpace(l)
					if strings.HasPrefix(f, "count:") || strings.HasPrefix(f, "message_contains:") || strings.HasPrefix(f, "subject:") || strings.HasPrefix(f, "evidence:") {
						continue
					}
					kept = append(kept, l)
				}
				mutated = mutated[:i] + strings.Replace(strings.Join(kept, "\n"), tt.from, tt.to, 1) + mutated[i+end:]
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "gde.guardpoint-busy.yaml"), []byte(mutated), 0o644); err != nil {
				t.Fatal(err)
			}
			one, err := rules.LoadDir(dir)
			if err != nil {
				t.Fatalf("the mutated rule does not load: %v", err)
			}
			var out strings.Builder
			sum, err := one.RunTests(context.Background(), analyze.LoadModel, &out)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Skipped > 0 {
				t.Fatalf("cases skipped:\n%s", out.String())
			}
			if wantFail := tt.from != ""; (sum.Failed > 0) != wantFail {
				t.Errorf("flipped=%v: %s\n%s", wantFail, sum, out.String())
			}
		})
	}
}

// TestMatrix runs the whole pipeline with all shipped rules on every
// scenario bundle and checks that exactly the rules the cases expect fire.
// With -v it logs the rules × scenarios matrix.
func TestMatrix(t *testing.T) {
	set := shipped(t)
	dirs := scenarioDirs(t)
	want := expectedMatrix(t, allCases(t, set), dirs)
	fired := map[string]map[string]int{} // scenario -> rule id -> findings
	var ids []string
	for _, r := range set.Rules() {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)

	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			res, err := analyze.Run(context.Background(), dir, analyze.Options{Rules: set})
			if err != nil {
				t.Fatalf("analyze.Run(%s): %v", dir, err)
			}
			for _, e := range res.Errors {
				t.Errorf("rule %s failed to evaluate: %s", e.RuleID, e.Msg)
			}
			got := map[string]int{}
			for _, f := range res.Findings {
				got[f.RuleID]++
			}
			fired[name] = got
			for _, id := range ids {
				c, expected := want[absDir(t, dir)][id]
				switch {
				case expected && got[id] == 0:
					t.Errorf("%s did not fire, but %s expects it to", id, c.where())
				case !expected && got[id] > 0:
					for _, f := range res.Findings {
						if f.RuleID == id {
							t.Errorf("%s fired (%s), but no case of %s expects it on %s: add an `expect: fire` case with bundle ../testdata/%s, or fix the rule",
								id, f.Message, set.Rule(id).File, name, filepath.ToSlash(mustRel(t, dir)))
							break
						}
					}
				}
			}
		})
	}

	if testing.Verbose() {
		expected := map[string]map[string]bool{}
		for _, dir := range dirs {
			expected[filepath.Base(dir)] = map[string]bool{}
			for id := range want[absDir(t, dir)] {
				expected[filepath.Base(dir)][id] = true
			}
		}
		t.Log("\n" + matrixTable(ids, dirs, expected, fired))
	}
}

// mustRel is a scenario directory relative to testdata.
func mustRel(t *testing.T, dir string) string {
	t.Helper()
	rel, err := filepath.Rel(filepath.Join("..", "testdata"), dir)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// TestMatrixCoverage checks that every shipped rule has a case where it
// fires on a scenario bundle and a near miss (an `expect: quiet` case)
// where it must not, so that no rule goes untested in either direction.
func TestMatrixCoverage(t *testing.T) {
	set := shipped(t)
	firesIn := map[string]int{}
	quietIn := map[string]int{}
	for _, c := range allCases(t, set) {
		switch {
		case c.tc.Expect == "fire" && c.dir != "":
			firesIn[c.rule.ID]++
		case c.tc.Expect == "quiet":
			quietIn[c.rule.ID]++
		}
	}
	for _, r := range set.Rules() {
		if firesIn[r.ID] == 0 {
			t.Errorf("rule %s (%s) fires in no scenario bundle: add an `expect: fire` case with a bundle", r.ID, r.File)
		}
		if quietIn[r.ID] == 0 {
			t.Errorf("rule %s (%s) has no near-miss (expect: quiet) test case", r.ID, r.File)
		}
	}
}

// matrixTable draws the matrix the rules' cases define: X where a rule must
// fire, . where it must stay quiet; a cell where the run disagrees shows
// "+" (fired, not expected) or "-" (expected, did not fire).
func matrixTable(ids, dirs []string, expected map[string]map[string]bool, fired map[string]map[string]int) string {
	var names []string
	for _, d := range dirs {
		names = append(names, filepath.Base(d))
	}
	var b strings.Builder
	w := 0
	for _, n := range names {
		if len(n) > w {
			w = len(n)
		}
	}
	fmt.Fprintf(&b, "%-*s", w, "scenario")
	for i := range ids {
		fmt.Fprintf(&b, " %2d", i+1)
	}
	b.WriteString("\n")
	for _, n := range names {
		fmt.Fprintf(&b, "%-*s", w, n)
		for _, id := range ids {
			mark := "."
			switch got, want := fired[n][id] > 0, expected[n][id]; {
			case got && want:
				mark = "X"
			case got:
				mark = "+"
			case want:
				mark = "-"
			}
			fmt.Fprintf(&b, " %2s", mark)
		}
		b.WriteString("\n")
	}
	for i, id := range ids {
		fmt.Fprintf(&b, "%2d %s\n", i+1, id)
	}
	return b.String()
}

// TestReadmeExample keeps the complete example of rules.d/README.md true:
// it lints, and its test cases pass on the bundles they name.
func TestReadmeExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "rules.d", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, "## A complete example")
	if start < 0 {
		t.Fatal(`rules.d/README.md has no "## A complete example"`)
	}
	text = text[start:]
	open, end := strings.Index(text, "```yaml\n"), -1
	if open >= 0 {
		text = text[open+len("```yaml\n"):]
		end = strings.Index(text, "```")
	}
	if end < 0 {
		t.Fatal("no ```yaml block after the heading")
	}
	abs, err := filepath.Abs(filepath.Join("..", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	rule := strings.ReplaceAll(text[:end], "bundle: ../testdata", "bundle: "+filepath.ToSlash(abs))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "example.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadDir(dir)
	if err != nil {
		t.Fatalf("the README's example does not lint: %v", err)
	}
	var out strings.Builder
	sum, err := set.RunTests(context.Background(), analyze.LoadModel, &out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Passed == 0 || sum.Failed > 0 || sum.Skipped > 0 {
		t.Errorf("the README's example cases: %s\n%s", sum, out.String())
	}
}
