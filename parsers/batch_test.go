package parsers

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// parallelCase parses content serially and in batches of several sizes
// (tiny ones, so that records, split calls and tables cross batch
// boundaries everywhere) and fails unless every parse gives the same
// model and warnings as the serial one.
func parallelCase(t *testing.T, name, path, content string, maxLine int, parse func(*Input, *model.Model)) (serial *model.Model, warns []Warning) {
	t.Helper()
	run := func(serialParse bool, after, size int) (*model.Model, []Warning) {
		in := NewInputString(path, content)
		if maxLine > 0 {
			in.maxLine = maxLine
		}
		in.serial = serialParse
		in.batchMin, in.batchLen = after, size
		m := &model.Model{}
		parse(in, m)
		return m, in.Warnings()
	}
	serial, warns = run(true, 0, 0)
	for _, c := range []struct{ after, size int }{{1, 64}, {3, 500}, {10, 4096}, {100, 1 << 14}, {1000, 1 << 16}} {
		m, w := run(false, c.after, c.size)
		if !reflect.DeepEqual(serial, m) {
			t.Errorf("%s, batches of %d B after line %d: the model differs from the serial parse\n%s", name, c.size, c.after, modelDiff(serial, m))
		}
		if !reflect.DeepEqual(warns, w) {
			t.Errorf("%s, batches of %d B after line %d: warnings differ\nserial:   %v\nparallel: %v", name, c.size, c.after, warns, w)
		}
	}
	return serial, warns
}

// modelDiff names the first fact that differs between two models.
func modelDiff(a, b *model.Model) string {
	if !reflect.DeepEqual(a.LogStats, b.LogStats) {
		return fmt.Sprintf("stats:\n%+v\n%+v", a.LogStats, b.LogStats)
	}
	if len(a.Syscalls) != len(b.Syscalls) {
		return fmt.Sprintf("%d calls, %d calls", len(a.Syscalls), len(b.Syscalls))
	}
	for i := range a.Syscalls {
		if !reflect.DeepEqual(a.Syscalls[i], b.Syscalls[i]) {
			return fmt.Sprintf("call %d:\n%+v\n%+v", i, a.Syscalls[i], b.Syscalls[i])
		}
	}
	if len(a.Events) != len(b.Events) {
		return fmt.Sprintf("%d events, %d events", len(a.Events), len(b.Events))
	}
	for i := range a.Events {
		if !reflect.DeepEqual(a.Events[i], b.Events[i]) {
			return fmt.Sprintf("event %d:\n%+v\n%+v", i, a.Events[i], b.Events[i])
		}
	}
	return "another field"
}

// synthStrace writes a trace of n lines from many threads that exercises
// everything a batch boundary can cut: split calls resumed hundreds of
// lines later, calls split twice, a thread that exits inside a call, one
// that starts a call while another is unfinished, resumptions with no
// start or the wrong name, more failed calls than the budget, malformed and
// over-long lines (more warnings than are kept), a -c table, and a burst of
// more threads inside split calls than the parser waits for.
func synthStrace(n int) string {
	r := rand.New(rand.NewPCG(12, 5))
	var b strings.Builder
	open := map[int]string{}
	ts := func(i int) string { return fmt.Sprintf("09:%02d:%02d.%06d", i/60000%60, i/1000%60, i%1000*997) }
	for i := 0; i < n; i++ {
		pid := 1000 + r.IntN(60)
		switch k := r.IntN(100); {
		case i == n/3:
			// A -c summary table in the middle of the file.
			b.WriteString("% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- --------- ----------------\n")
			for j := 0; j < 40; j++ {
				fmt.Fprintf(&b, " %2d.00    0.%06d          %d       %d        %d call%d\n", j%10, j, j, j*3, j%2, j)
			}
			b.WriteString("------ ----------- ----------- --------- --------- ----------------\n100.00    0.123456                  1234        12 total\n")
		case i == n/50:
			// More threads inside split calls than straceMaxPending.
			for j := 0; j < straceMaxPending+50; j++ {
				fmt.Fprintf(&b, "%d %s futex(0x%x, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>\n", 50000+j, ts(i), j)
			}
			for j := 0; j < straceMaxPending+50; j += 3 {
				fmt.Fprintf(&b, "%d %s <... futex resumed>) = 0 <0.%06d>\n", 50000+j, ts(i), j)
			}
		case k < 12:
			if name, ok := open[pid]; ok && k < 9 {
				if k < 2 {
					// Split again.
					fmt.Fprintf(&b, "%d %s <... %s resumed> more, <unfinished ...>\n", pid, ts(i), name)
					continue
				}
				fmt.Fprintf(&b, "%d %s <... %s resumed> 42) = %d <%d.%06d>\n", pid, ts(i), name, r.IntN(3)-1, r.IntN(2), r.IntN(999999))
				delete(open, pid)
				continue
			}
			name := [...]string{"read", "futex", "wait4", "mount", "statfs"}[r.IntN(5)]
			fmt.Fprintf(&b, "%d %s %s(%d, <unfinished ...>\n", pid, ts(i), name, r.IntN(9))
			open[pid] = name
		case k < 13:
			fmt.Fprintf(&b, "%d %s +++ exited with 0 +++\n", pid, ts(i))
			delete(open, pid)
		case k < 14:
			fmt.Fprintf(&b, "%d %s <... close resumed>) = 0 <0.000003>\n", pid, ts(i))
		case k < 15:
			fmt.Fprintf(&b, "%d %s --- SIGCHLD {si_signo=SIGCHLD} ---\n", pid, ts(i))
		case k < 17:
			fmt.Fprintf(&b, "%d %s this is not a call\n", pid, ts(i))
		case k < 18:
			fmt.Fprintf(&b, "%d %s write(1, \"%s\", 300) = 300 <0.000010>\n", pid, ts(i), strings.Repeat("x\x1b", 150))
		case k < 19:
			fmt.Fprintf(&b, "%d %s delete_module(\"secfs2\", O_NONBLOCK) = -1 EBUSY (Device or resource busy) <0.000020>\n", pid, ts(i))
		case k < 20:
			fmt.Fprintf(&b, "%d %s nanosleep({tv_sec=1}, NULL) = 0 <1.%06d>\n", pid, ts(i), r.IntN(999999))
		case k < 55:
			fmt.Fprintf(&b, "%d %s stat(\"/etc/app/%d.conf\", 0x7ffd) = -1 ENOENT (No such file or directory) <0.000011>\n", pid, ts(i), i)
		case k < 56:
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "%d %s openat(AT_FDCWD, \"/data/f%d\", O_RDONLY) = %d <0.000021>\n", pid, ts(i), i, r.IntN(50))
		}
	}
	return b.String()
}

// TestStraceParallel: a trace parsed in batches on every core gives the
// facts, counts and warnings of a serial parse, in the same order, wherever
// the batches begin; split calls pair across batches.
func TestStraceParallel(t *testing.T) {
	m, warns := parallelCase(t, "generated", "strace.out", synthStrace(30000), 400, parseStrace)
	st := m.LogStats[0]
	if st.OverBudget == 0 || st.Unfinished == 0 || st.Summary == 0 || st.Kept < 2*straceKeepPerReason {
		t.Fatalf("the generated trace does not reach what it should: %+v", st)
	}
	if len(warns) != maxWarnings+1 || !strings.Contains(warns[maxWarnings].Msg, "more warnings not shown") {
		t.Fatalf("want more warnings than are kept, got %d", len(warns))
	}
	var evicted, crossed bool
	for _, w := range warns {
		evicted = evicted || strings.Contains(w.Msg, "threads inside split calls")
	}
	for _, c := range m.Syscalls {
		crossed = crossed || c.Src.EndLine-c.Src.Line > 200
	}
	if !evicted || !crossed {
		t.Fatalf("no eviction (%v) or no call resumed far from its start (%v)", evicted, crossed)
	}

	// A split pair whose halves lie in different batches pairs: one
	// batch of the first lines, the resumption in the next.
	pair := "7 09:00:00.000001 read(3, <unfinished ...>\n" + strings.Repeat("8 09:00:00.000002 close(4) = 0 <0.000002>\n", 30) +
		"7 09:00:01.500000 <... read resumed> \"x\", 1) = 1 <1.499999>\n"
	m, _ = parallelCase(t, "pair", "strace.out", pair, 0, parseStrace)
	if len(m.Syscalls) != 1 || m.Syscalls[0].Src.Line != 1 || m.Syscalls[0].Src.EndLine != 32 || m.Syscalls[0].Why != "slow" {
		t.Fatalf("split pair across batches: %+v", m.Syscalls)
	}

	files, _ := filepath.Glob("testdata/strace/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parallelCase(t, f, filepath.Base(f), string(b), 0, parseStrace)
	}
}

// TestStraceDuration: the fast reading of -T durations gives exactly what
// strconv.ParseFloat gives.
func TestStraceDuration(t *testing.T) {
	for _, s := range []string{"0.000021", "1.499999", "12.5", "0", "7.", ".5", "123456789.012345", "0.1234567890123456789", "1e3", "-1.5", "", ".", "1.2.3"} {
		got, ok := straceDuration([]byte(s))
		want, err := parseFloatRef(s)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("%q: %v %v, want %v %v", s, got, ok, want, err)
		}
	}
}

func parseFloatRef(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
