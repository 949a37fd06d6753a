package collect

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/rules"
)

// refusingRunner is a non-root host: dmesg is refused, lsmod is missing.
type refusingRunner struct{ *fakeRunner }

func (r refusingRunner) LookPath(name string) (string, error) {
	if path.Base(name) == "lsmod" {
		return "", fs.ErrNotExist
	}
	return r.fakeRunner.LookPath(name)
}

func (r refusingRunner) Run(ctx context.Context, c Cmd, w io.Writer) RunResult {
	if path.Base(c.Argv[0]) == "dmesg" {
		io.WriteString(w, "dmesg: read kernel buffer failed: Operation not permitted\n")
		return RunResult{ExitCode: 1}
	}
	return r.fakeRunner.Run(ctx, c, w)
}

// denyFS refuses some files with a permission error, as /proc/modules can
// be on a hardened host.
type denyFS struct {
	fs.FS
	deny map[string]bool
}

func (d denyFS) Open(name string) (fs.File, error) {
	if d.deny[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

// Without root, each missing item says whether it was absent or refused
// (with "run as root"), the summary counts the refusals as such, a
// refusal's complaint does not pass for an artifact, and the self-check's
// coverage says which rules could not look at the module list and why.
func TestUnprivilegedCollectionSaysWhatIsMissing(t *testing.T) {
	o, fr := fakeOptions(t, "fakehost", "linux")
	o.Runner = refusingRunner{fr}
	o.Root = denyFS{o.Root, map[string]bool{"proc/modules": true}}
	unpriv := true
	o.Unprivileged = &unpriv
	out, m, files := collectTo(t, o)

	byWhat := map[string]Record{}
	for _, r := range m.Records {
		byWhat[r.what()] = r
	}
	for _, tc := range []struct{ item, outcome, hint string }{
		{"sos_commands/kernel/dmesg", OutcomeNotPermitted, "run as root"},
		{"proc/modules", OutcomeNotPermitted, "run as root"},
		{"sos_commands/kernel/lsmod", OutcomeAbsent, ""},
		{"sos_commands/kernel/uname_-a", OutcomeCollected, ""},
	} {
		r, ok := byWhat[tc.item]
		if !ok {
			t.Errorf("no record for %s", tc.item)
			continue
		}
		if r.Outcome != tc.outcome || r.Hint != tc.hint {
			t.Errorf("%s: outcome %q hint %q, want %q %q (%+v)", tc.item, r.Outcome, r.Hint, tc.outcome, tc.hint, r)
		}
	}
	if _, ok := files["sos_commands/kernel/dmesg"]; ok {
		t.Errorf("dmesg's refusal was put in the bundle, where it passes for a kernel log")
	}
	if c := m.Count(); c.NotPermitted != 2 || c.Absent == 0 {
		t.Errorf("counts %+v: want 2 not permitted and the absent ones", c)
	}
	var sum bytes.Buffer
	m.WriteSummary(&sum, out)
	for _, want := range []string{"2 not permitted", "sos_commands/kernel/dmesg: not permitted", "run as root"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}

	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	res, err := analyze.Run(context.Background(), out, analyze.Options{Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	m.Explain(res)
	for _, c := range res.Coverage {
		if c.RuleID != "kernel.module-in-use" {
			continue
		}
		if c.Status != analyze.CoverageNotEvaluated || !strings.Contains(c.Reason, "no module list") ||
			!strings.Contains(c.Reason, "on this host: ") || !strings.Contains(c.Reason, "proc/modules: not permitted") ||
			!strings.Contains(c.Reason, "run as root") {
			t.Errorf("kernel.module-in-use coverage: %+v", c)
		}
		t.Logf("kernel.module-in-use: %s", c.Reason)
		return
	}
	t.Errorf("no coverage for kernel.module-in-use: %+v", res.Coverage)
}
