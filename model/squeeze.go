package model

import (
	"slices"
)

// lsof aligns its columns with runs of spaces: a busy host's row of 135
// bytes carries 60 of them. A model holding 150,000 rows inside a guard
// point kept 20 MB of lines, the largest part of its memory; squeezed,
// each run is one byte. Only lines of printable ASCII are squeezed, so
// the bytes 0x80-0xff are free to stand for the runs.

// Runs of minRun to maxRun spaces are squeezed into one byte: runOne+n-minRun.
const (
	minRun = 2
	maxRun = minRun + 0x7f
	runOne = 0x80
)

// SqueezeLine appends line to dst with each run of 2 to 129 spaces as one
// byte, and reports whether the line was squeezed: a line holding a
// byte outside printable ASCII, or no run of spaces, is not (dst is then
// returned with its length unchanged).
func SqueezeLine(dst []byte, line string) ([]byte, bool) {
	// One pass that checks and squeezes, writing into room made first (a
	// squeezed line is never longer): checking the whole line before
	// squeezing it read every lsof row kept twice.
	start := len(dst)
	dst = slices.Grow(dst, len(line))
	out := dst[start : start+len(line)]
	w, runs := 0, false
	for i := 0; i < len(line); {
		c := line[i]
		if c != ' ' {
			if c-0x20 > 0x7e-0x20 { // below ' ' or above '~'
				return dst[:start], false
			}
			out[w] = c
			w++
			i++
			continue
		}
		n := 1
		for i+n < len(line) && line[i+n] == ' ' && n < maxRun {
			n++
		}
		if n < minRun {
			out[w] = ' '
		} else {
			out[w] = byte(runOne + n - minRun)
			runs = true
		}
		w++
		i += n
	}
	if !runs {
		return dst[:start], false
	}
	return dst[:start+w], true
}

// expandedLen is the length of the line sq stands for.
func expandedLen(sq string) int {
	n := len(sq)
	for i := 0; i < len(sq); i++ {
		if c := sq[i]; c >= runOne {
			n += int(c-runOne) + minRun - 1
		}
	}
	return n
}

// ExpandLine returns the line a squeezed line stands for.
func ExpandLine(sq string) string {
	return string(AppendExpanded(make([]byte, 0, expandedLen(sq)), sq))
}

// AppendExpanded appends the line a squeezed line stands for to dst.
func AppendExpanded(dst []byte, sq string) []byte {
	dst = slices.Grow(dst, expandedLen(sq))
	for i := 0; i < len(sq); i++ {
		if c := sq[i]; c >= runOne {
			for range int(c-runOne) + minRun {
				dst = append(dst, ' ')
			}
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// hasRun reports whether a piece of a squeezed line holds a squeezed run.
func hasRun(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] >= runOne {
			return true
		}
	}
	return false
}
