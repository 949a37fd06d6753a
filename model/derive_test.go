package model

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
)

func TestWithinComparesWholeComponents(t *testing.T) {
	cases := []struct {
		p, dir string
		want   bool
	}{
		{"/home", "/home", true},
		{"/home/a/b", "/home", true},
		{"/homework", "/home", false},
		{"/home/", "/home", true},
		{"/x", "/", true},
		{"relative", "/", false},
		{"", "/home", false},
		{"/data/../etc", "/data", false},
	}
	for _, c := range cases {
		if got := Within(c.p, c.dir); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.p, c.dir, got, c.want)
		}
	}
}

func TestMountsInsideAndOpenFilesUnder(t *testing.T) {
	m := &Model{
		Mounts: []Mount{
			{Path: "/home", FSType: "ext3"},
			{Path: "/home/user", FSType: "ext3"},
			{Path: "/home/user", FSType: "ext3"}, // seen in a second table
			{Path: "/homework", FSType: "ext3"},
		},
		OpenFiles: OpenFilesOf(
			OpenFile{PID: 1, Name: "/home/user/a"},
			OpenFile{PID: 2, Name: "/homework/b"},
			OpenFile{PID: 3, Name: "socket:[123]"},
			OpenFile{PID: 4, Name: "/homework/../home//c/"}, // cleaned, it lies in /home
			OpenFile{PID: 5, Name: "/home"},
			OpenFile{PID: 6, Name: "/home/./user/x"},
		),
	}
	in := m.MountsInside("/home")
	if len(in) != 1 || in[0].Path != "/home/user" {
		t.Fatalf("MountsInside = %+v", in)
	}
	var pids []int
	for _, f := range m.OpenFilesUnder("/home/") {
		pids = append(pids, f.PID)
	}
	if !slices.Equal(pids, []int{1, 4, 5, 6}) {
		t.Fatalf("OpenFilesUnder(/home/) pids = %v, want 1 4 5 6 in file order", pids)
	}
	if of := m.OpenFilesUnder("/home/user"); len(of) != 2 || of[0].PID != 1 || of[1].PID != 6 {
		t.Fatalf("OpenFilesUnder(/home/user) = %+v", of)
	}
	if n := len(m.OpenFileRefsUnder("/")); n != 5 {
		t.Fatalf("OpenFileRefsUnder(/) = %d facts, want every path", n)
	}
	if of := m.OpenFilesUnder("/nothing"); of != nil {
		t.Fatalf("OpenFilesUnder(/nothing) = %+v", of)
	}
}

func TestModulesLoadedAfterUsesLoadOrder(t *testing.T) {
	src := Source{Path: "lsmod"}
	m := &Model{Modules: []Module{
		{Name: "lshook", LoadOrder: 3, Src: src},
		{Name: "other", LoadOrder: 2, Src: src},
		{Name: "secfs2", LoadOrder: 1, Src: src},
		{Name: "ext4", LoadOrder: 0, Src: src},
	}}
	var names []string
	for _, x := range m.ModulesLoadedAfter("secfs2") {
		names = append(names, x.Name)
	}
	if !reflect.DeepEqual(names, []string{"lshook", "other"}) {
		t.Fatalf("ModulesLoadedAfter = %v", names)
	}
	if m.ModulesLoadedAfter("absent") != nil {
		t.Fatal("absent module must give nil")
	}
}

func TestSlabSeriesMonotonicAndFluctuating(t *testing.T) {
	mk := func(series, cache string, n int, objs int64) SlabSample {
		return SlabSample{Series: series, Cache: cache, Sample: n, ActiveObjs: objs, ObjSize: 4096}
	}
	m := &Model{Slabs: []SlabSample{
		mk("slabtop", "names_cache", 1, 100), mk("slabtop", "names_cache", 2, 150), mk("slabtop", "names_cache", 3, 400),
		mk("slabtop", "dentry", 1, 100), mk("slabtop", "dentry", 2, 50), mk("slabtop", "dentry", 3, 120),
		mk("slabtop", "lonely", 1, 5),
	}}
	g := m.SlabGrowth("names_cache")
	if !g.Monotonic || g.Delta != 300 || g.GrowthPct != 300 || g.DeltaBytes != 300*4096 {
		t.Fatalf("names_cache = %+v", g)
	}
	if d := m.SlabGrowth("dentry"); d.Monotonic {
		t.Fatalf("fluctuating cache marked monotonic: %+v", d)
	}
	if l := m.SlabGrowth("lonely"); len(l.Samples) != 0 {
		t.Fatalf("a single sample is no series: %+v", l)
	}
}

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.6", "1.7", -1}, {"1.6.2", "1.7", -1}, {"1.10", "1.7", 1}, {"1.6", "1.6.0", 0},
		{"1.7.0-1234", "1.7", 1}, {"2.0", "1.9.9", 1}, {"1.6a", "1.6b", -1},
	}
	for _, c := range cases {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestPackagesNamedLeavesOutNotInstalled: a dpkg "rc" row (removed, its
// configuration kept) is a fact of the model but no rule sees the package
// as installed, by exact name or by glob, nor as a service.
func TestPackagesNamedLeavesOutNotInstalled(t *testing.T) {
	m := &Model{Packages: []Package{
		{Name: "nails", Version: "1.0", State: "rc", Manager: "dpkg", NotInstalled: true},
		{Name: "nails-doc", Version: "1.0", State: "ii", Manager: "dpkg"},
	}}
	if got := m.PackagesNamed("nails"); len(got) != 0 {
		t.Errorf("PackagesNamed(nails) = %+v, want none: the package was removed", got)
	}
	if got := m.PackagesNamed("nails*"); len(got) != 1 || got[0].Name != "nails-doc" {
		t.Errorf("PackagesNamed(nails*) = %+v, want only nails-doc", got)
	}
	if m.HasService("nails") {
		t.Error("HasService(nails) is true for a removed package")
	}
	if len(m.Packages) != 2 {
		t.Error("the rc row must stay in the model")
	}
}

// TestViewsAreFrozen: the derived views are built once, on the first
// query; merging more facts into a queried model is refused instead of
// leaving the views stale.
func TestViewsAreFrozen(t *testing.T) {
	m := &Model{Mounts: []Mount{{Path: "/a", Src: Source{Path: "mount", Line: 1}}}}
	if got := m.MountsAt("/a"); len(got) != 1 {
		t.Fatalf("MountsAt = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Merge into a queried model must panic")
		}
	}()
	m.Merge(&Model{Mounts: []Mount{{Path: "/a", Src: Source{Path: "mount2", Line: 1}}}})
}

// TestSlabSeriesOrder checks the series against the plain definition
// (group by series and cache, order each group by sample keeping the input
// order of equal samples, groups by series then cache) on shuffled input
// with repeated sample numbers.
func TestSlabSeriesOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var slabs []SlabSample
	for range 600 {
		slabs = append(slabs, SlabSample{
			Series: []string{"slabtop", "proc/slabinfo", "a"}[rng.IntN(3)], Sample: rng.IntN(4),
			Cache: fmt.Sprintf("cache-%d", rng.IntN(40)), ActiveObjs: rng.Int64N(1000), ObjSize: 64,
			Src: Source{Line: len(slabs) + 1},
		})
	}
	type key struct{ series, cache string }
	groups := map[key][]SlabSample{}
	var keys []key
	for _, s := range slabs {
		k := key{s.Series, s.Cache}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].series != keys[j].series {
			return keys[i].series < keys[j].series
		}
		return keys[i].cache < keys[j].cache
	})
	var want [][]SlabSample
	for _, k := range keys {
		ss := groups[k]
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].Sample < ss[j].Sample })
		if len(ss) >= 2 {
			want = append(want, ss)
		}
	}
	got := (&Model{Slabs: slabs}).computeSlabSeries()
	if len(got) != len(want) {
		t.Fatalf("%d series, want %d", len(got), len(want))
	}
	for i, s := range got {
		if !reflect.DeepEqual(s.Samples, want[i]) {
			t.Fatalf("series %d (%s %s): samples differ from the grouped and stably sorted ones", i, s.Series, s.Cache)
		}
		if s.First != want[i][0].ActiveObjs || s.Last != want[i][len(want[i])-1].ActiveObjs {
			t.Fatalf("series %d: first/last %d/%d", i, s.First, s.Last)
		}
	}
}

// TestPathIndexLarge checks the index where it is built in two halves and
// merged (parallelSortMin facts or more) and answers through a bitmap
// (512 indexes or more), against a scan of every fact: the same order,
// ties in fact order, cleaned paths, and OpenFileRefsUnder in fact order.
func TestPathIndexLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 12))
	names := []string{"/secure/db/a.dbf", "/secure/db/b.dbf", "/secure", "/secure//db/./c.dbf", "/securex/d", "/tmp/x", "pipe:[9]", "/secure/db/../logs/e.log", "/", "/secure/db"}
	n := parallelSortMin + 1001
	var files []OpenFile
	for i := range n {
		name := names[r.IntN(len(names))]
		if r.IntN(3) == 0 {
			name = fmt.Sprintf("/secure/db/f%d", r.IntN(5000))
		}
		files = append(files, OpenFile{PID: i + 1, Name: name})
	}
	m := &Model{OpenFiles: OpenFilesOf(files...)}
	m.ensure()
	idx := m.derived.paths.open

	// The order is every fact with an absolute path, by cleaned path, then index.
	var want []int32
	for i, f := range files {
		if len(f.Name) > 0 && f.Name[0] == '/' {
			want = append(want, int32(i))
		}
	}
	sort.SliceStable(want, func(a, b int) bool { return cleanPath(files[want[a]].Name) < cleanPath(files[want[b]].Name) })
	if !slices.Equal(idx.order, want) {
		t.Fatalf("order differs from a stable sort by cleaned path (%d against %d entries)", len(idx.order), len(want))
	}
	for i, f := range files {
		if len(f.Name) > 0 && f.Name[0] == '/' && idx.at(i) != cleanPath(f.Name) {
			t.Fatalf("fact %d: at = %q, want %q", i, idx.at(i), cleanPath(f.Name))
		}
	}

	for _, dir := range []string{"/secure", "/secure/db", "/secure/logs", "/", "/tmp", "/securex", "/nothing"} {
		var scan []int
		for i, f := range files {
			if len(f.Name) > 0 && f.Name[0] == '/' && Within(cleanPath(f.Name), dir) {
				scan = append(scan, i+1) // the PID is the index + 1
			}
		}
		var got []int
		for _, f := range m.OpenFileRefsUnder(dir) {
			got = append(got, f.PID())
		}
		if !slices.Equal(got, scan) {
			t.Errorf("OpenFileRefsUnder(%q): %d facts, want %d in fact order", dir, len(got), len(scan))
		}
	}
}
