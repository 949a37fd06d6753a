package analyze

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

const busyFlat = "../testdata/bundles/gde-busy-flat"

func shipped(t testing.TB) *rules.Set {
	t.Helper()
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func run(t *testing.T, path string, opts Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func fired(res *Result, id string) bool {
	for _, f := range res.Findings {
		if f.RuleID == id {
			return true
		}
	}
	return false
}

func coverageOf(res *Result, id string) RuleCoverage {
	for _, c := range res.Coverage {
		if c.RuleID == id {
			return c
		}
	}
	return RuleCoverage{}
}

func hasReason(res *Result, kind, substr string) bool {
	for _, x := range res.Incomplete {
		if x.Kind == kind && strings.Contains(x.Path+" "+x.RuleID+" "+x.Message, substr) {
			return true
		}
	}
	return false
}

// The first half of an archive whose whole fires a high finding is an
// incomplete analysis with an archive reason, never an all-clear; the
// rule that lost its input says why it was not evaluated.
func TestTruncatedArchiveIsIncomplete(t *testing.T) {
	set := shipped(t)
	whole := archivetest.Build(t, busyFlat, "tar.gz")
	full := run(t, archivetest.Write(t, "whole.tar.gz", whole), Options{Rules: set})
	if !full.Complete() || !fired(full, "gde.guardpoint-busy") {
		t.Fatalf("the whole archive: complete %v, findings %v, incomplete %v", full.Complete(), full.Findings, full.Incomplete)
	}
	if c := coverageOf(full, "gde.guardpoint-busy"); c.Status != CoverageFired {
		t.Errorf("whole archive: coverage %+v, want fired", c)
	}
	half := run(t, archivetest.Write(t, "half.tar.gz", whole[:len(whole)/2]), Options{Rules: set})
	if fired(half, "gde.guardpoint-busy") {
		t.Fatalf("the half archive still fires; cut it elsewhere")
	}
	if half.Complete() {
		t.Fatalf("half an archive analyzed as complete")
	}
	if !hasReason(half, ReasonArchive, "truncated or corrupt") {
		t.Errorf("no archive reason: %+v", half.Incomplete)
	}
	if half.Incomplete[0].Kind != ReasonArchive {
		t.Errorf("the archive reason is not first: %+v", half.Incomplete)
	}
	if hasReason(half, ReasonArtifact, "yielded nothing") {
		t.Errorf("the file the archive broke off in is also called unparsable: %+v", half.Incomplete)
	}
	c := coverageOf(half, "gde.guardpoint-busy")
	if c.Status != CoverageNotEvaluated || !strings.Contains(c.Reason, "not read whole") && !strings.Contains(c.Reason, "in what was read of the bundle") {
		t.Errorf("gde.guardpoint-busy coverage %+v: want not_evaluated naming the unread part", c)
	}
}

// A file cut short by --max-file-bytes is a limit reason, and a rule that
// needs that file names it in its coverage reason.
func TestTruncatedArtifactNamedInCoverage(t *testing.T) {
	var lsof bytes.Buffer
	lsof.WriteString("COMMAND  PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	for lsof.Len() < 64<<10 {
		lsof.WriteString("bash    2199 root  cwd    DIR  253,0     4096 10977282 /home/user\n")
	}
	lsof.WriteString("bash    2200 root  cwd    DIR  253,0     4096 10977282 /data/x\n")
	dir := writeTree(t, map[string]string{
		"mount":    "/dev/sda1 on / type ext4 (rw)\n/data on /data type secfs2 (rw)\n",
		"lsof.out": lsof.String(),
	})
	res := run(t, dir, Options{Rules: shipped(t), Limits: bundle.Limits{MaxFileBytes: 32 << 10}})
	if res.Complete() || !hasReason(res, ReasonLimit, "lsof.out") {
		t.Fatalf("want a limit reason naming lsof.out, got %+v", res.Incomplete)
	}
	c := coverageOf(res, "gde.guardpoint-busy")
	if c.Status != CoverageNotEvaluated || !strings.Contains(c.Reason, "lsof.out (lsof): file truncated after 32 KiB") {
		t.Errorf("coverage %+v: want not_evaluated naming the truncated lsof", c)
	}
}

// A gzip bomb stopped at --max-ratio is incomplete with a limit reason.
func TestBombIsIncomplete(t *testing.T) {
	// Text, so that the parser reads on until the limit stops it.
	text := bytes.Repeat([]byte("[    1.000000] all quiet\n"), (32<<20)/25)
	bomb := archivetest.Compress(t, "gz", text)
	res := run(t, archivetest.Write(t, "dmesg.gz", bomb), Options{Rules: shipped(t), Limits: bundle.Limits{MaxRatio: 50}})
	if res.Complete() || !hasReason(res, ReasonLimit, "compression bomb") {
		t.Fatalf("bomb: complete %v, reasons %+v", res.Complete(), res.Incomplete)
	}
}

// A directory of files none of which is a known artifact is incomplete
// with a coverage reason: no rule could look at anything.
func TestUnrecognizedDirectoryIsIncomplete(t *testing.T) {
	dir := writeTree(t, map[string]string{"notes.txt": "customer says it hangs\n", "data.csv": "a,b\n1,2\n"})
	res := run(t, dir, Options{Rules: shipped(t)})
	if res.Complete() || !hasReason(res, ReasonCoverage, "no artifact was identified") {
		t.Fatalf("unrecognized files: complete %v, reasons %+v", res.Complete(), res.Incomplete)
	}
	for _, c := range res.Coverage {
		if c.Status != CoverageNotEvaluated {
			t.Errorf("%s is %s on a bundle without artifacts", c.RuleID, c.Status)
		}
	}
}

// A rule forced past its deadline is a rule reason and is not evaluated.
func TestRuleDeadlineIsIncomplete(t *testing.T) {
	set := shipped(t)
	set.RuleTimeout = time.Nanosecond
	res := run(t, busyFlat, Options{Rules: set})
	if res.Complete() || !hasReason(res, ReasonRule, "gde.guardpoint-busy") {
		t.Fatalf("deadline: complete %v, reasons %+v, errors %+v", res.Complete(), res.Incomplete, res.Errors)
	}
	if c := coverageOf(res, "gde.guardpoint-busy"); c.Status != CoverageNotEvaluated || !strings.Contains(c.Reason, "the rule failed") {
		t.Errorf("coverage %+v", c)
	}
}

// Rules whose inputs are absent are not evaluated, with a reason naming
// the missing kinds; that alone leaves the analysis complete. Rules with
// every input present are evaluated.
func TestCoverageOfMissingInputs(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"mount.out": "/dev/sda1 on / type ext4 (rw)\n/data on /data type secfs2 (rw)\n",
		"dmesg":     "[    1.000000] Linux version 5.14.0\n",
	})
	res := run(t, dir, Options{Rules: shipped(t)})
	if !res.Complete() {
		t.Fatalf("missing inputs made the analysis incomplete: %+v", res.Incomplete)
	}
	cases := []struct{ id, status, reason string }{
		{"gde.guardpoint-busy", CoverageNotEvaluated, "no open-file listing (lsof/fuser) in the bundle"},
		{"kernel.module-in-use", CoverageNotEvaluated, "no module list (modules) in the bundle"},
		{"kernel.hung-task", CoverageEvaluated, ""},
		{"gde.nested-mount", CoverageEvaluated, ""},
		{"av.ncp-volume-unmounted", CoverageNotEvaluated, "or file matching **/ncs/*.load in the bundle"},
	}
	for _, tc := range cases {
		c := coverageOf(res, tc.id)
		if c.Status != tc.status || !strings.Contains(c.Reason, tc.reason) || (tc.reason == "" && c.Reason != "") {
			t.Errorf("%s: got %+v, want %s %q", tc.id, c, tc.status, tc.reason)
		}
	}
	if len(res.Coverage) != len(shipped(t).Rules()) {
		t.Errorf("coverage has %d entries for %d rules", len(res.Coverage), len(shipped(t).Rules()))
	}
}

// An evaluated rule whose input had lines the parser did not understand
// names that input, so the reader can judge how much to trust the silence.
func TestCoverageNamesWarnedInput(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"mount.out": "/dev/sda1 on / type ext4 (rw)\nthis line is not a mount at all\n/data on /data type secfs2 (rw)\n",
	})
	res := run(t, dir, Options{Rules: shipped(t)})
	var warned bool
	for _, a := range res.Inventory {
		warned = warned || a.Path == "mount.out" && len(a.Warnings) > 0
	}
	if !warned {
		t.Fatalf("the mount parser no longer warns about a malformed line; the test needs one: %+v", res.Inventory)
	}
	c := coverageOf(res, "gde.nested-mount")
	if c.Status != CoverageEvaluated || !strings.Contains(c.Reason, "mount.out (mount, 1 warning") {
		t.Errorf("gde.nested-mount coverage %+v: want evaluated naming the warned mount.out", c)
	}
	if !res.Complete() {
		t.Errorf("a malformed line made the analysis incomplete: %+v", res.Incomplete)
	}
}

// In a supportconfig file each section counts as an artifact of its own
// kind; a section in which the collector wrote that it could not run the
// command counts as absent, and the reason quotes the collector.
func TestCoverageOfSections(t *testing.T) {
	scc := "#==[ Command ]======================================#\n" +
		"# /usr/bin/mount\n" +
		"/dev/sda2 on / type btrfs (rw,relatime)\n" +
		"/dev/sdb1 on /data type secfs2 (rw)\n" +
		"\n" +
		"#==[ Command ]======================================#\n" +
		"# /usr/bin/lsof -b -w -n\n" +
		"ERROR: Command not found or not executable\n" +
		"\n" +
		"#==[ Command ]======================================#\n" +
		"# /sbin/lsmod\n" +
		"Module                  Size  Used by\n" +
		"secfs2                200000  3\n"
	dir := writeTree(t, map[string]string{"fs-diskio.txt": scc})
	res := run(t, dir, Options{Rules: shipped(t)})
	if !res.Complete() {
		t.Fatalf("incomplete: %+v", res.Incomplete)
	}
	cases := []struct{ id, status, reason string }{
		{"gde.nested-mount", CoverageEvaluated, ""},
		{"gde.guardpoint-busy", CoverageNotEvaluated, "no open-file listing (lsof/fuser) in the bundle (lsof: the collector could not run"},
		{"kernel.module-in-use", CoverageNotEvaluated, "no kernel log (kernel-log) in the bundle"},
	}
	for _, tc := range cases {
		c := coverageOf(res, tc.id)
		if c.Status != tc.status || !strings.Contains(c.Reason, tc.reason) {
			t.Errorf("%s: got %+v, want %s %q", tc.id, c, tc.status, tc.reason)
		}
	}
}

// A file named like an artifact of which the parser understood no line is
// unreadable: the analysis is incomplete and the rules needing it are not
// evaluated. One that holds only the host's refusal is absent instead.
func TestUnparsableAndRefusedArtifacts(t *testing.T) {
	garbage := writeTree(t, map[string]string{
		"mount.out": "/dev/sda1 on / type ext4 (rw)\n/data on /data type secfs2 (rw)\n",
		"lsof.out":  "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n%%garbage one\n%%garbage two\n",
	})
	res := run(t, garbage, Options{Rules: shipped(t)})
	if res.Complete() || !hasReason(res, ReasonArtifact, "this lsof artifact yielded nothing") {
		t.Errorf("an lsof of garbage: complete %v, reasons %+v", res.Complete(), res.Incomplete)
	}
	if c := coverageOf(res, "gde.guardpoint-busy"); c.Status != CoverageNotEvaluated || !strings.Contains(c.Reason, "lsof.out (lsof): this lsof artifact yielded nothing") {
		t.Errorf("gde.guardpoint-busy: %+v", c)
	}
	refused := writeTree(t, map[string]string{
		"mount.out":          "/dev/sda1 on / type ext4 (rw)\n",
		"slabtop_-o.out":     "fopen /proc/slabinfo: Permission denied\n",
		"sos_commands/dmesg": "[    1.000000] Linux version 5.14\n",
	})
	res = run(t, refused, Options{Rules: shipped(t)})
	var kind string
	for _, a := range res.Artifacts() {
		if a.Path == "slabtop_-o.out" {
			kind = string(a.Kind)
		}
	}
	if kind != "slab" {
		t.Fatalf("the refused slabtop is identified as %q; the test needs a slab artifact", kind)
	}
	if !res.Complete() {
		t.Errorf("a refused slabtop made the analysis incomplete: %+v", res.Incomplete)
	}
	if c := coverageOf(res, "kernel.slab-growth"); c.Status != CoverageNotEvaluated || !strings.Contains(c.Reason, "no slab statistics (slab) in the bundle (") || !strings.Contains(c.Reason, "Permission denied") {
		t.Errorf("kernel.slab-growth: %+v", c)
	}
}

// A rule that reads only lines of files is not "evaluated" when the files
// it reads were cut short: its problem may be in the part not read.
func TestLinesRuleOnTruncatedFile(t *testing.T) {
	rdir := t.TempDir()
	rule := `id: test.late-line
title: A line past the first 32 KiB
severity: high
lines:
  late: {files: "**/notes*.txt", regex: 'LATE PROBLEM'}
when: len(late) > 0
evidence: [late]
message: "{{ len(late) }} late line(s)"
`
	if err := os.WriteFile(filepath.Join(rdir, "late.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadDir(rdir)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("an ordinary line of notes\n", 64<<10/26) + "LATE PROBLEM\n"
	for _, tc := range []struct {
		name   string
		files  map[string]string
		status string
		reason string
	}{
		{"only file cut", map[string]string{"notes.txt": long},
			CoverageNotEvaluated, "file matching **/notes*.txt not read whole: notes.txt (text): file truncated"},
		{"one file whole, one cut", map[string]string{"notes.txt": long, "notes2.txt": "short\n"},
			CoverageEvaluated, "some input was not read whole: notes.txt (text)"},
		{"whole", map[string]string{"notes.txt": "short\n"}, CoverageEvaluated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, writeTree(t, tc.files), Options{Rules: set, Limits: bundle.Limits{MaxFileBytes: 32 << 10}})
			c := coverageOf(res, "test.late-line")
			if c.Status != tc.status || !strings.Contains(c.Reason, tc.reason) || (tc.reason == "") != (c.Reason == "") {
				t.Errorf("coverage %+v: want %s with a reason holding %q", c, tc.status, tc.reason)
			}
		})
	}
}

// A parser whose deferred finish panics lost facts: the file is a loss, so
// the analysis is incomplete, never an all-clear.
func TestPanickedFinishIsIncomplete(t *testing.T) {
	s := &parsed{
		art:   Artifact{Path: "lsof.out", Kind: parsers.KindLsof, Parser: "lsof", Warnings: []parsers.Warning{}},
		facts: &model.Model{OpenFiles: model.OpenFilesOf(model.OpenFile{Command: "bash"})},
		finish: func(deps, out *model.Model) []parsers.Warning {
			panic("boom")
		},
	}
	finishDeferred([]*parsed{s})
	res := &Result{Inventory: []Artifact{s.art}}
	res.judge(nil)
	if res.Complete() || !hasReason(res, ReasonArtifact, "finishing this file panicked") {
		t.Fatalf("want an artifact reason for the panicked finish, got %+v", res.Incomplete)
	}
}

// Every kind a parser reads has a noun, so a coverage reason names what is
// missing in words ("no service list (services)"), not by id alone.
func TestEveryKindHasANoun(t *testing.T) {
	for _, k := range parsers.Kinds() {
		if k == parsers.KindText || sectioned(k) {
			continue
		}
		if kindNouns[k] == "" {
			t.Errorf("kind %q has no noun in kindNouns", k)
		}
	}
}

// A section that could not be read is a loss of that section only: the
// file's other sections were read whole, and the rules reading them are
// evaluated as on any other file.
func TestSectionLossStaysInItsSection(t *testing.T) {
	scc := "#==[ Command ]======================================#\n" +
		"# /usr/bin/mount\n" +
		"/dev/sda2 on / type btrfs (rw,relatime)\n" +
		"/dev/sdb1 on /data type secfs2 (rw)\n" +
		"\n" +
		"#==[ Configuration File ]===========================#\n" +
		"# /etc/motd\n" +
		strings.Repeat("a line of text past the file's head, so only the last section is binary\n", parsers.HeadSize/40) +
		"#==[ Command ]======================================#\n" +
		"# /sbin/lsmod\n" +
		"\x00\x01\x02\x03binary\x00\x00\x00\n"
	res := run(t, writeTree(t, map[string]string{"fs-diskio.txt": scc}), Options{Rules: shipped(t)})
	if res.Complete() || !hasReason(res, ReasonArtifact, "content is binary") {
		t.Fatalf("want an artifact reason for the binary section, got %+v", res.Incomplete)
	}
	if c := coverageOf(res, "gde.nested-mount"); c.Status != CoverageEvaluated || c.Reason != "" {
		t.Errorf("gde.nested-mount: got %+v, want evaluated on the whole mount section", c)
	}
}
