package rules

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	rulesd "github.com/fsagent/triage/rules.d"
)

// FuzzLoadRules goes past FuzzParseRule's one file: the input is loaded as a
// rule file beside a valid rule, through the loader the CLI uses (listing,
// duplicate ids, compilation against the shipped function table), and what
// loads is evaluated and explained on a small model. Whatever the bytes: no
// panic; every error names a file of the set with a message; a rule that
// loads either evaluates or fails with an error naming it; the walk of the
// set ends within its deadline. Seeds are every shipped rule and the
// testdata rules.
func FuzzLoadRules(f *testing.F) {
	shipped, err := fs.Glob(rulesd.FS(), "*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range shipped {
		data, err := fs.ReadFile(rulesd.FS(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, dir := range []string{"testdata/good", "testdata/broken"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	base, err := os.ReadFile("testdata/good/guardpoint-busy.yaml")
	if err != nil {
		f.Fatal(err)
	}
	m := fixture()
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"base.yaml": {Data: base},
			"fuzz.yaml": {Data: data},
		}
		set, err := loadSet(fsys, "", nil, nil, nil)
		var le *LoadErrors
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("load error %T %v is not a *LoadErrors", err, err)
		}
		if le != nil {
			for _, e := range le.Errs {
				if (e.File != "rules.d/fuzz.yaml" && e.File != "rules.d/base.yaml") || e.Msg == "" || e.Line < 0 {
					t.Fatalf("error %+v does not name a rule file and a place", e)
				}
				if e.File == "rules.d/base.yaml" && !strings.Contains(e.Msg, "duplicate id") {
					t.Fatalf("the valid rule got an error of its own: %v", e)
				}
			}
		}
		if len(set.Rules()) == 0 {
			t.Fatalf("no rule loaded: the valid one must load whatever the other file holds (%v)", err)
		}
		set.RuleTimeout = 50 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ids := map[string]bool{}
		for _, r := range set.Rules() {
			ids[r.ID] = true
		}
		findings, evalErrs := set.Evaluate(ctx, m)
		for _, fd := range findings {
			if !ids[fd.RuleID] {
				t.Fatalf("finding of unknown rule %q", fd.RuleID)
			}
		}
		for _, e := range evalErrs {
			if !ids[e.RuleID] || e.Msg == "" {
				t.Fatalf("evaluation error %+v does not name a loaded rule", e)
			}
		}
		for id := range ids {
			if _, err := set.Explain(ctx, m, id); err != nil {
				t.Fatalf("explain %s: %v", id, err)
			}
		}
	})
}
