package main

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeExcerptMatches: the excerpt of the sample run in README.md is
// what `triage analyze testdata/sample-bundle` prints, line for line, so a
// newcomer comparing the two finds no surprise.
func TestReadmeExcerptMatches(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "```\nFindings (")
	if start < 0 {
		t.Fatal("README.md has no excerpt starting with a \"Findings (\" heading")
	}
	excerpt := readme[start+len("```\n"):]
	end := strings.Index(excerpt, "\n...\n```")
	if end < 0 {
		t.Fatal("the README's excerpt does not end with a \"...\" line and its fence")
	}
	excerpt = excerpt[:end+1]
	_, out, errOut := triage(t, []string{"COLUMNS=100", "NO_COLOR=1"}, "analyze", "../../testdata/sample-bundle")
	if !strings.Contains(out, excerpt) {
		t.Errorf("README.md's excerpt is not part of the sample run's output; paste it again from `go run ./cmd/triage analyze testdata/sample-bundle`.\n--- excerpt ---\n%s--- output ---\n%s%s", excerpt, out, errOut)
	}
}
