package rules

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/model"
)

// TestTally: one field of the facts of several lists is counted in list
// order, ties keep first appearance, empty strings are skipped, zero
// numbers are not, and a field a fact lacks is an error.
func TestTally(t *testing.T) {
	open := []*model.OpenFile{{PID: 30, Command: "oracle", User: "ora"}, {PID: 10, Command: ""}, {PID: 30, Command: "oracle"}, {PID: 0, Command: "bash"}}
	users := []*model.FuserHit{{PID: 10, Command: "bash"}, {PID: 20}}
	cases := []struct {
		name     string
		field    string
		lists    []any
		items    int
		top      []Count
		sorted   []any
		values   []any
		errMatch string
	}{
		{name: "pids of open files and fuser hits", field: "PID", lists: []any{open, users}, items: 6,
			top: []Count{{30, 2}, {10, 2}}, values: []any{30, 10, 0, 20}, sorted: []any{0, 10, 20, 30}},
		{name: "commands, empty ones skipped", field: "Command", lists: []any{open, users}, items: 4,
			top: []Count{{"oracle", 2}, {"bash", 2}}, values: []any{"oracle", "bash"}, sorted: []any{"bash", "oracle"}},
		{name: "a field without a fast path, on a list of values", field: "User", lists: []any{[]model.OpenFile{*open[0], *open[1]}}, items: 1,
			top: []Count{{"ora", 1}}, values: []any{"ora"}, sorted: []any{"ora"}},
		{name: "no lists", field: "PID", top: []Count{}, values: []any{}, sorted: []any{}},
		{name: "a field facts lack", field: "Nope", lists: []any{open}, errMatch: "OpenFile has no field Nope"},
		{name: "not a list", field: "PID", lists: []any{7}, errMatch: "int is not a list"},
		{name: "not facts", field: "PID", lists: []any{[]int{1}}, errMatch: "not a fact with a field PID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tally(tc.field, tc.lists...)
			if tc.errMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMatch) {
					t.Fatalf("error %v, want one containing %q", err, tc.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Items != tc.items || got.Distinct() != len(tc.values) {
				t.Errorf("Items %d, Distinct %d; want %d, %d", got.Items, got.Distinct(), tc.items, len(tc.values))
			}
			if top := got.Top(2); !reflect.DeepEqual(top, tc.top) {
				t.Errorf("Top(2) = %v, want %v", top, tc.top)
			}
			if v := got.Values(); !reflect.DeepEqual(v, tc.values) {
				t.Errorf("Values() = %v, want %v", v, tc.values)
			}
			if v := got.Sorted(); !reflect.DeepEqual(v, tc.sorted) {
				t.Errorf("Sorted() = %v, want %v", v, tc.sorted)
			}
		})
	}
}

// tallyModel holds three guard points: /gp0 with open files from many
// processes (ties in the counts, rows without a command) and fuser hits,
// /gp1 with fuser hits only, /gp2 with nothing inside.
func tallyModel(rows int) *model.Model {
	m := &model.Model{}
	s := func(p string, n int) model.Source { return model.Source{Path: p, Line: n} }
	for i := 0; i < 3; i++ {
		m.Mounts = append(m.Mounts, model.Mount{Device: fmt.Sprintf("/gp%d", i), Path: fmt.Sprintf("/gp%d", i), FSType: "secfs2", Src: s("mount", i+1)})
	}
	cmds := []string{"oracle", "", "ora_dbw0", "bash", "java", "ora_lgwr", "sqlplus"}
	for i := 0; i < rows; i++ {
		pid := 9000 - (i*7)%997
		m.OpenFiles.Append(model.OpenFile{Command: cmds[(pid+i/3)%len(cmds)], PID: pid, FD: "3u", Type: "REG",
			Name: fmt.Sprintf("/gp0/data/f%d", i%50), Src: s("lsof", i+2)})
		if i%100 == 0 {
			m.OpenFiles.Append(model.OpenFile{Command: "bash", PID: 77, FD: "cwd", Type: "DIR", Name: "/gp2x/elsewhere", Src: s("lsof", rows+i+2)})
		}
	}
	for i := 0; i < 40; i++ {
		m.Fuser = append(m.Fuser, model.FuserHit{Path: fmt.Sprintf("/gp%d", i%2), PID: 100 + i%13, Access: "c", Command: cmds[i%len(cmds)], Src: s("fuser.out", i+1)})
	}
	return m
}

// TestTallyRuleMatchesMapRule: the shipped gde.guardpoint-busy, written
// with tally, and the same rule written with expr map passes
// (testdata/bench) give the same findings: subjects, messages, counts and
// evidence.
func TestTallyRuleMatchesMapRule(t *testing.T) {
	for _, rows := range []int{0, 3, 5000} {
		m := tallyModel(rows)
		a, b := runTallyPair(t, m)
		if len(a) == 0 {
			t.Fatalf("rows=%d: the shipped rule did not fire", rows)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("rows=%d: findings differ\ntally: %+v\nmaps:  %+v", rows, a, b)
		}
	}
}

// runTallyPair evaluates the shipped rule and its map-pass twin on m, and
// returns their findings without the rule ids.
func runTallyPair(t testing.TB, m *model.Model) (tallied, mapped []Finding) {
	t.Helper()
	shipped, err := LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	twin := mustLoad(t, "testdata/bench")
	env := modelEnv(m)
	run := func(r *Rule) []Finding {
		fs, err := r.run(context.Background(), time.Minute, 0, env, m, nil)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		for i := range fs {
			fs[i].RuleID, fs[i].KB = "", KB{}
		}
		return fs
	}
	return run(shipped.Rule("gde.guardpoint-busy")), run(twin.Rule("bench.guardpoint-busy-maps"))
}

// BenchmarkGuardPointBusyTally measures, in one run on the stress model
// (250,000 open files in one guard point from 60,000 processes), the
// shipped gde.guardpoint-busy against the same rule written with expr map
// passes, in ns and CPU ns per fact of the model:
//
//	go test ./rules -run '^$' -bench GuardPointBusyTally -benchtime 3x
func BenchmarkGuardPointBusyTally(b *testing.B) {
	m := stressModel()
	m.MountTree()
	facts := float64(m.FactCount())
	tallied, mapped := runTallyPair(b, m)
	if len(tallied) == 0 || !reflect.DeepEqual(tallied, mapped) {
		b.Fatalf("the two rules disagree on the stress model:\n%+v\n%+v", tallied, mapped)
	}
	shipped, err := LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	twin := mustLoad(b, "testdata/bench")
	env := modelEnv(m)
	for _, r := range []*Rule{twin.Rule("bench.guardpoint-busy-maps"), shipped.Rule("gde.guardpoint-busy")} {
		name := "tally"
		if r.ID != "gde.guardpoint-busy" {
			name = "map-passes"
		}
		b.Run(name, func(b *testing.B) {
			// Neither variant pays for the other's garbage.
			runtime.GC()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := r.run(context.Background(), time.Minute, 0, env, m, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/facts, "ns/fact")
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/facts, "cpu-ns/fact")
		})
	}
}
