package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// `secfsd -status guard` output of the Vormetric / Thales CTE / IBM GDE
// agent: a header "GuardPoint Policy Type ConfigState Status Reason", a
// dashes line, then one row per guard point. The columns are not aligned
// under the header in published output, so rows are split on whitespace;
// the Reason may hold spaces and takes the rest of the line.

func init() {
	Register(&Parser{
		Name: "secfsd-status",
		Kind: KindAgentStatus,
		Doc:  "The encryption agent's guard-point table (secfsd -status guard).",
		Paths: []string{
			"secfsd-status*", "secfsd_status*", "secfsd*status*", "guardpoints.txt", "guardpoints*",
			"guard_points*", "status_guard*",
		},
		Sniff: sniffAgentStatus,
		Parse: parseAgentStatus,
	})
}

func sniffAgentStatus(h *Head) bool {
	for _, l := range h.nonBlankRows(5) {
		if agentStatusHeader(l) {
			return true
		}
	}
	return false
}

func agentStatusHeader(l string) bool {
	f := strings.Fields(l)
	return len(f) >= 3 && strings.EqualFold(f[0], "GuardPoint") && strings.EqualFold(f[1], "Policy") && strings.EqualFold(f[2], "Type")
}

func parseAgentStatus(in *Input, out *model.Model) {
	header := false
	for in.Next() {
		t := in.Text()
		trimmed := strings.TrimSpace(t)
		switch {
		case trimmed == "":
			continue
		case agentStatusHeader(t):
			header = true
			continue
		case strings.Trim(trimmed, "- \t") == "":
			continue
		}
		f := strings.Fields(t)
		if !header || !strings.HasPrefix(f[0], "/") {
			// Banner or message lines ("No guard points", errors) are
			// reported so that a missing table is visible.
			in.Warnf("not a guard-point row (expected \"/path policy type configstate status reason\" after the header): %q", excerpt(t))
			continue
		}
		sp := fields(t)
		g := model.GuardStatus{Path: f[0], Src: in.Src()}
		if len(f) < 5 {
			in.Warnf("guard-point row has %d of 6 columns; kept with the columns present", len(f))
		}
		cells := []*string{&g.Policy, &g.Type, &g.ConfigState, &g.Status}
		for i, p := range cells {
			if i+1 < len(f) {
				*p = f[i+1]
			}
		}
		if len(sp) > 5 {
			g.Reason = strings.TrimSpace(t[sp[5].start:])
		}
		out.AgentStatus = append(out.AgentStatus, g)
	}
}
