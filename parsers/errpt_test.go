package parsers

import (
	"strings"
	"testing"
)

const errptSummary = `IDENTIFIER TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION
DE3B8540   1105134224 P H hdisk4         PATH HAS FAILED
A924A5FC   1105131024 P S SYSPROC        SOFTWARE PROGRAM ABNORMALLY TERMINATED
9DBCFDEE   1101091524 T O errdemon       ERROR LOGGING TURNED ON
garbage line
`

const errptDetail = `---------------------------------------------------------------------------
LABEL:          KERNEL_PANIC
IDENTIFIER:     225E3B63

Date/Time:       Tue Nov  5 13:42:24 CET 2024
Sequence Number: 1234
Machine Id:      00F9A1B24C00
Node Id:         aixdb01
Class:           S
Type:            TEMP
WPAR:            Global
Resource Name:   PANIC

Description
SOFTWARE PROGRAM ABNORMALLY TERMINATED
---------------------------------------------------------------------------
LABEL:          DUMP_STATS
IDENTIFIER:     67145A39

Type:            UNKN
Resource Name:   SYSDUMP
`

func TestErrpt(t *testing.T) {
	m, warns := parseString(t, "errpt", "general/errpt.out", errptSummary)
	if len(m.Events) != 3 || len(warns) != 1 || warns[0].Line != 5 {
		t.Fatalf("events %+v warnings %v", m.Events, warns)
	}
	e := m.Events[0]
	if e.MsgID != "DE3B8540" || e.Time != "2024-11-05T13:42" || e.Level != "error" || e.Subject != "hdisk4" || e.Message != "PATH HAS FAILED" || e.Src.Line != 2 {
		t.Errorf("first event %+v", e)
	}
	if m.Events[2].Level != "warning" {
		t.Errorf("a T row is a warning: %+v", m.Events[2])
	}
	m, warns = parseString(t, "errpt", "errpt-a.out", errptDetail)
	if len(m.Events) != 2 || len(warns) != 0 {
		t.Fatalf("events %+v warnings %v", m.Events, warns)
	}
	e = m.Events[0]
	if e.MsgID != "225E3B63" || e.Level != "warning" || e.Subject != "PANIC" || e.Message != "SOFTWARE PROGRAM ABNORMALLY TERMINATED" ||
		!strings.HasPrefix(e.Time, "Tue Nov  5") || e.Src.Line != 2 || e.Src.EndLine != 15 {
		t.Errorf("first record %+v", e)
	}
	if len(m.LogStats) != 1 || m.LogStats[0].Kept != 2 {
		t.Errorf("log stats %+v", m.LogStats)
	}
}

func TestSniffErrpt(t *testing.T) {
	for in, want := range map[string]bool{
		errptSummary: true, errptDetail: true,
		"IDENTIFIER: x\n": false, "Filesystem 1024-blocks Free\n": false, "": false,
	} {
		if got := sniffErrpt(NewHead([]byte(in))); got != want {
			t.Errorf("sniffErrpt(%.30q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzErrpt(f *testing.F) {
	f.Add([]byte(errptSummary))
	f.Add([]byte(errptDetail))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "errpt", data) })
}
