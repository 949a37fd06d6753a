package model

import "strings"

// pathIndex holds the cleaned paths of the big fact lists, computed once,
// so that the per-guard-point queries (OpenFilesUnder, FuserUnder,
// MountsInside) scan with a cheap prefix test instead of cleaning every path
// on every call, and MountsAt is a map lookup. Rules call these once per
// for_each item: with 600k lsof lines and hundreds of items, cleaning per
// call made them the cost of a whole run.
type pathIndex struct {
	open     []string // cleaned OpenFiles[i].Name; "" when not a path
	fuser    []string // cleaned Fuser[i].Path; "" for kernel pseudo-rows
	mounts   []string // cleaned Mounts[i].Path
	mountsAt map[string][]int
}

func (m *Model) buildPathIndex() pathIndex {
	x := pathIndex{
		open:     make([]string, len(m.OpenFiles)),
		fuser:    make([]string, len(m.Fuser)),
		mounts:   make([]string, len(m.Mounts)),
		mountsAt: make(map[string][]int, len(m.Mounts)),
	}
	for i, f := range m.OpenFiles {
		if strings.HasPrefix(f.Name, "/") {
			x.open[i] = cleanPath(f.Name)
		}
	}
	for i, h := range m.Fuser {
		if h.PID > 0 {
			x.fuser[i] = cleanPath(h.Path)
		}
	}
	for i, mt := range m.Mounts {
		p := cleanPath(mt.Path)
		x.mounts[i] = p
		x.mountsAt[p] = append(x.mountsAt[p], i)
	}
	return x
}

// withinClean is Within for paths already cleaned.
func withinClean(p, dir string) bool {
	if p == "" || dir == "" {
		return false
	}
	if dir == "/" {
		return p[0] == '/'
	}
	return strings.HasPrefix(p, dir) && (len(p) == len(dir) || p[len(dir)] == '/')
}

// factsWithin returns the facts whose cleaned path (paths[i], from the
// index) is dir or lies inside it.
func factsWithin[T any](facts []T, paths []string, dir string) []T {
	var out []T
	d := cleanPath(dir)
	for i, p := range paths {
		if withinClean(p, d) {
			out = append(out, facts[i])
		}
	}
	return out
}
