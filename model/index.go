package model

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// pathIndex holds the cleaned paths of the big fact lists, computed once,
// sorted so that "everything under this directory" is a binary search plus
// the size of the answer, and MountsAt is a map lookup. Rules ask these
// once per for_each item (guard point): with 600k lsof lines and hundreds
// of items, a scan per call made them the cost of a whole run.
type pathIndex struct {
	open     sortedPaths // OpenFiles[i].Name; "" when not a path
	fuser    sortedPaths // Fuser[i].Path; "" for kernel pseudo-rows
	mounts   sortedPaths // Mounts[i].Path
	mountsAt map[string][]int
}

// sortedPaths is the facts with a path, by index, sorted by cleaned path.
// The cleaned path is the fact's own string unless cleaning changed it
// (rare: lsof and fuser print clean paths), so a 250,000-row busy guard
// point costs 4 bytes a row here, not a copy of every path header.
type sortedPaths struct {
	raw   func(int) string // the fact's path as read
	n     int              // facts, with a path or not
	fixed []uint64         // bit i: fact i's cleaned path is in cleaned
	clean map[int32]string
	order []int32 // fact indexes with a path, sorted by cleaned path
}

// pathEntry is a fact's cleaned path and index, as the sort compares them.
// The sort reads the paths from one dense list, made for it only: reading
// them from the facts (a 248-byte struct each, in random order, when lsof
// rows were OpenFile structs; a squeezed line to expand now) cost more
// than the rest of the index.
type pathEntry struct {
	path string
	i    int32
}

// comparePathEntries orders by path, then by fact index: equal paths stay
// in fact order. Breaking ties by index gives the order a stable sort
// would, with pdqsort's cost instead of the stable sort's insertion runs
// and rotations (0.23 s against 0.07 s for the 300,000 rows of a busy
// guard point).
func comparePathEntries(a, b pathEntry) int {
	if c := strings.Compare(a.path, b.path); c != 0 {
		return c
	}
	return int(a.i - b.i)
}

// parallelSortMin is the number of facts from which the index is made in
// two halves at once, merged after. The index is built when the first
// rule asks, after the parse, while the second core has nothing to do; a
// busy guard point's sort was half of the rules' time
// (BenchmarkPathIndex).
const parallelSortMin = 1 << 15

func newSortedPaths(n int, pathOf func(int) string) sortedPaths {
	s := sortedPaths{raw: pathOf, n: n}
	var runs [2]sortedRun
	if n < parallelSortMin {
		runs[0] = newSortedRun(0, n, pathOf)
	} else {
		mid := n / 2
		done := make(chan any)
		go func() {
			// A panic (a bug) is handed to the caller's goroutine, where
			// the rule evaluation recovers it, instead of ending the process.
			defer func() { done <- recover() }()
			runs[1] = newSortedRun(mid, n, pathOf)
		}()
		runs[0] = newSortedRun(0, mid, pathOf)
		if p := <-done; p != nil {
			panic(p)
		}
	}
	a, b := runs[0].es, runs[1].es
	s.order = make([]int32, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if comparePathEntries(b[0], a[0]) < 0 {
			s.order, b = append(s.order, b[0].i), b[1:]
		} else {
			s.order, a = append(s.order, a[0].i), a[1:]
		}
	}
	for _, rest := range [][]pathEntry{a, b} {
		for _, e := range rest {
			s.order = append(s.order, e.i)
		}
	}
	for _, r := range runs {
		for i, c := range r.clean {
			if s.fixed == nil {
				s.fixed, s.clean = make([]uint64, (n+63)/64), map[int32]string{}
			}
			s.fixed[i/64] |= 1 << (i % 64)
			s.clean[i] = c
		}
	}
	return s
}

// sortedRun is the facts with a path among a range of indexes, sorted,
// and the cleaned paths that differ from the fact's own.
type sortedRun struct {
	es    []pathEntry
	clean map[int32]string
}

func newSortedRun(lo, hi int, pathOf func(int) string) sortedRun {
	r := sortedRun{es: make([]pathEntry, 0, hi-lo)}
	for i := lo; i < hi; i++ {
		p := pathOf(i)
		if p == "" {
			continue
		}
		if c := cleanPath(p); c != p {
			if r.clean == nil {
				r.clean = map[int32]string{}
			}
			r.clean[int32(i)] = c
			p = c
		}
		r.es = append(r.es, pathEntry{p, int32(i)})
	}
	slices.SortFunc(r.es, comparePathEntries)
	return r
}

// at is the cleaned path of fact i.
func (s sortedPaths) at(i int) string {
	if s.fixed != nil && s.fixed[i/64]&(1<<(i%64)) != 0 {
		return s.clean[int32(i)]
	}
	return s.raw(i)
}

// under returns, in fact order, the indexes whose path is dir or lies inside
// it: the paths equal to dir and those starting with dir + "/" are two
// ranges of the sorted order, whose sizes are known before the answer is
// made (a busy guard point's answer is 250,000 indexes: one allocation of
// the right size, not a doubling series).
func (s sortedPaths) under(dir string) []int32 {
	d := cleanPath(dir)
	if d == "" {
		return nil
	}
	search := func(p string) int {
		return sort.Search(len(s.order), func(k int) bool { return s.at(int(s.order[k])) >= p })
	}
	var ranges [][2]int
	if d == "/" {
		ranges = [][2]int{{search("/"), search("0")}} // every absolute path: "/" then "/..." ('0' follows '/')
	} else {
		ranges = [][2]int{{search(d), search(d + "\x00")}, {search(d + "/"), search(d + "0")}}
	}
	n := 0
	for _, r := range ranges {
		n += r[1] - r[0]
	}
	if n == 0 {
		return nil
	}
	out := make([]int32, 0, n)
	if n < 512 || n < s.n/256 {
		for _, r := range ranges {
			out = append(out, s.order[r[0]:r[1]]...)
		}
		slices.Sort(out)
		return out
	}
	// A large answer (a busy guard point's) is put in fact order through
	// a bitmap of the facts, read 64 at a time: linear in the facts,
	// where sorting it cost n log n.
	set := make([]uint64, (s.n+63)/64)
	for _, r := range ranges {
		for _, i := range s.order[r[0]:r[1]] {
			set[i/64] |= 1 << (i % 64)
		}
	}
	for w, b := range set {
		for b != 0 {
			out = append(out, int32(w*64+bits.TrailingZeros64(b)))
			b &= b - 1
		}
	}
	return out
}

func (m *Model) buildPathIndex() pathIndex {
	x := pathIndex{
		open: newSortedPaths(len(m.OpenFiles), func(i int) string {
			if n := m.OpenFiles[i].Name(); strings.HasPrefix(n, "/") {
				return n
			}
			return ""
		}),
		fuser: newSortedPaths(len(m.Fuser), func(i int) string {
			if m.Fuser[i].PID > 0 {
				return m.Fuser[i].Path
			}
			return ""
		}),
		mounts:   newSortedPaths(len(m.Mounts), func(i int) string { return m.Mounts[i].Path }),
		mountsAt: make(map[string][]int, len(m.Mounts)),
	}
	for _, i := range x.mounts.order {
		p := x.mounts.at(int(i))
		x.mountsAt[p] = append(x.mountsAt[p], int(i))
	}
	return x
}
