package diff

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/fsagent/triage/report"
)

// FuzzDiff feeds two documents to the JSON report reader, compares what it
// accepts and renders the comparison in every format: a report file given
// to `triage diff` (or stored by the desk service) is user input, so no
// document may crash the reader, the comparison or a renderer.
func FuzzDiff(f *testing.F) {
	seed := func(findings ...report.DocFinding) []byte {
		d := report.Document{SchemaVersion: "1", Host: report.DocHost{Hostname: "h"},
			Findings: findings, Errors: []report.DocError{}}
		b, err := json.Marshal(d)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	busy := report.DocFinding{RuleID: "gde.guardpoint-busy", Severity: "high", Subject: "/data",
		Title: "busy", Message: "busy", Evidence: []report.DocEvidence{{Path: "lsof.out", Line: 3, Text: "bash 1 cwd /data"}}}
	hung := report.DocFinding{RuleID: "kernel.hung-task", Severity: "high", Title: "hung", Message: "hung"}
	f.Add(seed(busy, hung), seed(hung))
	f.Add(seed(), seed(busy))
	f.Add([]byte(`{"schema_version":"1","summary":{"complete":false,"incomplete":[{"kind":"archive","message":"cut"}]},"coverage":[{"rule_id":"x","status":"not_evaluated","reason":"r"}],"findings":[{"rule_id":"x","evidence":[{"line":-1}]}]}`), seed(busy))
	f.Add([]byte(`{"schema_version":null}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, oldDoc, newDoc []byte) {
		old, err := Parse(oldDoc, "old.json")
		if err != nil {
			return
		}
		nw, err := Parse(newDoc, "new.json")
		if err != nil {
			return
		}
		res := Compare(old, nw)
		for _, format := range []string{"text", "json", "markdown", "html"} {
			var buf bytes.Buffer
			if err := Write(&buf, format, res); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
	})
}
