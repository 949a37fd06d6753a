package rules

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// TestLintRejectsSuperlinear: every construct whose cost grows faster than
// the facts is a lint error at its position, naming the replacement; the
// linear forms of the same queries load.
func TestLintRejectsSuperlinear(t *testing.T) {
	head := "id: t.x\ntitle: T\nseverity: low\n"
	tests := []struct {
		name, rule string
		want       string // a substring of the only error; "" when the rule must load
	}{
		{"uniq", head + "let:\n  c: uniq(map(OpenFiles, .Command))\nwhen: len(c) > 0\nmessage: m\n",
			"r.yaml:5:6: let c: uniq: uniq compares every pair of values (quadratic in the number of distinct values): use distinct(list)"},
		{"uniq in a message", head + "when: true\nmessage: '{{ join(uniq(map(Mounts, .FSType)), \", \") }}'\n",
			"use distinct(list)"},
		{"reduce", head + "when: 'reduce(OpenFiles, #acc + 1, 0) > 0'\nmessage: m\n",
			"reduce can copy its accumulator on every step (quadratic): use sumOf"},
		{"filter inside filter over facts", head + "let:\n  x: 'filter(OpenFiles, let o = #; any(Mounts, .Path == o.Name))'\nwhen: len(x) > 0\nmessage: m\n",
			"any over a list of facts runs once per element of the list filter walks"},
		{"in over a list of facts inside filter", head + "let:\n  names: map(Mounts, .Path)\n  x: filter(OpenFiles, .Name in names)\nwhen: len(x) > 0\nmessage: m\n",
			"`in` over a list of facts runs once per element"},
		{"in over a set is a lookup", head + "let:\n  names: set(map(Mounts, .Path))\n  x: filter(OpenFiles, .Name in names)\nwhen: len(x) > 0\nmessage: m\n", ""},
		{"scan inside filter over facts", head + "let:\n  x: filter(OpenFiles, len(ProcessesNamed(.Command)) > 0)\nwhen: len(x) > 0\nmessage: m\n",
			"ProcessesNamed reads every fact of its kind on each call, and here it runs once per element"},
		{"lookup inside filter over facts", head + "let:\n  x: filter(Mounts, len(MountsAt(.Path)) > 1)\nwhen: len(x) > 0\nmessage: m\n", ""},
		{"scan per for_each item", head + "for_each: GuardPoints()\nlet:\n  p: ProcessesNamed(it.Path)\nwhen: len(p) > 0\nmessage: m\n",
			"ProcessesNamed reads every fact of its kind on each call, and here it runs once per for_each item"},
		{"filter over all facts per for_each item", head + "for_each: GuardPoints()\nlet:\n  o: filter(OpenFiles, .Name == it.Path)\nwhen: len(o) > 0\nmessage: m\n",
			"filter over a list of facts runs once per for_each item"},
		{"lookup per for_each item, aggregates over its answer", head + "for_each: GuardPoints()\nlet:\n  o: OpenFilesUnder(it.Path)\n  n: countDistinct(map(o, .PID))\n  top: topN(map(o, .Command), 3)\nwhen: n > 0\nmessage: '{{ join(map(top, string(.Value)), \", \") }}'\n", ""},
		{"a let without it runs once, before the items", head + "for_each: GuardPoints()\nlet:\n  d: ProcessesInState(\"D\")\nwhen: len(d) > 0\nmessage: m\n", ""},
		{"iteration over a param is bounded", head + "params:\n  names: [a, b]\nlet:\n  x: flatten(map(names, PackagesNamed(#)))\nwhen: len(x) > 0\nmessage: m\n", ""},
		{"pipeline methods are not reachable", head + "when: FactCount() > 0\nmessage: m\n", "unknown name FactCount"},
		{"Merge is not reachable", head + "when: Merge != nil\nmessage: m\n", "unknown name Merge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errs LoadErrors
			r, _ := parseRule("r.yaml", []byte(tc.rule), &errs)
			var got []string
			for _, e := range errs.Errs {
				got = append(got, e.Error())
			}
			if tc.want == "" {
				if r == nil || len(got) > 0 {
					t.Fatalf("want the rule to load, got %q", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("got %q, want one error containing %q", got, tc.want)
			}
		})
	}
}

// TestHostFieldsCompile: every field of Host (a struct, not a list) can be
// used in when, let and evidence without crashing the compiler.
func TestHostFieldsCompile(t *testing.T) {
	for _, f := range []string{"Hostname", "OS", "Kernel", "Arch", "OSVersion", "CollectedAt"} {
		rule := "id: t.host\ntitle: T\nseverity: low\nlet:\n  v: Host." + f + "\nwhen: Host." + f + " == v\nevidence: Host.Sources\nmessage: '{{ Host." + f + " }}'\n"
		var errs LoadErrors
		if r, _ := parseRule("r.yaml", []byte(rule), &errs); r == nil || len(errs.Errs) > 0 {
			t.Errorf("Host.%s: %v", f, errs.Errs)
		}
	}
}

// TestReadmeListsEveryFunc: the rule author guide documents the whole
// function table.
func TestReadmeListsEveryFunc(t *testing.T) {
	b, err := os.ReadFile("../rules.d/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Funcs() {
		if !strings.Contains(string(b), "| `"+f.Sig+"` |") {
			t.Errorf("rules.d/README.md has no row for `%s`", f.Sig)
		}
	}
}

// TestAggregates: the aggregate helpers count with maps, keep first
// appearance order, and break ties by it.
func TestAggregates(t *testing.T) {
	list := []any{"b", "a", "b", "c", "a", "b"}
	if got := distinct(list); len(got) != 3 || got[0] != "b" || got[1] != "a" || got[2] != "c" {
		t.Errorf("distinct = %v", got)
	}
	if got := countDistinct([]int{1, 1, 2}); got != 2 {
		t.Errorf("countDistinct = %d", got)
	}
	top := topN(list, 2)
	if len(top) != 2 || top[0] != (Count{"b", 3}) || top[1] != (Count{"a", 2}) {
		t.Errorf("topN = %v", top)
	}
	if got := countBy(list); got["b"] != 3 || got["c"] != 1 {
		t.Errorf("countBy = %v", got)
	}
	if got := firstN([]int{4, 5, 6}, 2); len(got) != 2 || got[1] != 5 {
		t.Errorf("firstN = %v", got)
	}
	if !toSet([]string{"x"})["x"] || toSet([]string{"x"})["y"] {
		t.Error("set")
	}
	mn := fold([]int{3, 1, 2}, func(a, b float64) float64 { return min(a, b) })
	sum := fold([]int{3, 1, 2}, func(a, b float64) float64 { return a + b }, 0)
	if mn != 1 || sum != 6 {
		t.Errorf("min %v sum %v", mn, sum)
	}
}

// TestEveryModelFieldCompiles: each fact list of the model, and each
// field of its elements, can be named in a rule, checked and evaluated
// without crashing the compiler (Host once did).
func TestEveryModelFieldCompiles(t *testing.T) {
	mt := reflect.TypeOf(model.Model{})
	for i := 0; i < mt.NumField(); i++ {
		f := mt.Field(i)
		if !f.IsExported() {
			continue
		}
		exprs := []string{f.Name + " != nil"}
		et := f.Type
		for et.Kind() == reflect.Slice || et.Kind() == reflect.Map {
			et = et.Elem()
		}
		if et.Kind() == reflect.Struct {
			for j := 0; j < et.NumField(); j++ {
				if sf := et.Field(j); sf.IsExported() {
					switch f.Type.Kind() {
					case reflect.Struct:
						exprs = append(exprs, fmt.Sprintf("%s.%s != nil", f.Name, sf.Name))
					case reflect.Slice:
						exprs = append(exprs, fmt.Sprintf("len(map(%s, .%s)) >= 0", f.Name, sf.Name))
					}
				}
			}
		}
		for _, e := range exprs {
			rule := "id: t.f\ntitle: T\nseverity: low\nwhen: '" + e + "'\nmessage: m\n"
			var errs LoadErrors
			r, _ := parseRule("r.yaml", []byte(rule), &errs)
			if r == nil || len(errs.Errs) > 0 {
				t.Errorf("%s: %v", e, errs.Errs)
				continue
			}
			if _, evalErrs := newSet([]*Rule{r}).Evaluate(context.Background(), fixture()); len(evalErrs) > 0 {
				t.Errorf("%s: %v", e, evalErrs)
			}
		}
	}
}
