package bundle

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// The Unix compress format (.Z), which AIX snap uses for snap.pax.Z: no
// maintained Go library reads it (compress/lzw implements the GIF and PDF
// variants, whose code packing differs), so this is a small decoder of its
// own. The format:
//
//   - a header of three bytes: the magic 0x1f 0x9d, then a flags byte whose
//     low five bits are the largest code width (9 to 16) and whose top bit
//     says "block mode" (code 256 clears the table);
//   - LZW codes, least significant bit first, starting 9 bits wide. The
//     writer emits codes in groups of eight, that is of (width) bytes; when
//     the width grows, or the table is cleared, the rest of the current
//     group is padding, and the next group has the new width.
//
// Memory is fixed (two tables of 64 Ki entries and one string stack) and no
// size is taken from the input; how much output a stream may produce is
// bounded by the walker's limits (total bytes, ratio), like every other
// decompressor.

// lzwMagic starts every .Z stream.
var lzwMagic = []byte{0x1f, 0x9d}

const (
	lzwMinBits  = 9
	lzwMaxBits  = 16
	lzwClear    = 256
	lzwBlockBit = 0x80
	lzwBitsMask = 0x1f
	lzwReserved = 0x60
)

// errLZWCorrupt is wrapped by every error about a damaged .Z stream.
var errLZWCorrupt = errors.New("corrupt compress (.Z) data")

// lzwReader decodes one .Z stream.
type lzwReader struct {
	r       *bufio.Reader
	maxBits int
	block   bool

	bits    int // the current code width
	maxCode int // the largest code of this width; the width grows past it
	maxMax  int // 1 << maxBits: the table's size
	freeEnt int // the next table entry
	oldCode int // the previous code, -1 at the start and after a clear
	finChar byte

	prefix [1 << lzwMaxBits]uint16
	suffix [1 << lzwMaxBits]byte
	stack  [1<<lzwMaxBits + 1]byte
	out    []byte // decoded bytes not yet returned (a tail of stack)

	group [lzwMaxBits]byte // the group of codes being read
	glen  int              // its bytes
	gpos  int              // bits of it already used
	err   error
}

// newLZWReader reads the header of a .Z stream and returns its decoder.
func newLZWReader(r io.Reader) (io.ReadCloser, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 32<<10)
	}
	var h [3]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("%w: header cut short", errLZWCorrupt)
	}
	if h[0] != lzwMagic[0] || h[1] != lzwMagic[1] {
		return nil, fmt.Errorf("%w: not a compress header", errLZWCorrupt)
	}
	maxBits := int(h[2] & lzwBitsMask)
	if h[2]&lzwReserved != 0 {
		return nil, fmt.Errorf("%w: unknown flags 0x%02x", errLZWCorrupt, h[2])
	}
	if maxBits < lzwMinBits || maxBits > lzwMaxBits {
		return nil, fmt.Errorf("%w: code width %d is outside 9..16", errLZWCorrupt, maxBits)
	}
	z := &lzwReader{r: br, maxBits: maxBits, block: h[2]&lzwBlockBit != 0, maxMax: 1 << maxBits}
	z.reset()
	return z, nil
}

// reset starts a table: at the beginning, and at a clear code.
func (z *lzwReader) reset() {
	z.bits = lzwMinBits
	z.maxCode = 1<<lzwMinBits - 1
	z.freeEnt = 256
	if z.block {
		z.freeEnt = lzwClear + 1
	}
	z.oldCode = -1
}

// codeLimit is the largest code of the current width, past which the width
// grows; at the largest width it is the table's size, which no entry
// reaches. Like the compress and gzip decoders, the first width's limit is
// 511 whatever the largest width, so a full table of a 9-bit stream widens
// its codes to 10 bits (ncompress's own writer disagrees there: its -b 9
// output of more than a table's worth cannot be read back by anyone).
func (z *lzwReader) codeLimit() int {
	if z.bits == z.maxBits {
		return z.maxMax
	}
	return 1<<z.bits - 1
}

// Close does nothing: the underlying reader belongs to the caller.
func (z *lzwReader) Close() error { return nil }

func (z *lzwReader) Read(p []byte) (int, error) {
	for len(z.out) == 0 {
		if z.err != nil {
			return 0, z.err
		}
		z.err = z.decode()
	}
	n := copy(p, z.out)
	z.out = z.out[n:]
	return n, nil
}

// code reads the next code; io.EOF when no whole code is left.
func (z *lzwReader) code() (int, error) {
	if z.freeEnt > z.maxCode {
		// The width grows: the rest of this group is padding.
		z.bits++
		z.maxCode = z.codeLimit()
		z.glen, z.gpos = 0, 0
	}
	if z.gpos+z.bits > z.glen*8 {
		n, err := io.ReadFull(z.r, z.group[:z.bits])
		switch {
		case err == io.EOF:
			return 0, io.EOF
		case err == io.ErrUnexpectedEOF: // the last group is partial
		case err != nil:
			return 0, err
		}
		z.glen, z.gpos = n, 0
		if z.bits > n*8 {
			return 0, io.EOF
		}
	}
	// Gather the code's bits, least significant first.
	c, got := 0, 0
	for got < z.bits {
		byteI, bitI := (z.gpos+got)/8, (z.gpos+got)%8
		take := min(8-bitI, z.bits-got)
		c |= int(z.group[byteI]>>bitI&(1<<take-1)) << got
		got += take
	}
	z.gpos += z.bits
	return c, nil
}

// decode reads one code and leaves its string in out.
func (z *lzwReader) decode() error {
	code, err := z.code()
	if err != nil {
		return err
	}
	if z.oldCode == -1 {
		if code >= 256 {
			return fmt.Errorf("%w: the first code %d is not a byte", errLZWCorrupt, code)
		}
		z.oldCode, z.finChar = code, byte(code)
		z.stack[len(z.stack)-1] = z.finChar
		z.out = z.stack[len(z.stack)-1:]
		return nil
	}
	if code == lzwClear && z.block {
		// A clear: the rest of this group is padding.
		z.reset()
		z.glen, z.gpos = 0, 0
		return nil
	}
	in := code
	sp := len(z.stack)
	if code >= z.freeEnt {
		if code > z.freeEnt {
			return fmt.Errorf("%w: code %d is beyond the table (%d entries)", errLZWCorrupt, code, z.freeEnt)
		}
		// The string being defined: the previous one plus its own first byte.
		sp--
		z.stack[sp] = z.finChar
		code = z.oldCode
	}
	// An entry's prefix is always an older entry, so this ends.
	for code >= 256 {
		sp--
		z.stack[sp] = z.suffix[code]
		code = int(z.prefix[code])
	}
	z.finChar = byte(code)
	sp--
	z.stack[sp] = z.finChar
	if z.freeEnt < z.maxMax {
		z.prefix[z.freeEnt] = uint16(z.oldCode)
		z.suffix[z.freeEnt] = z.finChar
		z.freeEnt++
	}
	z.oldCode = in
	z.out = z.stack[sp:]
	return nil
}
