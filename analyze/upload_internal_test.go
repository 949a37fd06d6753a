package analyze

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// An upload of many hosts names the first few and counts the rest, so the
// warning stays readable however many bundles were packed together.
func TestSeveralHostsBounded(t *testing.T) {
	var slots []*parsed
	for i := range 25 {
		slots = append(slots, &parsed{
			art:   Artifact{Path: fmt.Sprintf("h%02d/uname", i)},
			facts: &model.Model{Host: model.Host{Hostname: fmt.Sprintf("host%02d", i)}},
		})
	}
	ws := severalHosts(slots)
	if len(ws) != 1 {
		t.Fatalf("warnings %+v, want one", ws)
	}
	msg := ws[0].Msg
	if !strings.Contains(msg, "25 hosts") || !strings.Contains(msg, "host09 (h09/uname), and 15 more") || strings.Contains(msg, "host10") {
		t.Errorf("warning %q: want 25 hosts, the first 10 named, 15 more counted", msg)
	}
}
