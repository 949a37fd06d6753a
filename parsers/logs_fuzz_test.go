package parsers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// logFuzzSeeds adds every input under testdata/<kind> and the shared corpus
// folder to a fuzz target's seed corpus.
func logFuzzSeeds(f *testing.F, kind, corpus string) {
	files, _ := filepath.Glob(filepath.Join("testdata", kind, "*"))
	more, _ := filepath.Glob(filepath.Join(corpusDir, corpus, "*"))
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
}

// logCheckFacts asserts what must hold of any input: the parser read every
// line, every fact points at a line that exists, and the counters agree
// with the facts kept.
func logCheckFacts(t *testing.T, s string, m *model.Model, wantStats bool) {
	t.Helper()
	in := NewInputString("f", s)
	lines := 0
	for in.Next() {
		lines++
	}
	src := func(what string, sr model.Source) {
		if sr.Line < 1 || sr.Line > lines || sr.EndLine != 0 && (sr.EndLine <= sr.Line || sr.EndLine > lines) {
			t.Fatalf("%s source %+v outside 1..%d", what, sr, lines)
		}
	}
	for _, c := range m.Syscalls {
		src("call", c.Src)
		if c.Name == "" || c.Why == "" {
			t.Fatalf("call without name or reason: %+v", c)
		}
	}
	for _, e := range m.Events {
		src("event", e.Src)
		if e.Kind == "" {
			t.Fatalf("event without kind: %+v", e)
		}
	}
	if !wantStats {
		return
	}
	if len(m.LogStats) != 1 {
		t.Fatalf("stats: %+v", m.LogStats)
	}
	st := m.LogStats[0]
	if st.Lines != lines || st.Kept != len(m.Syscalls)+len(m.Events) {
		t.Fatalf("stats %+v for %d lines, %d facts", st, lines, len(m.Syscalls)+len(m.Events))
	}
	if st.Kind == "strace" && st.Kept+st.Unkept+st.OverBudget != st.Calls {
		t.Fatalf("strace stats do not add up: %+v", st)
	}
	if st.Kind != "strace" && (st.Unkept < 0 || st.Unkept > st.Lines) {
		t.Fatalf("log stats out of range: %+v", st)
	}
}

func FuzzStrace(f *testing.F) {
	logFuzzSeeds(f, "strace", "strace")
	f.Fuzz(func(t *testing.T, s string) {
		m, _ := parseString(t, "strace", "strace.out.12", s)
		logCheckFacts(t, s, m, true)
	})
}

func FuzzKernelLog(f *testing.F) {
	logFuzzSeeds(f, "kernel-log", "dmesg")
	f.Fuzz(func(t *testing.T, s string) {
		m, _ := parseString(t, "kernel-log", "var/log/messages", s)
		logCheckFacts(t, s, m, true)
	})
}

func FuzzAgentLog(f *testing.F) {
	logFuzzSeeds(f, "agent-log", "vormetric")
	f.Fuzz(func(t *testing.T, s string) {
		m, _ := parseString(t, "agent-log", "var/log/vormetric/vorvmd_root.log", s)
		logCheckFacts(t, s, m, true)
	})
}

func FuzzInitScript(f *testing.F) {
	logFuzzSeeds(f, "init-script", "initscript")
	f.Fuzz(func(t *testing.T, s string) {
		m, _ := parseString(t, "init-script", "etc/init.d/x", s)
		logCheckFacts(t, s, m, false)
		if len(m.InitScripts) != 1 {
			t.Fatalf("scripts: %+v", m.InitScripts)
		}
		sc := m.InitScripts[0]
		if sc.HasHeader != strings.Contains(s, lsbBegin) {
			// The block begins only at a line starting with the marker.
			if sc.HasHeader {
				t.Fatalf("header found in input without %q", lsbBegin)
			}
		}
		if sc.HasHeader && (sc.Src.Line < 1 || sc.Src.EndLine != 0 && sc.Src.EndLine < sc.Src.Line) {
			t.Fatalf("header source %+v", sc.Src)
		}
	})
}
