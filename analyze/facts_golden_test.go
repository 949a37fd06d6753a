package analyze_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output")

// TestFactsGolden pins the whole normalized model (what `triage facts`
// prints) of every scenario bundle that has a golden file: a parser change
// that adds, loses or alters a fact shows up as a diff here. A golden file
// of no scenario is an error. Regenerate with -update and review the diff.
func TestFactsGolden(t *testing.T) {
	scenarios := map[string]bool{}
	for _, dir := range scenarioDirs(t) {
		scenarios[filepath.Base(dir)+".json"] = true
	}
	goldens, err := os.ReadDir(filepath.Join("testdata", "facts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		if !scenarios[g.Name()] {
			t.Errorf("testdata/facts/%s belongs to no scenario bundle: delete it", g.Name())
		}
	}
	for _, dir := range scenarioDirs(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			res, err := analyze.Run(context.Background(), dir, analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := analyze.NewFactsDocument(res, res.Model).Write(&got); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "facts", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if errors.Is(err, fs.ErrNotExist) {
				// A scenario added for a rule is pinned by that rule's cases
				// (subject, message, evidence lines); pinning all its facts
				// as well is a choice, not a duty, so that adding a rule
				// touches only its YAML file and its scenario directory.
				t.Skipf("no facts golden for %s: its facts are not pinned (go test ./analyze/ -run FactsGolden -update writes %s)", name, golden)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("facts of %s differ from %s; run with -update and review the diff:\n%s", name, golden, firstDiff(got.String(), string(want)))
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  got:  %s\n  want: %s", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}
