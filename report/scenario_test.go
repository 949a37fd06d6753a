package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// scenarioBundles are scenario bundles of testdata/bundles whose reports
// are kept as goldens: the whole pipeline (bundle, parsers, shipped rules,
// report) end to end. A change to a rule's text shows here as a diff;
// regenerate with `go test ./report/ -run Scenario -update` once it is
// intended.
var scenarioBundles = []struct {
	name    string
	formats []string
}{
	{"gde-busy-flat", []string{"txt", "json", "md"}},
	{"gde-restart-sos", []string{"txt", "json", "md"}},
	{"multi-oes-flat", []string{"txt", "json", "md", "html"}},
	{"healthy-gde-sos", []string{"txt", "json"}},
}

// goldenRules are the shipped rules these goldens render. The list is fixed
// so that adding a rule (which would otherwise appear in every report's
// coverage) leaves the goldens alone: a new rule is proven by its own test
// cases, and the rendering of rules is pinned by these. Add an id here
// (and -update) when a report golden should show that rule.
var goldenRules = []string{
	"av.audit-slab-leak", "av.fuse-mount-missing", "av.fuse-statfs-deadlock",
	"av.hook-pins-module", "av.init-order-conflict", "av.ncp-volume-unmounted",
	"av.unsupported-version", "gde.guardpoint-busy", "gde.nested-mount",
	"gde.syscall-chaining", "gde.unload-restart-loop", "kernel.hung-task",
	"kernel.module-in-use", "kernel.slab-growth",
}

func TestScenarioGolden(t *testing.T) {
	set, err := rules.LoadSet(nil, goldenRules, nil)
	if err != nil {
		t.Fatalf("loading the shipped rules: %v", err)
	}
	schema := loadSchema(t)
	for _, sc := range scenarioBundles {
		dir := filepath.Join("..", "testdata", "bundles", sc.name)
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("scenario bundle %s is missing: %v", dir, err)
			continue
		}
		// The bundle path is written into the report: use one that does
		// not depend on where the test runs.
		res, err := analyze.Run(context.Background(), dir, analyze.Options{Rules: set})
		if err != nil {
			t.Errorf("%s: %v", sc.name, err)
			continue
		}
		res.Bundle.Path = "testdata/bundles/" + sc.name
		for _, ext := range sc.formats {
			t.Run(sc.name+"."+ext, func(t *testing.T) {
				out := render(t, ext, res)
				checkGolden(t, filepath.Join("scenarios", sc.name+"."+ext), out)
				if ext == "json" {
					for _, e := range validate(schema, out) {
						t.Error(e)
					}
				}
			})
		}
	}
}
