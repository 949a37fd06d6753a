package analyze_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// TestRuleOnHostOS: a rule may depend on the operating system. Host fields
// used to crash the expression compiler; this rule must lint clean, fire
// on an AIX bundle and stay quiet on a Linux one.
func TestRuleOnHostOS(t *testing.T) {
	dir := t.TempDir()
	rule := `id: test.aix-host
title: The bundle comes from an AIX host
severity: info
let:
  os: Host.OS
when: Host.OS == "AIX"
evidence: Host.Sources
message: "{{ Host.Hostname }} runs {{ os }} {{ Host.OSVersion }}"
`
	if err := os.WriteFile(filepath.Join(dir, "aix.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadDir(dir)
	if err != nil {
		t.Fatalf("a rule on Host.OS must lint clean: %v", err)
	}
	for _, tc := range []struct {
		bundle string
		fires  bool
	}{
		{"healthy-gde-aix", true},
		{"gde-busy-aix", true},
		{"healthy-gde-sos", false},
	} {
		res, err := analyze.Run(context.Background(), filepath.Join("..", "testdata", "bundles", tc.bundle), analyze.Options{Rules: set})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %v", tc.bundle, res.Errors)
		}
		fired := 0
		for _, f := range res.Findings {
			if f.RuleID == "test.aix-host" {
				fired++
				if len(f.Evidence) == 0 {
					t.Errorf("%s: finding quotes no host source", tc.bundle)
				}
			}
		}
		if (fired == 1) != tc.fires {
			t.Errorf("%s: fired %d times, want fires=%v", tc.bundle, fired, tc.fires)
		}
	}
}
