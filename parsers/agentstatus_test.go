package parsers

import (
	"testing"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
)

func TestAgentStatusParse(t *testing.T) {
	m, warns := parseString(t, "secfsd-status", "secfsd-status.out", readTestdata(t, "agent-status", "secfsd_status_guard.txt"))
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	want := []model.GuardStatus{
		{Path: "/opt/apps/apps1/tmp", Policy: "allowAllOps_fs", Type: "local", ConfigState: "guarded", Status: "guarded", Reason: "N/A"},
		{Path: "/opt/apps/apps1/lib", Policy: "allowAllRootUsers_fs", Type: "local", ConfigState: "guarded", Status: "guarded", Reason: "N/A"},
		{Path: "/opt/apps/apps2/bin", Policy: "allowAllOps_fs", Type: "manual", ConfigState: "unguarded", Status: "not_guarded", Reason: "Not mounted yet"},
	}
	if len(m.AgentStatus) != len(want) {
		t.Fatalf("got %d rows: %+v", len(m.AgentStatus), m.AgentStatus)
	}
	for i, w := range want {
		g := m.AgentStatus[i]
		if g.Src.Line != i+3 || g.Src.Path != "secfsd-status.out" {
			t.Errorf("row %d source %+v", i, g.Src)
		}
		g.Src = model.Source{}
		if g != w {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	// Guard points derived from the table are authoritative.
	if gp := knowledge.GuardPoints(m); len(gp) != 3 || gp[0].Origin != "agent-status" {
		t.Errorf("guard points %+v", gp)
	}

	cases := []struct {
		name, content string
		rows, warns   int
	}{
		{"no header", "/opt/a p local guarded guarded N/A\n", 0, 1},
		{"error message", "secfsd: cannot connect to the agent\n", 0, 1},
		{"short row kept", "GuardPoint Policy Type ConfigState Status Reason\n---\n/opt/a p local\n", 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "secfsd-status", "guardpoints.txt", c.content)
			if len(m.AgentStatus) != c.rows || len(warns) != c.warns {
				t.Errorf("rows %+v warnings %v", m.AgentStatus, warns)
			}
		})
	}
}

func FuzzAgentStatus(f *testing.F) {
	sysAddSeeds(f, "agent-status")
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "secfsd-status", data) })
}
