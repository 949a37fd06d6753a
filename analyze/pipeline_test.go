package analyze

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
)

// Test-only parsers: one whose Sniff panics on a marker line (a parser bug
// met on hostile content), one whose Parse cancels the analysis while the
// walk still has files to read.
const sniffPanicMarker = "ZZ-TEST-SNIFF-PANIC"

var cancelFromParser func()

func init() {
	parsers.Register(&parsers.Parser{Name: "zz-test-sniff-panic", Kind: parsers.KindHost, Doc: "Panics in Sniff on a marker line.",
		Sniff: func(h *parsers.Head) bool {
			if len(h.Lines) > 0 && h.Lines[0] == sniffPanicMarker {
				panic("sniff bug")
			}
			return false
		},
		Parse: func(in *parsers.Input, out *model.Model) {}})
	parsers.Register(&parsers.Parser{Name: "zz-test-cancel", Kind: parsers.KindHost, Doc: "Cancels the run from inside Parse.", Paths: []string{"zz-cancel.out"},
		Parse: func(in *parsers.Input, out *model.Model) {
			in.Next()
			cancelFromParser()
			for in.Next() {
			}
		}})
}

// bigText is n bytes of lines after a first line.
func bigText(first string, n int) string {
	var b strings.Builder
	b.WriteString(first + "\n")
	for b.Len() < n {
		b.WriteString("filler line of a large file that no parser knows\n")
	}
	return b.String()
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A panic while identifying a file costs that file only, whether the file
// is parsed on the walking goroutine (small) or on its own (large, where an
// unrecovered panic ends the whole process, a batch run included).
func TestPanicWhileIdentifyingCostsOnlyItsFile(t *testing.T) {
	for _, size := range []int{100, 3 * inlineMax} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			dir := writeTree(t, map[string]string{
				"a/mount":   retainMount,
				"b/odd.txt": bigText(sniffPanicMarker, size),
				"c/mount":   retainMount,
			})
			res, err := Run(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Inventory) != 3 {
				t.Fatalf("inventory has %d artifacts, want 3", len(res.Inventory))
			}
			odd := res.Inventory[1]
			if odd.Path != "b/odd.txt" || len(odd.Warnings) != 1 || !strings.Contains(odd.Warnings[0].Msg, "sniff bug") {
				t.Errorf("the file whose identification panicked: %+v, want one warning naming the panic", odd)
			}
			if got := len(res.Model.Mounts); got != 4 {
				t.Errorf("mounts of the other files: %d, want 4", got)
			}
		})
	}
}

// Cancelling while files are parsed on their own goroutines ends Run with
// the context's error and leaves no goroutine behind.
func TestCancelWhileParsingLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelFromParser = cancel
	dir := writeTree(t, map[string]string{
		"a/big1.txt":      bigText("first", 3*inlineMax),
		"b/zz-cancel.out": bigText("first", 3*inlineMax),
		"c/big2.txt":      bigText("first", 3*inlineMax),
		"d/mount":         retainMount,
	})
	_, err := Run(ctx, dir, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left behind:\n%s", n-before, buf[:runtime.Stack(buf, true)])
	}
}

// A large lsof parsed on its own goroutine waits for the mount table before
// it and keeps only the rows under its guard points, as a small one does.
func TestLargeLsofWaitsForEarlierMountTable(t *testing.T) {
	var lsof strings.Builder
	lsof.WriteString(retainLsof)
	for i := 0; lsof.Len() < 2*inlineMax; i++ {
		fmt.Fprintf(&lsof, "sshd      %d root    3u  IPv4  41234      0t0      TCP 10.0.0.1:22->10.0.0.9:%d (ESTABLISHED)\n", 1000+i, i%60000)
	}
	dir := writeTree(t, map[string]string{
		"a/big.txt":  bigText("first", 3*inlineMax),
		"b/mount":    retainMount,
		"c/big2.txt": bigText("first", 3*inlineMax),
		"d/lsof.out": lsof.String(),
	})
	res, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range res.Model.OpenFiles {
		names = append(names, o.Name)
	}
	if len(names) != 1 || names[0] != "/secure/data" {
		t.Errorf("open files kept: %q, want only /secure/data", names)
	}
	if k := res.KindOf("d/lsof.out"); k != "lsof" {
		t.Errorf("d/lsof.out identified as %q", k)
	}
}
