package parsers

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// logWantCall is what a test expects of one kept call.
type logWantCall struct {
	line, end  int
	pid        int
	name, why  string
	errno      string
	unfinished bool
	time       string
	dur        float64
	args       string // a part of Args
}

func TestStrace(t *testing.T) {
	cases := []struct {
		name  string
		file  string
		path  string
		calls []logWantCall
		stats model.LogStats
		warns []int
	}{
		{
			name: "-f -o FILE -tt: the seed article's mount that never returned",
			file: "shadowfs_mount_f_tt.out", path: "case123/strace.out",
			calls: []logWantCall{
				{line: 4, pid: 4920, name: "access", why: "failed", errno: "ENOENT", time: "09:11:52.792001", args: `"/etc/mtab", W_OK`},
				{line: 5, pid: 4918, name: "wait4", why: "unfinished", unfinished: true, time: "09:11:52.792210", args: "4920,"},
				{line: 7, pid: 4920, name: "mount", why: "unfinished", unfinished: true, time: "09:11:52.793684",
					args: `"fuse", "/media/shadowfs/TEST01", "fuse", MS_NOSUID|MS_NODEV,"allow_other,default_permissions,fd=6,rootmode=40000,user_id=0,group_id=0"`},
				{line: 8, pid: 4921, name: "statfs", why: "unfinished", unfinished: true, time: "09:11:52.801000", args: `"/media/shadowfs/TEST01",`},
			},
			stats: model.LogStats{Kind: "strace", Lines: 11, Kept: 4, Unkept: 5, Calls: 9, Failed: 1, Unfinished: 3, Signals: 1, Exits: 1},
			warns: []int{},
		},
		{
			name: "[pid N] prefixes, -T, split calls, exits and <unavailable>",
			file: "threads_pid_bracket_T.out", path: "strace-nails.out",
			calls: []logWantCall{
				{line: 4, end: 5, pid: 10522, name: "restart_syscall", why: "failed", errno: "ETIMEDOUT", dur: 0.020011, args: "<... resuming interrupted futex ...>"},
				{line: 3, end: 7, pid: 10523, name: "read", why: "slow", dur: 2.500123, args: `8, "\1\0\0\0\0\0\0\0", 8`},
				{line: 9, pid: 10522, name: "umount2", why: "relevant", errno: "EBUSY", dur: 0.000101, args: `"/media/nss/VOL1", 0`},
				{line: 12, pid: 10524, name: "nanosleep", why: "unfinished", unfinished: true, args: "{tv_sec=5, tv_nsec=0},"},
				{line: 2, pid: 10519, name: "futex", why: "unfinished", unfinished: true, args: "0xc0041ee4c0, FUTEX_WAIT_PRIVATE, 0, NULL"},
			},
			stats: model.LogStats{Kind: "strace", Lines: 16, Kept: 5, Unkept: 4, Calls: 9, Failed: 2, Unfinished: 2, Exits: 2},
			warns: []int{},
		},
		{
			name: "-ff per-process file: the PID comes from the name; -ttt epoch stamps",
			file: "strace.out.4920", path: "tmp/strace.out.4920",
			calls: []logWantCall{
				{line: 1, pid: 4920, name: "access", why: "failed", errno: "ENOENT", time: "1527760312.792001"},
				{line: 3, pid: 4920, name: "mount", why: "relevant", time: "1527760312.793684", args: `"allow_other,fd=6"`},
				{line: 4, pid: 4920, name: "delete_module", why: "relevant", errno: "EWOULDBLOCK", args: `"lshook", O_NONBLOCK`},
				{line: 5, pid: 4920, name: "init_module", why: "relevant", time: "1527760313.000000"},
			},
			stats: model.LogStats{Kind: "strace", Lines: 5, Kept: 4, Unkept: 1, Calls: 5, Failed: 2},
			warns: []int{},
		},
		{
			name: "-r relative stamps, old resumed form, -c summary after the trace",
			file: "relative_r_T_old_resumed.strace", path: "sleep.strace",
			calls: []logWantCall{
				{line: 3, name: "openat", why: "failed", errno: "ENOENT", time: "+0.000090", dur: 0.00001},
				{line: 6, name: "clock_nanosleep", why: "slow", time: "+0.000020", dur: 1.00012},
			},
			stats: model.LogStats{Kind: "strace", Lines: 14, Kept: 2, Unkept: 4, Calls: 6, Failed: 1, Exits: 1, Summary: 3},
			warns: []int{},
		},
		{
			name: "CRLF, program output, escapes, cut lines, an orphan resumed half",
			file: "malformed_crlf.out", path: "strace.log",
			calls: nil,
			stats: model.LogStats{Kind: "strace", Lines: 7, Kept: 0, Unkept: 3, Calls: 3},
			warns: []int{2, 3, 4, 6, 7},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, ws := parseString(t, "strace", tc.path, readTestdata(t, "strace", tc.file))
			if got := warnLines(ws); !reflect.DeepEqual(got, tc.warns) {
				t.Errorf("warning lines = %v, want %v (%v)", got, tc.warns, ws)
			}
			if len(m.Syscalls) != len(tc.calls) {
				t.Fatalf("kept %d calls, want %d: %+v", len(m.Syscalls), len(tc.calls), m.Syscalls)
			}
			for i, w := range tc.calls {
				c := m.Syscalls[i]
				if c.Src.Line != w.line || c.Src.EndLine != w.end || c.PID != w.pid || c.Name != w.name || c.Why != w.why ||
					c.Errno != w.errno || c.Unfinished != w.unfinished || c.Duration != w.dur {
					t.Errorf("call %d = %+v, want %+v", i, c, w)
				}
				if w.time != "" && c.Time != w.time {
					t.Errorf("call %d time = %q, want %q", i, c.Time, w.time)
				}
				if !strings.Contains(c.Args, w.args) {
					t.Errorf("call %d args = %q, want it to contain %q", i, c.Args, w.args)
				}
				if c.Src.Path != tc.path || c.Src.Text == "" {
					t.Errorf("call %d source = %+v", i, c.Src)
				}
			}
			tc.stats.Src = model.Source{Path: tc.path}
			if len(m.LogStats) != 1 || !reflect.DeepEqual(m.LogStats[0], tc.stats) {
				t.Errorf("stats = %+v, want %+v", m.LogStats, tc.stats)
			}
		})
	}
}

// TestStraceSplitCallSource checks that a split call is one fact whose
// source spans both halves and quotes the first.
func TestStraceSplitCallSource(t *testing.T) {
	in := "[pid  7] mount(\"fuse\", \"/mnt\", \"fuse\", 0, \"fd=6\" <unfinished ...>\n" +
		"[pid  8] close(3) = 0\n" +
		"[pid  7] <... mount resumed>) = -1 EPERM (Operation not permitted) <0.000020>\n"
	m, ws := parseString(t, "strace", "strace.out", in)
	if len(ws) != 0 || len(m.Syscalls) != 1 {
		t.Fatalf("calls %+v, warnings %v", m.Syscalls, ws)
	}
	c := m.Syscalls[0]
	want := model.Syscall{PID: 7, Name: "mount", Args: `"fuse", "/mnt", "fuse", 0, "fd=6"`, Ret: "-1", Errno: "EPERM",
		Duration: 0.00002, Why: "relevant",
		Src: model.Source{Path: "strace.out", Line: 1, EndLine: 3, Text: `[pid  7] mount("fuse", "/mnt", "fuse", 0, "fd=6" <unfinished ...>`}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

// TestStraceBudget checks that a flood of failed calls is counted, not
// kept, beyond the per-file limit, with one warning.
func TestStraceBudget(t *testing.T) {
	var sb strings.Builder
	n := straceKeepPerReason + 50
	for i := 0; i < n; i++ {
		sb.WriteString(`access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)` + "\n")
	}
	m, ws := parseString(t, "strace", "strace.out", sb.String())
	if len(m.Syscalls) != straceKeepPerReason || m.LogStats[0].OverBudget != 50 || m.LogStats[0].Failed != n {
		t.Errorf("kept %d, stats %+v", len(m.Syscalls), m.LogStats[0])
	}
	if len(ws) != 1 || ws[0].Line != straceKeepPerReason+1 {
		t.Errorf("warnings %v", ws)
	}
}

// TestStracePendingBounded checks that the map of split calls waiting for
// their result stays bounded: the oldest are reported unfinished.
func TestStracePendingBounded(t *testing.T) {
	var sb strings.Builder
	n := straceMaxPending + 10
	for i := 1; i <= n; i++ {
		sb.WriteString("[pid " + strconv.Itoa(i) + "] futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>\n")
	}
	sb.WriteString("[pid " + strconv.Itoa(n) + "] <... futex resumed>) = 0\n")
	sb.WriteString("[pid 1] <... futex resumed>) = 0\n")
	m, ws := parseString(t, "strace", "strace.out", sb.String())
	st := m.LogStats[0]
	if st.Unfinished != n-1 || st.Calls != n+1 {
		t.Errorf("stats %+v, want %d unfinished", st, n-1)
	}
	// One warning for the overflow, one for pid 1's resumed half whose
	// start was given up, one for the unfinished calls beyond the budget.
	if len(ws) != 3 || ws[0].Line != straceMaxPending+1 || ws[1].Line != n+2 || ws[2].Line != straceKeepPerReason+1 {
		t.Errorf("warnings %v", ws)
	}
	if m.Syscalls[0].PID != 1 || !m.Syscalls[0].Unfinished {
		t.Errorf("first given up: %+v", m.Syscalls[0])
	}
}

func TestStracePrefix(t *testing.T) {
	cases := []struct {
		line   string
		pid    int
		hasPID bool
		ts     string
		rel    bool
		rest   string
	}{
		{"open(\"/x\", O_RDONLY) = 3", 0, false, "", false, `open("/x", O_RDONLY) = 3`},
		{"[pid  2489] close(3) = 0", 2489, true, "", false, "close(3) = 0"},
		{"4920 09:11:52.793684 mount(", 4920, true, "09:11:52.793684", false, "mount("},
		{"4920  read(3, \"\", 1) = 0", 4920, true, "", false, `read(3, "", 1) = 0`},
		{"09:11:52 read(3) = 0", 0, false, "09:11:52", false, "read(3) = 0"},
		{"1527760312.792001 access(", 0, false, "1527760312.792001", false, "access("},
		{"     0.000008 semop(9) = 0", 0, false, "0.000008", true, "semop(9) = 0"},
		{"20:37:49.050065 (+     0.000012) semop(9) = 0", 0, false, "20:37:49.050065", false, "semop(9) = 0"},
		{"[pid     1] 12:00:00.000001 +++ exited with 0 +++", 1, true, "12:00:00.000001", false, "+++ exited with 0 +++"},
		{"1     1.0 read(0) = 0", 1, true, "1.0", true, "read(0) = 0"},
	}
	for _, c := range cases {
		l := splitStracePrefix([]byte(c.line))
		if l.pid != c.pid || l.hasPID != c.hasPID || string(l.ts) != c.ts || l.rel != c.rel || string(l.rest) != c.rest {
			t.Errorf("%q: pid %d/%v ts %q rel %v rest %q", c.line, l.pid, l.hasPID, l.ts, l.rel, l.rest)
		}
	}
}

func TestStraceTail(t *testing.T) {
	cases := []struct {
		in               string
		args, ret, errno string
		dur              float64
		ok               bool
	}{
		{`"/etc/x", O_RDONLY) = -1 ENOENT (No such file or directory)`, `"/etc/x", O_RDONLY`, "-1", "ENOENT", 0, true},
		{`1, "a) = b", 6)        = 6 <0.000020>`, `1, "a) = b", 6`, "6", "", 0.00002, true},
		{`0)               = ?`, "0", "?", "", 0, true},
		{`) = ? <unavailable>`, "", "?", "", 0, true},
		{`{fd=3}], 1, 0) = 0 (Timeout)`, "{fd=3}], 1, 0", "0", "", 0, true},
		{`) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)`, "", "?", "ERESTARTSYS", 0, true},
		{`NULL) = 0x7fa1ba356000`, "NULL", "0x7fa1ba356000", "", 0, true},
		{`3, {st_mode=S_IFREG, ...}`, "", "", "", 0, false},
	}
	for _, c := range cases {
		tl := straceTail([]byte(c.in))
		if string(tl.args) != c.args || string(tl.ret) != c.ret || string(tl.errno) != c.errno || tl.seconds() != c.dur || tl.ok != c.ok {
			t.Errorf("%q: args %q ret %q errno %q dur %v ok %v", c.in, tl.args, tl.ret, tl.errno, tl.seconds(), tl.ok)
		}
	}
}

// TestStraceSpaceLines: a line of Unicode spaces is blank, and the -c
// table's header is one after any spaces, as after ASCII ones.
func TestStraceSpaceLines(t *testing.T) {
	trace := "\u00a0\u2003\n \t\n1 09:00:00.000001 close(3) = 0 <0.000002>\n" +
		"\u00a0% time     seconds  usecs/call     calls    errors syscall\n" +
		"------ ----------- ----------- --------- --------- ----------------\n" +
		" 99.00    0.000100          10        10           close\n" +
		"100.00    0.000101                    10           total\n"
	in := NewInputString("strace.out", trace)
	var m model.Model
	parseStrace(in, &m)
	if ws := in.Warnings(); len(ws) != 0 {
		t.Fatalf("warnings %v", ws)
	}
	if st := m.LogStats[0]; st.Calls != 1 || st.Summary != 2 {
		t.Fatalf("stats %+v, want 1 call and 2 summary rows", st)
	}
}

// TestStraceTailSlow: a -T duration is slow exactly when the seconds it
// reads (strconv.ParseFloat's) are at least straceSlowSeconds, whether it
// is read as digits or by ParseFloat, at the boundary and around it.
func TestStraceTailSlow(t *testing.T) {
	durs := []string{"0.999999", "1.000000", "1", "1.", "0.9999999999999999", "1.0000000000000001",
		"000000000000001", "0000000000000009", "1e0", "9e-1", "0x1p0", "2.5", "0.000012", "120.000001", ".999", "999999999999999"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		durs = append(durs, fmt.Sprintf("%.*f", r.IntN(10), r.Float64()*3))
	}
	for _, d := range durs {
		want, err := strconv.ParseFloat(d, 64)
		if err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		tl := straceTail([]byte("3) = 0 <" + d + ">"))
		if !tl.ok || tl.seconds() != want || tl.slow() != (want >= straceSlowSeconds) {
			t.Errorf("%q: ok %v seconds %v slow %v, want seconds %v slow %v", d, tl.ok, tl.seconds(), tl.slow(), want, want >= straceSlowSeconds)
		}
	}
}
