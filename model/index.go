package model

import (
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
	fixed []uint64         // bit i: fact i's cleaned path is in cleaned
	clean map[int32]string
	order []int32 // fact indexes with a path, sorted by cleaned path
}

func newSortedPaths(n int, pathOf func(int) string) sortedPaths {
	s := sortedPaths{raw: pathOf}
	// The sort compares the paths in one dense list, made for it only:
	// reading them from the facts (a 248-byte struct each, in random
	// order, when lsof rows were OpenFile structs; a squeezed line to
	// expand now) cost more than the rest of the index.
	type entry struct {
		path string
		i    int32
	}
	es := make([]entry, 0, n)
	for i := 0; i < n; i++ {
		p := pathOf(i)
		if p == "" {
			continue
		}
		if c := cleanPath(p); c != p {
			if s.fixed == nil {
				s.fixed, s.clean = make([]uint64, (n+63)/64), map[int32]string{}
			}
			s.fixed[i/64] |= 1 << (i % 64)
			s.clean[int32(i)] = c
			p = c
		}
		es = append(es, entry{p, int32(i)})
	}
	// Equal paths stay in fact order. Breaking ties by index gives the
	// order a stable sort would, with pdqsort's cost instead of the stable
	// sort's insertion runs and rotations (0.23 s against 0.07 s for the
	// 300,000 rows of a busy guard point).
	slices.SortFunc(es, func(a, b entry) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return int(a.i - b.i)
	})
	s.order = make([]int32, len(es))
	for k, e := range es {
		s.order[k] = e.i
	}
	return s
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
	for _, r := range ranges {
		out = append(out, s.order[r[0]:r[1]]...)
	}
	slices.Sort(out)
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
