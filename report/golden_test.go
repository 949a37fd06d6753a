package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// testTool fixes the version written into reports so goldens do not
// change with the build.
var testTool = Tool{Name: "triage", Version: "test"}

// formats renders a Result in each format the goldens cover.
var formats = []struct {
	ext    string
	render func(*bytes.Buffer, *analyze.Result) error
}{
	{"txt", func(b *bytes.Buffer, r *analyze.Result) error {
		return Text(b, r, TextOptions{Verbose: true, Tool: testTool})
	}},
	{"color.txt", func(b *bytes.Buffer, r *analyze.Result) error {
		return Text(b, r, TextOptions{Color: true, Tool: testTool})
	}},
	{"json", func(b *bytes.Buffer, r *analyze.Result) error {
		return JSON(b, r, WithTool(testTool.Name, testTool.Version))
	}},
	{"md", func(b *bytes.Buffer, r *analyze.Result) error {
		return Markdown(b, r, WithTool(testTool.Name, testTool.Version))
	}},
	{"html", func(b *bytes.Buffer, r *analyze.Result) error {
		return HTML(b, r, WithTool(testTool.Name, testTool.Version))
	}},
}

func render(t *testing.T, ext string, r *analyze.Result) []byte {
	t.Helper()
	for _, f := range formats {
		if f.ext == ext {
			var b bytes.Buffer
			if err := f.render(&b, r); err != nil {
				t.Fatalf("render %s: %v", ext, err)
			}
			return b.Bytes()
		}
	}
	t.Fatalf("no format %q", ext)
	return nil
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; diff it against `go test ./report/ -run Golden -update` output.\n--- got (first 2000 bytes) ---\n%s",
			path, firstN(got, 2000))
	}
}

func firstN(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		for _, f := range formats {
			t.Run(fx.name+"."+f.ext, func(t *testing.T) {
				checkGolden(t, fx.name+"."+f.ext, render(t, f.ext, fx.res()))
			})
		}
	}
}

// TestDeterministic renders each fixture twice, the second time with its
// findings, inventory and events in reverse order (as a parallel or
// differently ordered run might produce them): the bytes must not change.
func TestDeterministic(t *testing.T) {
	reversed := func(r *analyze.Result) *analyze.Result {
		for i, j := 0, len(r.Findings)-1; i < j; i, j = i+1, j-1 {
			r.Findings[i], r.Findings[j] = r.Findings[j], r.Findings[i]
		}
		for i, j := 0, len(r.Inventory)-1; i < j; i, j = i+1, j-1 {
			r.Inventory[i], r.Inventory[j] = r.Inventory[j], r.Inventory[i]
		}
		return r
	}
	for _, fx := range fixtures {
		for _, f := range formats {
			a := render(t, f.ext, fx.res())
			b := render(t, f.ext, fx.res())
			c := render(t, f.ext, reversed(fx.res()))
			if !bytes.Equal(a, b) {
				t.Errorf("%s.%s: two renders of one result differ", fx.name, f.ext)
			}
			if !bytes.Equal(a, c) {
				t.Errorf("%s.%s: render depends on the order of findings or inventory", fx.name, f.ext)
			}
		}
	}
}

// A bundle with more incomplete reasons than a report should list shows
// the first ones and "+N more" in text, Markdown and HTML; JSON has all.
func TestManyReasonsAreCut(t *testing.T) {
	r := cutQuiet()
	r.Incomplete = nil
	for i := 0; i < maxReasonsShown+7; i++ {
		r.Incomplete = append(r.Incomplete, analyze.Reason{Kind: analyze.ReasonArtifact,
			Path: fmt.Sprintf("var/log/f%03d.log", i), Message: "cannot be read (permission denied); skipped"})
	}
	for _, format := range []string{"txt", "md", "html", "json"} {
		out := string(render(t, format, r))
		last := fmt.Sprintf("var/log/f%03d.log", maxReasonsShown+6)
		if format == "json" {
			if !strings.Contains(out, last) || strings.Contains(out, "+7 more") {
				t.Errorf("json does not list every reason")
			}
			continue
		}
		if !strings.Contains(out, "+7 more") || strings.Contains(out, last) {
			t.Errorf("%s does not cut the reasons at %d with +7 more", format, maxReasonsShown)
		}
	}
}
