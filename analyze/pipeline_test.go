package analyze

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
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
	for _, o := range res.Model.OpenFiles.Facts() {
		names = append(names, o.Name)
	}
	if want := []string{"/secure/data", "/secure/db/users01.dbf", "/secure/run/ora.sock type=STREAM"}; !slices.Equal(names, want) {
		t.Errorf("open files kept: %q, want %q", names, want)
	}
	if k := res.KindOf("d/lsof.out"); k != "lsof" {
		t.Errorf("d/lsof.out identified as %q", k)
	}
}

// A large lsof read before the mount table holds its path rows compressed
// in several frames and, once the mount table is read, keeps exactly the
// rows inside its guard point, in file order, from every frame.
func TestLargeLsofBeforeMountTable(t *testing.T) {
	var lsof strings.Builder
	lsof.WriteString("COMMAND     PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	var want []string
	for i := 0; lsof.Len() < 12<<20; i++ {
		line := i + 2
		if i%5000 == 17 {
			fmt.Fprintf(&lsof, "oracle  %6d oracle  %3du   REG  253,2    81920   131074 /secure/db/f%d.dbf\n", 3000+i%900, i%100, i)
			want = append(want, fmt.Sprintf("%d /secure/db/f%d.dbf", line, i))
			continue
		}
		fmt.Fprintf(&lsof, "java    %6d app     %3dr   REG  253,0     1024   %6d /var/lib/app/cache/%d/part-%d.dat\n", 4000+i%700, i%100, i%999999, i%97, i)
	}
	dir := writeTree(t, map[string]string{
		"a/lsof.out": lsof.String(),
		"b/mount":    retainMount,
	})
	res, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Model.OpenFiles.Facts() {
		got = append(got, fmt.Sprintf("%d %s", o.Src.Line, o.Name))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("kept %d rows, want %d (first got %q, want %q)", len(got), len(want), got[:min(3, len(got))], want[:3])
	}
	st := res.Model.LogStats[0]
	if st.Kind != "lsof" || st.Kept != len(want) || st.Kept+st.Unkept != st.Lines-1 || st.Lost != 0 {
		t.Fatalf("stats %+v: kept and unkept must add up to the %d rows", st, st.Lines-1)
	}
}

// Serial parsing (triage batch with a bundle per core) reads the same
// facts, warnings and inventory as parsing large files on goroutines.
func TestSerialSameResult(t *testing.T) {
	var lsof strings.Builder
	lsof.WriteString(retainLsof)
	for i := 0; lsof.Len() < 2*inlineMax; i++ {
		fmt.Fprintf(&lsof, "java    %6d app     %3dr   REG  253,0     1024   %6d /var/lib/app/%d.dat\n", 4000+i%700, i%100, i%999999, i)
	}
	dir := writeTree(t, map[string]string{
		"a/lsof.out": lsof.String(),
		"b/big.txt":  bigText("first", 3*inlineMax),
		"c/mount":    retainMount,
	})
	var got [2]*Result
	for i, serial := range []bool{false, true} {
		res, err := Run(context.Background(), dir, Options{Serial: serial})
		if err != nil {
			t.Fatal(err)
		}
		got[i] = res
	}
	if !reflect.DeepEqual(got[0].Inventory, got[1].Inventory) || !reflect.DeepEqual(got[0].Model.OpenFiles, got[1].Model.OpenFiles) ||
		!reflect.DeepEqual(got[0].Model.LogStats, got[1].Model.LogStats) || len(got[1].Model.OpenFiles) != 3 {
		t.Fatalf("serial differs:\n%+v\n%+v", got[1].Inventory, got[0].Inventory)
	}
}
