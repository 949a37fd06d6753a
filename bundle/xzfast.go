package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/bits"

	"github.com/fsagent/triage/internal/lzma2"
)

// The parallel reader's workers decode a block whose only filter is LZMA2
// (what xz writes unless told to add a BCJ or delta filter) with
// internal/lzma2, which is about 1.6 times as fast as the general decoder,
// and check it themselves: the block header's CRC32, its sizes against
// the index, the padding, and the block's check. Any other block goes to
// the general decoder as before. A block that fails here is not reported
// by this code: the reader falls back to the sequential decoder from that
// block on (see fallBack), which reports the damage in its own words, so
// the error a user sees does not depend on the decoder that met it first.

// errXzFast is the failure of a block checked here, before the fall back.
var errXzFast = errors.New("xz block does not decode")

// xzFastHeader is what the fast path needs of a block header.
type xzFastHeader struct {
	size int64 // the header's bytes
	data int64 // the compressed data's bytes, from the index
	dict int64 // LZMA2's dictionary
}

// xzCheckSize is the size of a block's check for each check type
// xzCheckSupported accepts.
func xzCheckSize(id byte) int64 {
	switch id {
	case 1:
		return 4
	case 4:
		return 8
	case 10:
		return 32
	}
	return 0
}

// readXzFastHeader reads block b's header and returns it when the fast
// path takes the block: a valid header naming LZMA2 alone, with a
// dictionary of at most xzParDictMax, and sizes agreeing with the index.
func (s *xzStream) readXzFastHeader(ra io.ReaderAt, b xzBlock) (xzFastHeader, bool) {
	var h [1024]byte
	if _, err := ra.ReadAt(h[:1], b.off); err != nil || h[0] == 0 {
		return xzFastHeader{}, false
	}
	size := (int(h[0]) + 1) * 4
	if int64(size) > b.unpadded {
		return xzFastHeader{}, false
	}
	if _, err := ra.ReadAt(h[:size], b.off); err != nil {
		return xzFastHeader{}, false
	}
	bh, ok := parseXzBlockHeader(h[:size])
	data := b.unpadded - int64(size) - xzCheckSize(s.header[7])
	if !ok || data <= 0 || (bh.data >= 0 && bh.data != data) || (bh.uncompressed >= 0 && bh.uncompressed != b.uncompressed) {
		return xzFastHeader{}, false
	}
	return xzFastHeader{size: int64(size), data: data, dict: bh.dict}, true
}

// xzBlockHeader is what a block header declares; a size it leaves out is
// -1.
type xzBlockHeader struct {
	data, uncompressed int64
	dict               int64
}

// parseXzBlockHeader reads a whole block header (its size byte first, its
// CRC32 last) and returns it when this package's LZMA2 decoder takes the
// block: the CRC32 right, no reserved bit set, LZMA2 as the only filter,
// a dictionary of at most xzParDictMax and zeros as padding.
func parseXzBlockHeader(h []byte) (xzBlockHeader, bool) {
	size := len(h)
	if size < 8 || crc32.ChecksumIEEE(h[:size-4]) != binary.LittleEndian.Uint32(h[size-4:size]) {
		return xzBlockHeader{}, false
	}
	flags := h[1]
	if flags&0x3c != 0 || flags&0x03 != 0 { // reserved bits; more than one filter
		return xzBlockHeader{}, false
	}
	bh := xzBlockHeader{data: -1, uncompressed: -1}
	p := h[2 : size-4]
	if flags&0x40 != 0 {
		v, ok := xzVLI(&p)
		if !ok || v == 0 || v > 1<<62 {
			return xzBlockHeader{}, false
		}
		bh.data = int64(v)
	}
	if flags&0x80 != 0 {
		v, ok := xzVLI(&p)
		if !ok || v > 1<<62 {
			return xzBlockHeader{}, false
		}
		bh.uncompressed = int64(v)
	}
	id, ok1 := xzVLI(&p)
	n, ok2 := xzVLI(&p)
	if !ok1 || !ok2 || id != 0x21 || n != 1 || len(p) < 1 {
		return xzBlockHeader{}, false
	}
	dict, ok := lzma2.DictSize(p[0])
	if !ok || dict > xzParDictMax || !allZero(p[1:]) {
		return xzBlockHeader{}, false
	}
	bh.dict = dict
	return bh, true
}

// xzFast is a worker's state for the fast path, reused from block to block.
type xzFast struct {
	dec *lzma2.Decoder
	in  *bufio.Reader
}

// decodeFast decodes job j's block, sending its output to j.out, when the
// fast path takes the block; it returns false when it does not, having
// sent nothing.
func (r *xzParReader) decodeFast(f *xzFast, j *xzJob) (bool, error) {
	b := r.s.blocks[j.i]
	h, ok := r.s.readXzFastHeader(r.ra, b)
	if !ok {
		return false, nil
	}
	check, data := r.s.header[7], h.data
	src := io.NewSectionReader(r.ra, b.off+h.size, data)
	if f.dec == nil {
		f.dec, f.in = lzma2.NewDecoder(), bufio.NewReaderSize(src, 64<<10)
	} else {
		f.in.Reset(src)
	}
	sum := xzCheckHash(check)
	out := chunkSender{free: r.free, out: j.out, done: r.done}
	in, n, err := f.dec.Decode(f.in, h.dict, b.uncompressed, func(p []byte) error {
		if sum != nil {
			sum.Write(p)
		}
		return out.write(p)
	})
	if err == nil {
		err = out.flush()
	}
	if err == errXzParClosed {
		return true, err
	}
	if err != nil || in != data || n != b.uncompressed {
		return true, errXzFast
	}
	// The padding (zeros up to a multiple of four) and the check follow.
	pad := (4 - (h.size+data)%4) % 4
	tail := make([]byte, pad+xzCheckSize(check))
	if _, err := r.ra.ReadAt(tail, b.off+h.size+data); err != nil || !allZero(tail[:pad]) {
		return true, errXzFast
	}
	if sum != nil && !bytes.Equal(xzCheckBytes(check, sum), tail[pad:]) {
		return true, errXzFast
	}
	return true, nil
}

// xzCRC64 is xz's CRC64 (ECMA-182, the polynomial of hash/crc64.ECMA).
// hash/crc64 takes eight bytes a step with tables, at 1.9 GB/s, and was a
// tenth of the CPU of a .tar.xz analysis. Where the CPU multiplies
// without carries (PCLMULQDQ, every x86-64 of the last decade) the bytes
// are folded sixteen at a time in assembly (xzcrc64_amd64.s), several
// times as fast; elsewhere tables take sixteen bytes a step (1.3 times
// hash/crc64).
type xzCRC64 struct{ crc uint64 }

// crc64Tables[k][b] is the CRC of byte b followed by k zero bytes.
var crc64Tables = func() *[16][256]uint64 {
	t := new([16][256]uint64)
	t[0] = *crc64.MakeTable(crc64.ECMA)
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 16; k++ {
			c = t[0][byte(c)] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}()

// crc64FoldK are the folding constants. In the reflected bit order of the
// CRC, a 64-bit value represents a polynomial of degree below 64 with its
// bit k the coefficient of x^(63-k), and a carry-less product of two such
// values represents their product times x. Folding the accumulator A
// (its low half H the earlier bytes, its high half L) over the next 16
// bytes multiplies it by x^128: H*x^192 + L*x^128. So H is multiplied by
// x^191 mod P and L by x^127 mod P, the x lost in each product coming back
// from the multiplication's own.
var crc64FoldK = [2]uint64{crc64XPow(191), crc64XPow(127)}

// crc64XPow is x^n mod P in the reflected bit order.
func crc64XPow(n int) uint64 {
	const poly = 0x42f0e1eba9ea3693 // ECMA-182 without x^64, bit k the coefficient of x^k
	r := uint64(1)
	for range n {
		top := r >> 63
		r <<= 1
		if top != 0 {
			r ^= poly
		}
	}
	return bits.Reverse64(r)
}

func (c *xzCRC64) Write(p []byte) (int, error) {
	n := len(p)
	crc := ^c.crc
	if crc64HasFold && len(p) >= 64 {
		// The first 16 bytes, with the CRC so far in their first eight,
		// are the accumulator; the others fold into it; the CRC of what
		// it holds is the CRC of all of them.
		m := len(p) &^ 15
		a0, a1 := crc64Fold(binary.LittleEndian.Uint64(p)^crc, binary.LittleEndian.Uint64(p[8:16]), p[16:m], &crc64FoldK)
		var acc [16]byte
		binary.LittleEndian.PutUint64(acc[:8], a0)
		binary.LittleEndian.PutUint64(acc[8:], a1)
		crc = crc64Update16(0, acc[:])
		p = p[m:]
	}
	c.crc = ^crc64Update16(crc, p)
	return n, nil
}

// crc64Update16 runs the CRC state crc (not inverted) over p with tables,
// sixteen bytes a step.
func crc64Update16(crc uint64, p []byte) uint64 {
	t := crc64Tables
	for len(p) >= 16 {
		a := binary.LittleEndian.Uint64(p) ^ crc
		b := binary.LittleEndian.Uint64(p[8:16])
		crc = t[15][byte(a)] ^ t[14][byte(a>>8)] ^ t[13][byte(a>>16)] ^ t[12][byte(a>>24)] ^
			t[11][byte(a>>32)] ^ t[10][byte(a>>40)] ^ t[9][byte(a>>48)] ^ t[8][byte(a>>56)] ^
			t[7][byte(b)] ^ t[6][byte(b>>8)] ^ t[5][byte(b>>16)] ^ t[4][byte(b>>24)] ^
			t[3][byte(b>>32)] ^ t[2][byte(b>>40)] ^ t[1][byte(b>>48)] ^ t[0][byte(b>>56)]
		p = p[16:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}

func (c *xzCRC64) Sum64() uint64 { return c.crc }
func (c *xzCRC64) Sum(b []byte) []byte {
	return binary.BigEndian.AppendUint64(b, c.crc)
}
func (c *xzCRC64) Reset()         { c.crc = 0 }
func (c *xzCRC64) Size() int      { return 8 }
func (c *xzCRC64) BlockSize() int { return 1 }

// xzCheckHash is the hash of check type check, or nil for none.
func xzCheckHash(check byte) hash.Hash {
	switch check {
	case 1:
		return crc32.NewIEEE()
	case 4:
		return &xzCRC64{}
	case 10:
		return sha256.New()
	}
	return nil
}

// xzCheckBytes is sum as an xz block stores it: CRCs little-endian, SHA-256
// as it is.
func xzCheckBytes(check byte, sum hash.Hash) []byte {
	switch check {
	case 1:
		return binary.LittleEndian.AppendUint32(nil, sum.(hash.Hash32).Sum32())
	case 4:
		return binary.LittleEndian.AppendUint64(nil, sum.(hash.Hash64).Sum64())
	}
	return sum.Sum(nil)
}

// chunkSender cuts decoded output into chunks of xzParChunk bytes, taken
// from free when one is there, and sends them on out until done closes.
type chunkSender struct {
	free <-chan []byte
	out  chan<- []byte
	done <-chan struct{}
	c    []byte // the chunk being filled
}

func (s *chunkSender) write(p []byte) error {
	for len(p) > 0 {
		if s.c == nil {
			select {
			case s.c = <-s.free:
			default:
				s.c = make([]byte, xzParChunk)
			}
			s.c = s.c[:0]
		}
		n := copy(s.c[len(s.c):cap(s.c)], p)
		s.c, p = s.c[:len(s.c)+n], p[n:]
		if len(s.c) == cap(s.c) {
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush sends the chunk being filled, if any.
func (s *chunkSender) flush() error {
	if len(s.c) == 0 {
		return nil
	}
	select {
	case s.out <- s.c:
		s.c = nil
		return nil
	case <-s.done:
		return errXzParClosed
	}
}
