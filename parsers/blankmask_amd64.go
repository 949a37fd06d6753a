//go:build amd64 && !purego

package parsers

// blankBlocks8 returns blankMask's two words for the 128 bytes at p, one
// SSE2 comparison per blank and 16 bytes.
//
//go:noescape
func blankBlocks8(p *byte) (lo, hi uint64)

// blankMask returns the blanks of b (at most 128 bytes): bit i of the
// first word, or bit i-64 of the second, is set when b[i] is a space or a
// tab. They are found on a copy of b padded with zeros to 128 bytes: the
// test of a busy lsof's rows (about 105 bytes up to NAME) eight bytes at
// a time in Go (blankMaskWords) was a tenth of the parse, and twice this.
func blankMask(b []byte) [2]uint64 {
	var buf [lsofLayoutMax]byte
	copy(buf[:], b)
	lo, hi := blankBlocks8(&buf[0])
	return [2]uint64{lo, hi}
}
