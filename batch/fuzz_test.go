package batch

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzSummarize feeds arbitrary bytes to what `triage batch summarize` does
// with a results file: read the records, merge, summarize, render in every
// format. Whatever the bytes: no panic; a read error names its line; the
// records read are exactly the complete lines before the error; every status
// is counted once; every format renders.
func FuzzSummarize(f *testing.F) {
	ok := Record{Ticket: "T-1", Bundle: "t1/sos.tar.xz", SHA256: "ab12", Size: 2048, DurationMS: 130,
		Status: StatusOK, Warnings: 1, Findings: []RecordFinding{
			{RuleID: "gde.guardpoint-busy", Severity: "high", Subject: "/data", Message: "busy"},
			{RuleID: "kernel.hung-task", Severity: "high", Message: "blocked"}}}
	bad := Record{Ticket: "T-2", Bundle: "t2/x.zip", Status: StatusError, Error: "bundle x.zip: empty upload (0 bytes)"}
	var lines []string
	for _, r := range []Record{ok, bad, ok} {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	f.Add([]byte(strings.Join(lines, "\n") + "\n"))
	f.Add([]byte(lines[0] + "\n" + lines[1][:20])) // a torn last line
	f.Add([]byte(lines[0] + "\n{\"ticket\": 7}\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, end, err := ReadRecords(bytes.NewReader(data))
		if end < 0 || end > int64(len(data)) {
			t.Fatalf("valid end %d outside the %d bytes read", end, len(data))
		}
		if err != nil && !strings.HasPrefix(err.Error(), "line ") {
			t.Fatalf("error %q does not name its line", err)
		}
		if err == nil && bytes.IndexByte(data[end:], '\n') >= 0 {
			t.Fatalf("reading stopped at byte %d without an error before a complete line", end)
		}
		// Each record read comes back the same from its own JSON.
		for i, r := range recs {
			b, merr := json.Marshal(r)
			if merr != nil {
				t.Fatalf("record %d does not marshal: %v", i, merr)
			}
			again, _, rerr := ReadRecords(bytes.NewReader(append(b, '\n')))
			if rerr != nil || len(again) != 1 || !reflect.DeepEqual(normalize(again[0]), normalize(r)) {
				t.Fatalf("record %d does not survive a round trip: %+v vs %+v (%v)", i, r, again, rerr)
			}
		}
		merged := Merge(recs)
		s := Summarize(merged)
		counted := 0
		for _, n := range s.ByStatus {
			counted += n
		}
		if s.Bundles != len(merged) || counted != len(merged) {
			t.Fatalf("%d bundles merged, summary says %d, statuses count %d", len(merged), s.Bundles, counted)
		}
		for _, format := range Formats {
			var out bytes.Buffer
			if err := s.Write(&out, format); err != nil {
				t.Fatalf("%s summary: %v", format, err)
			}
		}
	})
}

// normalize makes a record comparable after a JSON round trip, where an
// empty findings list and a missing one are the same.
func normalize(r Record) Record {
	if len(r.Findings) == 0 {
		r.Findings = nil
	}
	return r
}
