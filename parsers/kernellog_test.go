package parsers

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// logWantEvent is what a test expects of one kept event.
type logWantEvent struct {
	line, end int
	kind      string
	subject   string
	time      string
	msg       string // a part of Message
}

func logCheckEvents(t *testing.T, got []model.Event, want []logWantEvent, path, log string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("kept %d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.Src.Line != w.line || e.Src.EndLine != w.end || e.Kind != w.kind || e.Subject != w.subject || e.Log != log {
			t.Errorf("event %d = %+v, want %+v", i, e, w)
		}
		if w.time != "" && e.Time != w.time {
			t.Errorf("event %d time = %q, want %q", i, e.Time, w.time)
		}
		if !strings.Contains(e.Message, w.msg) {
			t.Errorf("event %d message = %q, want it to contain %q", i, e.Message, w.msg)
		}
		if e.Src.Path != path || e.Src.Text == "" {
			t.Errorf("event %d source = %+v", i, e.Src)
		}
	}
}

func TestKernelLog(t *testing.T) {
	cases := []struct {
		name   string
		file   string
		path   string
		events []logWantEvent
		stats  model.LogStats
	}{
		{
			name: "dmesg with uptime stamps: taint, two hung tasks (new format), COMM with a space",
			file: "dmesg_stamped.txt", path: "sos_commands/kernel/dmesg",
			events: []logWantEvent{
				{line: 2, kind: model.EventTaint, subject: "lshook", time: "12.104552", msg: "lshook: loading out-of-tree module taints kernel."},
				{line: 3, kind: model.EventTaint, subject: "lshook", msg: "tainting kernel"},
				{line: 5, end: 20, kind: model.EventHungTask, subject: "shadowfs:4920", time: "1452.611020", msg: "INFO: task shadowfs:4920 blocked for more than 120 seconds."},
				{line: 21, end: 28, kind: model.EventHungTask, subject: "C2 CompilerThre:5001", msg: "blocked for more than 120 seconds"},
			},
			stats: model.LogStats{Kind: "kernel-log", Lines: 30, Kept: 4, Unkept: 4},
		},
		{
			name: "dmesg -T: old task line, raw stack words, [<addr>] frames",
			file: "dmesg_T.txt", path: "sos_commands/kernel/dmesg_-T",
			events: []logWantEvent{
				{line: 2, end: 10, kind: model.EventHungTask, subject: "mount.nss:3301", time: "Mon Feb 14 10:02:01 2022", msg: "blocked for more than 240 seconds"},
			},
			stats: model.LogStats{Kind: "kernel-log", Lines: 11, Kept: 1, Unkept: 2},
		},
		{
			name: "/var/log/messages: module in use (kmod, modprobe, module-init-tools, busy), taint, mod_fini, old hung task",
			file: "messages_syslog.txt", path: "var/log/messages",
			events: []logWantEvent{
				{line: 2, kind: model.EventTaint, subject: "novell_nss", time: "Apr  1 23:31:12"},
				{line: 3, kind: model.EventTaint, msg: "Disabling lock debugging due to kernel taint"},
				{line: 4, kind: model.EventModuleInUse, subject: "adminfs", msg: "rmmod: ERROR: Module adminfs is in use by: lshook"},
				{line: 5, kind: model.EventModuleInUse, subject: "secfs2", msg: "modprobe: FATAL: Module secfs2 is in use."},
				{line: 6, kind: model.EventModuleInUse, subject: "tracedev", msg: "ERROR: Module tracedev is in use"},
				{line: 7, kind: model.EventModuleInUse, subject: "lshook", msg: "could not remove module lshook"},
				{line: 8, kind: model.EventInterceptsSuperseded, msg: "secfs2: mod_fini: Intercepts superceded - failing unload"},
				{line: 9, end: 15, kind: model.EventHungTask, subject: "z_rd_int_5:1771", time: "Apr  1 23:33:29"},
			},
			stats: model.LogStats{Kind: "kernel-log", Lines: 16, Kept: 8, Unkept: 2},
		},
		{
			name: "RFC 3339 rsyslog kern.log with dmesg stamps, ARM frames, Workqueue line",
			file: "kern_rfc3339.log", path: "var/log/kern.log.1",
			events: []logWantEvent{
				{line: 1, end: 7, kind: model.EventHungTask, subject: "kworker/u8:0:5", time: "2026-05-28T12:24:00.184235+00:00", msg: "blocked for more than 122 seconds"},
			},
			stats: model.LogStats{Kind: "kernel-log", Lines: 8, Kept: 1, Unkept: 1},
		},
		{
			name: "journalctl -o short-iso with journal markers",
			file: "journalctl_short-iso", path: "sos_commands/logs/journalctl_--no-pager_-k",
			events: []logWantEvent{
				{line: 2, end: 8, kind: model.EventHungTask, subject: "df:1177107", time: "2022-02-14T10:05:00+0000"},
			},
			stats: model.LogStats{Kind: "kernel-log", Lines: 10, Kept: 1, Unkept: 3},
		},
		{
			name: "dmesg without stamps: indentation carries the block",
			file: "dmesg_unstamped", path: "dmesg.out",
			events: []logWantEvent{
				{line: 2, end: 8, kind: model.EventHungTask, subject: "shadowfs:4920", msg: "INFO: task shadowfs:4920"},
			},
			stats: model.LogStats{Kind: "kernel-log", Lines: 9, Kept: 1, Unkept: 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, ws := parseString(t, "kernel-log", tc.path, readTestdata(t, "kernel-log", tc.file))
			if len(ws) != 0 {
				t.Errorf("warnings: %v", ws)
			}
			logCheckEvents(t, m.Events, tc.events, tc.path, "kernel-log")
			tc.stats.Src = model.Source{Path: tc.path}
			if len(m.LogStats) != 1 || !reflect.DeepEqual(m.LogStats[0], tc.stats) {
				t.Errorf("stats = %+v, want %+v", m.LogStats, tc.stats)
			}
		})
	}
}

func TestKernelLogPrefix(t *testing.T) {
	cases := []struct{ line, ts, tag, msg string }{
		{"[ 1920.259590] INFO: x", "1920.259590", "", "INFO: x"},
		{"[Mon Feb 14 10:00:00 2022] usb 1-1: y", "Mon Feb 14 10:00:00 2022", "", "usb 1-1: y"},
		{"Feb  4 15:40:27 host kernel: [ 1920.2] m", "Feb  4 15:40:27", "kernel", "m"},
		{"Feb 04 00:07:13 host kernel: m", "Feb 04 00:07:13", "kernel", "m"},
		{"    May 17 18:48:11 kernel: [ 6141.9] m", "May 17 18:48:11", "kernel", "m"},
		{"Apr  1 23:32:40 h nails[2203]: rmmod: ERROR", "Apr  1 23:32:40", "nails", "rmmod: ERROR"},
		{"2026-05-28T12:24:00.184235+00:00 h kernel: m", "2026-05-28T12:24:00.184235+00:00", "kernel", "m"},
		{"<4>[   12.5] m", "12.5", "", "m"},
		{"[   12.5] host kernel: m", "12.5", "kernel", "m"},
		{" [<ffffffff8146a2d5>] schedule", "", "", " [<ffffffff8146a2d5>] schedule"},
		{"      Not tainted", "", "", "      Not tainted"},
	}
	for _, c := range cases {
		p := kernelLogSplit([]byte(c.line))
		if string(p.ts) != c.ts || string(p.tag) != c.tag || string(p.msg) != c.msg {
			t.Errorf("%q: ts %q tag %q msg %q", c.line, p.ts, p.tag, p.msg)
		}
	}
}

// TestKernelLogBudget checks that a repeated message is counted, not kept,
// beyond the per-file limit.
func TestKernelLogBudget(t *testing.T) {
	line := "[  1.0] rmmod: ERROR: Module x is in use\n"
	n := logKeepPerKind + 7
	m, ws := parseString(t, "kernel-log", "dmesg", strings.Repeat(line, n))
	st := m.LogStats[0]
	if len(m.Events) != logKeepPerKind || st.OverBudget != 7 || st.Lines != n || len(ws) != 1 {
		t.Errorf("events %d, stats %+v, warnings %v", len(m.Events), st, ws)
	}
}

// TestKernelLogNotEvents checks lines that mention the key words without
// being the classified messages.
func TestKernelLogNotEvents(t *testing.T) {
	in := strings.Join([]string{
		"[ 1.0] audit: the device is in use by another driver",
		"[ 2.0] CPU: 0 PID: 1 Comm: swapper Tainted: G W 5.15",
		"[ 3.0] the request was blocked for more than 5 seconds by the firewall",
		"[ 4.0] Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings",
	}, "\n")
	m, ws := parseString(t, "kernel-log", "dmesg", in)
	if len(m.Events) != 0 || len(ws) != 0 || m.LogStats[0].Unkept != 4 {
		t.Errorf("events %+v, warnings %v, stats %+v", m.Events, ws, m.LogStats)
	}
}
