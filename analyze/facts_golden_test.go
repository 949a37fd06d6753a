package analyze_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output")

// TestFactsGolden pins the whole normalized model of every scenario bundle
// (what `triage facts` prints): a parser change that adds, loses or alters a
// fact shows up as a diff here. Regenerate with -update and review the diff.
func TestFactsGolden(t *testing.T) {
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
			if err != nil {
				t.Fatalf("%v (run go test ./analyze/ -run FactsGolden -update to create it)", err)
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
