package collect

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// ruleIDs lists the rule ids of an analysis' findings, sorted, one per
// finding.
func ruleIDs(t *testing.T, set *rules.Set, bundle string) []string {
	t.Helper()
	res, err := analyze.Run(context.Background(), bundle, analyze.Options{Rules: set})
	if err != nil {
		t.Fatalf("analyze %s: %v", bundle, err)
	}
	for _, e := range res.Errors {
		t.Errorf("%s: rule error %s", bundle, e)
	}
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.RuleID)
	}
	sort.Strings(ids)
	return ids
}

// TestRedactedAnalysisMatches analyzes the fake host's bundle with and
// without --redact: the same rules must fire the same number of times,
// and the scenario's known problems must be among them.
func TestRedactedAnalysisMatches(t *testing.T) {
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatalf("shipped rules: %v", err)
	}
	o, _ := fakeOptions(t, "fakehost", "linux")
	plain, _, _ := collectTo(t, o)
	o.Redact = true
	redacted, _, _ := collectTo(t, o)

	a, b := ruleIDs(t, set, plain), ruleIDs(t, set, redacted)
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("findings differ:\n plain:    %v\n redacted: %v", a, b)
	}
	// The scenario: a shell inside the guard point, an NFS mount inside
	// it, intercepts superseded, a hung task.
	for _, want := range []string{"gde.guardpoint-busy", "gde.nested-mount", "gde.syscall-chaining", "kernel.hung-task"} {
		found := false
		for _, id := range a {
			found = found || id == want
		}
		if !found {
			t.Errorf("%s did not fire on the fake host: %v", want, a)
		}
	}
}
