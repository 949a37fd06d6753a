package rules

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
)

// Cost says what one call of a rule function costs, in the facts it reads.
// Lint uses it to keep every rule linear: a Scan inside an iteration over
// a list of facts would read all facts once per element.
type Cost int

const (
	// Lookup is a map lookup or binary search on a view built once per
	// model, plus the size of the answer.
	Lookup Cost = iota
	// Scan reads every fact of one kind. Call it once (in a let), never
	// inside filter/map over facts or in a for_each item's expressions
	// that depend on `it`.
	Scan
	// Linear is linear in the size of the list it is given (the
	// aggregates).
	Linear
)

// String names the cost as lint messages and `rules funcs` print it.
func (c Cost) String() string {
	return [...]string{"lookup", "scan", "linear in its list"}[c]
}

// Size says how long a list a function returns, relative to the facts, so
// lint can tell an iteration over a handful of items from one over every
// fact.
type Size int

const (
	// Scalar: not a list.
	Scalar Size = iota
	// Bounded: at most a constant number of items (a param, topN(x, 5)).
	Bounded
	// PerKey: the facts of one key (one directory, one name); over the
	// distinct keys of a rule they add up to at most the facts once.
	PerKey
	// All: up to every fact of a kind.
	All
	// AsArg: the size of the list argument (distinct, set).
	AsArg
)

// Func is one function of the rule query library: the only way a rule
// reaches the model besides its plain fact lists (Mounts, OpenFiles, ...).
// OpenFiles and OpenFilesUnder hold packed rows (model.OpenFileRow) that
// rules read with OpenFile's field names (see rowFields).
// Pipeline methods of the model (Merge, FilterPaths, ...) are not in it.
type Func struct {
	// Name is what a rule calls it by.
	Name string
	// Sig is the call as rule authors write it, with the result type.
	Sig string
	// Doc says what it returns, for rules.d/README.md and `rules funcs`.
	Doc string
	// Cost and Result are what the cost lint reads to keep rules linear.
	Cost   Cost
	Result Size
	// bind returns the Go function for one model's views.
	bind func(q *query) any
}

// query is what the functions of one evaluation read: the model, frozen,
// and the product views computed once from it.
type query struct {
	m     *model.Model
	agent knowledge.Agent
}

func newQuery(m *model.Model) *query {
	return &query{m: m, agent: knowledge.Of(m)}
}

// static binds a function that reads no model (a helper on values).
func static(f any) func(*query) any { return func(*query) any { return f } }

// funcTable lists every rule function, by name. Keep rules.d/README.md in
// step (a test checks it lists every name).
var funcTable = []Func{
	{Name: "GuardPoints", Sig: "GuardPoints() []GuardPoint", Cost: Lookup, Result: All,
		Doc:  "the encryption agent's guard points: its status table when present, else agent-type mounts and self-mounts",
		bind: func(q *query) any { return func() []knowledge.GuardPoint { return q.agent.GuardPoints } }},
	{Name: "AgentPresent", Sig: "AgentPresent() bool", Cost: Lookup, Result: Scalar,
		Doc:  "the bundle shows the encryption agent: its private mount, a mount of its type, its status table or its module",
		bind: func(q *query) any { return func() bool { return q.agent.Present } }},
	{Name: "OpenFilesUnder", Sig: "OpenFilesUnder(dir) []OpenFile", Cost: Lookup, Result: PerKey,
		Doc:  "lsof rows whose name is dir or inside it, in file order",
		bind: func(q *query) any { return q.m.OpenFileRefsUnder }},
	{Name: "FuserUnder", Sig: "FuserUnder(dir) []FuserHit", Cost: Lookup, Result: PerKey,
		Doc:  "fuser hits of real processes for dir or a path inside it, in file order",
		bind: func(q *query) any { return q.m.FuserRefsUnder }},
	{Name: "MountsInside", Sig: "MountsInside(dir) []Mount", Cost: Lookup, Result: PerKey,
		Doc:  "mounts strictly inside dir, one per mount point, without the agent's private mount",
		bind: func(q *query) any { return func(dir string) []model.Mount { return knowledge.NestedMounts(q.m, dir) } }},
	{Name: "MountsAt", Sig: "MountsAt(path) []Mount", Cost: Lookup, Result: PerKey,
		Doc:  "mount-table lines whose mount point is exactly path",
		bind: func(q *query) any { return q.m.MountsAt }},
	{Name: "MountsOfType", Sig: "MountsOfType(glob) []Mount", Cost: Scan, Result: All,
		Doc:  "mounts whose filesystem type matches a glob (\"fuse*\")",
		bind: func(q *query) any { return q.m.MountsOfType }},
	{Name: "MountTree", Sig: "MountTree() []MountNode", Cost: Lookup, Result: All,
		Doc:  "each mount point once, under the closest mount containing it, sorted by path",
		bind: func(q *query) any { return q.m.MountTree }},
	{Name: "ModuleLoaded", Sig: "ModuleLoaded(name) bool", Cost: Lookup, Result: Scalar,
		Doc:  "a kernel module of that name is loaded (- and _ are the same)",
		bind: func(q *query) any { return q.m.ModuleLoaded }},
	{Name: "ModuleByName", Sig: "ModuleByName(name) []Module", Cost: Lookup, Result: PerKey,
		Doc:  "the loaded module of exactly that name, as a list of zero or one",
		bind: func(q *query) any { return q.m.ModuleByName }},
	{Name: "ModulesNamed", Sig: "ModulesNamed(glob) []Module", Cost: Scan, Result: All,
		Doc:  "loaded modules whose name matches a glob, one per name (a name without wildcards is a lookup)",
		bind: func(q *query) any { return q.m.ModulesNamed }},
	{Name: "ModulesLoadedAfter", Sig: "ModulesLoadedAfter(name) []Module", Cost: Lookup, Result: PerKey,
		Doc:  "modules loaded after the named one in its listing, newest first",
		bind: func(q *query) any { return q.m.ModulesLoadedAfter }},
	{Name: "ModuleLoadOrderLost", Sig: "ModuleLoadOrderLost(name) bool", Cost: Lookup, Result: Scalar,
		Doc:  "the listing holding the module was sorted by name, so ModulesLoadedAfter cannot tell what came later",
		bind: func(q *query) any { return q.m.ModuleLoadOrderLost }},
	{Name: "SlabSeriesAll", Sig: "SlabSeriesAll() []SlabSeries", Cost: Lookup, Result: All,
		Doc:  "every slab cache of every series sampled at least twice, by series then cache",
		bind: func(q *query) any { return q.m.SlabSeriesAll }},
	{Name: "SlabGrowth", Sig: "SlabGrowth(cache) SlabSeries", Cost: Lookup, Result: Scalar,
		Doc:  "the series of that cache with the largest growth; no Samples when not sampled twice",
		bind: func(q *query) any { return q.m.SlabGrowth }},
	{Name: "UnfinishedCalls", Sig: "UnfinishedCalls(name) []Syscall", Cost: Lookup, Result: All,
		Doc:  "system calls that never returned; name narrows to one call, \"\" keeps all",
		bind: func(q *query) any { return q.m.UnfinishedCalls }},
	{Name: "SlowestCalls", Sig: "SlowestCalls(n) []Syscall", Cost: Lookup, Result: Bounded,
		Doc:  "up to n completed calls with the longest durations, longest first",
		bind: func(q *query) any { return q.m.SlowestCalls }},
	{Name: "EventsOf", Sig: "EventsOf(kind) []Event", Cost: Lookup, Result: All,
		Doc:  "log events of one kind, in file order",
		bind: func(q *query) any { return q.m.EventsOf }},
	{Name: "EventGroups", Sig: "EventGroups(kind) []EventGroup", Cost: Lookup, Result: All,
		Doc:  "events of one kind grouped by subject (.Name, .Events), in order of first appearance",
		bind: func(q *query) any { return q.m.EventGroups }},
	{Name: "ProcessesNamed", Sig: "ProcessesNamed(glob) []Process", Cost: Scan, Result: All,
		Doc:  "processes whose command matches a glob (a name without wildcards is a lookup)",
		bind: func(q *query) any { return q.m.ProcessesNamed }},
	{Name: "ProcessesInState", Sig: "ProcessesInState(letter) []Process", Cost: Scan, Result: All,
		Doc:  "processes whose STAT starts with the letter (\"D\")",
		bind: func(q *query) any { return q.m.ProcessesInState }},
	{Name: "InitScriptNamed", Sig: "InitScriptNamed(name) InitScript", Cost: Lookup, Result: Scalar,
		Doc:  "the init script of that file name; Name == \"\" when absent",
		bind: func(q *query) any { return q.m.InitScriptNamed }},
	{Name: "PackagesNamed", Sig: "PackagesNamed(glob) []Package", Cost: Scan, Result: All,
		Doc:  "installed packages whose name matches a glob (a name without wildcards is a lookup)",
		bind: func(q *query) any { return q.m.PackagesNamed }},
	{Name: "HasService", Sig: "HasService(name) bool", Cost: Scan, Result: Scalar,
		Doc:  "an init script, package or process of that name exists",
		bind: func(q *query) any { return q.m.HasService }},
	{Name: "FilesystemRegistered", Sig: "FilesystemRegistered(name) bool", Cost: Lookup, Result: Scalar,
		Doc:  "/proc/filesystems lists the type",
		bind: func(q *query) any { return q.m.FilesystemRegistered }},
	{Name: "within", Sig: "within(path, dir) bool", Cost: Lookup, Result: Scalar,
		Doc:  "path is dir or inside it, by whole components",
		bind: static(model.Within)},
	{Name: "versionLess", Sig: "versionLess(a, b) bool", Cost: Lookup, Result: Scalar,
		Doc:  "a < b as numeric dotted versions (1.6.2 < 1.7 < 1.10)",
		bind: static(versionLess)},
	{Name: "distinct", Sig: "distinct(list) []any", Cost: Linear, Result: AsArg,
		Doc:  "the distinct values of a list, in order of first appearance (replaces uniq)",
		bind: static(distinct)},
	{Name: "countDistinct", Sig: "countDistinct(list) int", Cost: Linear, Result: Scalar,
		Doc:  "how many distinct values a list holds",
		bind: static(countDistinct)},
	{Name: "countBy", Sig: "countBy(list) map[any]int", Cost: Linear, Result: AsArg,
		Doc:  "how often each value occurs",
		bind: static(countBy)},
	{Name: "topN", Sig: "topN(list, n) []Count", Cost: Linear, Result: Bounded,
		Doc:  "the n most frequent values (.Value, .Count), most frequent first, ties in order of first appearance",
		bind: static(topN)},
	{Name: "tally", Sig: "tally(field, list...) Tally", Cost: Linear, Result: Scalar,
		Doc:  "counts one field of the facts of the lists in one pass (empty strings skipped): .Items, .Distinct(), .Top(n), .Values(), .Sorted(); an aggregate given a Tally counts its values. Replaces map(list, .Field) passes",
		bind: static(tally)},
	{Name: "firstN", Sig: "firstN(list, n) []any", Cost: Linear, Result: Bounded,
		Doc:  "the first n items of a list",
		bind: static(firstN)},
	{Name: "set", Sig: "set(list) map[any]bool", Cost: Linear, Result: AsArg,
		Doc:  "the values of a list as a set: `x in s` is then a lookup, not a scan",
		bind: static(toSet)},
	{Name: "minOf", Sig: "minOf(list) number", Cost: Linear, Result: Scalar,
		Doc:  "the smallest number of a list (0 for none)",
		bind: static(minOf)},
	{Name: "maxOf", Sig: "maxOf(list) number", Cost: Linear, Result: Scalar,
		Doc:  "the largest number of a list (0 for none)",
		bind: static(maxOf)},
	{Name: "sumOf", Sig: "sumOf(list) number", Cost: Linear, Result: Scalar,
		Doc:  "the sum of the numbers of a list",
		bind: static(sumOf)},
}

// Funcs lists the rule function table, by name, for documentation.
func Funcs() []Func {
	out := slices.Clone(funcTable)
	slices.SortFunc(out, func(a, b Func) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

var funcByName = func() map[string]*Func {
	m := make(map[string]*Func, len(funcTable))
	for i := range funcTable {
		m[funcTable[i].Name] = &funcTable[i]
	}
	return m
}()

// versionLess is the rule helper for numeric dotted versions.
func versionLess(a, b string) bool { return model.CompareVersions(a, b) < 0 }

// Count is one value of topN with how often it occurs.
type Count struct {
	Value any `json:"value"`
	Count int `json:"count"`
}

// items walks a list of any element type (without reflection for the
// lists expr builds and the plain ones).
func items(list any, f func(v any)) {
	switch l := list.(type) {
	case []any:
		for _, v := range l {
			f(v)
		}
		return
	case []string:
		for _, v := range l {
			f(v)
		}
		return
	case []int:
		for _, v := range l {
			f(v)
		}
		return
	}
	v := reflect.ValueOf(list)
	if !v.IsValid() || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array) {
		return
	}
	for i := 0; i < v.Len(); i++ {
		f(v.Index(i).Interface())
	}
}

// key makes a value usable as a map key: comparable values as they are,
// others (lists, maps) by their printed form.
func key(v any) any {
	if v == nil || reflect.TypeOf(v).Comparable() {
		return v
	}
	return fmt.Sprint(v)
}

func distinct(list any) []any {
	seen := map[any]bool{}
	out := []any{}
	items(list, func(v any) {
		if k := key(v); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	})
	return out
}

func countDistinct(list any) int {
	seen := map[any]bool{}
	items(list, func(v any) { seen[key(v)] = true })
	return len(seen)
}

func countBy(list any) map[any]int {
	out := map[any]int{}
	items(list, func(v any) { out[key(v)]++ })
	return out
}

func topN(list any, n int) []Count { return mostFrequent(countValues(list), n) }

// countValues counts each distinct value of a list, in order of first
// appearance.
func countValues(list any) []Count {
	at := map[any]int{}
	var counts []Count
	items(list, func(v any) {
		k := key(v)
		i, ok := at[k]
		if !ok {
			i = len(counts)
			at[k] = i
			counts = append(counts, Count{Value: v})
		}
		counts[i].Count++
	})
	return counts
}

// mostFrequent sorts counts (in order of first appearance) most frequent
// first, keeping that order among ties, and keeps the first n; a negative
// n keeps all. It never returns nil, so a rule sees an empty list.
func mostFrequent(counts []Count, n int) []Count {
	sort.SliceStable(counts, func(i, j int) bool { return counts[i].Count > counts[j].Count })
	if n >= 0 && len(counts) > n {
		counts = counts[:n]
	}
	if counts == nil {
		counts = []Count{}
	}
	return counts
}

func firstN(list any, n int) []any {
	out := []any{}
	v := reflect.ValueOf(list)
	if !v.IsValid() || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array) {
		return out
	}
	for i := 0; i < v.Len() && i < n; i++ {
		out = append(out, v.Index(i).Interface())
	}
	return out
}

func toSet(list any) map[any]bool {
	out := map[any]bool{}
	items(list, func(v any) { out[key(v)] = true })
	return out
}

func minOf(l any) float64 { return fold(l, func(a, b float64) float64 { return min(a, b) }) }
func maxOf(l any) float64 { return fold(l, func(a, b float64) float64 { return max(a, b) }) }
func sumOf(l any) float64 { return fold(l, func(a, b float64) float64 { return a + b }, 0) }

// fold combines the numbers of a list; start, when given, is the value for
// an empty list and the first operand, else the first number is.
func fold(list any, f func(a, b float64) float64, start ...float64) float64 {
	acc, have := 0.0, false
	if len(start) > 0 {
		acc, have = start[0], true
	}
	items(list, func(v any) {
		x, ok := number(v)
		if !ok {
			return
		}
		if !have {
			acc, have = x, true
			return
		}
		acc = f(acc, x)
	})
	return acc
}

func number(v any) (float64, bool) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(r.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(r.Uint()), true
	case reflect.Float32, reflect.Float64:
		return r.Float(), true
	}
	return 0, false
}

// modelEnv is what an expression sees of a model: its exported fact lists
// by field name (a struct field such as Host by pointer, which expr's
// checker needs to look into it), and the function table bound to the
// model's views. With a zero model it is the type environment.
func modelEnv(m *model.Model) map[string]any {
	return bindEnv(newQuery(m))
}

func bindEnv(q *query) map[string]any {
	env := make(map[string]any, 64)
	v := reflect.ValueOf(q.m).Elem()
	st := v.Type()
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			env[f.Name] = v.Field(i).Addr().Interface()
		} else {
			env[f.Name] = v.Field(i).Interface()
		}
	}
	for i := range funcTable {
		env[funcTable[i].Name] = funcTable[i].bind(q)
	}
	return env
}
