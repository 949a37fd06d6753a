package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseRule: no rule file, however broken, makes the loader panic, and
// every error it reports names the file.
func FuzzParseRule(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/broken"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var errs LoadErrors
		r, _ := parseRule("f.yaml", data, &errs)
		for _, e := range errs.Errs {
			if e.File != "f.yaml" || e.Msg == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
		if r == nil && len(errs.Errs) == 0 {
			t.Fatal("no rule and no error")
		}
	})
}
