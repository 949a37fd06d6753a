package model

import (
	"cmp"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The methods in this file are the product-neutral derived views of a model:
// lookups by path, name and kind, slab growth series, the mount tree. They
// are built together, once, on the first query, and frozen: a model must not
// change after it has been queried (the pipeline merges every part first and
// queries after). Each query then costs a map lookup or a binary search plus
// the size of its answer, so a rule can call one per for_each item without
// rescanning the facts. Knowledge of particular products (which filesystem
// type is an encryption agent's, which directory its private mount uses)
// lives in package knowledge, not here.

// derived holds the views computed once from the raw facts.
type derived struct {
	built         bool      // the views exist: the model is frozen
	paths         pathIndex // see index.go
	slabSeries    []SlabSeries
	slabBest      map[string]int // cache -> index in slabSeries of its largest growth
	mountTree     []MountNode
	modFirst      map[string]int   // normalized module name -> first index in Modules
	modByListing  map[string][]int // listing (see listing) -> module indexes, newest (highest LoadOrder) first
	eventsByKind  map[string][]Event
	eventGroups   map[string][]EventGroup
	services      map[string]bool // init script names and Provides
	filesystems   map[string]bool
	unfinished    map[string][]Syscall // by call name; "" holds every unfinished call
	slowest       []int                // indexes of completed calls with a duration, longest first
	initByName    map[string]int
	procByCommand map[string][]int
	pkgByName     map[string][]int
}

func (m *Model) ensure() {
	m.once.Do(func() {
		d := &m.derived
		d.built = true
		d.paths = m.buildPathIndex()
		d.slabSeries = m.computeSlabSeries()
		d.slabBest = map[string]int{}
		for i, s := range d.slabSeries {
			if j, ok := d.slabBest[s.Cache]; !ok || s.Delta > d.slabSeries[j].Delta {
				d.slabBest[s.Cache] = i
			}
		}
		d.mountTree = m.computeMountTree()
		d.modFirst = map[string]int{}
		d.modByListing = map[string][]int{}
		for i, mod := range m.Modules {
			n := normModule(mod.Name)
			if _, ok := d.modFirst[n]; !ok {
				d.modFirst[n] = i
			}
			l := listing(mod.Src)
			d.modByListing[l] = append(d.modByListing[l], i)
		}
		for _, idx := range d.modByListing {
			sort.SliceStable(idx, func(a, b int) bool { return m.Modules[idx[a]].LoadOrder > m.Modules[idx[b]].LoadOrder })
		}
		d.eventsByKind = map[string][]Event{}
		d.eventGroups = map[string][]EventGroup{}
		groupAt := map[[2]string]int{}
		for _, e := range m.Events {
			d.eventsByKind[e.Kind] = append(d.eventsByKind[e.Kind], e)
			k := [2]string{e.Kind, e.Subject}
			i, ok := groupAt[k]
			if !ok {
				i = len(d.eventGroups[e.Kind])
				groupAt[k] = i
				d.eventGroups[e.Kind] = append(d.eventGroups[e.Kind], EventGroup{Name: e.Subject})
			}
			g := &d.eventGroups[e.Kind][i]
			g.Events = append(g.Events, e)
		}
		d.services = map[string]bool{}
		for _, s := range m.Services {
			d.services[s.Name] = true
		}
		d.initByName = map[string]int{}
		for i, s := range m.InitScripts {
			d.services[s.Name] = true
			for _, p := range s.Provides {
				d.services[p] = true
			}
			if _, ok := d.initByName[s.Name]; !ok {
				d.initByName[s.Name] = i
			}
		}
		d.filesystems = map[string]bool{}
		for _, f := range m.Filesystems {
			d.filesystems[f.Name] = true
		}
		d.unfinished = map[string][]Syscall{}
		for i, c := range m.Syscalls {
			if c.Unfinished {
				d.unfinished[""] = append(d.unfinished[""], c)
				d.unfinished[c.Name] = append(d.unfinished[c.Name], c)
			}
			if c.Duration > 0 {
				d.slowest = append(d.slowest, i)
			}
		}
		// Slowest first, equal durations in file order (a million calls:
		// pdqsort with the index as tie-break, not a stable sort).
		slices.SortFunc(d.slowest, func(a, b int) int {
			if c := cmp.Compare(m.Syscalls[b].Duration, m.Syscalls[a].Duration); c != 0 {
				return c
			}
			return a - b
		})
		d.procByCommand = map[string][]int{}
		for i, p := range m.Processes {
			d.procByCommand[p.Command] = append(d.procByCommand[p.Command], i)
		}
		d.pkgByName = map[string][]int{}
		for i, p := range m.Packages {
			if !p.NotInstalled {
				d.pkgByName[p.Name] = append(d.pkgByName[p.Name], i)
			}
		}
	})
}

// Within reports whether p is dir or lies inside it, comparing whole path
// components: /home contains /home/a but not /homework.
func Within(p, dir string) bool {
	p, dir = cleanPath(p), cleanPath(dir)
	if p == "" || dir == "" {
		return false
	}
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// CleanPath is path.Clean that keeps an empty path empty.
func CleanPath(p string) string { return cleanPath(p) }

func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean(p)
}

// OpenFilesUnder lists, in file order, the lsof lines whose name is dir or
// lies inside it (open files, working directories, roots, mapped files).
func (m *Model) OpenFilesUnder(dir string) []OpenFile {
	m.ensure()
	idx := m.derived.paths.open.under(dir)
	if len(idx) == 0 {
		return nil
	}
	out := make([]OpenFile, len(idx))
	for i, j := range idx {
		out[i] = m.OpenFiles[j].Fact()
	}
	return out
}

// OpenFileRefsUnder is OpenFilesUnder without making the facts: pointers to
// the model's rows, which must not be changed through them. A busy guard
// point holds hundreds of thousands of rows; rules read them by reference.
func (m *Model) OpenFileRefsUnder(dir string) []*OpenFileRow {
	m.ensure()
	return refs(m.OpenFiles, m.derived.paths.open.under(dir))
}

// FuserRefsUnder is FuserUnder without copying the facts (see
// OpenFileRefsUnder).
func (m *Model) FuserRefsUnder(dir string) []*FuserHit {
	m.ensure()
	return refs(m.Fuser, m.derived.paths.fuser.under(dir))
}

// FuserUnder lists, in file order, the fuser hits of real processes (not
// kernel pseudo-rows) for dir or any path inside it.
func (m *Model) FuserUnder(dir string) []FuserHit {
	m.ensure()
	return pick(m.Fuser, m.derived.paths.fuser.under(dir))
}

// MountsInside lists, in file order, the mounts strictly inside dir (not dir
// itself), one per mount point (its first line).
func (m *Model) MountsInside(dir string) []Mount {
	m.ensure()
	d := cleanPath(dir)
	var out []Mount
	seen := map[string]bool{}
	for _, i := range m.derived.paths.mounts.under(dir) {
		p := m.derived.paths.mounts.at(int(i))
		if p == d || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, m.Mounts[i])
	}
	return out
}

// MountsAt lists the mount-table lines whose mount point is exactly p.
func (m *Model) MountsAt(p string) []Mount {
	m.ensure()
	return pick(m.Mounts, m.derived.paths.mountsAt[cleanPath(p)])
}

// MountsOfType lists the mounts whose filesystem type matches a glob
// ("fuse*", "nfs?", "secfs2"). It reads every mount.
func (m *Model) MountsOfType(glob string) []Mount {
	var out []Mount
	for _, mt := range m.Mounts {
		if globMatch(glob, mt.FSType) {
			out = append(out, mt)
		}
	}
	return out
}

// MountNode is a mount placed in the mount tree.
type MountNode struct {
	Mount  Mount `json:"mount"`
	Parent int   `json:"parent"` // index in the tree of the closest enclosing mount; -1 for a root
	Depth  int   `json:"depth"`
}

// MountTree places each mount point once (the last mount over a path is the
// visible one) under the closest mount that contains it, sorted by path.
func (m *Model) MountTree() []MountNode {
	m.ensure()
	return m.derived.mountTree
}

func (m *Model) computeMountTree() []MountNode {
	last := map[string]Mount{}
	for _, mt := range m.Mounts {
		last[cleanPath(mt.Path)] = mt
	}
	paths := make([]string, 0, len(last))
	for p := range last {
		if p != "" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	nodes := make([]MountNode, len(paths))
	index := map[string]int{}
	for i, p := range paths {
		nodes[i] = MountNode{Mount: last[p], Parent: -1}
		index[p] = i
		for q := p; q != "/" && q != "." && q != ""; {
			q = path.Dir(q)
			if j, ok := index[q]; ok && j != i {
				nodes[i].Parent = j
				nodes[i].Depth = nodes[j].Depth + 1
				break
			}
		}
	}
	return nodes
}

// ModuleLoaded reports whether a kernel module of that name is loaded
// ("-" and "_" are the same to the kernel).
func (m *Model) ModuleLoaded(name string) bool {
	m.ensure()
	_, ok := m.derived.modFirst[normModule(name)]
	return ok
}

// ModuleByName lists the first loaded module of exactly that name ("-" and
// "_" are the same), or nothing.
func (m *Model) ModuleByName(name string) []Module {
	m.ensure()
	if i, ok := m.derived.modFirst[normModule(name)]; ok {
		return []Module{m.Modules[i]}
	}
	return nil
}

// ModulesNamed lists loaded modules whose name matches a glob ("secfs*"),
// one per name. A glob without wildcards is a lookup; others read every
// module.
func (m *Model) ModulesNamed(glob string) []Module {
	if !hasMeta(glob) {
		return m.ModuleByName(glob)
	}
	g := normModule(glob)
	var out []Module
	seen := map[string]bool{}
	for _, mod := range m.Modules {
		n := normModule(mod.Name)
		if !seen[n] && globMatch(g, n) {
			seen[n] = true
			out = append(out, mod)
		}
	}
	return out
}

// ModuleLoadOrderLost reports whether the first listing that holds the named
// module was sorted by name (supportconfig's "lsmod | sort"), so that no
// rule can tell from it which modules were loaded after it.
func (m *Model) ModuleLoadOrderLost(name string) bool {
	m.ensure()
	i, ok := m.derived.modFirst[normModule(name)]
	return ok && m.Modules[i].OrderLost
}

// listing names the module listing a module was read from: its file and
// the section of the file.
func listing(s Source) string { return s.Path + "\x00" + s.Section }

func normModule(s string) string { return strings.ReplaceAll(s, "-", "_") }

func hasMeta(glob string) bool { return strings.ContainsAny(glob, `*?[\`) }

// ModulesLoadedAfter lists the modules loaded after the named one, newest
// first, from the first listing (lsmod, /proc/modules, genkex) that holds it.
// It is empty when that listing was sorted by name (see
// ModuleLoadOrderLost): the order it would need is gone.
// Modules loaded later may have hooked the same system calls.
func (m *Model) ModulesLoadedAfter(name string) []Module {
	m.ensure()
	ri, ok := m.derived.modFirst[normModule(name)]
	if !ok || m.Modules[ri].OrderLost {
		return nil
	}
	ref := m.Modules[ri]
	idx := m.derived.modByListing[listing(ref.Src)]
	n := sort.Search(len(idx), func(i int) bool { return m.Modules[idx[i]].LoadOrder <= ref.LoadOrder })
	if n == 0 {
		return nil
	}
	return pick(m.Modules, idx[:n])
}

// SlabSeries is one slab cache followed across the samples of one series.
type SlabSeries struct {
	Series    string       `json:"series"`
	Cache     string       `json:"cache"`
	Samples   []SlabSample `json:"samples"`
	First     int64        `json:"first"` // active objects in the first sample
	Last      int64        `json:"last"`  // active objects in the last sample
	Delta     int64        `json:"delta"`
	GrowthPct float64      `json:"growth_pct"` // Delta as a percentage of First (100 per doubling)
	// Monotonic is true when the cache never shrank between two samples and
	// grew overall: the shape of a leak rather than of normal churn.
	Monotonic bool `json:"monotonic"`
	// DeltaBytes is Delta times the object size of the last sample.
	DeltaBytes int64 `json:"delta_bytes"`
}

// SlabSeriesAll lists every cache of every slab series that has at least two
// samples, ordered by series then cache.
func (m *Model) SlabSeriesAll() []SlabSeries {
	m.ensure()
	return m.derived.slabSeries
}

// SlabGrowth returns the series of the named cache with the largest growth,
// or an empty series (no samples) when the cache was not sampled twice.
func (m *Model) SlabGrowth(cache string) SlabSeries {
	m.ensure()
	if i, ok := m.derived.slabBest[cache]; ok {
		return m.derived.slabSeries[i]
	}
	return SlabSeries{}
}

func (m *Model) computeSlabSeries() []SlabSeries {
	// One stable sort by series, cache and sample, then a walk over its
	// runs: the same order as grouping in a map and sorting each group,
	// without a map and a slice per cache (that was 5 % of a batch of
	// small bundles). Each series' Samples is a run of the sorted copy.
	// The indices are sorted (pdqsort, the index as the tie-break gives
	// the stable order), then the samples are copied once in that order.
	idx := make([]int32, len(m.Slabs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(x, y int32) int {
		a, b := &m.Slabs[x], &m.Slabs[y]
		if c := cmp.Compare(a.Series, b.Series); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Cache, b.Cache); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Sample, b.Sample); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	all := make([]SlabSample, len(idx))
	for k, i := range idx {
		all[k] = m.Slabs[i]
	}
	var out []SlabSeries
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].Series == all[i].Series && all[j].Cache == all[i].Cache {
			j++
		}
		ss := all[i:j:j]
		i = j
		if len(ss) < 2 {
			continue
		}
		first, last := ss[0], ss[len(ss)-1]
		s := SlabSeries{Series: first.Series, Cache: first.Cache, Samples: ss,
			First: first.ActiveObjs, Last: last.ActiveObjs, Delta: last.ActiveObjs - first.ActiveObjs}
		if s.First > 0 {
			s.GrowthPct = float64(s.Delta) * 100 / float64(s.First)
		}
		s.DeltaBytes = s.Delta * last.ObjSize
		s.Monotonic = s.Delta > 0
		for i := 1; i < len(ss); i++ {
			if ss[i].ActiveObjs < ss[i-1].ActiveObjs {
				s.Monotonic = false
			}
		}
		out = append(out, s)
	}
	return out
}

// UnfinishedCalls lists the system calls that never returned within the
// capture; name narrows them to one call ("mount"), "" keeps all.
func (m *Model) UnfinishedCalls(name string) []Syscall {
	m.ensure()
	return m.derived.unfinished[name]
}

// SlowestCalls lists up to n completed calls with the longest -T durations,
// longest first (all of them when n is negative).
func (m *Model) SlowestCalls(n int) []Syscall {
	m.ensure()
	idx := m.derived.slowest
	if n >= 0 && len(idx) > n {
		idx = idx[:n]
	}
	return pick(m.Syscalls, idx)
}

// EventsOf lists the log events of one kind (see the Event* constants), in
// file order.
func (m *Model) EventsOf(kind string) []Event {
	m.ensure()
	return m.derived.eventsByKind[kind]
}

// EventGroup is the events of one kind about one subject, in file order.
// Name is the subject ("" for events about no particular subject).
type EventGroup struct {
	Name   string  `json:"name"`
	Events []Event `json:"events"`
}

// EventGroups lists the events of one kind grouped by subject, in the order
// each subject first appears.
func (m *Model) EventGroups(kind string) []EventGroup {
	m.ensure()
	return m.derived.eventGroups[kind]
}

// ProcessesNamed lists the processes whose command matches a glob. A glob
// without wildcards is a lookup; others read every process.
func (m *Model) ProcessesNamed(glob string) []Process {
	m.ensure()
	if !hasMeta(glob) {
		return pick(m.Processes, m.derived.procByCommand[glob])
	}
	var out []Process
	for _, p := range m.Processes {
		if globMatch(glob, p.Command) {
			out = append(out, p)
		}
	}
	return out
}

// ProcessesInState lists the processes whose STAT starts with the letter
// given ("D" for uninterruptible sleep).
func (m *Model) ProcessesInState(state string) []Process {
	if state == "" {
		return nil
	}
	var out []Process
	for _, p := range m.Processes {
		if strings.HasPrefix(p.State, state) {
			out = append(out, p)
		}
	}
	return out
}

// InitScriptNamed returns the init script of that file name, or an empty
// one (Name == "") when the bundle has none.
func (m *Model) InitScriptNamed(name string) InitScript {
	m.ensure()
	if i, ok := m.derived.initByName[name]; ok {
		return m.InitScripts[i]
	}
	return InitScript{}
}

// PackagesNamed lists the installed packages whose name matches a glob
// (rows of packages that are not installed, like dpkg's "rc", are left
// out). A glob without wildcards is a lookup; others read every package.
func (m *Model) PackagesNamed(glob string) []Package {
	m.ensure()
	if !hasMeta(glob) {
		return pick(m.Packages, m.derived.pkgByName[glob])
	}
	var out []Package
	for _, p := range m.Packages {
		if !p.NotInstalled && globMatch(glob, p.Name) {
			out = append(out, p)
		}
	}
	return out
}

// HasService reports whether a service is present on the host: an init
// script (by name or Provides), a service manager's listing (chkconfig,
// systemctl), a package or a running process of that name.
func (m *Model) HasService(name string) bool {
	m.ensure()
	if m.derived.services[name] {
		return true
	}
	return len(m.PackagesNamed(name)) > 0 || len(m.ProcessesNamed(name)) > 0
}

// FilesystemRegistered reports whether /proc/filesystems lists the type.
func (m *Model) FilesystemRegistered(name string) bool {
	m.ensure()
	return m.derived.filesystems[name]
}

// pick returns the facts at the given indexes, in that order; nil for none.
func pick[T any, I int | int32](facts []T, idx []I) []T {
	if len(idx) == 0 {
		return nil
	}
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = facts[j]
	}
	return out
}

// refs returns pointers to the facts at the given indexes, in that order.
func refs[T any, I int | int32](facts []T, idx []I) []*T {
	out := make([]*T, len(idx))
	for i, j := range idx {
		out[i] = &facts[j]
	}
	return out
}

// globMatch matches a name against a shell glob; a malformed glob matches
// nothing rather than failing a rule.
func globMatch(glob, name string) bool {
	ok, err := path.Match(glob, name)
	return err == nil && ok
}

// CompareVersions compares two dotted versions numerically, component by
// component ("1.6.2" < "1.7" < "1.10"); a non-numeric component compares as
// text. It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' || r == '_' || r == '+' })
	}
	pa, pb := split(a), split(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		x, y := "0", "0" // a missing component counts as zero: 1.6 == 1.6.0
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, ex := strconv.Atoi(x)
		ny, ey := strconv.Atoi(y)
		switch {
		case x == y:
			continue
		case ex == nil && ey == nil:
			if nx < ny {
				return -1
			}
			return 1
		case x < y:
			return -1
		default:
			return 1
		}
	}
	return 0
}
