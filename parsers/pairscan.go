package parsers

import (
	"encoding/binary"
	"math/bits"
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
// at every other pair 1.3 times as long as one every third. The agent
// log's anchors and the kernel log's phrases each have one.
type pairScan struct {
	class [256]uint8 // the bytes among the phrases' first step+1, numbered from 1; any other byte is 0
	n     int        // the number of classes, 0 included
	step  int
	// pairs has, for a pair of classes (the first times n), bit 16j+k set
	// when they are bytes j and j+1 of phrase k.
	pairs   []uint64
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
	x := &pairScan{n: 1, phrases: phrases, fold: fold, step: 4}
	for _, p := range phrases {
		if len(p) < 4 {
			panic("pairScan: a phrase of fewer than 4 bytes")
		}
		x.step = min(x.step, len(p)-1)
	}
	for _, p := range phrases {
		for _, c := range []byte(p[:x.step+1]) {
			if x.class[c] != 0 {
				continue
			}
			x.class[c] = uint8(x.n)
			if fold && c >= 'a' && c <= 'z' {
				x.class[c-'a'+'A'] = uint8(x.n)
			}
			x.n++
		}
		x.heads = append(x.heads, binary.LittleEndian.Uint32([]byte(p)))
	}
	x.pairs = make([]uint64, x.n*x.n)
	for k, p := range phrases {
		for j := range x.step {
			x.pairs[int(x.class[p[j]])*x.n+int(x.class[p[j+1]])] |= 1 << (16*j + k)
		}
	}
	return x
}

// scan returns the set of phrases b holds, bit k for phrase k.
func (x *pairScan) scan(b []byte) uint32 {
	var m uint32
	for p := 0; p+1 < len(b); p += x.step {
		// Bit 16j+k: phrase k may start at p-j.
		for e := x.pairs[int(x.class[b[p]])*x.n+int(x.class[b[p+1]])]; e != 0; e &= e - 1 {
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
