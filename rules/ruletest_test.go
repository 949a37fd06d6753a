package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

func TestCaseCheck(t *testing.T) {
	src := func(p string, line, end int) model.Source { return model.Source{Path: p, Line: line, EndLine: end} }
	findings := []Finding{
		{Subject: "/data", Message: "Guard point /data is busy: pid 2199", Evidence: []model.Source{src("mount.out", 2, 0), src("lsof.out", 4, 0)}},
		{Subject: "/u01", Message: "Guard point /u01 is busy: pid 3141", Evidence: []model.Source{src("mount.out", 3, 0), src("strace.out", 10, 12)}},
	}
	tests := []struct {
		name string
		tc   TestCase
		want string // "" passes; else a text the problem contains
	}{
		{"fires", TestCase{Expect: "fire", Count: -1}, ""},
		{"quiet fails", TestCase{Expect: "quiet", Count: -1}, "expected quiet, got 2 finding(s)"},
		{"count", TestCase{Expect: "fire", Count: 1}, "expected 1 finding(s), got 2"},
		{"messages, any finding", TestCase{Expect: "fire", Count: 2, MessageContains: []string{"2199", "3141"}}, ""},
		{"message missing", TestCase{Expect: "fire", Count: -1, MessageContains: []string{"2199", "9999"}}, `no message contains "9999"`},
		{"subject", TestCase{Expect: "fire", Count: -1, Subject: "/u01", MessageContains: []string{"3141"}}, ""},
		{"message of another subject", TestCase{Expect: "fire", Count: -1, Subject: "/u01", MessageContains: []string{"2199"}}, `no message contains "2199"`},
		{"unknown subject", TestCase{Expect: "fire", Count: -1, Subject: "/srv"}, `no finding has subject "/srv" (subjects: "/data", "/u01")`},
		{"evidence", TestCase{Expect: "fire", Count: -1, Subject: "/data", Evidence: []string{"lsof.out:4", "mount.out:2"}}, ""},
		{"evidence inside a multi-line quote", TestCase{Expect: "fire", Count: -1, Evidence: []string{"strace.out:11"}}, ""},
		{"evidence of another subject", TestCase{Expect: "fire", Count: -1, Subject: "/data", Evidence: []string{"mount.out:3"}}, "evidence does not quote mount.out:3 (quoted: mount.out:2, lsof.out:4)"},
		{"evidence wrong line", TestCase{Expect: "fire", Count: -1, Evidence: []string{"lsof.out:5"}}, "evidence does not quote lsof.out:5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tc.Check(findings)
			if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Check() = %q, want %q", got, tt.want)
			}
		})
	}
	if got := (TestCase{Expect: "fire", Count: -1}).Check(nil); !strings.Contains(got, "stayed quiet") {
		t.Errorf("fire on no findings: %q", got)
	}
	if got := (TestCase{Expect: "quiet", Count: -1}).Check(nil); got != "" {
		t.Errorf("quiet on no findings: %q", got)
	}
}

// An absolute `bundle:` is used as written, not joined onto the rule's
// directory; a relative one is joined; a relative one of a rule with no
// directory on disk is skipped with the reason.
func TestRunCaseBundlePaths(t *testing.T) {
	set, err := LoadDir("testdata/cli")
	if err != nil {
		t.Fatal(err)
	}
	r := set.Rules()[0]
	abs := t.TempDir()
	if err := os.Mkdir(filepath.Join(abs, "rel"), 0o755); err != nil {
		t.Fatal(err)
	}
	var loaded string
	load := func(_ context.Context, dir string, _ []LinePattern) (*model.Model, error) {
		loaded = dir
		return &model.Model{}, nil
	}
	res, err := RunCase(context.Background(), r, TestCase{Bundle: abs, Expect: "quiet", Count: -1}, load)
	if err != nil || res.Skip != "" || loaded != abs {
		t.Errorf("absolute bundle: loaded %q (want %q), result %+v, err %v", loaded, abs, res, err)
	}
	if res.Problem != "" {
		t.Errorf("absolute bundle: %s", res.Problem)
	}
	local := *r
	local.Dir = abs
	loaded = ""
	if _, err := RunCase(context.Background(), &local, TestCase{Bundle: "rel", Expect: "quiet", Count: -1}, load); err != nil || loaded != filepath.Join(abs, "rel") {
		t.Errorf("relative bundle: loaded %q, want %q (err %v)", loaded, filepath.Join(abs, "rel"), err)
	}
	local.Dir = ""
	res, err = RunCase(context.Background(), &local, TestCase{Bundle: "rel", Expect: "quiet", Count: -1}, load)
	if err != nil || !strings.Contains(res.Skip, "not on disk") {
		t.Errorf("relative bundle without a rules dir: %+v, %v", res, err)
	}
	res, err = RunCase(context.Background(), &local, TestCase{Bundle: abs, Expect: "quiet", Count: -1}, load)
	if err != nil || res.Skip != "" || res.Problem != "" {
		t.Errorf("absolute bundle without a rules dir: %+v, %v", res, err)
	}
}
