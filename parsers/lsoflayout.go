package parsers

import (
	"encoding/binary"
	"sync"
)

// Splitting a row by its header's columns (splitAligned) was half the cost
// of a busy lsof: a row is about 130 bytes, most of them the blanks that
// align its columns. What splitAligned decides about the columns before
// NAME depends only on where the blanks are: it never looks at a byte's
// value otherwise. When the byte just before NAME's column is blank, no
// field runs into NAME, so the columns are decided by the blanks of the
// row up to there, and the name is the rest of the row from its first
// non-blank byte. Busy hosts print few such patterns (a pid of five
// digits, a descriptor of four characters...), so lsofLayouts remembers
// the split of each pattern seen and reuses it for every row that has the
// same one; telling the blanks of a row apart costs a few instructions per
// eight bytes. The result is splitAligned's, exactly (FuzzLsofLayouts).

// lsofLayoutSets is the number of sets of two patterns remembered: a set
// holds the two latest patterns that hash to it. A busy host's lsof has a
// few hundred patterns (210 in the first 50 MB of the harness's), and
// with one pattern to a hash, 256 of them, patterns that took turns on one
// slot made 6.6 % of the harness's rows go through splitAligned again
// (248,594 of 3,756,050); with two to a set, 955 do.
const (
	lsofLayoutSetBits = 7
	lsofLayoutSets    = 1 << lsofLayoutSetBits
)

// lsofLayoutMax is the widest row prefix (up to NAME's column) whose
// pattern is remembered: two words of bits.
const lsofLayoutMax = 128

// lsofLayouts remembers the splits of rows under one header by the
// pattern of their blanks.
type lsofLayouts struct {
	hdr  *lsofHeader
	sets [lsofLayoutSets]struct {
		ways   [2]lsofLayout
		recent uint8 // the way used last; a new pattern takes the other
	}
}

// lsofLayout is the split of rows whose first end bytes have blanks where
// mask has bits set; end is 0 in an empty slot.
type lsofLayout struct {
	mask [2]uint64
	end  int
	ok   bool
	row  lsofRow // NAME left blank
}

// lsofLayoutPool lends layouts to the batches of a large lsof, so a worker
// does not learn the patterns again for every batch.
var lsofLayoutPool = sync.Pool{New: func() any { return new(lsofLayouts) }}

// splitShared splits b as h.splitAligned does, reusing the split of an
// earlier row whose blanks lie in the same places; hit tells whether it
// did. A remembered split is not copied: on a hit, row is the remembered
// one, to be read and not changed, and name is b's NAME (row's is blank);
// otherwise the split is in r, which row is. Copying the 176 bytes of a
// split was a tenth of a busy lsof's split.
func (c *lsofLayouts) splitShared(h *lsofHeader, b []byte, r *lsofRow) (row *lsofRow, name span, ok, hit bool) {
	if c.hdr != h {
		*c = lsofLayouts{hdr: h}
	}
	shift := 0
	if len(b) > 0 && isBlank(b[0]) {
		shift = skipBlanks(b, 0)
	}
	end := shift + h.nameStart
	if end > lsofLayoutMax || end > len(b) || end == 0 || !isBlank(b[end-1]) || (shift != 0 && shift != h.indent) {
		ok := h.splitAligned(b, r)
		return r, r[lsofName], ok, false
	}
	mask := blankMask(b[:end])
	set := &c.sets[(mask[0]*0x9e3779b97f4a7c15^mask[1]*0xc2b2ae3d27d4eb4f)>>(64-lsofLayoutSetBits)]
	way := uint8(0)
	if w := &set.ways[0]; w.end != end || w.mask != mask {
		if w := &set.ways[1]; w.end != end || w.mask != mask {
			ok := h.splitAligned(b, r)
			set.recent ^= 1
			slot := &set.ways[set.recent]
			slot.mask, slot.end, slot.ok, slot.row = mask, end, ok, *r
			slot.row[lsofName] = span{-1, -1}
			return r, r[lsofName], ok, false
		}
		way = 1
	}
	set.recent = way
	slot := &set.ways[way]
	name = span{-1, -1}
	if s := skipBlanks(b, end); s < len(b) {
		name = span{s, len(b)}
	}
	return &slot.row, name, slot.ok, true
}

// blankMaskWords is blankMask eight bytes at a time, in Go: what every
// platform but amd64 uses.
func blankMaskWords(b []byte) [2]uint64 {
	var m [2]uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		m[i>>6] |= blankByte8(binary.LittleEndian.Uint64(b[i:])) << (i & 63)
	}
	for ; i < len(b); i++ {
		if isBlank(b[i]) {
			m[i>>6] |= 1 << (i & 63)
		}
	}
	return m
}

// blankByte8 returns a bit for each of the eight bytes of w, the first in
// bit 0, set when that byte is a space or a tab.
func blankByte8(w uint64) uint64 {
	hi := zeroBytes(w^0x2020202020202020) | zeroBytes(w^0x0909090909090909)
	// Gather the eight high bits into the top byte; no two of the
	// partial products land on the same bit, so nothing carries.
	return (hi >> 7) * 0x0102040810204080 >> 56
}

// lsofLayoutAfter is the number of rows a file's parse splits directly
// before it borrows layouts: a small lsof, the most common, would only pay
// for learning patterns it never meets again (a batch of 1,000 small
// bundles spent 4 % of its CPU on it). The batches of a large file start
// at once (lsofLayoutUse.eager).
const lsofLayoutAfter = 2048

// lsofLayoutTrial is the number of rows split through borrowed layouts
// after which they are given up if fewer than half of those rows met a
// remembered pattern: on a file with too many patterns, a row's blank mask
// is a cost on top of its split.
const lsofLayoutTrial = 4096

// lsofLayoutUse is how one parse uses remembered layouts.
type lsofLayoutUse struct {
	c     *lsofLayouts // borrowed from lsofLayoutPool; nil when not in use
	rows  int          // rows split
	tried int          // rows split through c
	hits  int          // of those, rows that met a remembered pattern
	eager bool         // borrow from the first row
	off   bool         // given up for the rest of the parse
}

// splitRow splits a row by the header in force, through remembered
// layouts once the file has shown it is large (see lsofLayoutUse). The
// split is in row, st.row or a remembered one (see splitShared), with the
// row's NAME in name.
func (st *lsofState) splitRow(b []byte) (row *lsofRow, name span, ok bool) {
	u := &st.layouts
	u.rows++
	if u.c == nil {
		if u.off || (u.rows < lsofLayoutAfter && !u.eager) {
			ok := st.hdr.splitAligned(b, &st.row)
			return &st.row, st.row[lsofName], ok
		}
		u.c = lsofLayoutPool.Get().(*lsofLayouts)
	}
	row, name, ok, hit := u.c.splitShared(st.hdr, b, &st.row)
	u.tried++
	if hit {
		u.hits++
	}
	if u.tried == lsofLayoutTrial && 2*u.hits < u.tried {
		st.releaseLayouts()
		u.off = true
	}
	return row, name, ok
}

// releaseLayouts gives back the layouts st borrowed.
func (st *lsofState) releaseLayouts() {
	if u := &st.layouts; u.c != nil {
		lsofLayoutPool.Put(u.c)
		u.c = nil
	}
}
