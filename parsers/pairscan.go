package parsers

import (
	"bytes"
	"encoding/binary"
	"maps"
	"math/bits"
	"slices"
)

// pairScan tells which of up to 16 phrases a line holds, in one pass and
// without copying. It looks up one pair of bytes every step bytes, where
// step is one less than the shortest phrase (at most 4): a phrase starting
// at s has one of its first step pairs, (s+j, s+j+1) for j < step, at an
// offset the scan looks at, so looking those pairs up finds every place a
// phrase may start, and only there is the phrase compared: its first four
// bytes at once, then the rest. Most pairs of a log line begin no phrase,
// and the steps do not depend on each other: a scan that stopped at every
// first byte of a phrase spent about twice the time, and one that looked
// at every other pair 1.3 times as long as one every third. A pair is
// looked up by its two bytes read as one number, in a table of 64 KiB of
// which a log's text uses a few rows: numbering the bytes first, and the
// pairs by their two numbers, took 1.8 times as long. The agent
// log's anchors and the kernel log's phrases each have one.
type pairScan struct {
	// at has, for the pair of bytes (a, b) at a|b<<8, the index in masks
	// of the places that pair has in the phrases; 0 for none.
	at *[1 << 16]uint8
	// masks[i] has bit 16j+k set when its pair is bytes j and j+1 of
	// phrase k.
	masks   []uint64
	step    int
	phrases []string
	heads   []uint32 // each phrase's first four bytes, as match reads them
	fold    bool     // ASCII letters match in either case (phrases in lower case)
}

// newPairScan indexes phrases: at least four bytes each, at most 16 of
// them; with fold, in lower case, and they match letters in either case.
func newPairScan(phrases []string, fold bool) *pairScan {
	if len(phrases) > 16 {
		panic("pairScan: up to 16 phrases")
	}
	x := &pairScan{at: new([1 << 16]uint8), masks: []uint64{0}, phrases: phrases, fold: fold, step: 4}
	for _, p := range phrases {
		if len(p) < 4 {
			panic("pairScan: a phrase of fewer than 4 bytes")
		}
		x.step = min(x.step, len(p)-1)
		x.heads = append(x.heads, binary.LittleEndian.Uint32([]byte(p)))
	}
	// The places of each pair, then one mask per pair: a pair's forms in
	// either case share it.
	places := map[[2]byte]uint64{}
	for k, p := range phrases {
		for j := range x.step {
			places[[2]byte{p[j], p[j+1]}] |= 1 << (16*j + k)
		}
	}
	forms := func(c byte) []byte {
		if fold && c >= 'a' && c <= 'z' {
			return []byte{c, c - 'a' + 'A'}
		}
		return []byte{c}
	}
	// In order, so the table is the same on every run.
	pairs := slices.SortedFunc(maps.Keys(places), func(a, b [2]byte) int { return bytes.Compare(a[:], b[:]) })
	for _, pair := range pairs {
		m := places[pair]
		if len(x.masks) == 256 {
			panic("pairScan: too many pairs")
		}
		x.masks = append(x.masks, m)
		for _, a := range forms(pair[0]) {
			for _, b := range forms(pair[1]) {
				x.at[int(a)|int(b)<<8] = uint8(len(x.masks) - 1)
			}
		}
	}
	return x
}

// scan returns the set of phrases b holds, bit k for phrase k.
func (x *pairScan) scan(b []byte) uint32 {
	var m uint32
	at, step := x.at, x.step
	for p := 0; p+1 < len(b); p += step {
		i := at[uint16(b[p])|uint16(b[p+1])<<8]
		if i == 0 {
			continue
		}
		// Bit 16j+k: phrase k may start at p-j.
		for e := x.masks[i]; e != 0; e &= e - 1 {
			i := bits.TrailingZeros64(e)
			if k, j := i&15, i>>4; m&(1<<k) == 0 && p >= j && x.match(b, p-j, k) {
				m |= 1 << k
			}
		}
	}
	return m
}

// match reports whether phrase k starts at b[s].
func (x *pairScan) match(b []byte, s, k int) bool {
	ph := x.phrases[k]
	if len(b)-s < len(ph) {
		return false
	}
	head := binary.LittleEndian.Uint32(b[s:])
	if !x.fold {
		return head == x.heads[k] && string(b[s+4:s+len(ph)]) == ph[4:]
	}
	// ASCII letters in lower case once 0x20 is set in each byte; the
	// phrases hold letters only.
	return head|0x20202020 == x.heads[k] && foldPrefix(b[s+4:], ph[4:])
}
