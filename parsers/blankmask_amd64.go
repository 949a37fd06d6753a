//go:build amd64 && !purego

package parsers

// blankMaskN returns blankMask's two words for the n bytes at p, 16 <= n
// <= 128, one SSE2 comparison per blank and 16 bytes, reading no byte
// past the n.
//
//go:noescape
func blankMaskN(p *byte, n int) (lo, hi uint64)

// blankMask returns the blanks of b (its first 128 bytes): bit i of the
// first word, or bit i-64 of the second, is set when b[i] is a space or a
// tab. The test of a busy lsof's rows (about 105 bytes up to NAME) eight
// bytes at a time in Go (blankMaskWords) was a tenth of the parse. The
// row is read where it lies: copying it into a zeroed buffer first made
// it 1.6 times as slow (BenchmarkBlankMask: 21.5 ns a row with the copy,
// 13 without).
func blankMask(b []byte) [2]uint64 {
	if len(b) > lsofLayoutMax {
		b = b[:lsofLayoutMax]
	}
	if len(b) < 16 {
		var buf [16]byte
		copy(buf[:], b)
		lo, hi := blankMaskN(&buf[0], 16)
		return [2]uint64{lo, hi}
	}
	lo, hi := blankMaskN(&b[0], len(b))
	return [2]uint64{lo, hi}
}
