package parsers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// logCorpusParse identifies a corpus sample by content alone (its name is the
// corpus's, not a bundle's), checks the parser, and parses it.
func logCorpusParse(t *testing.T, file, parser string) (*model.Model, []Warning, string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	id := Identify("upload/"+filepath.Base(file), NewHead(b))
	if id.Parser == nil || id.Parser.Name != parser {
		t.Errorf("%s: identified as %+v, want %s", file, id, parser)
	}
	m, ws := parseString(t, parser, file, string(b))
	return m, ws, string(b)
}

// logLinesWith counts the lines of s that contain any of subs.
func logLinesWith(s string, subs ...string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				n++
				break
			}
		}
	}
	return n
}

func logLineCount(s string) int {
	return strings.Count(strings.TrimSuffix(s, "\n"), "\n") + 1
}

func TestCorpusKernelLogs(t *testing.T) {
	for _, f := range corpusFiles(t, "dmesg") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, ws, s := logCorpusParse(t, f, "kernel-log")
			if len(ws) != 0 {
				t.Errorf("warnings: %v", ws)
			}
			hung := m.EventsOf(model.EventHungTask)
			if want := logLinesWith(s, "blocked for more than"); len(hung) != want {
				t.Errorf("%d hung-task events, file has %d", len(hung), want)
			}
			for _, e := range hung {
				if !strings.Contains(e.Src.Text, "INFO: task "+e.Subject+" blocked") || e.Src.EndLine <= e.Src.Line {
					t.Errorf("hung task %+v", e)
				}
			}
			if want := logLinesWith(s, "taints kernel", "tainting kernel", "kernel taint"); len(m.EventsOf(model.EventTaint)) != want {
				t.Errorf("%d taint events, file has %d", len(m.EventsOf(model.EventTaint)), want)
			}
			if st := m.LogStats[0]; st.Lines != logLineCount(s) || st.Kept != len(m.Events) {
				t.Errorf("stats %+v for %d lines", st, logLineCount(s))
			}
		})
	}
}

func TestCorpusStrace(t *testing.T) {
	for _, f := range corpusFiles(t, "strace") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, ws, s := logCorpusParse(t, f, "strace")
			st := m.LogStats[0]
			if st.Lines != logLineCount(s) {
				t.Errorf("read %d lines of %d", st.Lines, logLineCount(s))
			}
			// Every unfinished start is either resumed later or reported
			// as never returning.
			if want := logLinesWith(s, "<unfinished ...>") - logLinesWith(s, " resumed>"); st.Unfinished != want || len(m.UnfinishedCalls("")) != want {
				t.Errorf("%d unfinished, file has %d unmatched", st.Unfinished, want)
			}
			if want := logLinesWith(s, "--- SIG"); st.Signals != want {
				t.Errorf("%d signals, file has %d", st.Signals, want)
			}
			if st.Kept+st.Unkept+st.OverBudget != st.Calls || st.Kept != len(m.Syscalls) {
				t.Errorf("stats do not add up: %+v", st)
			}
			if want := logLinesWith(s, "= -1 E", "= ? E"); st.Failed != want {
				t.Errorf("%d failed, file has %d", st.Failed, want)
			}
			if strings.Contains(s, "% time") && st.Summary == 0 {
				t.Errorf("summary table not recognised")
			}
			// The only lines strace did not write: a shell prompt and sudo's.
			if want := logLinesWith(s, "$ ", "[sudo]"); len(ws) != want {
				t.Errorf("warnings %v, want %d", ws, want)
			}
		})
	}
}

func TestCorpusInitScripts(t *testing.T) {
	for _, f := range corpusFiles(t, "initscript") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, ws, s := logCorpusParse(t, f, "init-script")
			if len(ws) != 0 {
				t.Errorf("warnings: %v", ws)
			}
			if len(m.InitScripts) != 1 {
				t.Fatalf("scripts: %+v", m.InitScripts)
			}
			sc := m.InitScripts[0]
			lines := strings.Split(s, "\n")
			if !sc.HasHeader || len(sc.Provides) == 0 || sc.Src.EndLine == 0 ||
				strings.TrimSpace(lines[sc.Src.EndLine-1]) != lsbEnd || strings.TrimSpace(lines[sc.Src.Line-1]) != lsbBegin {
				t.Errorf("header not found: %+v", sc)
			}
			// Every "# Keyword:" line of the block is a field.
			keys := 0
			for _, l := range lines[sc.Src.Line : sc.Src.EndLine-1] {
				if _, _, ok := initKeywordLine(strings.TrimPrefix(l, "#")); ok && !strings.HasPrefix(l, "#  ") {
					keys++
				}
			}
			lsb := 0
			for k := range sc.Fields {
				if k != "chkconfig" && k != "description" && k != "processname" && k != "pidfile" {
					lsb++
				}
			}
			if lsb != keys {
				t.Errorf("%d LSB fields, block has %d keyword lines: %v", lsb, keys, sc.Fields)
			}
			if strings.Contains(s, "# chkconfig:") && sc.Chkconfig == "" {
				t.Errorf("chkconfig header missed")
			}
		})
	}
}

func TestCorpusAgentLogs(t *testing.T) {
	for _, f := range corpusFiles(t, "vormetric") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, ws, s := logCorpusParse(t, f, "agent-log")
			if len(ws) != 0 {
				t.Errorf("warnings: %v", ws)
			}
			// No stop/restart texts in these samples: the events are the
			// lines of ERROR or WARN level.
			want := logLinesWith(s, `sev="ERROR"`, `sev="WARN"`, "[ERROR]", "[WARN]")
			if len(m.EventsOf(model.EventOther)) != want || len(m.Events) != want {
				t.Errorf("%d events, file has %d error/warning lines: %+v", len(m.Events), want, m.Events)
			}
			for _, e := range m.Events {
				if e.Level == "" || e.MsgID == "" || e.Component == "" {
					t.Errorf("event without level, id or component: %+v", e)
				}
			}
		})
	}
}
