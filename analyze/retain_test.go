package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
)

const retainLsof = `COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME
bash     2199 root  cwd    DIR  253,0     4096 10977282 /secure/data
sshd      901 root  txt    REG  253,0   916432   393240 /usr/sbin/sshd
sshd      901 root    3u  IPv4  41234      0t0      TCP 10.0.0.1:22->10.0.0.9:40022 (ESTABLISHED)
`

const retainMount = `/dev/sdb1 on /secure type ext4 (rw,relatime)
/secure on /secure type secfs2 (rw,relatime)
`

// TestLsofRowsFollowGuardPoints checks that lsof keeps only rows inside a
// possible guard point when a mount table precedes it in the bundle, counts
// the rest, and keeps every row naming a path when the guard points are not
// known yet.
func TestLsofRowsFollowGuardPoints(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		wantNames []string
		unkept    int
	}{
		{name: "mount table first: rows outside /secure counted, not kept",
			files: map[string]string{
				"sos_commands/filesys/mount_-l":        retainMount,
				"sos_commands/process/lsof_M_-n_-l_-c": retainLsof,
			},
			wantNames: []string{"/secure/data"}, unkept: 2},
		{name: "lsof first: every row naming a path kept",
			files:     map[string]string{"lsof.out": retainLsof, "mount.out": retainMount},
			wantNames: []string{"/secure/data", "/usr/sbin/sshd"}, unkept: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, body := range tc.files {
				full := filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := LoadModel(context.Background(), dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range m.OpenFiles {
				names = append(names, f.Name)
			}
			if len(names) != len(tc.wantNames) {
				t.Fatalf("open files %q, want %q", names, tc.wantNames)
			}
			for i := range names {
				if names[i] != tc.wantNames[i] {
					t.Fatalf("open files %q, want %q", names, tc.wantNames)
				}
			}
			if got := m.OpenFilesUnder("/secure"); len(got) != 1 || got[0].PID != 2199 {
				t.Fatalf("OpenFilesUnder(/secure) = %+v", got)
			}
			var st *model.LogStats
			for i := range m.LogStats {
				if m.LogStats[i].Kind == "lsof" {
					st = &m.LogStats[i]
				}
			}
			if st == nil || st.Unkept != tc.unkept || st.Kept != len(tc.wantNames) || st.Lines != 4 {
				t.Fatalf("lsof stats %+v, want kept %d unkept %d of 4 lines", st, len(tc.wantNames), tc.unkept)
			}
		})
	}
}

// TestLateGuardPointIsNotSilent: an agent status naming a guard point that
// the mount table read before lsof did not show comes after lsof; lsof's
// rows inside it were not kept, and the lsof artifact must say so.
func TestLateGuardPointIsNotSilent(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a/mount":  "/dev/sda1 on / type ext4 (rw)\n/dev/sdb1 on /secure type ext4 (rw)\n",
		"lsof.out": retainLsof,
		"secfsd-status.out": "GuardPoint  Policy   Type      ConfigState  Status   Reason\n" +
			"----------  ------   ----      -----------  ------   ------\n" +
			"/secure     pol1     local     guarded      guarded  N/A\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g := knowledge.GuardPoints(res.Model); len(g) != 1 || g[0].Path != "/secure" {
		t.Fatalf("guard points = %+v, want /secure from the status table", g)
	}
	var warned bool
	for _, a := range res.Inventory {
		for _, w := range a.Warnings {
			if a.Path == "lsof.out" && strings.Contains(w.Msg, "guard point /secure became known only after") {
				warned = true
			}
		}
	}
	if !warned {
		t.Fatalf("no warning on lsof.out about the late guard point; inventory: %+v", res.Inventory)
	}
}
