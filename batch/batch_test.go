package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// makeArchive lays out a ticket archive of n tickets, one bundle file each,
// named so the fake analyzer knows how to misbehave.
func makeArchive(t *testing.T, n int, special map[int]string) string {
	t.Helper()
	root := t.TempDir()
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, fmt.Sprintf("T%04d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := "bundle.tar.gz"
		if s, ok := special[i]; ok {
			name = s + ".tar.gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(fmt.Sprintf("bundle %d", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// fakeAnalyze fires rule "r.even" on even tickets and misbehaves on purpose
// for bundles named corrupt, hang and panic.
func fakeAnalyze(ctx context.Context, p string) (*analyze.Result, error) {
	switch filepath.Base(p) {
	case "corrupt.tar.gz":
		return nil, errors.New("bundle corrupt.tar.gz: not a supported archive")
	case "hang.tar.gz":
		select {} // ignores its context entirely
	case "panic.tar.gz":
		panic("parser bug")
	}
	res := &analyze.Result{Inventory: []analyze.Artifact{{Path: "lsof.out", Kind: "lsof"}}}
	if filepath.Base(p) == "empty.tar.gz" {
		res.Inventory = nil
	}
	var n int
	fmt.Sscanf(filepath.Base(filepath.Dir(p)), "T%d", &n)
	if n%2 == 0 {
		res.Findings = append(res.Findings, rules.Finding{RuleID: "r.even", Severity: rules.High, Message: "even"})
	}
	return res, nil
}

func runBatch(t *testing.T, root, out string, opts Options) Stats {
	t.Helper()
	inputs, err := Discover([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Analyze == nil {
		opts.Analyze = fakeAnalyze
	}
	st, err := Run(context.Background(), inputs, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func readAll(t *testing.T, p string) []Record {
	t.Helper()
	recs, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestEveryBundleGetsExactlyOneRecord(t *testing.T) {
	special := map[int]string{3: "corrupt", 7: "hang", 11: "panic", 13: "corrupt", 17: "empty"}
	root := makeArchive(t, 300, special)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	// The timeout is generous so a loaded machine cannot push an ordinary
	// bundle past it; only the bundle that hangs on purpose reaches it.
	st := runBatch(t, root, out, Options{Jobs: 4, Timeout: 2 * time.Second, Grace: 100 * time.Millisecond})

	recs := readAll(t, out)
	if len(recs) != 300 || st.Analyzed != 300 {
		t.Fatalf("got %d records (%d analyzed), want 300", len(recs), st.Analyzed)
	}
	seen := map[string]Record{}
	for _, r := range recs {
		if _, dup := seen[r.Ticket]; dup {
			t.Fatalf("ticket %s recorded twice", r.Ticket)
		}
		seen[r.Ticket] = r
	}
	for i, kind := range special {
		r := seen[fmt.Sprintf("T%04d", i)]
		if r.Status != StatusError {
			t.Errorf("%s bundle: status %q, want error", kind, r.Status)
		}
		want := map[string]string{"corrupt": "not a supported archive", "hang": "timed out", "panic": "internal error", "empty": "no artifacts found"}[kind]
		if !strings.Contains(r.Error, want) {
			t.Errorf("%s bundle: error %q does not say %q", kind, r.Error, want)
		}
	}
	if hang := seen["T0007"]; hang.DurationMS < 2000 {
		t.Errorf("the bundle that hung past its 2s timeout records %d ms", hang.DurationMS)
	}
	if st.Failed != 5 {
		t.Errorf("Failed = %d, want 5", st.Failed)
	}
	r := seen["T0000"]
	if r.Status != StatusOK || len(r.Findings) != 1 || r.Findings[0].RuleID != "r.even" || r.SHA256 == "" || r.Size == 0 {
		t.Errorf("T0000 record = %+v", r)
	}
}

func TestExistingResultsNeedResumeOrForce(t *testing.T) {
	root := makeArchive(t, 3, nil)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	runBatch(t, root, out, Options{Jobs: 1})
	inputs, _ := Discover([]string{root})
	_, err := Run(context.Background(), inputs, out, Options{Jobs: 1, Analyze: fakeAnalyze})
	if !errors.Is(err, ErrResultsExist) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("second run over an existing file: err = %v", err)
	}
	runBatch(t, root, out, Options{Jobs: 1, Force: true})
	if n := len(readAll(t, out)); n != 3 {
		t.Fatalf("--force: %d records, want 3", n)
	}
}

func TestResumeDropsTornLineAndFinishesTheRun(t *testing.T) {
	root := makeArchive(t, 40, nil)
	full := filepath.Join(t.TempDir(), "full.jsonl")
	runBatch(t, root, full, Options{Jobs: 2})

	// A run that was killed after 15 records, in the middle of writing one.
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	partial := bytes.Join(lines[:15], nil)
	partial = append(partial, lines[15][:len(lines[15])/2]...)
	out := filepath.Join(t.TempDir(), "killed.jsonl")
	if err := os.WriteFile(out, partial, 0o644); err != nil {
		t.Fatal(err)
	}
	st := runBatch(t, root, out, Options{Jobs: 2, Resume: true})
	if st.Skipped != 15 || st.Analyzed != 25 || st.Dropped != 1 {
		t.Fatalf("resume stats = %+v, want 15 skipped, 25 analyzed, 1 torn line dropped", st)
	}
	if got, want := keys(readAll(t, out)), keys(readAll(t, full)); got != want {
		t.Fatalf("resumed results differ from an uninterrupted run:\n got %s\nwant %s", got, want)
	}
}

func TestShardsPartitionTheInputsAndMergeToOneRun(t *testing.T) {
	root := makeArchive(t, 120, map[int]string{5: "corrupt"})
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.jsonl")
	runBatch(t, root, whole, Options{Jobs: 2})
	var sets [][]Record
	total := 0
	for k := 0; k < 4; k++ {
		out := filepath.Join(dir, fmt.Sprintf("shard%d.jsonl", k))
		runBatch(t, root, out, Options{Jobs: 2, Shard: Shard{Index: k, Count: 4}})
		recs := readAll(t, out)
		if len(recs) == 0 || len(recs) == 120 {
			t.Fatalf("shard %d took %d of 120 bundles: not a share", k, len(recs))
		}
		total += len(recs)
		sets = append(sets, recs)
	}
	if total != 120 {
		t.Fatalf("shards hold %d records together, want 120 (each bundle in exactly one shard)", total)
	}
	merged := Merge(sets...)
	if got, want := keys(merged), keys(readAll(t, whole)); got != want {
		t.Fatal("merged shards differ from the unsharded run")
	}
	a, b := Summarize(merged), Summarize(readAll(t, whole))
	if a.Rules[0].Bundles != b.Rules[0].Bundles || a.ByStatus[StatusError] != 1 {
		t.Fatalf("summaries differ: %+v vs %+v", a, b)
	}
}

// keys renders the records without timings, sorted, for comparison.
func keys(recs []Record) string {
	var out []string
	for _, r := range recs {
		var ids []string
		for _, f := range r.Findings {
			ids = append(ids, f.RuleID)
		}
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%v", r.Ticket, r.SHA256, r.Status, r.Error, ids))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestSummaryCountsRulesOncePerBundle(t *testing.T) {
	recs := []Record{
		{Ticket: "A", Bundle: "a", Status: StatusOK, DurationMS: 5, Findings: []RecordFinding{{RuleID: "x", Severity: "high"}, {RuleID: "x", Severity: "high"}}},
		{Ticket: "B", Bundle: "b", Status: StatusOK, DurationMS: 50, Findings: []RecordFinding{{RuleID: "y", Severity: "low"}}},
		{Ticket: "C", Bundle: "c", Status: StatusOK, DurationMS: 1},
		{Ticket: "D", Bundle: "d", Status: StatusError, Error: "corrupt", DurationMS: 2},
	}
	s := Summarize(recs)
	if s.Bundles != 4 || s.ByStatus[StatusOK] != 3 || s.ByStatus[StatusError] != 1 {
		t.Fatalf("status counts = %+v", s.ByStatus)
	}
	x := s.Rules[0]
	if x.RuleID != "x" || x.Bundles != 1 || x.Findings != 2 || x.Share != 1.0/3 || x.Examples[0] != "A" {
		t.Fatalf("rule x = %+v", x)
	}
	if s.Slowest[0].Ticket != "B" || len(s.Errors) != 1 {
		t.Fatalf("slowest/errors = %+v / %+v", s.Slowest, s.Errors)
	}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := s.Write(&buf, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(buf.String(), "x") || !strings.Contains(buf.String(), "33.") && f != "json" && f != "csv" {
			t.Errorf("%s summary lacks the rule row or its share:\n%s", f, buf.String())
		}
	}
	var html bytes.Buffer
	_ = Summarize([]Record{{Ticket: "<script>alert(1)</script>", Status: StatusOK, Findings: []RecordFinding{{RuleID: "z"}}}}).Write(&html, "html")
	if strings.Contains(html.String(), "<script>alert") {
		t.Fatal("ticket id not escaped in the HTML summary")
	}
}

func TestDiscoverTicketLayout(t *testing.T) {
	root := t.TempDir()
	must := func(p string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(filepath.Join(root, "CASE-1", "sosreport-a.tar.xz"))
	must(filepath.Join(root, "CASE-1", "screenshot.png"))
	must(filepath.Join(root, "CASE-2", "lsof.out")) // an unpacked upload
	must(filepath.Join(root, "loose.zip"))
	ins, err := Discover([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range ins {
		got = append(got, in.Ticket+"="+filepath.Base(in.Path))
	}
	want := "CASE-1=sosreport-a.tar.xz CASE-2=CASE-2 loose=loose.zip"
	if strings.Join(got, " ") != want {
		t.Fatalf("Discover = %v, want %s", got, want)
	}
	if _, err := ParseShard("4/4"); err == nil {
		t.Fatal("shard index must be below the count")
	}
}

func TestReadFileReportsATornLastLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.jsonl")
	body := `{"ticket":"A","bundle":"a","status":"ok","findings":[]}` + "\n" + `{"ticket":"B","bun`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadFile(p)
	if !errors.Is(err, ErrTornLine) || len(recs) != 1 || recs[0].Ticket != "A" {
		t.Fatalf("ReadFile = %d records, err %v; want the complete record and ErrTornLine", len(recs), err)
	}
}

// Long lists are cut with "+N more" in the formats meant for reading, and
// listed whole in CSV and JSON; CSV has one row per bundle.
func TestSummaryCutsListsWithMore(t *testing.T) {
	var recs []Record
	for i := 0; i < maxListed+5; i++ {
		recs = append(recs, Record{Ticket: fmt.Sprintf("P%02d", i), Bundle: fmt.Sprintf("p%02d.tar.gz", i), Status: StatusIncomplete,
			Incomplete: []RecordReason{{Kind: "archive", Message: "tar.gz archive is truncated"}}, IncompleteTotal: 1})
	}
	for i := 0; i < maxExamples+3; i++ {
		recs = append(recs, Record{Ticket: fmt.Sprintf("F%02d", i), Bundle: fmt.Sprintf("f%02d.tar.gz", i), Status: StatusOK,
			Findings: []RecordFinding{{RuleID: "gde.guardpoint-busy", Severity: "high"}, {RuleID: "kernel.hung-task", Severity: "medium"}}})
	}
	recs = append(recs, Record{Ticket: "E", Bundle: "e.zip", Status: StatusError, Error: "=cmd|' /C calc'!A0"})
	s := Summarize(recs)
	if len(s.Incomplete) != maxListed+5 || len(s.Errors) != 1 || len(s.Rows) != len(recs) {
		t.Fatalf("summary: %d incomplete, %d errors, %d rows", len(s.Incomplete), len(s.Errors), len(s.Rows))
	}
	if r := s.Rules[0]; r.More != 3 || len(r.Examples) != maxExamples {
		t.Errorf("rule examples %v, more %d", r.Examples, r.More)
	}
	for _, f := range []string{"text", "markdown", "html"} {
		var buf bytes.Buffer
		if err := s.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"+5 more", "+3 more", "P00", "e.zip", "analyzed only in part", "could not be analyzed"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s summary lacks %q:\n%s", f, want, out)
			}
		}
		if strings.Contains(out, fmt.Sprintf("P%02d", maxListed+1)) {
			t.Errorf("%s summary lists past the cut", f)
		}
	}
	var csvOut bytes.Buffer
	if err := s.Write(&csvOut, "csv"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	if lines[0] != "ticket,bundle,status,highest_severity,rule_ids,note" || len(lines) != len(recs)+1 {
		t.Fatalf("csv header %q, %d lines for %d bundles", lines[0], len(lines), len(recs))
	}
	if !strings.Contains(csvOut.String(), "F00,f00.tar.gz,ok,high,gde.guardpoint-busy kernel.hung-task,") {
		t.Errorf("csv lacks the per-bundle row of F00:\n%s", csvOut.String())
	}
	if !strings.Contains(csvOut.String(), `E,e.zip,error,,,'=cmd`) {
		t.Errorf("a formula-like error is not defused in csv:\n%s", csvOut.String())
	}
}

// --resume analyzes again a ticket directory whose content changed, and
// skips it while it is unchanged.
func TestResumeReanalyzesChangedDirectory(t *testing.T) {
	root := t.TempDir()
	ticket := filepath.Join(root, "T0001")
	if err := os.MkdirAll(ticket, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(ticket, "lsof.out")
	if err := os.WriteFile(file, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.jsonl")
	st := runBatch(t, root, out, Options{})
	if st.Analyzed != 1 {
		t.Fatalf("first run analyzed %d", st.Analyzed)
	}
	if r := readAll(t, out)[0]; r.Fingerprint == "" || r.SHA256 != "" {
		t.Fatalf("a directory record: sha256 %q, fingerprint %q", r.SHA256, r.Fingerprint)
	}
	if st := runBatch(t, root, out, Options{Resume: true}); st.Analyzed != 0 || st.Skipped != 1 {
		t.Fatalf("unchanged directory: %+v, want it skipped", st)
	}
	if err := os.WriteFile(file, []byte("one, and a second line written later"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st := runBatch(t, root, out, Options{Resume: true}); st.Analyzed != 1 || st.Skipped != 0 {
		t.Fatalf("changed directory: %+v, want it analyzed again", st)
	}
}

// A bundle analyzed in part is recorded incomplete with its reasons, and
// the run's stats say so (the CLI exits 4 on them).
func TestIncompleteRecord(t *testing.T) {
	root := makeArchive(t, 2, nil)
	out := filepath.Join(t.TempDir(), "r.jsonl")
	st := runBatch(t, root, out, Options{Analyze: func(ctx context.Context, p string) (*analyze.Result, error) {
		res, err := fakeAnalyze(ctx, p)
		if strings.Contains(p, "T0001") {
			res.Incomplete = []analyze.Reason{{Kind: analyze.ReasonArchive, Message: "tar.gz archive is truncated"}}
		}
		return res, err
	}})
	if st.Incomplete != 1 || st.Failed != 0 || st.Clean() {
		t.Fatalf("stats %+v: want one incomplete bundle, not clean", st)
	}
	for _, r := range readAll(t, out) {
		want := StatusOK
		if r.Ticket == "T0001" {
			want = StatusIncomplete
		}
		if r.Status != want || (want == StatusIncomplete) != (len(r.Incomplete) == 1 && r.IncompleteTotal == 1) {
			t.Errorf("%s: %+v", r.Ticket, r)
		}
	}
	if st := runBatch(t, root, out, Options{Resume: true}); st.PriorIncomplete != 1 || st.Clean() {
		t.Errorf("resume over an incomplete record: %+v, want it counted", st)
	}
}

// A rule that could not look at some bundles is listed with how many, and
// its share counts only the bundles it could look at.
func TestSummaryNotEvaluatedRules(t *testing.T) {
	recs := []Record{
		{Ticket: "A", Bundle: "a", Status: StatusOK, Findings: []RecordFinding{{RuleID: "gde.guardpoint-busy", Severity: "high"}}},
		{Ticket: "B", Bundle: "b", Status: StatusOK},
		{Ticket: "C", Bundle: "c", Status: StatusOK, NotEvaluated: []string{"gde.guardpoint-busy"}},
		{Ticket: "D", Bundle: "d", Status: StatusOK, NotEvaluated: []string{"gde.guardpoint-busy"}},
		{Ticket: "E", Bundle: "e", Status: StatusError, Error: "corrupt", NotEvaluated: []string{"gde.guardpoint-busy"}},
	}
	s := Summarize(recs)
	if len(s.Unchecked) != 1 || s.Unchecked[0] != (RuleGap{RuleID: "gde.guardpoint-busy", Bundles: 2, Of: 4}) {
		t.Fatalf("not evaluated: %+v", s.Unchecked)
	}
	if s.Rules[0].Share != 0.5 {
		t.Errorf("share %v: want 1 of the 2 bundles the rule could look at", s.Rules[0].Share)
	}
	for _, f := range []string{"text", "markdown", "html"} {
		var b bytes.Buffer
		if err := s.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "could not look at every bundle") {
			t.Errorf("%s summary does not list the rules not evaluated:\n%s", f, b.String())
		}
	}
}

// With no rule fired, the text summary says all-clear only when every
// bundle was read whole and every rule could look at it.
func TestSummaryNoRuleFiredIsAllClearOnlyWhenComplete(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rec      Record
		allClear bool
	}{
		{"complete", Record{Ticket: "A", Bundle: "a", Status: StatusOK}, true},
		{"incomplete", Record{Ticket: "A", Bundle: "a", Status: StatusIncomplete,
			Incomplete: []RecordReason{{Kind: "archive", Message: "truncated"}}, IncompleteTotal: 1}, false},
		{"failed", Record{Ticket: "A", Bundle: "a", Status: StatusError, Error: "corrupt"}, false},
		{"rule not evaluated", Record{Ticket: "A", Bundle: "a", Status: StatusOK, NotEvaluated: []string{"gde.guardpoint-busy"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Summarize([]Record{tc.rec}).Write(&b, "text"); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if got := strings.Contains(out, "No known problem fired in any bundle."); got != tc.allClear {
				t.Errorf("all-clear sentence printed %v, want %v:\n%s", got, tc.allClear, out)
			}
			if !tc.allClear && !strings.Contains(out, "this is not an all-clear") {
				t.Errorf("no warning that the summary is not an all-clear:\n%s", out)
			}
		})
	}
}
