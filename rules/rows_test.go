package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fsagent/triage/model"
)

// lsofRow is an lsof fact whose fields are pieces of its line, as the
// parser makes them, so the model stores it packed.
func lsofRow(line string, pid, n int) model.OpenFile {
	f := strings.Fields(line)
	at := func(s string) string {
		i := strings.Index(line, s)
		return line[i : i+len(s)]
	}
	o := model.OpenFile{Command: at(f[0]), PID: pid, User: at(f[2]), FD: at(f[3]), Type: at(f[4]), Name: at(f[8]),
		Src: model.Source{Path: "lsof", Line: n, Text: line}}
	if i := strings.Index(line, "(stat: "); i >= 0 {
		o.Error = line[i+1 : len(line)-1]
	}
	if strings.HasSuffix(line, "(deleted)") {
		o.Deleted = true
	}
	return o
}

// appendLsof adds a row as a busy lsof prints it, padded to lsof's
// columns, and stores it as the parser does: packed, its line squeezed.
func appendLsof(t *model.OpenFileTable, cmd string, pid int, fd, typ, name string, n int) {
	line := fmt.Sprintf("%-9s %6d %8s %5s %6s %10s %10s %10d %s", cmd, pid, "oracle", fd, typ, "253,2", "8192", 500000+n, name)
	f := lsofRow(line, pid, n)
	if sq, ok := model.SqueezeLine(nil, line); ok {
		t.AppendSqueezed(f, string(sq))
	} else {
		t.Append(f)
	}
}

// Rules read the model's packed lsof rows with OpenFile's field names, in
// every place an expression can name a field, and a misspelt field is
// still reported where it is written.
func TestRulesReadPackedRowsAsOpenFiles(t *testing.T) {
	m := &model.Model{OpenFiles: model.OpenFilesOf(
		lsofRow("oracle 4711 oracle 12u REG 253,0 8192 1234 /u01/a.dbf (deleted)", 4711, 2),
		lsofRow("bash 2199 root cwd DIR 253,0 4096 2 /u01/x (stat: Permission denied)", 2199, 3),
		lsofRow("oracle 4712 oracle 13u REG 253,0 8192 1235 /u01/b.dbf", 4712, 4),
		lsofRow("sshd 901 root 3u REG 8,1 10 9 /var/log/secure", 901, 5),
	)}
	for i := range m.OpenFiles {
		if m.OpenFiles[i].Fact() != m.OpenFiles.Fact(i) || m.OpenFiles[i].Src().Text == "" {
			t.Fatal("fixture rows are not packed facts")
		}
	}
	rule := `id: t.rows
title: T
severity: low
let:
  open: OpenFilesUnder("/u01")
  gone: filter(OpenFiles, .Deleted)
  denied: filter(open, .Error startsWith "stat:")
  byType: tally("Type", open)
when: len(open) == 3 && any(open, .PID == 2199)
evidence: [denied]
message: >-
  {{ open[0].Command }}/{{ open[0].PID }} line {{ open[0].Src.Line }} fd {{ open[0].FD }};
  {{ join(map(open, .Name), ",") }}; gone {{ gone[0]?.Name }}; denied {{ denied[0].User }} {{ denied[0].Error }};
  {{ byType.Top(1)[0].Value }}; {{ join(map(sortBy(open, .PID), string(.PID)), " ") }}
`
	set, err := loadSet(fstest.MapFS{"rows.yaml": {Data: []byte(rule)}}, "", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	findings, errs := set.Evaluate(context.Background(), m)
	if len(errs) != 0 || len(findings) != 1 {
		t.Fatalf("findings %+v, errors %v", findings, errs)
	}
	want := "oracle/4711 line 2 fd 12u; /u01/a.dbf,/u01/x,/u01/b.dbf; gone /u01/a.dbf; denied root stat: Permission denied; REG; 2199 4711 4712"
	if f := findings[0]; f.Message != want || srcList(f.Evidence) != "lsof:3" || f.EvidenceTotal != 1 {
		t.Errorf("message %q\nwant    %q\nevidence %s (%d)", f.Message, want, srcList(f.Evidence), f.EvidenceTotal)
	}

	bad := strings.Replace(rule, "any(open, .PID == 2199)", "any(open, .Pid == 2199)", 1)
	_, err = loadSet(fstest.MapFS{"rows.yaml": {Data: []byte(bad)}}, "", nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "rows.yaml:9:") || !strings.Contains(err.Error(), "OpenFile has no field Pid (did you mean PID?)") {
		t.Errorf("a misspelt row field: %v", err)
	}
}
