package analyze

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fsagent/triage/internal/archivetest"
)

// readKinds reads a layout's expectations: one "path<TAB>kind" per line.
func readKinds(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		path, kind, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: bad line %q", p, line)
		}
		want[path] = kind
	}
	return want
}

// TestLayoutsIdentifyEveryArtifact runs the inventory over the three bundle
// layouts (sosreport, AIX snap, flat collector names), each as a directory
// and as the archive format it usually arrives in, and checks every file's
// kind against the expectation written beside the tree.
func TestLayoutsIdentifyEveryArtifact(t *testing.T) {
	cases := []struct{ layout, format string }{
		{"sosreport", "tar.xz"}, {"sosreport", "dir"},
		{"aix-snap", "tar"}, {"aix-snap", "dir"},
		{"flat", "zip"}, {"flat", "dir"}, {"flat", "tar.zst"},
	}
	for _, c := range cases {
		t.Run(c.layout+"/"+c.format, func(t *testing.T) {
			tree := filepath.Join("testdata", "layouts", c.layout)
			want := readKinds(t, tree+".kinds")
			path := tree
			if c.format != "dir" {
				path = archivetest.WriteFile(t, tree, c.format)
			}
			res, err := Run(context.Background(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, a := range res.Inventory {
				got[a.Path] = string(a.Kind)
				if a.Kind != "text" && a.Facts == 0 {
					t.Errorf("%s identified as %s by %s but gave no facts (warnings: %v)", a.Path, a.Kind, a.IdentifiedBy, a.Warnings)
				}
			}
			var problems []string
			for p, k := range want {
				if got[p] != k {
					problems = append(problems, p+": got kind "+q(got[p])+", want "+k)
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					problems = append(problems, p+": not expected in the inventory")
				}
			}
			sort.Strings(problems)
			if len(problems) > 0 {
				t.Fatalf("%d identification problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
			}
		})
	}
}

func q(s string) string {
	if s == "" {
		return "(missing)"
	}
	return s
}
