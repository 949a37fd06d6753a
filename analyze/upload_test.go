package analyze_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/archivetest"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

// TestUploadShapes: whatever a customer uploads is analyzed: one pasted
// output, one lone agent log, one compressed file (listed with its real
// size), or two hosts' bundles at once (analyzed with a warning naming both).
func TestUploadShapes(t *testing.T) {
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	lsof := "COMMAND  PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n" +
		"oracle  4410 1001 cwd DIR 253,4 4096 2 /data/oracle\n" +
		"sshd    1187 0    3u IPv4 21344 0t0 TCP *:22 (LISTEN)\n"
	secfsLog := "2024-11-05 13:41:10 mod_fini: unload requested\n2024-11-05 13:41:10 mod_fini: Intercepts superceded - failing unload\n"
	run := func(t *testing.T, p string) *analyze.Result {
		t.Helper()
		res, err := analyze.Run(context.Background(), p, analyze.Options{Rules: set})
		if err != nil {
			t.Fatalf("analyze.Run(%s): %v", p, err)
		}
		return res
	}
	t.Run("pasted lsof output", func(t *testing.T) {
		res := run(t, archivetest.Write(t, "paste.txt", []byte(lsof)))
		if res.Bundle.Format != "file" || len(res.Inventory) != 1 || res.Inventory[0].Kind != parsers.KindLsof ||
			res.Inventory[0].Size != int64(len(lsof)) || res.Inventory[0].Facts == 0 {
			t.Fatalf("format %s inventory %+v", res.Bundle.Format, res.Inventory)
		}
	})
	t.Run("lone secfs.log", func(t *testing.T) {
		res := run(t, archivetest.Write(t, "secfs.log", []byte(secfsLog)))
		fired := false
		for _, f := range res.Findings {
			fired = fired || f.RuleID == "gde.syscall-chaining"
		}
		if len(res.Inventory) != 1 || res.Inventory[0].Kind != parsers.KindAgentLog || !fired {
			t.Fatalf("inventory %+v findings %+v", res.Inventory, res.Findings)
		}
	})
	t.Run("one compressed file", func(t *testing.T) {
		for _, comp := range []string{"gz", "xz", "zst", "bz2"} {
			res := run(t, archivetest.Write(t, "lsof.out."+comp, archivetest.Compress(t, comp, []byte(lsof))))
			if len(res.Inventory) != 1 || res.Inventory[0].Size != int64(len(lsof)) || res.Inventory[0].Kind != parsers.KindLsof {
				t.Errorf("%s: inventory %+v, want one lsof artifact of %d bytes", comp, res.Inventory, len(lsof))
			}
		}
		res := run(t, archivetest.Write(t, "lsof.out.Z", archivetest.CompressZ(t, []byte(lsof), 16)))
		if len(res.Inventory) != 1 || res.Inventory[0].Size != int64(len(lsof)) {
			t.Errorf("Z: inventory %+v, want %d bytes", res.Inventory, len(lsof))
		}
	})
	t.Run("two hosts", func(t *testing.T) {
		dir := t.TempDir()
		write := func(name, body string) {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("sosreport-dbhost07-0042-2026-11-20-xk3pq7t/hostname", "dbhost07.example.com\n")
		write("scc_appsrv02_241105_1342/basic-environment.txt", "#==[ Command ]======================================#\n# /bin/uname -a\n"+
			"Linux appsrv02 5.14.21-150500.55.65-default #1 SMP PREEMPT_DYNAMIC Thu May 23 04:57:11 UTC 2024 (a46829d) x86_64 x86_64 x86_64 GNU/Linux\n")
		res := run(t, dir)
		var msg string
		for _, w := range res.Warnings {
			if strings.Contains(w.Msg, "hosts") {
				msg = w.Msg
			}
		}
		for _, want := range []string{"2 hosts", "dbhost07.example.com (sosreport-dbhost07", "appsrv02 (scc_appsrv02_241105_1342/basic-environment.txt)"} {
			if !strings.Contains(msg, want) {
				t.Errorf("warning %q does not say %q", msg, want)
			}
		}
	})
	t.Run("one host named twice", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "scc_db01_241105_1342"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "scc_db01_241105_1342", "hostname"), []byte("DB01.example.com\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, w := range run(t, dir).Warnings {
			if strings.Contains(w.Msg, "hosts") {
				t.Errorf("one host under two spellings gave %q", w.Msg)
			}
		}
	})
}
