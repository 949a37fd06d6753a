package model

import (
	"path"
	"sort"
	"strconv"
	"strings"
)

// The methods in this file are the derived facts that rules call by name
// (rules.d/README.md lists them). They are computed from the raw facts once,
// on first use, so a model must not be changed after a rule has read it.

// derived holds the facts computed once from the raw ones.
type derived struct {
	guardPoints []GuardPoint
	slabSeries  []SlabSeries
	paths       pathIndex // see index.go
}

func (m *Model) ensure() {
	m.once.Do(func() {
		m.derived.paths = m.buildPathIndex() // first: the others may query it
		m.derived.guardPoints = m.computeGuardPoints()
		m.derived.slabSeries = m.computeSlabSeries()
	})
}

// GuardPoint is a directory protected by the encryption agent, and where
// that knowledge came from.
type GuardPoint struct {
	Path string `json:"path"`
	// Origin names the evidence, by authority: "agent-status" (the agent's
	// own table), "agent-mount" (a mount of the agent's filesystem type),
	// "self-mount" (a mount whose source equals its mount point while the
	// agent is present).
	Origin string `json:"origin"`
	Status string `json:"status,omitempty"`
	Src    Source `json:"src"`
}

// agentFSTypes are the filesystem types the encryption agent mounts over a
// guarded directory.
var agentFSTypes = map[string]bool{"secfs": true, "secfs2": true}

// agentDirMarker is part of the path of the agent's own private mount.
const agentDirMarker = "/agent/secfs/.sec"

// GuardPoints lists the encryption agent's guard points. When the agent's
// own status table is in the bundle it is authoritative and used alone;
// otherwise guard points are inferred from the mount table and df.
func (m *Model) GuardPoints() []GuardPoint {
	m.ensure()
	return m.derived.guardPoints
}

func (m *Model) computeGuardPoints() []GuardPoint {
	var out []GuardPoint
	seen := map[string]bool{}
	add := func(g GuardPoint) {
		g.Path = cleanPath(g.Path)
		if g.Path == "" || seen[g.Path] || strings.Contains(g.Path, agentDirMarker) {
			return
		}
		seen[g.Path] = true
		out = append(out, g)
	}
	for _, s := range m.AgentStatus {
		add(GuardPoint{Path: s.Path, Origin: "agent-status", Status: s.Status, Src: s.Src})
	}
	if len(out) > 0 {
		return out
	}
	for _, mt := range m.Mounts {
		if agentFSTypes[mt.FSType] {
			add(GuardPoint{Path: mt.Path, Origin: "agent-mount", Src: mt.Src})
		}
	}
	if !m.AgentPresent() {
		return out
	}
	for _, mt := range m.Mounts {
		if mt.Device != "" && cleanPath(mt.Device) == cleanPath(mt.Path) && strings.HasPrefix(mt.Device, "/") {
			add(GuardPoint{Path: mt.Path, Origin: "self-mount", Src: mt.Src})
		}
	}
	for _, d := range m.DF {
		if d.Filesystem != "" && cleanPath(d.Filesystem) == cleanPath(d.MountedOn) && strings.HasPrefix(d.Filesystem, "/") {
			add(GuardPoint{Path: d.MountedOn, Origin: "self-mount", Src: d.Src})
		}
	}
	return out
}

// AgentPresent reports whether the bundle shows the encryption agent on the
// host: its private .sec mount, a mount of its filesystem type, its status
// table, or its kernel module.
func (m *Model) AgentPresent() bool {
	if len(m.AgentStatus) > 0 {
		return true
	}
	for _, mt := range m.Mounts {
		if agentFSTypes[mt.FSType] || strings.Contains(mt.Path, agentDirMarker) {
			return true
		}
	}
	for _, d := range m.DF {
		if strings.Contains(d.MountedOn, agentDirMarker) {
			return true
		}
	}
	return m.ModuleLoaded("secfs2") || m.ModuleLoaded("secfs")
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

func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean(p)
}

// OpenFilesUnder lists the lsof lines whose name is dir or lies inside it
// (open files, working directories, roots, mapped files).
func (m *Model) OpenFilesUnder(dir string) []OpenFile {
	m.ensure()
	return factsWithin(m.OpenFiles, m.derived.paths.open, dir)
}

// FuserUnder lists the fuser hits of real processes (not kernel pseudo-rows)
// for dir or any path inside it.
func (m *Model) FuserUnder(dir string) []FuserHit {
	m.ensure()
	return factsWithin(m.Fuser, m.derived.paths.fuser, dir)
}

// MountsInside lists the mounts strictly inside dir (not dir itself), one
// per mount point, leaving out the agent's own private mount.
func (m *Model) MountsInside(dir string) []Mount {
	m.ensure()
	var out []Mount
	seen := map[string]bool{}
	d := cleanPath(dir)
	for i, p := range m.derived.paths.mounts {
		if p == d || !withinClean(p, d) || seen[p] || strings.Contains(p, agentDirMarker) {
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
	var out []Mount
	for _, i := range m.derived.paths.mountsAt[cleanPath(p)] {
		out = append(out, m.Mounts[i])
	}
	return out
}

// MountsOfType lists the mounts whose filesystem type matches a glob
// ("fuse*", "nfs?", "secfs2").
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
	_, ok := m.findModule(name)
	return ok
}

// ModulesNamed lists loaded modules whose name matches a glob ("secfs*").
func (m *Model) ModulesNamed(glob string) []Module {
	var out []Module
	seen := map[string]bool{}
	for _, mod := range m.Modules {
		n := normModule(mod.Name)
		if !seen[n] && globMatch(normModule(glob), n) {
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
	ref, ok := m.findModule(name)
	return ok && ref.OrderLost
}

func normModule(s string) string { return strings.ReplaceAll(s, "-", "_") }

func (m *Model) findModule(name string) (Module, bool) {
	n := normModule(name)
	for _, mod := range m.Modules {
		if normModule(mod.Name) == n {
			return mod, true
		}
	}
	return Module{}, false
}

// ModulesLoadedAfter lists the modules loaded after the named one, newest
// first, from the first listing (lsmod, /proc/modules, genkex) that holds it.
// It is empty when that listing was sorted by name (see
// ModuleLoadOrderLost): the order it would need is gone.
// Modules loaded later may have hooked the same system calls.
func (m *Model) ModulesLoadedAfter(name string) []Module {
	ref, ok := m.findModule(name)
	if !ok || ref.OrderLost {
		return nil
	}
	var out []Module
	for _, mod := range m.Modules {
		if mod.Src.Path == ref.Src.Path && mod.Src.Section == ref.Src.Section && mod.LoadOrder > ref.LoadOrder {
			out = append(out, mod)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LoadOrder > out[j].LoadOrder })
	return out
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
	var best SlabSeries
	found := false
	for _, s := range m.SlabSeriesAll() {
		if s.Cache == cache && (!found || s.Delta > best.Delta) {
			best, found = s, true
		}
	}
	return best
}

func (m *Model) computeSlabSeries() []SlabSeries {
	type key struct{ series, cache string }
	groups := map[key][]SlabSample{}
	var keys []key
	for _, s := range m.Slabs {
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
	var out []SlabSeries
	for _, k := range keys {
		ss := groups[k]
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].Sample < ss[j].Sample })
		if len(ss) < 2 {
			continue
		}
		first, last := ss[0], ss[len(ss)-1]
		s := SlabSeries{Series: k.series, Cache: k.cache, Samples: ss,
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
	var out []Syscall
	for _, c := range m.Syscalls {
		if c.Unfinished && (name == "" || c.Name == name) {
			out = append(out, c)
		}
	}
	return out
}

// SlowestCalls lists up to n completed calls with the longest -T durations,
// longest first.
func (m *Model) SlowestCalls(n int) []Syscall {
	var out []Syscall
	for _, c := range m.Syscalls {
		if c.Duration > 0 {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Duration > out[j].Duration })
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// EventsOf lists the log events of one kind (see the Event* constants).
func (m *Model) EventsOf(kind string) []Event {
	var out []Event
	for _, e := range m.Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// ProcessesNamed lists the processes whose command matches a glob.
func (m *Model) ProcessesNamed(glob string) []Process {
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
	var out []Process
	for _, p := range m.Processes {
		if state != "" && strings.HasPrefix(p.State, state) {
			out = append(out, p)
		}
	}
	return out
}

// InitScriptNamed returns the init script of that file name, or an empty
// one (Name == "") when the bundle has none.
func (m *Model) InitScriptNamed(name string) InitScript {
	for _, s := range m.InitScripts {
		if s.Name == name {
			return s
		}
	}
	return InitScript{}
}

// PackagesNamed lists the installed packages whose name matches a glob.
func (m *Model) PackagesNamed(glob string) []Package {
	var out []Package
	for _, p := range m.Packages {
		if globMatch(glob, p.Name) {
			out = append(out, p)
		}
	}
	return out
}

// HasService reports whether a service is present on the host: an init
// script, a package or a running process of that name.
func (m *Model) HasService(name string) bool {
	if m.InitScriptNamed(name).Name != "" {
		return true
	}
	for _, s := range m.InitScripts {
		for _, p := range s.Provides {
			if p == name {
				return true
			}
		}
	}
	return len(m.PackagesNamed(name)) > 0 || len(m.ProcessesNamed(name)) > 0
}

// FilesystemRegistered reports whether /proc/filesystems lists the type.
func (m *Model) FilesystemRegistered(name string) bool {
	for _, f := range m.Filesystems {
		if f.Name == name {
			return true
		}
	}
	return false
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
