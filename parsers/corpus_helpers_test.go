package parsers

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// corpusDir is the shared corpus of real artifact samples, kept outside the
// repository beside it.
const corpusDir = "../../shared/corpus"

// corpusFiles lists the sample files of one corpus folder, or skips the test
// with the reason when the shared corpus is not beside the repository.
func corpusFiles(t *testing.T, folder string) []string {
	t.Helper()
	dir := filepath.Join(corpusDir, folder)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		t.Skipf("SKIP: shared corpus not found at %s (it lives in ../shared beside the repository)", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}
