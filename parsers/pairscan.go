package parsers

import (
	"encoding/binary"
	"math/bits"
)

// pairScan tells which of up to 32 phrases a line holds, in one pass and
// without copying. It reads the line two bytes at a time, at even offsets:
// a phrase starting at s puts its first two bytes at an even offset when s
// is even, its second and third when s is odd, so looking those pairs up
// finds every place a phrase may start, and only there is the phrase
// compared: its first four bytes at once, then the rest. Most pairs of a
// log line begin no phrase, and the steps do not depend on each other: a
// scan that stopped at every first byte of a phrase spent about twice the
// time. The agent log's anchors and the kernel log's phrases each have
// one.
type pairScan struct {
	class [256]uint8 // the bytes among the phrases' first three, numbered from 1; any other byte is 0
	n     int        // the number of classes, 0 included
	// pairs has, for a pair of classes (the first times n), the phrases
	// whose first two bytes they are (bits 0 to 31) and those whose second
	// and third bytes they are (bits 32 to 63).
	pairs   []uint64
	phrases []string
	heads   []uint32 // each phrase's first four bytes, as match reads them
	fold    bool     // ASCII letters match in either case (phrases in lower case)
}

// newPairScan indexes phrases: at least four bytes each, at most 32 of
// them; with fold, in lower case, and they match letters in either case.
func newPairScan(phrases []string, fold bool) *pairScan {
	x := &pairScan{n: 1, phrases: phrases, fold: fold}
	for _, p := range phrases {
		for _, c := range []byte(p[:3]) {
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
		x.pairs[int(x.class[p[0]])*x.n+int(x.class[p[1]])] |= 1 << k
		x.pairs[int(x.class[p[1]])*x.n+int(x.class[p[2]])] |= 1 << (32 + k)
	}
	return x
}

// scan returns the set of phrases b holds, bit k for phrase k.
func (x *pairScan) scan(b []byte) uint32 {
	var m uint32
	for p := 0; p+1 < len(b); p += 2 {
		e := x.pairs[int(x.class[b[p]])*x.n+int(x.class[b[p+1]])]
		if e == 0 {
			continue
		}
		for f := uint32(e) &^ m; f != 0; f &= f - 1 { // phrases starting at p
			if k := bits.TrailingZeros32(f); x.match(b, p, k) {
				m |= 1 << k
			}
		}
		for f := uint32(e>>32) &^ m; f != 0 && p > 0; f &= f - 1 { // at p-1
			if k := bits.TrailingZeros32(f); x.match(b, p-1, k) {
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
