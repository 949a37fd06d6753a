package parsers

import (
	"path"
	"slices"
	"strings"
	"unsafe"

	"github.com/fsagent/triage/model"
)

// Allocation helpers of the parsers of large captures (lsof, fuser,
// modules, slab): line text in shared blocks, facts in chunks, and the
// prompt and sample-number conventions of pasted command output.

// kernLine gives cheap substrings of the current line: when cleaning left
// the line unchanged, fields are slices of the one string already made for
// the fact's Source, so keeping a field costs no allocation.
type kernLine struct {
	raw  []byte
	text string
	same bool
}

// newKernLine makes the current line's text for a fact, in the arena when
// the line needs no cleaning.
func newKernLine(in *Input, a *kernArena) kernLine {
	raw := in.Bytes()
	for _, c := range raw {
		if c < 0x20 && c != '\t' || c >= 0x7f {
			text := in.Text()
			return kernLine{raw: raw, text: text, same: len(raw) == len(text)}
		}
	}
	return kernLine{raw: raw, text: a.str(raw), same: true}
}

// kernArena stores the text of many lines in shared blocks: one allocation
// per block instead of one per line, which halves the cost of keeping the
// source line of every fact of a large capture. A strings.Builder only
// ever appends, so the strings handed out are never changed.
type kernArena struct {
	b    strings.Builder
	next int    // size of the next block: small files get small blocks
	sq   []byte // squeezeOf's scratch
}

const kernArenaBlock = 64 << 10

// str returns a string holding a copy of p.
func (a *kernArena) str(p []byte) string {
	if len(p) > kernArenaBlock/8 {
		return string(p)
	}
	a.room(len(p))
	start := a.b.Len()
	a.b.Write(p)
	return a.b.String()[start:]
}

// strOf is str for a string: it moves text into this arena.
func (a *kernArena) strOf(p string) string {
	if len(p) > kernArenaBlock/8 {
		return p // already its own allocation
	}
	a.room(len(p))
	start := a.b.Len()
	a.b.WriteString(p)
	return a.b.String()[start:]
}

// squeeze stores a copy of p squeezed (model.SqueezeLine) when that
// makes it shorter, else as str does, and reports which.
func (a *kernArena) squeeze(p []byte) (string, bool) {
	if len(p) > kernArenaBlock/8 {
		return a.str(p), false // its own allocation, as str keeps it
	}
	var ok bool
	if a.sq, ok = model.SqueezeLine(a.sq[:0], unsafe.String(unsafe.SliceData(p), len(p))); !ok {
		return a.str(p), false
	}
	a.room(len(a.sq))
	start := a.b.Len()
	a.b.Write(a.sq)
	return a.b.String()[start:], true
}

// room makes sure the current block has n bytes free.
func (a *kernArena) room(n int) {
	if a.b.Cap()-a.b.Len() < n {
		// Blocks start at 4 KiB and double up to kernArenaBlock: most
		// files are small, and a 64 KiB block per small file was a
		// large share of what a batch of small bundles allocated.
		a.next = min(kernArenaBlock, max(4<<10, 2*a.next))
		a.b = strings.Builder{}
		a.b.Grow(max(a.next, n))
	}
}

// str returns the cleaned text of raw[s:e].
func (l *kernLine) str(s, e int) string {
	if s >= e {
		return ""
	}
	if l.same {
		return l.text[s:e]
	}
	return Clean(l.raw[s:e])
}

// kernPrompt reports a shell prompt line pasted into a capture ("# lsmod",
// "$ fuser -v /mnt"), which names the command whose output follows.
func kernPrompt(t string) (cmd string, ok bool) {
	t = strings.TrimSpace(t)
	if len(t) < 2 || (t[0] != '#' && t[0] != '$') {
		return "", false
	}
	return strings.TrimSpace(t[1:]), true
}

// kernSeries splits a file name such as slabtop-3.out, slabtop.2 or
// slabinfo.20240101-1200 into its series (directory and stem: "slabtop")
// and sample number (3, 2, 202401011200). ok is false when the name carries
// no number.
func kernSeries(p string) (series string, n int64, ok bool) {
	dir, base := path.Split(p)
	name := base
	for _, ext := range []string{".out", ".txt", ".log", ".gz"} {
		if len(name) > len(ext) && strings.EqualFold(name[len(name)-len(ext):], ext) {
			name = name[:len(name)-len(ext)]
			break
		}
	}
	i := len(name)
	for i > 0 && strings.IndexByte("0123456789-_.:", name[i-1]) >= 0 {
		i--
	}
	suffix, stem := name[i:], strings.TrimRight(name[:i], "-_.:")
	if stem == "" || suffix == "" {
		return "", 0, false
	}
	// "slabtop2" is numbered, "slabinfo_v21" (a version) is not: without a
	// separator only the command's own name may carry the number.
	if strings.IndexByte("-_.:", suffix[0]) < 0 {
		ls := strings.ToLower(stem)
		if !strings.HasSuffix(ls, "slabtop") && !strings.HasSuffix(ls, "slabinfo") {
			return "", 0, false
		}
	}
	digits := 0
	for j := 0; j < len(suffix); j++ {
		if c := suffix[j]; c >= '0' && c <= '9' {
			if digits == 18 {
				break
			}
			n = n*10 + int64(c-'0')
			digits++
		}
	}
	if digits == 0 {
		return "", 0, false
	}
	return dir + stem, n, true
}

// kernFacts collects the facts of a large file in fixed chunks and appends
// them to the model once at the end: growing one big slice of large structs
// by appending copies it several times over, which cost more than parsing.
type kernFacts[T any] struct {
	chunks [][]T
	cur    []T
	n      int
}

const kernChunk = 4096

// next returns a zeroed slot for the next fact, to be filled in place;
// drop gives it back when the line turns out not to be a fact.
func (c *kernFacts[T]) next() *T {
	if len(c.cur) == cap(c.cur) {
		if len(c.cur) > 0 {
			c.chunks = append(c.chunks, c.cur)
		}
		// Most files are small: chunks start small and double up to
		// kernChunk, so a file of a few hundred facts allocates little.
		size := min(kernChunk, max(64, 2*len(c.cur)))
		c.cur = make([]T, 0, size)
	}
	// The slot is zero already: the chunk was allocated zeroed and drop
	// clears a slot it gives back.
	c.cur = c.cur[:len(c.cur)+1]
	c.n++
	return &c.cur[len(c.cur)-1]
}

// drop removes the slot that next returned last.
func (c *kernFacts[T]) drop() {
	var zero T
	c.cur[len(c.cur)-1] = zero
	c.cur = c.cur[:len(c.cur)-1]
	c.n--
}

// appendTo appends the collected facts to dst in order.
func (c *kernFacts[T]) appendTo(dst []T) []T {
	if c.n == 0 {
		return dst
	}
	dst = slices.Grow(dst, c.n)
	for _, ch := range c.chunks {
		dst = append(dst, ch...)
	}
	dst = append(dst, c.cur...)
	c.chunks, c.cur, c.n = nil, nil, 0
	return dst
}
