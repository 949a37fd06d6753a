package parsers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fsagent/triage/model"
)

// parseString runs the named parser over content as if it were the file at
// path in a bundle, and returns the facts and the warnings. It fails the
// test when no parser has that name or the input reports a read error.
func parseString(t *testing.T, parserName, path, content string) (*model.Model, []Warning) {
	t.Helper()
	p := Lookup(parserName)
	if p == nil {
		t.Fatalf("no parser named %q is registered", parserName)
	}
	in := NewInputString(path, content)
	m := &model.Model{}
	p.Parse(in, m)
	if err := in.Err(); err != nil {
		t.Fatalf("%s: read error: %v", path, err)
	}
	return m, in.Warnings()
}

// readTestdata reads one test input from testdata/<kind>/<name>.
func readTestdata(t testing.TB, kind, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", kind, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// warnLines lists the line numbers of warnings, for compact comparisons.
func warnLines(ws []Warning) []int {
	out := []int{}
	for _, w := range ws {
		out = append(out, w.Line)
	}
	return out
}
