package parsers

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

func TestAgentLog(t *testing.T) {
	cases := []struct {
		name   string
		file   string
		path   string
		events []logWantEvent
		levels []string // Level of each event, when checked
		stats  model.LogStats
	}{
		{
			name: "the seed article's AIX stop transcript",
			file: "secfs-stop.out", path: "secfs-stop.out",
			events: []logWantEvent{
				{line: 2, kind: model.EventAgentStop, subject: "agent", msg: "Stopping the Vormetric Encryption Expert File System Agent."},
				{line: 3, kind: model.EventAgentStop, subject: "vmd", msg: "Stopping the vmd...done"},
				{line: 4, kind: model.EventAgentStop, subject: "secfsd"},
				{line: 5, kind: model.EventUnloadFailed, subject: "secfs2", msg: "Failed to unload kernel extension agent/secfs/.sec/mod/secfs2 error = 1"},
				{line: 6, kind: model.EventAgentRestart, subject: "secfsd", msg: "Starting the secfsd...done"},
				{line: 7, kind: model.EventAgentRestart, subject: "vmd", msg: "Starting the vmd...done"},
			},
			stats: model.LogStats{Kind: "agent-log", Lines: 7, Kept: 6, Unkept: 1},
		},
		{
			name: "the module's secfs.log: both spellings, ctime stamps, a continuation line",
			file: "secfs.log", path: "opt/vormetric/DataSecurityExpert/agent/secfs/tmp/secfs.log",
			events: []logWantEvent{
				{line: 2, kind: model.EventInterceptsSuperseded, time: "Wed Jun 13 14:40:52 2018", msg: "mod_fini: Intercepts superceded - failing unload"},
				{line: 5, kind: model.EventInterceptsSuperseded, msg: "mod_fini: intercepts superseded - failing unload"},
			},
			stats: model.LogStats{Kind: "agent-log", Lines: 5, Kept: 2, Unkept: 3},
		},
		{
			name: "vorvmd_root.log: bracketed header, stop, unload failure, restart, multi-line error",
			file: "vorvmd_root.log", path: "var/log/vormetric/vorvmd_root.log",
			events: []logWantEvent{
				{line: 2, kind: model.EventAgentStop, subject: "vmd", time: "2018-06-13 14:40:40.250", msg: "Stopping the vmd"},
				{line: 3, kind: model.EventOther, msg: "Kernel component gave unexpected status 4."},
				{line: 4, kind: model.EventUnloadFailed, subject: "secfs2", msg: "could not unload"},
				{line: 5, kind: model.EventAgentRestart, subject: "vmd", msg: "Starting the vmd"},
				{line: 7, end: 9, kind: model.EventOther, msg: "Out of Memory at allocator line 1 at allocator line 2"},
			},
			levels: []string{"INFO", "ERROR", "WARN", "INFO", "ERROR"},
			stats:  model.LogStats{Kind: "agent-log", Lines: 9, Kept: 5, Unkept: 2},
		},
		{
			name: "secfsd.log: three ways to say re-guard, with the guard point",
			file: "secfsd.log", path: "var/log/vormetric/secfsd.log.2",
			events: []logWantEvent{
				{line: 1, kind: model.EventReguard, subject: "/data/oracle"},
				{line: 2, kind: model.EventReguard, subject: "/export/home"},
				{line: 3, kind: model.EventReguard, subject: "/u01/app"},
			},
			stats: model.LogStats{Kind: "agent-log", Lines: 4, Kept: 3, Unkept: 1},
		},
		{
			name: "syslog-prefixed bracketed lines",
			file: "messages_vmd_syslog", path: "var/log/vormetric/vorvmd_root.log.1",
			events: []logWantEvent{
				{line: 1, kind: model.EventOther, time: "Jun 13 14:40:52", msg: "Kernel component gave unexpected status 4."},
				{line: 2, kind: model.EventAgentRestart, subject: "vmd"},
			},
			levels: []string{"ERROR", "INFO"},
			stats:  model.LogStats{Kind: "agent-log", Lines: 3, Kept: 2, Unkept: 1},
		},
		{
			name: "RFC 5424 forwarding form: ERROR lines kept as other",
			file: "rfc5424_forward.log", path: "var/log/vormetric/cte_syslog.log",
			events: []logWantEvent{
				{line: 2, kind: model.EventOther, time: "2023-12-11T14:30:02.217Z", msg: `msg="Reject access"`},
				{line: 3, kind: model.EventOther, msg: `msg="Reject rename"`},
				{line: 4, kind: model.EventOther, msg: `msg="failed to contact host"`},
			},
			levels: []string{"ERROR", "ERROR", "ERROR"},
			stats:  model.LogStats{Kind: "agent-log", Lines: 4, Kept: 3, Unkept: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, ws := parseString(t, "agent-log", tc.path, readTestdata(t, "agent-log", tc.file))
			if len(ws) != 0 {
				t.Errorf("warnings: %v", ws)
			}
			logCheckEvents(t, m.Events, tc.events, tc.path, "agent-log")
			for i, l := range tc.levels {
				if m.Events[i].Level != l {
					t.Errorf("event %d level %q, want %q", i, m.Events[i].Level, l)
				}
			}
			tc.stats.Src = model.Source{Path: tc.path}
			if len(m.LogStats) != 1 || !reflect.DeepEqual(m.LogStats[0], tc.stats) {
				t.Errorf("stats = %+v, want %+v", m.LogStats, tc.stats)
			}
		})
	}
}

// TestAgentLogFields checks the parts of a bracketed line in detail.
func TestAgentLogFields(t *testing.T) {
	m, _ := parseString(t, "agent-log", "var/log/vormetric/vorvmd_root.log",
		"2018-06-13 14:40:52.902 [VMD] [ERROR] [1933564] [DXF4328E] Kernel component gave unexpected status 4.\n")
	want := model.Event{Kind: model.EventOther, Log: "agent-log", Time: "2018-06-13 14:40:52.902", Level: "ERROR",
		Component: "VMD", MsgID: "DXF4328E", Message: "Kernel component gave unexpected status 4.",
		Src: model.Source{Path: "var/log/vormetric/vorvmd_root.log", Line: 1,
			Text: "2018-06-13 14:40:52.902 [VMD] [ERROR] [1933564] [DXF4328E] Kernel component gave unexpected status 4."}}
	if len(m.Events) != 1 || m.Events[0] != want {
		t.Errorf("got %+v\nwant %+v", m.Events, want)
	}
}

// TestAgentLogStartWithoutStop checks that a start is a restart only after
// a stop or a failed unload in the same file.
func TestAgentLogStartWithoutStop(t *testing.T) {
	m, _ := parseString(t, "agent-log", "agent-stop.out", "Starting the vmd...done\nStopping the vmd...done\nStarting the vmd...done\n")
	var kinds []string
	for _, e := range m.Events {
		kinds = append(kinds, e.Kind)
	}
	want := []string{model.EventAgentStart, model.EventAgentStop, model.EventAgentRestart}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
}

// TestAgentPatternsTable checks every entry of the pattern table against a
// message written for it, so an edit to the table cannot silently break a
// kind.
func TestAgentPatternsTable(t *testing.T) {
	for _, a := range agentAnchors {
		// The anchor scan (pairScan) compares an anchor's first four
		// letters in one step, folding ASCII case.
		if len(a) < 4 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("anchor %q: want at least 4 lower-case ASCII letters", a)
		}
	}
	for _, pat := range agentPatterns {
		anchored := false
		for _, w := range pat.words {
			for _, a := range agentAnchors {
				anchored = anchored || strings.Contains(w, a)
			}
		}
		if !anchored {
			t.Errorf("pattern %v holds none of agentAnchors", pat.words)
		}
		msg := "x " + strings.Join(pat.words, " y ") + " z"
		p := &agentLogParser{}
		kind, _ := p.classify([]byte(strings.ToUpper(msg)))
		if kind != pat.kind {
			t.Errorf("%q classified %q, want %q", msg, kind, pat.kind)
		}
	}
}

func TestAgentLeadingTime(t *testing.T) {
	cases := map[string]int{
		"2018-06-13 14:40:52.902 [VMD]":   len("2018-06-13 14:40:52.902"),
		"2018-06-13T14:40:52Z x":          len("2018-06-13T14:40:52Z"),
		"2018/06/13 14:40:52 x":           len("2018/06/13 14:40:52"),
		"06/13/2018 14:40:52 x":           len("06/13/2018 14:40:52"),
		"Wed Jun 13 14:40:52 2018 mod":    len("Wed Jun 13 14:40:52 2018"),
		"Wed Jun 13 14:40:52 CDT 2018 m":  len("Wed Jun 13 14:40:52 CDT 2018"),
		"Wed Jun  3 14:40:52 mod_fini: x": len("Wed Jun  3 14:40:52"),
		"Stopping the vmd...done":         0,
		"2018-06-13 no time":              0,
	}
	for in, want := range cases {
		if got := logLeadingTime([]byte(in)); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

// agentAnchorMaskBytewise tries every anchor at every byte: what
// agentAnchorMask must find.
func agentAnchorMaskBytewise(msg []byte) uint32 {
	var m uint32
	for i := range msg {
		for k, a := range agentAnchors {
			if len(msg)-i >= len(a) && foldPrefix(msg[i:], a) {
				m |= 1 << k
			}
		}
	}
	return m
}

// TestAgentAnchorMask: the scan finds what trying every anchor at every
// byte finds, on messages built from the anchors' own letters and pieces
// (partial anchors, overlaps, anchors at either end and cut at the end),
// bytes that fold to letters' neighbours (@ [ ` {) and bytes above 0x7f.
func TestAgentAnchorMask(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "r", "t", "S", "n", "U", " ", "-", "\xc4", "\xf3", "@", "[", "`", "{", "ar", "st", "sta", "unlo", "guar", "inter", "SHU", "sto", "stop", "shut"}
	for _, a := range agentAnchors {
		pieces = append(pieces, a, strings.ToUpper(a), a[:len(a)-1], a[1:], strings.ToUpper(a[:1])+a[1:])
	}
	for n := 0; n < 200000; n++ {
		var b strings.Builder
		for k := r.IntN(12); k > 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		msg := []byte(b.String())
		if got, want := agentAnchorMask(msg), agentAnchorMaskBytewise(msg); got != want {
			t.Fatalf("agentAnchorMask(%q) = %b, want %b", msg, got, want)
		}
	}
	for _, c := range []struct {
		msg  string
		want uint32
	}{{"", 0}, {"sto", 0}, {"stop", 0}, {"stopp", 1 << 3}, {"xstopped", 1 << 3}, {"xxSTOPPING", 1 << 3}, {"xyzUnload", 1 << 0}, {"x intercept", 1 << 5}, {"stoPp!", 1 << 3}, {"unloa", 0}, {"Unload", 1 << 0},
		{"startstopp", 1<<2 | 1<<3}, {"shuttguard", 1<<1 | 1<<4}, {"intercepts", 1 << 5}, {"interceptz", 1 << 5}, {"intercep", 0}, {"shut", 0}, {"sHuTtInG", 1 << 4}} {
		if got := agentAnchorMask([]byte(c.msg)); got != c.want {
			t.Errorf("agentAnchorMask(%q) = %b, want %b", c.msg, got, c.want)
		}
	}
}

// TestAgentBracketHeader: up to four bracketed groups are the header when
// the second is a level; a group with a space, one whose ']' lies beyond
// byte 40, or one never closed ends it, and what follows is the message.
func TestAgentBracketHeader(t *testing.T) {
	long := strings.Repeat("X", 39) // "[" + 39 bytes: ']' at byte 40
	for _, c := range []struct {
		in, comp, level, msgID, rest string
	}{
		{"[CGP] [INFO] [1935001] [CGP2603I] [AUDIT] read", "CGP", "INFO", "CGP2603I", "[AUDIT] read"},
		{"[VMD]   [ERROR]  [DXF4328E] unload failed", "VMD", "ERROR", "DXF4328E", "unload failed"},
		{"[VMD] [WARN] [1234] msg", "VMD", "WARN", "", "msg"},
		{"[VMD] [INFO] [LEARN MODE] x", "VMD", "INFO", "", "[LEARN MODE] x"},
		{"[" + long + "] [INFO] x", long, "INFO", "", "x"},
		{"[" + long + "Y] [INFO] x", "", "", "", "[" + long + "Y] [INFO] x"},
		{"[VMD] [INFO", "", "", "", "[VMD] [INFO"},
		{"[VMD] [NOTALEVEL] x", "", "", "", "[VMD] [NOTALEVEL] x"},
		{"[VMD] [INFO]", "VMD", "INFO", "", ""},
		{"[] [INFO] x", "", "INFO", "", "x"},
		{"[ ] [INFO] x", "", "", "", "[ ] [INFO] x"},
		{"[VMD] [INFO] [a]b] x", "VMD", "INFO", "a", "b] x"},
	} {
		var r agentRecord
		rest := r.bracketHeader([]byte(c.in))
		if string(r.comp) != c.comp || string(r.level) != c.level || string(r.msgID) != c.msgID || string(rest) != c.rest {
			t.Errorf("%q: comp %q level %q id %q rest %q, want %q %q %q %q", c.in, r.comp, r.level, r.msgID, rest, c.comp, c.level, c.msgID, c.rest)
		}
	}
}
