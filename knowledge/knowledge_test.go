package knowledge

import (
	"slices"
	"testing"

	"github.com/fsagent/triage/model"
)

func TestGuardPointsByAuthority(t *testing.T) {
	secMount := model.Mount{Device: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", Path: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", FSType: "secfs2"}
	self := model.Mount{Device: "/data", Path: "/data", FSType: "secfs2"}
	plain := model.Mount{Device: "/dev/sda1", Path: "/home", FSType: "ext4"}
	selfNoType := model.Mount{Device: "/db", Path: "/db", FSType: "ext4"}

	m := &model.Model{Mounts: []model.Mount{secMount, self, plain, selfNoType}}
	got := GuardPoints(m)
	if len(got) != 2 || got[0].Path != "/data" || got[0].Origin != "agent-mount" || got[1].Path != "/db" || got[1].Origin != "self-mount" {
		t.Fatalf("inferred guard points = %+v", got)
	}

	withStatus := &model.Model{Mounts: []model.Mount{secMount, self}, AgentStatus: []model.GuardStatus{{Path: "/secure", Status: "guarded"}}}
	got = GuardPoints(withStatus)
	if len(got) != 1 || got[0].Path != "/secure" || got[0].Origin != "agent-status" {
		t.Fatalf("status table must be authoritative, got %+v", got)
	}

	noAgent := &model.Model{Mounts: []model.Mount{plain, selfNoType}}
	if g := GuardPoints(noAgent); len(g) != 0 {
		t.Fatalf("no agent, no guard points; got %+v", g)
	}
}

func TestGuardPointCandidatesCoverGuardPoints(t *testing.T) {
	tests := []struct {
		name string
		m    *model.Model
		want []string
	}{
		{name: "status table", m: &model.Model{AgentStatus: []model.GuardStatus{{Path: "/data/"}, {Path: "/u01"}}}, want: []string{"/data", "/u01"}},
		{name: "agent mounts and self-mounts, agent not yet known", m: &model.Model{
			Mounts: []model.Mount{{Device: "/dev/sdb1", Path: "/secure", FSType: "ext4"}, {Device: "x", Path: "/g", FSType: "secfs2"},
				{Device: "/h", Path: "/h/", FSType: "ext4"}, {Device: "proc", Path: "/proc", FSType: "proc"}},
			DF: []model.DFEntry{{Filesystem: "/db", MountedOn: "/db"}, {Filesystem: "tmpfs", MountedOn: "/run"}},
		}, want: []string{"/db", "/g", "/h"}},
		{name: "nothing", m: &model.Model{Mounts: []model.Mount{{Device: "/dev/sda1", Path: "/", FSType: "xfs"}}}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := GuardPointCandidates(tc.m)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("candidates %q, want %q", got, tc.want)
			}
			for _, g := range GuardPoints(tc.m) {
				if !slices.Contains(got, g.Path) {
					t.Fatalf("guard point %s missing from candidates %q", g.Path, got)
				}
			}
		})
	}
}
