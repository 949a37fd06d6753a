package analyze_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// expectation is a scenario's expected.yaml: the exact set of rule ids that
// must fire on the bundle beside it, and optional substrings that at least
// one finding of a rule must carry in its message.
type expectation struct {
	Fires    []string            `yaml:"fires"`
	Messages map[string][]string `yaml:"messages"`
}

// scenarioDirs lists every scenario bundle of testdata/bundles plus the
// README sample bundle, each a directory holding an expected.yaml.
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
	return dirs
}

func readExpectation(t *testing.T, dir string) expectation {
	t.Helper()
	p := filepath.Join(dir, "expected.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("every scenario needs an expected.yaml: %v", err)
	}
	var exp expectation
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&exp); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if exp.Fires == nil {
		t.Fatalf("%s: missing `fires:` (write `fires: []` for a bundle where nothing may fire)", p)
	}
	return exp
}

// TestMatrix runs the whole pipeline with the shipped rules on every
// scenario bundle and checks that exactly the expected rules fire. With -v
// it logs the rules × scenarios matrix.
func TestMatrix(t *testing.T) {
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatalf("loading the shipped rules: %v", err)
	}
	dirs := scenarioDirs(t)
	fired := map[string]map[string]int{} // scenario -> rule id -> findings
	var ids []string
	for _, r := range set.Rules() {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}

	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			exp := readExpectation(t, dir)
			for _, id := range exp.Fires {
				if !known[id] {
					t.Errorf("expected.yaml names rule %q, which is not shipped", id)
				}
			}
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

			want := map[string]bool{}
			for _, id := range exp.Fires {
				want[id] = true
			}
			var missing, unexpected []string
			for id := range want {
				if got[id] == 0 {
					missing = append(missing, id)
				}
			}
			for id := range got {
				if !want[id] {
					unexpected = append(unexpected, id)
				}
			}
			sort.Strings(missing)
			sort.Strings(unexpected)
			if len(missing) > 0 || len(unexpected) > 0 {
				var b strings.Builder
				fmt.Fprintf(&b, "fired rules differ from %s:\n", filepath.Join(dir, "expected.yaml"))
				if len(missing) > 0 {
					fmt.Fprintf(&b, "  expected but did not fire: %s\n", strings.Join(missing, ", "))
				}
				for _, id := range unexpected {
					for _, f := range res.Findings {
						if f.RuleID == id {
							fmt.Fprintf(&b, "  fired but not expected:    %s: %s\n", id, f.Message)
						}
					}
				}
				t.Error(b.String())
			}

			for id, subs := range exp.Messages {
				if !want[id] {
					t.Errorf("expected.yaml has messages for %s, which it does not expect to fire", id)
					continue
				}
				var msgs []string
				for _, f := range res.Findings {
					if f.RuleID == id {
						msgs = append(msgs, f.Message)
					}
				}
				for _, s := range subs {
					ok := false
					for _, m := range msgs {
						if strings.Contains(m, s) {
							ok = true
							break
						}
					}
					if !ok && len(msgs) > 0 {
						t.Errorf("no %s finding mentions %q; messages:\n  %s", id, s, strings.Join(msgs, "\n  "))
					}
				}
			}
			for _, f := range res.Findings {
				if len(f.Evidence) == 0 {
					t.Errorf("%s fired without evidence: %s", f.RuleID, f.Message)
				}
			}
		})
	}

	if testing.Verbose() {
		t.Log("\n" + matrixTable(ids, dirs, fired))
	}
}

// TestMatrixCoverage checks that every shipped rule fires in at least one
// scenario and stays quiet in at least one scenario that exercises it (a
// near miss), so that no rule goes untested in either direction.
func TestMatrixCoverage(t *testing.T) {
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatalf("loading the shipped rules: %v", err)
	}
	firesIn := map[string]int{}
	quietIn := map[string]int{}
	for _, dir := range scenarioDirs(t) {
		exp := readExpectation(t, dir)
		for _, id := range exp.Fires {
			firesIn[id]++
		}
	}
	// A rule's own tests name the near misses: every `expect: quiet` case
	// pointing at a scenario bundle counts.
	for _, r := range set.Rules() {
		for _, c := range r.Tests {
			if c.Expect == "quiet" {
				quietIn[r.ID]++
			}
		}
	}
	for _, r := range set.Rules() {
		if firesIn[r.ID] == 0 {
			t.Errorf("rule %s fires in no scenario bundle", r.ID)
		}
		if quietIn[r.ID] == 0 {
			t.Errorf("rule %s has no near-miss (expect: quiet) test case", r.ID)
		}
	}
}

func matrixTable(ids, dirs []string, fired map[string]map[string]int) string {
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
			if fired[n][id] > 0 {
				mark = "X"
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
