package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/fsagent/triage/internal/lzma2"
	"github.com/mikelolasagasti/xz"
)

// An xz file that is not the bundle itself (a sosreport.tar.xz inside the
// zip a customer uploaded, or inside a directory bundle) can only be read
// front to back, while the parallel reader (xzpar.go) needs the index at
// the file's end. It went to the general decoder, on the walk's goroutine,
// at about half the speed of internal/lzma2: such a bundle took twice as
// long as the same .tar.xz given directly.
//
// xzStreamReader reads the container itself, front to back, and decodes
// each block with internal/lzma2 on a goroutine of its own, ahead of the
// walk. It checks what the general decoder checks: the stream header and
// footer and their CRC32s, each block header's CRC32 and the sizes it
// declares, the block padding and check, and the index against the
// blocks read (their count and sizes) with its own CRC32. A stream whose
// first block this path does not take (a BCJ or delta filter, a dictionary
// over xzParDictMax, a check type other than none, CRC32, CRC64 and
// SHA-256) goes to the general decoder whole, since none of it was
// consumed; so does whatever follows a stream, unless it is stream padding
// or another stream this path takes. Damage this path finds itself is
// reported with the general decoder's error values (xz.ErrData,
// xz.ErrBuf), so a report reads the same whichever decoder met it; only a
// file both cut and corrupt inside one LZMA2 chunk may read "truncated or
// corrupt" here where the general decoder, which decodes a chunk as it
// arrives, says "corrupt".

// xzStreamAhead is how many chunks of decoded output the decoding
// goroutine may hold ahead of the reader.
const xzStreamAhead = 4

// errXzFilters is a block whose filters this path does not decode, after
// blocks of the same stream that it did: the xz tools never write one.
var errXzFilters = fmt.Errorf("%w (a block's filters differ from the first block's)", xz.ErrOptions)

// xzStreamFeed is the size of the pieces of input the reader hands its
// decoding goroutine.
const xzStreamFeed = 256 << 10

// xzStreamReader decodes an xz file read front to back (see above). Its
// input is read on the caller's goroutine, in Read, when the decoding
// goroutine asks for more: the input is the walk's own reader (the
// enclosing archive's, which counts bytes for the limits), which must not
// be read from two goroutines.
type xzStreamReader struct {
	workerGroup
	src     io.Reader
	inbuf   []byte
	need    chan struct{}  // the decoding goroutine wants input
	feed    chan xzFeeding // and gets it
	out     chan []byte
	free    chan []byte
	err     error // why out was closed, read once it is
	pending outBuf
	// fastStreams counts the streams this path began to decode; read
	// it after Close (tests).
	fastStreams int
}

// xzFeeding is a piece of input, and the error that ended it.
type xzFeeding struct {
	b   []byte
	err error
}

// newXzStreamReader returns a reader of the xz data r holds.
func newXzStreamReader(r io.Reader) io.ReadCloser {
	x := &xzStreamReader{workerGroup: newWorkerGroup(), src: r, inbuf: make([]byte, xzStreamFeed),
		need: make(chan struct{}), feed: make(chan xzFeeding),
		out: make(chan []byte, xzStreamAhead), free: make(chan []byte, xzStreamAhead+1)}
	x.wg.Add(1)
	go x.run(bufio.NewReaderSize(&xzFedReader{x: x}, 64<<10))
	return x
}

func (x *xzStreamReader) Read(p []byte) (int, error) {
	for {
		if len(x.pending.rest) > 0 {
			return x.pending.read(p, x.free), nil
		}
		select {
		case c, ok := <-x.out:
			if !ok {
				return 0, x.err
			}
			x.pending.set(c)
		case <-x.need:
			// The goroutine has used the last piece: the buffer is free.
			n, err := x.src.Read(x.inbuf)
			x.feed <- xzFeeding{x.inbuf[:n], err}
		}
	}
}

// xzFedReader is the decoding goroutine's input: what Read hands it.
type xzFedReader struct {
	x   *xzStreamReader
	cur []byte
	err error
}

func (f *xzFedReader) Read(p []byte) (int, error) {
	for len(f.cur) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		select {
		case f.x.need <- struct{}{}:
		case <-f.x.done:
			return 0, errXzParClosed
		}
		fd := <-f.x.feed // Read answers every request
		f.cur, f.err = fd.b, fd.err
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}

// run decodes br until its end, an error, or the reader's Close.
func (x *xzStreamReader) run(br *bufio.Reader) {
	defer x.wg.Done()
	err := errXzParClosed
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (the decoder failed: %v)", xz.ErrData, r)
		}
		x.err = err
		close(x.out)
	}()
	err = x.decode(br)
}

// decode delivers the streams of br, the fast ones decoded here and the
// rest by the general decoder.
func (x *xzStreamReader) decode(br *bufio.Reader) error {
	var dec *lzma2.Decoder
	first := true
	for {
		if !first {
			// Stream padding: zeros, a multiple of four of them, then
			// the end or another stream.
			zeros := 0
			for {
				b, err := br.Peek(1)
				if len(b) == 0 {
					if err != io.EOF {
						return err
					}
					if zeros%4 != 0 {
						return xz.ErrData
					}
					return io.EOF
				}
				b, _ = br.Peek(br.Buffered())
				n := 0
				for n < len(b) && b[n] == 0 {
					n++
				}
				br.Discard(n)
				zeros += n
				if n < len(b) {
					break
				}
			}
			if zeros%4 != 0 {
				return xz.ErrData
			}
		}
		if !xzStreamFast(br) {
			// Nothing of this stream was consumed: the general decoder
			// reads it and everything after it.
			z, err := xz.NewReader(br, 0)
			if err != nil {
				return err
			}
			return x.copyFrom(z)
		}
		if dec == nil {
			dec = lzma2.NewDecoder()
		}
		x.fastStreams++
		if err := x.stream(br, dec); err != nil {
			return err
		}
		first = false
	}
}

// xzStreamFast tells whether the stream starting at br is one this path
// takes: a valid stream header with a supported check, followed by a
// block header that parseXzBlockHeader accepts.
func xzStreamFast(br *bufio.Reader) bool {
	h, err := br.Peek(13)
	if err != nil || !xzHeaderTaken(h[:12]) || h[12] == 0 {
		return false
	}
	size := (int(h[12]) + 1) * 4
	h, err = br.Peek(12 + size)
	if err != nil {
		return false
	}
	_, ok := parseXzBlockHeader(h[12:])
	return ok
}

// xzStreamRead is the input of one stream: it counts the bytes read, for
// the padding and the index's sizes, and runs the index's CRC32 when on.
type xzStreamRead struct {
	br  *bufio.Reader
	n   int64
	eof bool        // the input ended, or was cut (a cut zip entry)
	crc hash.Hash32 // nil outside the index
}

func (s *xzStreamRead) Read(p []byte) (int, error) {
	n, err := s.br.Read(p)
	s.n += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		s.eof = true
	}
	if s.crc != nil {
		s.crc.Write(p[:n])
	}
	return n, err
}

// full reads exactly len(p) bytes; the stream ending first is the
// general decoder's xz.ErrBuf.
func (s *xzStreamRead) full(p []byte) error {
	_, err := io.ReadFull(s, p)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = xz.ErrBuf
	}
	return err
}

// zeros reads n bytes of padding, each of which must be zero: a byte that
// is not is corrupt data even when the input ends before the padding does.
func (s *xzStreamRead) zeros(n int) error {
	var b [1]byte
	for range n {
		if err := s.full(b[:]); err != nil {
			return err
		}
		if b[0] != 0 {
			return xz.ErrData
		}
	}
	return nil
}

// vli reads a multibyte integer of the index.
func (s *xzStreamRead) vli() (uint64, error) {
	var b [9]byte
	for i := range b {
		if err := s.full(b[i : i+1]); err != nil {
			return 0, err
		}
		if b[i]&0x80 == 0 {
			p := b[:i+1]
			v, ok := xzVLI(&p)
			if !ok || v > 1<<62 {
				return 0, xz.ErrData
			}
			return v, nil
		}
	}
	return 0, xz.ErrData
}

// xzRecords sums what an index records of blocks, so the blocks read and
// the index are compared without holding either.
type xzRecords struct {
	count uint64
	sum   hash.Hash
}

func (r *xzRecords) add(unpadded, uncompressed uint64) {
	if r.sum == nil {
		r.sum = sha256.New()
	}
	r.count++
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], unpadded)
	binary.LittleEndian.PutUint64(b[8:], uncompressed)
	r.sum.Write(b[:])
}

func (r *xzRecords) equal(o *xzRecords) bool {
	if r.count != o.count {
		return false
	}
	if r.count == 0 {
		return true
	}
	return bytes.Equal(r.sum.Sum(nil), o.sum.Sum(nil))
}

// stream decodes one stream whose start xzStreamFast accepted.
func (x *xzStreamReader) stream(br *bufio.Reader, dec *lzma2.Decoder) error {
	in := &xzStreamRead{br: br}
	var head [12]byte
	if err := in.full(head[:]); err != nil {
		return err
	}
	check := head[7]
	var blocks xzRecords
	out := chunkSender{free: x.free, out: x.out, done: x.done}
	for {
		var hb [1024]byte
		if err := in.full(hb[:1]); err != nil {
			return err
		}
		if hb[0] == 0 {
			break // the index
		}
		size := (int(hb[0]) + 1) * 4
		if err := in.full(hb[1:size]); err != nil {
			return err
		}
		bh, ok := parseXzBlockHeader(hb[:size])
		if !ok {
			if crc32.ChecksumIEEE(hb[:size-4]) != binary.LittleEndian.Uint32(hb[size-4:size]) {
				return xz.ErrData
			}
			return errXzFilters
		}
		var src io.Reader = in
		if bh.data >= 0 {
			src = io.LimitReader(in, bh.data)
		}
		limit := bh.uncompressed
		if limit < 0 {
			limit = 1 << 62
		}
		sum := xzCheckHash(check)
		dataStart := in.n
		_, n, err := dec.Decode(src, bh.dict, limit, func(p []byte) error {
			if sum != nil {
				sum.Write(p)
			}
			return out.write(p)
		})
		if ferr := out.flush(); err == nil {
			// What was decoded before an error is delivered too, as the
			// general decoder delivers it.
			err = ferr
		}
		if err != nil {
			switch {
			case !errors.Is(err, lzma2.ErrData) && !errors.Is(err, lzma2.ErrLimit):
				return err // the reader closed, or the input's own error
			case in.eof:
				return xz.ErrBuf // cut short
			}
			return xz.ErrData
		}
		data := in.n - dataStart
		if (bh.data >= 0 && data != bh.data) || (bh.uncompressed >= 0 && n != bh.uncompressed) {
			return xz.ErrData
		}
		if err := in.zeros(int((4 - (int64(size)+data)%4) % 4)); err != nil {
			return err
		}
		var tail [32]byte
		sumBytes := tail[:xzCheckSize(check)]
		if err := in.full(sumBytes); err != nil {
			return err
		}
		if sum != nil && !bytes.Equal(xzCheckBytes(check, sum), sumBytes) {
			return xz.ErrData
		}
		unpadded := int64(size) + data + xzCheckSize(check)
		blocks.add(uint64(unpadded), uint64(n))
	}
	// The index: its indicator (read above), the records, padding, CRC32.
	indexStart := in.n - 1
	in.crc = crc32.NewIEEE()
	in.crc.Write([]byte{0})
	count, err := in.vli()
	if err != nil {
		return err
	}
	if count != blocks.count {
		return xz.ErrData
	}
	var index xzRecords
	for range count {
		u, err := in.vli()
		if err != nil {
			return err
		}
		c, err := in.vli()
		if err != nil {
			return err
		}
		index.add(u, c)
	}
	if err := in.zeros(int((4 - (in.n-indexStart)%4) % 4)); err != nil {
		return err
	}
	if !index.equal(&blocks) {
		return xz.ErrData
	}
	sum := in.crc.Sum32()
	in.crc = nil
	var tail [4 + 12]byte
	if err := in.full(tail[:]); err != nil {
		return err
	}
	foot := tail[4:]
	indexSize := in.n - 12 - indexStart
	if binary.LittleEndian.Uint32(tail[:4]) != sum ||
		crc32.ChecksumIEEE(foot[4:10]) != binary.LittleEndian.Uint32(foot[0:4]) ||
		int64(binary.LittleEndian.Uint32(foot[4:8])+1)*4 != indexSize ||
		foot[8] != head[6] || foot[9] != head[7] || string(foot[10:12]) != "YZ" {
		return xz.ErrData
	}
	return nil
}

// copyFrom delivers what z decodes, and z's error at its end.
func (x *xzStreamReader) copyFrom(z io.Reader) error {
	for {
		var c []byte
		select {
		case c = <-x.free:
		default:
			c = make([]byte, xzParChunk)
		}
		c = c[:cap(c)]
		n := 0
		var err error
		for n < len(c) && err == nil {
			var m int
			m, err = z.Read(c[n:])
			n += m
		}
		if n > 0 {
			select {
			case x.out <- c[:n]:
			case <-x.done:
				return errXzParClosed
			}
		}
		if err != nil {
			return err
		}
	}
}
