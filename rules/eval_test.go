package rules

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fsagent/triage/model"
)

func src(path string, line int) model.Source { return model.Source{Path: path, Line: line, Text: "x"} }

// fixture is a small bundle that fires most of the rules in testdata/good.
func fixture() *model.Model {
	return &model.Model{
		Mounts: []model.Mount{
			{Device: "/dev/sdb1", Path: "/data", FSType: "secfs2", Src: src("mount", 1)},
			{Device: "/dev/sdc1", Path: "/data/sub", FSType: "ext4", Src: src("mount", 2)},
			{Device: "/dev/sda2", Path: "/home", FSType: "ext4", Src: src("mount", 3)},
			{Device: "VOL1", Path: "/media/nss/VOL1", FSType: "nssvol", Src: src("mount", 4)},
		},
		OpenFiles: model.OpenFilesOf(
			model.OpenFile{Command: "bash", PID: 2199, FD: "cwd", Name: "/data/x", Src: src("lsof", 2)},
			model.OpenFile{Command: "vim", PID: 3012, FD: "3u", Name: "/data/x/file", Src: src("lsof", 3)},
			model.OpenFile{Command: "bash", PID: 2199, FD: "4r", Name: "/data/y", Src: src("lsof", 4)},
			model.OpenFile{Command: "bash", PID: 2200, FD: "cwd", Name: "/database", Src: src("lsof", 5)},
		),
		Fuser: []model.FuserHit{{Path: "/data", PID: 2199, Access: "c", Src: src("fuser.out", 1)}},
		Slabs: []model.SlabSample{
			{Series: "slabtop", Sample: 1, Cache: "names_cache", ActiveObjs: 1000, ObjSize: 4096, Src: src("slabtop-1.out", 7)},
			{Series: "slabtop", Sample: 2, Cache: "names_cache", ActiveObjs: 1800, ObjSize: 4096, Src: src("slabtop-2.out", 7)},
			{Series: "slabtop", Sample: 1, Cache: "dentry", ActiveObjs: 1000, ObjSize: 192, Src: src("slabtop-1.out", 8)},
			{Series: "slabtop", Sample: 2, Cache: "dentry", ActiveObjs: 900, ObjSize: 192, Src: src("slabtop-2.out", 8)},
		},
		Packages: []model.Package{
			{Name: "nails", Version: "1.6.2", Src: src("installed-rpms", 10)},
			{Name: "novell-ncs", Version: "1.8.7", Src: src("installed-rpms", 11)},
		},
		InitScripts: []model.InitScript{{Name: "nails", Path: "etc/init.d/nails", HasHeader: true,
			ShouldStart: []string{"novell-ncs"}, Src: model.Source{Path: "etc/init.d/nails", Line: 3, EndLine: 9}}},
		Lines: map[string][]model.LineMatch{
			"test.lines-typed/loads": {
				{Groups: []string{"VOL1"}, Src: src("etc/opt/novell/ncs/POOL.load", 4)},
				{Groups: []string{"VOL2"}, Src: src("etc/opt/novell/ncs/POOL.load", 5)},
			},
		},
	}
}

func mustLoad(t testing.TB, dir string) *Set {
	t.Helper()
	s, err := LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir(%s): %v", dir, err)
	}
	return s
}

func srcList(ss []model.Source) string {
	var parts []string
	for _, s := range ss {
		parts = append(parts, s.Path+":"+strconv.Itoa(s.Line))
	}
	return strings.Join(parts, " ")
}

func TestEvaluate(t *testing.T) {
	set := mustLoad(t, "testdata/good")
	findings, errs := set.Evaluate(context.Background(), fixture())
	if len(errs) != 0 {
		t.Fatalf("eval errors: %v", errs)
	}
	want := []struct{ id, sev, subject, message, evidence string }{
		{"test.guardpoint-busy", "high", "/data", "4 descriptors are held under guard point /data by pids 2199, 3012",
			"mount:1 lsof:2 lsof:3 lsof:4 fuser.out:1"},
		{"test.init-order-conflict", "medium", "", "/etc/init.d/nails lacks Should-Start/Should-Stop for novell-ncs",
			"etc/init.d/nails:3"},
		{"test.lines-typed", "medium", "etc/opt/novell/ncs/POOL.load", "etc/opt/novell/ncs/POOL.load mounts volume VOL2, but /media/nss/VOL2 is not mounted",
			"etc/opt/novell/ncs/POOL.load:5"},
		{"test.nested-mount", "medium", "/data", "1 mount(s) inside guard point /data: /data/sub",
			"mount:1 mount:2"},
		{"test.unsupported-version", "medium", "", "nails 1.6.2 is older than 1.7",
			"installed-rpms:10"},
		{"test.slab-growth", "low", "names_cache", "slab cache names_cache grew 80% (800 objects)",
			"slabtop-1.out:7 slabtop-2.out:7"},
	}
	if len(findings) != len(want) {
		for _, f := range findings {
			t.Logf("%s %q", f.RuleID, f.Message)
		}
		t.Fatalf("%d findings, want %d", len(findings), len(want))
	}
	for i, w := range want {
		f := findings[i]
		got := fmt.Sprintf("%s|%s|%s|%s|%s", f.RuleID, f.Severity, f.Subject, f.Message, srcList(f.Evidence))
		exp := fmt.Sprintf("%s|%s|%s|%s|%s", w.id, w.sev, w.subject, w.message, w.evidence)
		if got != exp {
			t.Errorf("finding %d:\n got %s\nwant %s", i, got, exp)
		}
	}
	if findings[0].Title != "Processes hold files inside a guard point" || findings[0].KB.Summary == "" || len(findings[0].KB.Resolution) != 1 {
		t.Errorf("title/KB not copied: %+v", findings[0])
	}
}

// Evaluating twice gives the same result: no state leaks between runs.
func TestEvaluateDeterministic(t *testing.T) {
	set := mustLoad(t, "testdata/good")
	a, _ := set.Evaluate(context.Background(), fixture())
	b, _ := set.Evaluate(context.Background(), fixture())
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two runs differ:\n%v\n%v", a, b)
	}
}

func TestEvalErrorDoesNotStopOtherRules(t *testing.T) {
	set := mustLoad(t, "testdata/evalerr")
	findings, errs := set.Evaluate(context.Background(), fixture())
	if len(errs) != 1 || errs[0].RuleID != "test.index-error" ||
		errs[0].Msg != "when: index out of range: 10 (array length is 4)" {
		t.Errorf("errs = %+v", errs)
	}
	if len(findings) != 2 || findings[0].Message != "/data/sub is ext4" || findings[1].Message != "/home is ext4" {
		t.Errorf("findings = %+v", findings)
	}
}

func TestEvaluateCancelled(t *testing.T) {
	set := mustLoad(t, "testdata/evalerr")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	findings, errs := set.Evaluate(ctx, fixture())
	if len(findings) != 0 || len(errs) != 2 || errs[0].Msg != "not evaluated: context canceled" {
		t.Errorf("cancelled run: findings %v errs %+v", findings, errs)
	}
}

func TestExplainNotFiring(t *testing.T) {
	set := mustLoad(t, "testdata/good")
	m := fixture()
	m.Mounts = m.Mounts[:1] // the guard point, nothing inside it
	ex, err := set.Explain(context.Background(), m, "test.nested-mount")
	if err != nil {
		t.Fatal(err)
	}
	want := `rule test.nested-mount: A filesystem is mounted inside a guard point
for_each GuardPoints(): 1 item(s)
when len(inside) > 0 && AgentPresent()

item /data
  let inside = [] (empty)
  when: false
    && len(inside) > 0: false   <- false
    && AgentPresent(): true

findings: 0
`
	if got := ex.String(); got != want {
		t.Errorf("Explain:\n%s\nwant:\n%s", got, want)
	}
	if _, err := set.Explain(context.Background(), m, "no.such"); err == nil {
		t.Error("Explain of an unknown id: no error")
	}
}

func TestExplainFiringAndNoItems(t *testing.T) {
	set := mustLoad(t, "testdata/good")
	ex, err := set.Explain(context.Background(), fixture(), "test.unsupported-version")
	if err != nil {
		t.Fatal(err)
	}
	want := `rule test.unsupported-version: The anti-virus product is older than the first version that supports the cluster stack
when len(old) > 0 && HasService("novell-ncs")

  let av = 1 item(s): [nails]
  let old = 1 item(s): [nails]
  when: true
    && len(old) > 0: true
    && HasService("novell-ncs"): true
  fired: nails 1.6.2 is older than 1.7

findings: 1
`
	if got := ex.String(); got != want {
		t.Errorf("Explain:\n%s\nwant:\n%s", got, want)
	}
	ex, _ = set.Explain(context.Background(), &model.Model{}, "test.guardpoint-busy")
	if !strings.Contains(ex.String(), "the rule did not fire: for_each yielded no item") {
		t.Errorf("no items:\n%s", ex)
	}
}

func TestRender(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{nil, ""},
		{"x", "x"},
		{3, "3"},
		{2.0, "2"},
		{80.123, "80.12"},
		{0.5, "0.5"},
		{[]string{"a", "b"}, "a, b"},
		{[]any{1, "b"}, "1, b"},
		{[]model.Module{{Name: "lshook"}, {Name: "adminfs"}}, "lshook, adminfs"},
		{model.Mount{Path: "/x"}, "/x"},
		{true, "true"},
	}
	for _, c := range cases {
		if got := render(c.v); got != c.want {
			t.Errorf("render(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// fakeLoader reads a tiny bundle: "mount" lines "DEV on PATH type T (o)"
// and "lsof" lines "CMD PID FD NAME". It stands in for the real pipeline,
// which imports this package.
func fakeLoader(ctx context.Context, dir string, patterns []LinePattern) (*model.Model, error) {
	m := &model.Model{}
	read := func(name string, fn func(fields []string, line int)) error {
		f, err := os.Open(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			fn(strings.Fields(sc.Text()), n)
		}
		return sc.Err()
	}
	err := read("mount", func(f []string, n int) {
		if len(f) >= 5 {
			m.Mounts = append(m.Mounts, model.Mount{Device: f[0], Path: f[2], FSType: f[4], Src: src("mount", n)})
		}
	})
	if err != nil {
		return nil, err
	}
	err = read("lsof", func(f []string, n int) {
		if len(f) == 4 {
			pid, _ := strconv.Atoi(f[1])
			m.OpenFiles.Append(model.OpenFile{Command: f[0], PID: pid, FD: f[2], Name: f[3], Src: src("lsof", n)})
		}
	})
	return m, err
}

func TestRunTests(t *testing.T) {
	set := mustLoad(t, "testdata/ruletests")
	var out strings.Builder
	sum, err := set.RunTests(context.Background(), fakeLoader, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := `ok   test.busy: inline, fires
ok   test.busy: inline, quiet
ok   test.busy: bundle directory
FAIL test.busy: wrong expectation (testdata/ruletests/busy.yaml:30): expected the rule to fire, it stayed quiet
FAIL test.busy: wrong count and message (testdata/ruletests/busy.yaml:35): expected 2 finding(s), got 1; no message contains "/elsewhere" (messages: "1 open under /g")
3 passed, 2 failed
`
	if out.String() != want {
		t.Errorf("RunTests output:\n%s\nwant:\n%s", out.String(), want)
	}
	if sum != (TestSummary{Passed: 3, Failed: 2}) {
		t.Errorf("summary = %+v", sum)
	}
}

// A shipped rule whose bundle directory is not on disk is skipped, loudly.
func TestRunTestsSkipsWithoutDir(t *testing.T) {
	set := mustLoad(t, "testdata/ruletests")
	for _, r := range set.Rules() {
		r.Dir = ""
	}
	var out strings.Builder
	sum, err := set.RunTests(context.Background(), fakeLoader, &out)
	if err != nil {
		t.Fatal(err)
	}
	if sum != (TestSummary{Passed: 2, Failed: 1, Skipped: 2}) ||
		!strings.Contains(out.String(), "SKIP test.busy: bundle directory (bundle bundles/busy is relative to rules.d, which is not on disk here)") ||
		!strings.HasSuffix(out.String(), "2 passed, 1 failed, 2 skipped\n") {
		t.Errorf("summary %+v, output:\n%s", sum, out.String())
	}
}

// The sandbox's limits turn into EvalErrors: the per-rule deadline and the
// VM's memory budget.
func TestEvalLimits(t *testing.T) {
	shipped := fstest.MapFS{
		"slow.yaml": {Data: []byte("id: t.slow\ntitle: T\nseverity: low\nfor_each: OpenFiles\nwhen: true\nmessage: m\n")},
		"big.yaml":  {Data: []byte("id: t.big\ntitle: T\nseverity: low\nwhen: len(1..60000000) > 0\nmessage: m\n")},
	}
	set, err := loadSet(shipped, "", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	findings, errs := set.Evaluate(context.Background(), fixture())
	if len(errs) != 1 || errs[0].Error() != "t.big: when: memory budget exceeded" || len(findings) != 4 {
		t.Errorf("memory budget: errs = %v, %d findings", errs, len(findings))
	}
	set.RuleTimeout = time.Nanosecond
	_, errs = set.Evaluate(context.Background(), fixture())
	if len(errs) != 2 || errs[1].RuleID != "t.slow" || !errs[1].Deadline || !strings.HasPrefix(errs[1].Msg, "rule deadline: ") {
		t.Errorf("deadline: errs = %v", errs)
	}
}

// One Set serves many bundles at once (triage batch --jobs N).
func TestEvaluateConcurrent(t *testing.T) {
	set := mustLoad(t, "testdata/good")
	want, _ := set.Evaluate(context.Background(), fixture())
	done := make(chan string, 4)
	for i := 0; i < 4; i++ {
		go func() {
			got, _ := set.Evaluate(context.Background(), fixture())
			done <- fmt.Sprint(got)
		}()
	}
	for i := 0; i < 4; i++ {
		if got := <-done; got != fmt.Sprint(want) {
			t.Errorf("concurrent run differs:\n%s\nwant\n%v", got, want)
		}
	}
}

// TestDeadlineAfterWhen: the per-rule deadline also holds between when and
// the evidence and message steps, so a condition that ran past the
// deadline does not go on to produce a finding.
func TestDeadlineAfterWhen(t *testing.T) {
	shipped := fstest.MapFS{
		"slow.yaml": {Data: []byte("id: t.slow-when\ntitle: T\nseverity: low\nwhen: 'len(filter(1..3000000, # > 0)) > 0'\nmessage: m\n")},
	}
	set, err := loadSet(shipped, "", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	set.RuleTimeout = 5 * time.Millisecond // the condition alone takes far longer
	findings, errs := set.Evaluate(context.Background(), fixture())
	if len(findings) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "rule deadline: ") || !strings.Contains(errs[0].Error(), "abandoned") || !errs[0].Deadline {
		t.Errorf("findings %v, errs %v: want no finding and one deadline error", findings, errs)
	}
}

// TestDeadlineAbandonsRunningStep: a step that does not return is abandoned
// at the deadline; Evaluate does not wait for it, and the error names the
// rule, the step and the item.
func TestDeadlineAbandonsRunningStep(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	block := func(s string) bool { <-release; return true }
	var errs LoadErrors
	r, _ := parseRuleEnv("block.yaml", []byte("id: t.block\ntitle: T\nseverity: low\nfor_each: GuardPoints()\nlet:\n  stuck: block(it.Path)\nwhen: stuck\nmessage: m\n"), &errs, map[string]any{"block": block})
	if r == nil || len(errs.Errs) > 0 {
		t.Fatalf("rule does not load: %v", errs.Errs)
	}
	set := newSet([]*Rule{r})
	// Long enough that a loaded machine reaches the blocking step before
	// the deadline (the step never returns, so the test waits this long).
	set.RuleTimeout = 2 * time.Second
	type result struct {
		fs   []Finding
		errs []EvalError
	}
	done := make(chan result, 1)
	go func() {
		fs, errs := set.Evaluate(context.Background(), fixture())
		done <- result{fs, errs}
	}()
	select {
	case res := <-done:
		if len(res.fs) != 0 || len(res.errs) != 1 || !res.errs[0].Deadline || res.errs[0].RuleID != "t.block" ||
			!strings.Contains(res.errs[0].Msg, "let stuck of item 1 (") || !strings.Contains(res.errs[0].Msg, "abandoned") {
			t.Fatalf("findings %v, errors %v: want one deadline error naming the step", res.fs, res.errs)
		}
	case <-time.After(time.Minute): // a hang guard, not a timing assertion: the step never returns
		t.Fatal("Evaluate waited for a step that never returns instead of abandoning it")
	}
}

// TestDeadlineThenNextRules: the rules after an abandoned one still run,
// on a new worker, and give their findings; the abandoned worker's late
// result is not taken. A cancelled evaluation returns at once: the rule
// running gets a deadline error naming the cancellation, the rules after it
// "not evaluated".
func TestDeadlineThenNextRules(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	block := func(s string) bool { <-release; return true }
	var errs LoadErrors
	env := map[string]any{"block": block}
	stuck, _ := parseRuleEnv("a.yaml", []byte("id: t.a-block\ntitle: T\nseverity: low\nwhen: block('x')\nmessage: m\n"), &errs, env)
	after, _ := parseRuleEnv("b.yaml", []byte("id: t.b-after\ntitle: T\nseverity: low\nwhen: true\nmessage: fired\n"), &errs, env)
	if stuck == nil || after == nil || len(errs.Errs) > 0 {
		t.Fatalf("rules do not load: %v", errs.Errs)
	}
	set := newSet([]*Rule{stuck, after})
	set.RuleTimeout = 300 * time.Millisecond
	fs, evalErrs := set.Evaluate(context.Background(), fixture())
	if len(evalErrs) != 1 || evalErrs[0].RuleID != "t.a-block" || !evalErrs[0].Deadline ||
		!strings.Contains(evalErrs[0].Msg, "when was still running") {
		t.Errorf("errors %v: want one deadline error for t.a-block naming its when", evalErrs)
	}
	if len(fs) != 1 || fs[0].RuleID != "t.b-after" || fs[0].Message != "fired" {
		t.Errorf("findings %v: want the finding of the rule after the abandoned one", fs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	set.RuleTimeout = time.Hour
	time.AfterFunc(100*time.Millisecond, cancel)
	fs, evalErrs = set.Evaluate(ctx, fixture())
	if len(fs) != 0 || len(evalErrs) != 2 ||
		evalErrs[0].RuleID != "t.a-block" || !strings.Contains(evalErrs[0].Msg, "abandoned: context canceled") ||
		evalErrs[1].RuleID != "t.b-after" || evalErrs[1].Msg != "not evaluated: context canceled" {
		t.Errorf("cancelled: findings %v, errors %v", fs, evalErrs)
	}
}

// TestEvidenceSample: a finding keeps at most the limit of evidence lines,
// one per process first and then in yield order, shown in yield order, with
// the total of distinct lines beside it; aggregates count every fact.
func TestEvidenceSample(t *testing.T) {
	m := &model.Model{Mounts: []model.Mount{{Device: "/g", Path: "/g", FSType: "secfs2", Src: src("mount", 1)}}}
	for i := 0; i < 1000; i++ {
		pid := 100 + i%4 // four processes, 250 rows each
		if i >= 990 {
			pid = 500 + i // ten more processes at the end of the file
		}
		m.OpenFiles.Append(model.OpenFile{Command: fmt.Sprintf("cmd%d", pid%3), PID: pid, FD: "3u", Name: fmt.Sprintf("/g/f%d", i), Src: src("lsof", i+2)})
	}
	m.OpenFiles = append(m.OpenFiles, m.OpenFiles[0]) // the same line twice counts once
	rule := "id: t.sample\ntitle: T\nseverity: low\nfor_each: GuardPoints()\nlet:\n  open: OpenFilesUnder(it.Path)\nwhen: len(open) > 0\nevidence: [it, open]\naggregates:\n  processes: map(open, .PID)\n  descriptors: len(open)\nmessage: m\n"
	var errs LoadErrors
	r, _ := parseRule("r.yaml", []byte(rule), &errs)
	if r == nil || len(errs.Errs) > 0 {
		t.Fatal(errs.Errs)
	}
	for _, tc := range []struct {
		limit, want int
	}{{0, DefaultEvidenceLimit}, {5, 5}, {-1, 1001}} {
		set := newSet([]*Rule{r})
		set.EvidenceLimit = tc.limit
		fs, evalErrs := set.Evaluate(context.Background(), m)
		if len(evalErrs) > 0 || len(fs) != 1 {
			t.Fatalf("limit %d: %v %v", tc.limit, fs, evalErrs)
		}
		f := fs[0]
		if len(f.Evidence) != tc.want || f.EvidenceTotal != 1001 || f.MoreEvidence() != 1001-tc.want {
			t.Fatalf("limit %d: %d lines, total %d", tc.limit, len(f.Evidence), f.EvidenceTotal)
		}
		for i := 1; i < len(f.Evidence); i++ {
			if f.Evidence[i-1].Path == f.Evidence[i].Path && f.Evidence[i-1].Line >= f.Evidence[i].Line {
				t.Fatalf("limit %d: sample not in file order: %v", tc.limit, f.Evidence)
			}
		}
		if tc.limit == 0 {
			// The guard point, then one line of each of the 14 processes,
			// then the earliest other lines.
			pids := map[int]bool{}
			for _, e := range f.Evidence {
				if e.Path == "lsof" {
					pids[m.OpenFiles.Fact(e.Line-2).PID] = true
				}
			}
			if f.Evidence[0].Path != "mount" || len(pids) != 14 {
				t.Errorf("sample covers %d processes, want all 14: %v", len(pids), f.Evidence)
			}
		}
		if len(f.Aggregates) != 2 || f.Aggregates[0].Name != "processes" || f.Aggregates[0].Total != 14 ||
			f.Aggregates[0].Top[0] != (Count{Value: "100", Count: 249}) || f.Aggregates[1].Total != 1001 {
			t.Errorf("aggregates %+v", f.Aggregates)
		}
	}
}

// TestEvidenceMustHoldFacts: an evidence expression that cannot yield a
// fact is a lint error, as are aggregates that are neither lists nor
// numbers.
func TestEvidenceMustHoldFacts(t *testing.T) {
	head := "id: t.x\ntitle: T\nseverity: low\nwhen: true\nmessage: m\n"
	for _, tc := range []struct{ body, want string }{
		{"evidence: 42\n", "r.yaml:6:11: evidence: expected a fact, a Source or a list of them (anything with a Src field), got int"},
		{"evidence: [Mounts, '\"x\"']\n", "got string"},
		{"aggregates:\n  n: Host\n", "aggregates n: expected a list (its values are counted), a tally(...) or a number, got Host"},
	} {
		var errs LoadErrors
		parseRule("r.yaml", []byte(head+tc.body), &errs)
		if len(errs.Errs) != 1 || !strings.Contains(errs.Errs[0].Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.body, errs.Errs, tc.want)
		}
	}
}

// TestLineSet: the sampler's set of lines seen tells every (file, line)
// apart, across pages, files and line numbers below one.
func TestLineSet(t *testing.T) {
	var s lineSet
	type key struct {
		path string
		line int
	}
	want := map[key]bool{}
	for i := 0; i < 30000; i++ {
		k := key{[...]string{"lsof", "fuser", "lsof2"}[i%3], (i*7919)%20011 - 5}
		if got := s.add(k.path, k.line); got == want[k] {
			t.Fatalf("add(%q, %d) = %v after %d adds", k.path, k.line, got, i)
		}
		want[k] = true
	}
	if !s.add("lsof", 20011) || s.add("lsof", 20011) || !s.add("lsof", -4097) {
		t.Fatal("a new line was not new, or a seen one was")
	}
}
