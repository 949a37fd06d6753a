package parsers

import (
	"os"
	"path/filepath"
	"testing"
)

// logTestdata reads one input of the trace and log parsers' tests from
// testdata/<kind>/.
func logTestdata(t *testing.T, kind, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", kind, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// logWarnLines lists the line numbers of warnings, for compact comparisons.
func logWarnLines(ws []Warning) []int {
	out := []int{}
	for _, w := range ws {
		out = append(out, w.Line)
	}
	return out
}
