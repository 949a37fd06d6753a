package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/fsagent/triage/model"
)

// parallelCase parses content serially and in batches of several sizes
// (tiny ones, so that records, split calls and tables cross batch
// boundaries everywhere) and fails unless every parse gives the same
// model and warnings as the serial one.
func parallelCase(t *testing.T, name, path, content string, maxLine int, parse func(*Input, *model.Model)) (serial *model.Model, warns []Warning) {
	t.Helper()
	run := func(serialParse bool, after, size int, observe bool, chunk int) (*model.Model, []Warning) {
		in := NewInputString(path, content)
		var lender *stringChunks
		if chunk > 0 {
			lender = &stringChunks{s: content, n: chunk}
			in = NewInput(path, lender)
			in.LendChunks(lender)
		}
		if maxLine > 0 {
			in.maxLine = maxLine
		}
		in.serial = serialParse
		in.batchMin, in.batchLen = after, size
		seen := 0
		if observe {
			// Observed lines are read one by one (Next), the others
			// taken from the reader's buffer in blocks.
			in.Observe(func(line int, b []byte) {
				if seen++; line != seen {
					t.Fatalf("%s: observed line %d as line %d", name, line, seen)
				}
			})
		}
		m := &model.Model{}
		parse(in, m)
		in.Drain()
		want := strings.Count(content, "\n")
		if !strings.HasSuffix(content, "\n") && content != "" {
			want++ // a last line with no end of line
		}
		if observe && seen != want {
			t.Fatalf("%s: %d lines observed, want %d", name, seen, want)
		}
		if lender != nil && (lender.lent != 0 || lender.s != "" || len(lender.rest) > 0) {
			t.Fatalf("%s: %d chunks not given back, %d bytes not read", name, lender.lent, len(lender.s)+len(lender.rest))
		}
		return m, in.Warnings()
	}
	serial, warns = run(true, 0, 0, false, 0)
	for _, c := range []struct {
		after, size int
		observe     bool
		chunk       int // the reader lends chunks of this size (LendChunks)
	}{{1, 64, false, 0}, {3, 500, true, 0}, {10, 4096, false, 0}, {100, 1 << 14, false, 0}, {1000, 1 << 16, true, 0},
		{1, 64, false, 5}, {10, 4096, false, 333}, {100, 1 << 14, false, 4096}, {1000, 1 << 16, false, 1<<16 + 7}, {1000, 1 << 16, true, 4096}} {
		m, w := run(false, c.after, c.size, c.observe, c.chunk)
		if !reflect.DeepEqual(serial, m) {
			t.Errorf("%s, batches of %d B after line %d, chunks of %d B: the model differs from the serial parse\n%s", name, c.size, c.after, c.chunk, modelDiff(serial, m))
		}
		if !reflect.DeepEqual(warns, w) {
			t.Errorf("%s, batches of %d B after line %d, chunks of %d B: warnings differ\nserial:   %v\nparallel: %v", name, c.size, c.after, c.chunk, warns, w)
		}
	}
	return serial, warns
}

// stringChunks reads s as a pipe does, n bytes a chunk: Read copies from
// the chunk being read, and NextChunk lends the rest of it, then the next
// ones. A chunk given back is overwritten, so that a line read from it
// afterwards shows; lent counts those not given back yet.
type stringChunks struct {
	s    string
	n    int
	rest []byte
	lent int
	err  error // after s, instead of io.EOF
}

func (c *stringChunks) end() error {
	if c.err != nil {
		return c.err
	}
	return io.EOF
}

func (c *stringChunks) next() []byte {
	k := min(c.n, len(c.s))
	b := []byte(c.s[:k])
	c.s = c.s[k:]
	return b
}

func (c *stringChunks) Read(p []byte) (int, error) {
	if len(c.rest) == 0 {
		if c.rest = c.next(); len(c.rest) == 0 {
			return 0, c.end()
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

func (c *stringChunks) NextChunk() ([]byte, func(), error) {
	b := c.rest
	c.rest = nil
	if len(b) == 0 {
		if b = c.next(); len(b) == 0 {
			return nil, nil, c.end()
		}
	}
	c.lent++
	given := false
	return b, func() {
		if given {
			panic("a chunk given back twice")
		}
		given = true
		c.lent--
		for i := range b {
			b[i] = '#'
		}
	}, nil
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
		case i == n/4:
			// Longer than the reader's buffer (cut to maxLine), and ends
			// of line with carriage returns.
			fmt.Fprintf(&b, "%d %s write(1, \"%s\", 70000) = 70000 <0.000100>\n", pid, ts(i), strings.Repeat("w", 70000))
			fmt.Fprintf(&b, "%d %s umount2(\"/a\", 0) = 0 <0.000002>\r\n%d %s umount2(\"/b\", 0) = 0 <0.000002>\r\r\n", pid, ts(i), pid, ts(i))
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
	for _, s := range []string{"0.000021", "1.499999", "12.5", "0", "7.", ".5", "123456789.012345", "0.1234567890123456789", "1e3", "-1.5", "", ".", "1.2.3", "123456789012345.", ".123456789012345", "1234567890123456", "..", "1..", "12345678901234567890123"} {
		got, ok := straceDuration([]byte(s))
		want, err := parseFloatRef(s)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("%q: %v %v, want %v %v", s, got, ok, want, err)
		}
	}
}

func parseFloatRef(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// synthKernelLog writes a syslog of n lines that exercises what a batch
// boundary can cut: hung-task reports of many lines (some at the longest
// a report may be), more hung tasks and taint lines than the budget, module
// refusals, lines that only look like events, and over-long lines.
func synthKernelLog(n int) string {
	r := rand.New(rand.NewPCG(7, 3))
	var b strings.Builder
	for i := 0; i < n; i++ {
		pfx := fmt.Sprintf("Nov 22 %02d:%02d:%02d synth-host", i/3600%24, i/60%60, i%60)
		switch k := r.IntN(100); {
		case i%(n/3) == n/6:
			// A warning just before the line cut, so the order of the
			// two is checked.
			fmt.Fprintf(&b, "%s kernel: INFO: task nocolon blocked for more than 120 seconds.\n", pfx)
			fmt.Fprintf(&b, "%s kernel: secfs2: %s taints kernel.\r\n", pfx, strings.Repeat("v", 70000))
		case k < 9:
			pid := 1000 + r.IntN(5000)
			fmt.Fprintf(&b, "%s kernel: INFO: task java:%d blocked for more than 120 seconds.\n", pfx, pid)
			fmt.Fprintf(&b, "%s kernel:       Not tainted 5.14.0 #1\n", pfx)
			fmt.Fprintf(&b, "%s kernel: \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n", pfx)
			frames := r.IntN(12)
			if r.IntN(50) == 0 {
				frames = hungBlockMax + 5
			}
			fmt.Fprintf(&b, "%s kernel: java            D ffff8800 0 %d 1 0x00000080\n", pfx, pid)
			fmt.Fprintf(&b, "%s kernel: Call Trace:\n", pfx)
			for f := 0; f < frames; f++ {
				fmt.Fprintf(&b, "%s kernel:  secfs2_lookup+0x%x/0x200 [secfs2]\n", pfx, f)
			}
			if frames%5 == 1 {
				// Inside a report it is part of it; after the budget of
				// reports is spent, a taint line of its own.
				fmt.Fprintf(&b, "%s kernel:  lshook: loading out-of-tree module taints kernel.\n", pfx)
			}
		case k < 17:
			fmt.Fprintf(&b, "%s kernel: secfs2: loading out-of-tree module taints kernel.\n", pfx)
		case k < 18:
			fmt.Fprintf(&b, "%s rmmod: ERROR: Module secfs2 is in use by: x\n", pfx)
		case k < 19:
			fmt.Fprintf(&b, "%s modprobe: FATAL: could not remove module 'lshook': Device or resource busy\n", pfx)
		case k < 20:
			fmt.Fprintf(&b, "%s kernel: secfs2: Intercepts superceded - failing unload\r\n", pfx)
		case k < 21:
			fmt.Fprintf(&b, "%s kernel: something blocked for more than a while\n", pfx)
		case k < 22:
			fmt.Fprintf(&b, "%s kernel: Tainted: G O and a very long tail %s\n", pfx, strings.Repeat("\x01y", 200))
		case k < 23:
			b.WriteString("\n")
		default:
			fmt.Fprintf(&b, "%s systemd[1]: Started Session %d of user app%d.\n", pfx, i, i%50)
		}
	}
	return b.String()
}

// synthAgentLog writes an agent log of n lines that exercises what a batch
// boundary can cut: records with continuation lines, a run of continuation
// lines longer than a batch, unheaded lines before the first record,
// starts before and after stops (a start after a stop is a restart), more
// severe records and starts than the budget, and RFC 5424 lines.
func synthAgentLog(n int) string {
	r := rand.New(rand.NewPCG(9, 1))
	var b strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "unheaded preamble %d\n", i)
	}
	for i := 0; i < n; i++ {
		ts := fmt.Sprintf("2026-11-22 %02d:%02d:%02d.%03d", i/3600000%24, i/60000%60, i/1000%60, i%1000)
		switch k := r.IntN(200); {
		case i%(n/3) == n/5:
			fmt.Fprintf(&b, "%s [VMD] [ERROR] [3100] [CGP0009E] %s\n", ts, strings.Repeat("u", 70000))
		case i == n/2:
			fmt.Fprintf(&b, "%s [VMD] [INFO] [3100] [CGP0001I] Stopping the vmd with a long trace\n", ts)
			for j := 0; j < 3000; j++ {
				fmt.Fprintf(&b, "    at com.vormetric.Frame%d(Frame.java:%d)\n", j, j)
			}
		case k < 2:
			fmt.Fprintf(&b, "%s [VMD] [INFO] [3100] [CGP0001I] Stopping the vmd\n", ts)
		case k < 40:
			fmt.Fprintf(&b, "%s [VMD] [INFO] [3100] [CGP0002I] Starting vmd\n", ts)
		case k < 42:
			fmt.Fprintf(&b, "%s [SECFS] [ERROR] [3100] [DXF4328E] Failed to unload kernel extension agent/secfs/.sec/mod/secfs2\n", ts)
		case k < 44:
			fmt.Fprintf(&b, "%s [SECFS] [INFO] [3100] [DXF4300I] Re-guarding /secure/data%d\r\n", ts, i)
		case k < 90:
			fmt.Fprintf(&b, "%s [CGP] [ERROR] [3100] [CGP2602E] Policy lookup failed\n", ts)
			for j := r.IntN(4); j > 0; j-- {
				fmt.Fprintf(&b, "    continued %d\n", j)
			}
		case k < 92:
			fmt.Fprintf(&b, "<30>1 2026-11-22T00:00:00Z host vmd 3100 CGP2603I [CGP@21513 sev=\"ERROR\" msg=\"Audit %d\"]\n", i)
		case k < 93:
			fmt.Fprintf(&b, "%s [CGP] [INFO] [3100] [CGP2603I] long %s\n", ts, strings.Repeat("z", 500))
		case k < 94:
			b.WriteString("  \n")
		default:
			fmt.Fprintf(&b, "%s [CGP] [INFO] [%d] [CGP2603I] [AUDIT] Policy[web-policy] User[app%d] Action[read_file] Res[/secure/data/f%d]\n", ts, 3100+i%7, i%50, i)
		}
	}
	return b.String()
}

// TestLogsParallel: kernel and agent logs parsed in batches on every core
// give the events, counts and warnings of a serial parse, in the same
// order, wherever the batches begin; multi-line records and hung-task
// reports crossing a batch boundary stay whole.
func TestLogsParallel(t *testing.T) {
	m, warns := parallelCase(t, "generated kernel log", "var/log/messages", synthKernelLog(40000), 300, parseKernelLog)
	st := m.LogStats[0]
	kinds := map[string]int{}
	long := false
	for _, e := range m.Events {
		kinds[e.Kind]++
		long = long || e.Src.EndLine-e.Src.Line > hungBlockMax-10
	}
	if kinds[model.EventHungTask] != logKeepPerKind || kinds[model.EventTaint] != logKeepPerKind || st.OverBudget == 0 || !long ||
		kinds[model.EventModuleInUse] == 0 || kinds[model.EventInterceptsSuperseded] == 0 || len(warns) == 0 {
		t.Fatalf("the generated kernel log does not reach what it should: %v %+v, long report %v, %d warnings", kinds, st, long, len(warns))
	}
	cut := 0
	for _, w := range warns {
		if strings.Contains(w.Msg, "line longer than 300 bytes") {
			cut++
		}
	}
	if cut != 3 {
		t.Fatalf("want 3 lines cut to the maximum length, got %d: %v", cut, warns)
	}

	m, warns = parallelCase(t, "generated agent log", "var/log/vormetric/vorvmd_root.log", synthAgentLog(30000), 400, parseAgentLog)
	st = m.LogStats[0]
	kinds = map[string]int{}
	spans := 0
	for _, e := range m.Events {
		kinds[e.Kind]++
		spans = max(spans, e.Src.EndLine-e.Src.Line)
	}
	if kinds[model.EventAgentStart] == 0 || kinds[model.EventAgentRestart] != logKeepPerKind || kinds[model.EventOther] != logKeepPerKind ||
		kinds[model.EventUnloadFailed] == 0 || kinds[model.EventReguard] == 0 || spans < 3000 || st.OverBudget == 0 || len(warns) == 0 {
		t.Fatalf("the generated agent log does not reach what it should: %v %+v, longest record %d lines, %d warnings", kinds, st, spans, len(warns))
	}

	for _, dir := range []struct {
		glob  string
		parse func(*Input, *model.Model)
	}{{"testdata/kernel-log/*", parseKernelLog}, {"testdata/agent-log/*", parseAgentLog}} {
		files, _ := filepath.Glob(dir.glob)
		if len(files) == 0 {
			t.Fatalf("no corpus files for %s", dir.glob)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			parallelCase(t, f, filepath.Base(f), string(b), 0, dir.parse)
		}
	}
}

// TestLineScanners: the one-pass scanners of the parsers' hot paths find
// what bytes.Contains and bytes.LastIndex find, on generated lines and on
// every corpus line, phrases at the start and the end of a line included.
func TestLineScanners(t *testing.T) {
	lines := strings.Split(synthKernelLog(3000)+synthStrace(3000), "\n")
	for _, g := range []string{"testdata/kernel-log/*", "testdata/strace/*", "testdata/agent-log/*"} {
		files, _ := filepath.Glob(g)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			lines = append(lines, strings.Split(string(b), "\n")...)
		}
	}
	for _, ph := range klogPhrases {
		s := string(ph.text)
		lines = append(lines, s, s+"x", "x"+s, s[1:], s[:len(s)-1], s+s)
		for j := range s {
			// One byte changed, in the first four (compared at once)
			// or after them.
			lines = append(lines, "x "+s[:j]+"#"+s[j+1:]+" y")
		}
	}
	lines = append(lines, strings.Split(synthAgentLog(2000), "\n")...)
	lines = append(lines, "UNLOAD", "Guard", "sTaRt", "stop", "shut", "intercept", "x unloa", "restart", "Re-Guarding /x")
	lines = append(lines, " = ", "=", " =", "= ", "a = b = c", "x =  = y", " == ", "f() = 0 <0.1>")
	for _, l := range lines {
		b := []byte(l)
		got := klogScan(b)
		for _, ph := range klogPhrases {
			if want := bytes.Contains(b, ph.text); want != (got&ph.bit != 0) {
				t.Errorf("klogScan(%q) for %q: %v, want %v", l, ph.text, !want, want)
			}
		}
		var want uint32
		for k, a := range agentAnchors {
			if bytes.Contains(bytes.ToLower(b), []byte(a)) {
				want |= 1 << k
			}
		}
		if got := agentAnchorMask(b); got != want && utf8.Valid(b) && !strings.ContainsAny(l, "İK") {
			t.Errorf("agentAnchorMask(%q) = %b, want %b", l, got, want)
		}
		if got, want := straceLastEq(b), bytes.LastIndex(b, straceEq); got != want {
			t.Errorf("straceLastEq(%q) = %d, want %d", l, got, want)
		}
	}
}

// TestBatchWorkerPanics: a parser's panic on a worker is handed to the
// reading goroutine, which raises it there (where the pipeline turns it
// into a warning on the file), instead of ending the process.
func TestBatchWorkerPanics(t *testing.T) {
	in := NewInputString("strace.out", strings.Repeat("1 read(3) = 0\n", 5000))
	in.batchMin, in.batchLen = 1, 1000
	in.Next()
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "boom (batch from line ") {
			t.Fatalf("recovered %v, want the worker's panic", r)
		}
	}()
	joined := 0
	parseInBatches(in, func(lb *batchLines) int {
		if lb.first > 2000 {
			panic("boom")
		}
		return len(lb.spans)
	}, func(lb *batchLines, n int) { joined += n }, batchHooks{})
	t.Fatalf("no panic; %d lines joined", joined)
}

// TestLineRunBefore: the lines a batch takes as one run, without looking
// at them, are exactly those that begin before it is full, the lines a
// line-by-line loop would have added before asking where to cut.
func TestLineRunBefore(t *testing.T) {
	for _, whole := range []string{"a\n", "a\nbb\n", "\n\n\n", "abc\nd\n\nefgh\n", "x\r\ny\r\n"} {
		for room := -1; room <= len(whole)+1; room++ {
			// Line by line: a line is taken while the bytes before it
			// are fewer than room.
			want, off := "", 0
			for _, l := range strings.SplitAfter(whole, "\n") {
				if l == "" || off >= room {
					break
				}
				want += l
				off += len(l)
			}
			if got := string(lineRunBefore([]byte(whole), room)); got != want {
				t.Errorf("lineRunBefore(%q, %d) = %q, want %q", whole, room, got, want)
			}
		}
	}
}

// TestLentChunksReadError: a read error after the chunks a reader lent
// ends the file as it does read line by line: the same facts, the same
// error, nothing lent kept.
func TestLentChunksReadError(t *testing.T) {
	boom := errors.New("boom")
	content := synthStrace(30000)
	content = content[:len(content)-17] // the last line cut short
	var serial model.Model
	in := NewInput("strace.out", io.MultiReader(strings.NewReader(content), iotest.ErrReader(boom)))
	in.serial = true
	parseStrace(in, &serial)
	if !errors.Is(in.Err(), boom) {
		t.Fatalf("serial parse: error %v", in.Err())
	}
	warns := in.Warnings()
	for _, chunk := range []int{7, 4096} {
		lender := &stringChunks{s: content, n: chunk, err: boom}
		in := NewInput("strace.out", lender)
		in.LendChunks(lender)
		in.batchMin, in.batchLen = 10, 4096
		var m model.Model
		parseStrace(in, &m)
		if !errors.Is(in.Err(), boom) || lender.lent != 0 {
			t.Fatalf("chunks of %d B: error %v, %d chunks not given back", chunk, in.Err(), lender.lent)
		}
		if !reflect.DeepEqual(&serial, &m) || !reflect.DeepEqual(warns, in.Warnings()) {
			t.Fatalf("chunks of %d B: the model or warnings differ from the serial parse\n%s\n%v\n%v", chunk, modelDiff(&serial, &m), warns, in.Warnings())
		}
	}
}

// FuzzLentChunks: strace, a kernel log and an agent log read in batches
// from chunks their reader lends (any chunk size) give the model and
// warnings of a serial parse, and every chunk lent is given back.
func FuzzLentChunks(f *testing.F) {
	f.Add([]byte("1 09:00:00.000001 read(3, <unfinished ...>\n2 09:00:00.000002 close(4) = 0 <0.000002>\n1 09:00:00.000003 <... read resumed>\"x\", 1) = 1 <0.1>\n"), uint16(7), uint8(0))
	f.Add([]byte("Feb  4 15:40:01 node1 kernel: INFO: task oracle:4242 blocked for more than 120 seconds.\nFeb  4 15:40:01 node1 kernel:  schedule+0x29/0x70\r\nFeb  4 15:40:02 node1 kernel: secfs2: module is in use\n"), uint16(13), uint8(1))
	f.Add([]byte("2018-06-13 14:41:00.000 [VMD] [ERROR] [1] [CGP0009E] failed to unload\n  continued here\n2018-06-13 14:41:01.000 [VMD] [INFO] [1] [DXF1005I] starting vmd\n"), uint16(1), uint8(2))
	parsers := []struct {
		path  string
		parse func(*Input, *model.Model)
	}{{"strace.out", parseStrace}, {"var/log/messages", parseKernelLog}, {"var/log/vormetric/vorvmd_root.log", parseAgentLog}}
	f.Fuzz(func(t *testing.T, content []byte, chunk uint16, which uint8) {
		p := parsers[int(which)%len(parsers)]
		text := string(content)
		var serial model.Model
		in := NewInputString(p.path, text)
		in.serial = true
		p.parse(in, &serial)
		in.Drain()
		warns := in.Warnings()

		lender := &stringChunks{s: text, n: 1 + int(chunk)%4096}
		in = NewInput(p.path, lender)
		in.LendChunks(lender)
		in.batchMin, in.batchLen = 1+int(chunk)%3, 16+int(chunk)%300
		var m model.Model
		p.parse(in, &m)
		in.Drain()
		if !reflect.DeepEqual(&serial, &m) || !reflect.DeepEqual(warns, in.Warnings()) {
			t.Fatalf("%s, chunks of %d B: differs from the serial parse\n%s\n%v\n%v", p.path, lender.n, modelDiff(&serial, &m), warns, in.Warnings())
		}
		if lender.lent != 0 {
			t.Fatalf("%d chunks not given back", lender.lent)
		}
	})
}
