package bundle

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/klauspost/compress/gzip"
)

// gzipMembers reads a gzip file member by member. Where something that is
// not a gzip member follows a member (bytes of another file, zero padding,
// a resumed download written at the wrong place), it skips to the next
// gzip header instead of ending the file there, and tells skipped how many
// bytes it passed over and where, so the gap is reported, never hidden.
type gzipMembers struct {
	br      *bufio.Reader // a ByteReader, so the decoder reads no further than its member
	z       *gzip.Reader
	cnt     *countReader
	skipped func(at, n int64)
	err     error
}

// gzipMagic starts every member: ID1, ID2 and CM (deflate).
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

func newGzipMembers(r io.Reader, skipped func(at, n int64)) (*gzipMembers, error) {
	var consumed int64
	g := &gzipMembers{skipped: skipped}
	g.cnt = &countReader{r: r, n: &consumed}
	// 4 KiB, like the decoder's own buffer: the ratio limit counts what
	// was read from the layer below, so a larger read-ahead would let a
	// bomb run further before it is stopped.
	g.br = bufio.NewReaderSize(g.cnt, 4<<10)
	z, err := gzip.NewReader(g.br)
	if err != nil {
		return nil, err
	}
	z.Multistream(false)
	g.z = z
	return g, nil
}

// pos is how many compressed bytes the decoder has consumed.
func (g *gzipMembers) pos() int64 { return *g.cnt.n - int64(g.br.Buffered()) }

func (g *gzipMembers) Read(p []byte) (int, error) {
	for g.err == nil {
		n, err := g.z.Read(p)
		if err != io.EOF {
			if err != nil {
				g.err = err
			}
			return n, err
		}
		if n > 0 {
			return n, nil
		}
		g.err = g.next()
	}
	return 0, g.err
}

// next moves to the member after the current one, skipping anything that
// is not a gzip header; io.EOF at the end of the file. Zero bytes at the
// very end are padding (tape blocking, dd) and pass without a word.
func (g *gzipMembers) next() error {
	start := g.pos()
	var skip int64
	zeros := true
	drop := func(n int) {
		buf, _ := g.br.Peek(n)
		for _, c := range buf {
			zeros = zeros && c == 0
		}
		d, _ := g.br.Discard(n)
		skip += int64(d)
	}
	for {
		buf, err := g.br.Peek(max(len(gzipMagic)+1, g.br.Buffered()))
		// A header: the magic number, then flags without reserved bits.
		if bytes.HasPrefix(buf, gzipMagic) && len(buf) > len(gzipMagic) && buf[3]&0xe0 == 0 {
			if skip > 0 {
				g.skipped(start, skip)
			}
			if err := g.z.Reset(g.br); err != nil {
				return err
			}
			g.z.Multistream(false) // Reset turns it back on
			return nil
		}
		if len(buf) <= len(gzipMagic) {
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			drop(len(buf))
			if skip > 0 && !zeros {
				g.skipped(start, skip)
			}
			return io.EOF
		}
		// Drop up to the next possible start of a header, keeping a tail
		// that may be the beginning of one.
		if i := bytes.Index(buf[1:], gzipMagic); i >= 0 {
			drop(i + 1)
		} else {
			drop(len(buf) - len(gzipMagic))
		}
	}
}

// Close releases the decoder.
func (g *gzipMembers) Close() error { return g.z.Close() }
