package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

type f struct{ rule, sev, subject, evidence string }

// doc builds a JSON report with the given findings and extra top-level or
// summary fields (raw JSON fragments).
func doc(t *testing.T, host string, complete string, coverage string, errs []string, fs ...f) []byte {
	t.Helper()
	d := report.Document{SchemaVersion: "1", Host: report.DocHost{Hostname: host},
		Findings: []report.DocFinding{}, Errors: []report.DocError{}}
	for _, x := range fs {
		d.Findings = append(d.Findings, report.DocFinding{RuleID: x.rule, Severity: x.sev, Subject: x.subject,
			Title: "title of " + x.rule, Message: "msg " + x.rule,
			Evidence: []report.DocEvidence{{Path: "var/log/messages", Line: 7, Text: x.evidence}}})
	}
	for _, e := range errs {
		d.Errors = append(d.Errors, report.DocError{RuleID: e, Message: "boom"})
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	// Reports written before completeness and coverage existed lack them.
	delete(m["summary"].(map[string]any), "complete")
	delete(m["summary"].(map[string]any), "incomplete")
	delete(m, "coverage")
	if complete != "" {
		m["summary"].(map[string]any)["complete"] = complete == "true"
	}
	if coverage != "" {
		var cov any
		if err := json.Unmarshal([]byte(coverage), &cov); err != nil {
			t.Fatal(err)
		}
		m["coverage"] = cov
	}
	b, _ = json.Marshal(m)
	return b
}

func parse(t *testing.T, b []byte, label string) *Report {
	t.Helper()
	r, err := Parse(b, label)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompare(t *testing.T) {
	busy := f{"gde.guardpoint-busy", "high", "/data", "lsof line"}
	hung := f{"kernel.hung-task", "high", "", "INFO: task blocked"}
	slab := f{"kernel.slab-growth", "medium", "names_cache", "slab"}
	tests := []struct {
		name     string
		old, new []byte
		want     map[Status][]string // rule ids per status
		note     string              // a substring of some note, when expected
	}{
		{"fixed: resolved and persisting, completeness unknown",
			doc(t, "h", "", "", nil, busy, hung), doc(t, "h", "", "", nil, hung),
			map[Status][]string{Resolved: {"gde.guardpoint-busy"}, Persisting: {"kernel.hung-task"}},
			"does not say whether the analysis was complete"},
		{"new finding",
			doc(t, "h", "true", "", nil), doc(t, "h", "true", "", nil, slab),
			map[Status][]string{New: {"kernel.slab-growth"}}, ""},
		{"new analysis incomplete: vanished finding is unverified",
			doc(t, "h", "true", "", nil, busy), doc(t, "h", "false", "", nil),
			map[Status][]string{Unverified: {"gde.guardpoint-busy"}}, "new analysis is incomplete"},
		{"coverage says not evaluated",
			doc(t, "h", "true", "", nil, busy, hung),
			doc(t, "h", "true", `[{"rule_id":"gde.guardpoint-busy","status":"not_evaluated","reason":"no lsof"},{"rule_id":"kernel.hung-task","status":"evaluated"}]`, nil),
			map[Status][]string{Unverified: {"gde.guardpoint-busy"}, Resolved: {"kernel.hung-task"}}, ""},
		{"rule failed on new bundle",
			doc(t, "h", "", "", nil, busy), doc(t, "h", "", "", []string{"gde.guardpoint-busy"}),
			map[Status][]string{Unverified: {"gde.guardpoint-busy"}}, ""},
		{"same rule, other subject: one resolved, one new",
			doc(t, "h", "true", "", nil, busy), doc(t, "h", "true", "", nil, f{"gde.guardpoint-busy", "high", "/srv", "x"}),
			map[Status][]string{Resolved: {"gde.guardpoint-busy"}, New: {"gde.guardpoint-busy"}}, ""},
		{"different hosts noted",
			doc(t, "a", "true", "", nil), doc(t, "b", "true", "", nil),
			map[Status][]string{}, "different hosts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compare(parse(t, tt.old, "old.json"), parse(t, tt.new, "new.json"))
			got := map[Status][]string{}
			for _, c := range res.Changes {
				got[c.Status] = append(got[c.Status], c.RuleID)
				if c.Status == Unverified && c.Reason == "" {
					t.Errorf("unverified %s without a reason", c.RuleID)
				}
			}
			for _, st := range []Status{New, Persisting, Unverified, Resolved} {
				if strings.Join(got[st], ",") != strings.Join(tt.want[st], ",") {
					t.Errorf("%s: got %v, want %v", st, got[st], tt.want[st])
				}
			}
			c := res.Summary
			if c.New != len(tt.want[New]) || c.Resolved != len(tt.want[Resolved]) || c.Persisting != len(tt.want[Persisting]) || c.Unverified != len(tt.want[Unverified]) {
				t.Errorf("summary %+v disagrees with %v", c, tt.want)
			}
			if tt.note != "" && !strings.Contains(strings.Join(res.Notes, "\n"), tt.note) {
				t.Errorf("notes %q lack %q", res.Notes, tt.note)
			}
		})
	}
}

func TestParseRefusesOtherJSON(t *testing.T) {
	if _, err := Parse([]byte(`{"ticket":"x"}`), "results.json"); err == nil || !strings.Contains(err.Error(), "results.json") {
		t.Errorf("a JSON file that is no report: err = %v", err)
	}
	if _, err := Parse([]byte(`not json`), "x"); err == nil {
		t.Error("non-JSON accepted")
	}
}

func TestNewAtOrAbove(t *testing.T) {
	res := Compare(parse(t, doc(t, "h", "", "", nil, f{"a", "critical", "", ""}), "o"),
		parse(t, doc(t, "h", "", "", nil, f{"a", "critical", "", ""}, f{"b", "medium", "", ""}, f{"c", "low", "", ""}), "n"))
	for sev, want := range map[rules.Severity]int{rules.Critical: 0, rules.High: 0, rules.Medium: 1, rules.Low: 2, rules.Info: 2} {
		if got := res.NewAtOrAbove(sev); got != want {
			t.Errorf("NewAtOrAbove(%s) = %d, want %d (persisting findings do not count)", sev, got, want)
		}
	}
}

// TestRenderEscapes feeds hostile evidence through every format.
func TestRenderEscapes(t *testing.T) {
	evil := "<script>alert(1)</script> | `x` \x1b[31mred"
	res := Compare(parse(t, doc(t, "h", "", "", nil), "o"),
		parse(t, doc(t, "h", "", "", nil, f{"gde.guardpoint-busy", "high", "<img src=x>", evil}), "n"))
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := Write(&buf, format, res); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := buf.String()
		if strings.Contains(out, "\x1b") {
			t.Errorf("%s: a terminal escape went through", format)
		}
		if format == "html" || format == "markdown" {
			if strings.Contains(out, "<script>") || strings.Contains(out, "<img") {
				t.Errorf("%s: markup from the bundle went through:\n%s", format, out)
			}
		}
		if format == "json" {
			var back Result
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Summary.New != 1 {
				t.Errorf("json does not read back: %v %+v", err, back.Summary)
			}
		}
		if !strings.Contains(out, "guardpoint-busy") {
			t.Errorf("%s: the rule id is missing", format)
		}
	}
	if err := Write(&bytes.Buffer{}, "yaml", res); err == nil || ValidFormat("yaml") {
		t.Error("an unknown format was accepted")
	}
}

// TestLoadBundleAndReport compares a scenario bundle with its own JSON
// report and with its fixed version (the nearmiss bundle).
func TestLoadBundleAndReport(t *testing.T) {
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	opts := analyze.Options{Rules: set}
	problem := filepath.Join("..", "testdata", "bundles", "gde-busy-flat")
	fixed := filepath.Join("..", "testdata", "bundles", "gde-busy-nearmiss")
	res, err := analyze.Run(context.Background(), problem, opts)
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := report.JSON(&js, res); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "old.json")
	os.WriteFile(saved, js.Bytes(), 0o644)

	old, err := Load(context.Background(), saved, opts)
	if err != nil {
		t.Fatal(err)
	}
	same, err := Load(context.Background(), problem, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := Compare(old, same); r.Summary.Persisting == 0 || r.Summary.New+r.Summary.Resolved+r.Summary.Unverified != 0 {
		t.Errorf("a bundle against its own report: %+v", r.Summary)
	}
	nm, err := Load(context.Background(), fixed, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(old, nm)
	found := false
	for _, c := range r.Changes {
		if c.RuleID == "gde.guardpoint-busy" && (c.Status == Resolved || c.Status == Unverified) {
			found = true
		}
	}
	if !found {
		t.Errorf("gde.guardpoint-busy should be gone in the fixed bundle: %+v", r.Changes)
	}
}
