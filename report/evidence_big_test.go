package report_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

// TestBusyGuardPointEvidenceIsBounded: 150,000 lsof rows from 800
// processes inside one guard point make one finding whose evidence is a
// sample of 20 lines with "and N more" and the counts, in text and JSON;
// the JSON report stays under 100 KB.
func TestBusyGuardPointEvidenceIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and analyzes a 16 MB lsof; skipped with -short")
	}
	dir := t.TempDir()
	var lsof strings.Builder
	lsof.WriteString("COMMAND     PID USER   FD      TYPE DEVICE  SIZE/OFF     NODE NAME\n")
	for i := 0; i < 150_000; i++ {
		fmt.Fprintf(&lsof, "oracle %6d oracle %du REG 253,3 %d %d /u01/oradata/ORCL/datafile_%05d.dbf\n", 1000+i%800, i%900+3, i*8192, 100000+i, i%5000)
	}
	files := map[string]string{
		"mount": "/dev/sda1 on / type ext4 (rw)\n/u01/oradata on /u01/oradata type secfs2 (rw)\n",
		"lsof":  lsof.String(),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := rules.LoadSet(nil, []string{"gde.guardpoint-busy"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := analyze.Run(context.Background(), dir, analyze.Options{Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want 1", len(res.Findings))
	}
	f := res.Findings[0]
	if len(f.Evidence) != rules.DefaultEvidenceLimit || f.EvidenceTotal != 150_001 {
		t.Fatalf("evidence %d lines of %d", len(f.Evidence), f.EvidenceTotal)
	}
	if !strings.Contains(f.Message, "800 process(es)") || strings.Contains(f.Message, "1799") {
		t.Errorf("message must count the processes and list a few: %s", f.Message)
	}
	var text, js bytes.Buffer
	if err := report.Text(&text, res, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "... and 149,981 more (150,001 evidence lines in all") ||
		!strings.Contains(text.String(), "processes: 800") || !strings.Contains(text.String(), "descriptors: 150,000") {
		t.Errorf("text report lacks the counts or the \"and N more\" line:\n%s", text.String())
	}
	if err := report.JSON(&js, res); err != nil {
		t.Fatal(err)
	}
	if js.Len() > 100_000 || !strings.Contains(js.String(), `"evidence_total": 150001`) {
		t.Errorf("JSON report is %d bytes (want <= 100 KB) or lacks evidence_total", js.Len())
	}
}
