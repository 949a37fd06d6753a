package model

import (
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

// sortedPaths is a list of cleaned paths and their indexes sorted by path.
type sortedPaths struct {
	clean []string // by fact index
	order []int    // fact indexes with a path, sorted by clean path
}

func newSortedPaths(n int, pathOf func(int) string) sortedPaths {
	s := sortedPaths{clean: make([]string, n), order: make([]int, 0, n)}
	for i := 0; i < n; i++ {
		if p := pathOf(i); p != "" {
			s.clean[i] = cleanPath(p)
			s.order = append(s.order, i)
		}
	}
	sort.SliceStable(s.order, func(a, b int) bool { return s.clean[s.order[a]] < s.clean[s.order[b]] })
	return s
}

// under returns, in fact order, the indexes whose path is dir or lies inside
// it: the paths equal to dir and those starting with dir + "/" are two
// ranges of the sorted order.
func (s sortedPaths) under(dir string) []int {
	d := cleanPath(dir)
	if d == "" {
		return nil
	}
	var out []int
	addRange := func(lo, hi string) { // paths p with lo <= p < hi
		i := sort.Search(len(s.order), func(k int) bool { return s.clean[s.order[k]] >= lo })
		for ; i < len(s.order) && s.clean[s.order[i]] < hi; i++ {
			out = append(out, s.order[i])
		}
	}
	if d == "/" {
		addRange("/", "0") // every absolute path: "/" then "/..." ('0' follows '/')
	} else {
		addRange(d, d+"\x00")
		addRange(d+"/", d+"0")
	}
	sort.Ints(out)
	return out
}

func (m *Model) buildPathIndex() pathIndex {
	x := pathIndex{
		open: newSortedPaths(len(m.OpenFiles), func(i int) string {
			if n := m.OpenFiles[i].Name; strings.HasPrefix(n, "/") {
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
	for i, p := range x.mounts.clean {
		x.mountsAt[p] = append(x.mountsAt[p], i)
	}
	return x
}
