package bundle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mikelolasagasti/xz"
)

// An xz file written with threads (xz -T; xz 5.4.1 still writes one block
// without it) is one stream of many independent blocks, with an index at
// its end giving each block's sizes. When the bundle is a file (random
// access), the blocks are decoded on every core and their output delivered
// in order: a pure-Go decoder is slower than xz's own and would otherwise
// bound the whole analysis to one core.
//
// Each block is handed to the decoder as a small stream of its own: the
// file's stream header, the block's bytes, and an index of one record and a
// footer written here, so the decoder checks the block's header, data,
// check and sizes exactly as it would in the whole stream. Anything this
// code does not handle (one block, several concatenated streams, padding,
// an index that does not match the file, a dictionary larger than
// xzParDictMax) leaves the file to the ordinary sequential decoder. If a
// block fails while decoded in parallel, the rest of the file, from that
// block on, is handed to a sequential decoder (the header, the remaining
// blocks, and an index of their records), and the bytes of the failed block
// already delivered are skipped: what the reader gets, data and error, is
// what the sequential decoder of the whole file would give.

const (
	// xzParChunk is the unit in which decoded output travels from a worker
	// to the reader.
	xzParChunk = 256 << 10
	// xzParAhead bounds how much of one block a worker decodes before the
	// reader gets to that block: with at most one block per worker, the
	// one being read included, a walk holds at most workers times this
	// much decoded output (8 MiB with two workers; 6 MiB for the 3 MiB
	// blocks of xz -T -1).
	xzParAhead = 4 << 20
	// xzParDictMax is the largest dictionary decoded in parallel: each
	// worker holds one (xz -6 uses 8 MiB; -9, 64 MiB, is left to the
	// sequential decoder, whose one dictionary is all it needs).
	xzParDictMax = 16 << 20
	// xzMaxIndex bounds the index read into memory (about 150,000 blocks;
	// a 4 GiB bundle written by xz -T has about 1,400 of 3 MiB).
	xzMaxIndex = 1 << 20
	// xzParMaxWorkers bounds the decoding goroutines.
	xzParMaxWorkers = 4
)

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// xzBlock is one block of an xz stream as its index records it.
type xzBlock struct {
	off          int64 // offset of the block header in the file
	unpadded     int64 // header + compressed data + check, without padding
	uncompressed int64
}

// padded is the block's size in the file.
func (b xzBlock) padded() int64 { return (b.unpadded + 3) &^ 3 }

// xzStream is a single-stream xz file whose index was read and checked
// against the file's layout.
type xzStream struct {
	header     [12]byte
	blocks     []xzBlock
	indexStart int64
	size       int64
}

// readXzStream reads the footer and index of the xz file ra (size bytes)
// and checks that they describe one stream covering the whole file. It
// returns nil when they do not (the sequential decoder then reads the file
// and reports whatever is wrong), and for a stream without blocks.
func readXzStream(ra io.ReaderAt, size int64) *xzStream {
	if size < 12+8+12 {
		return nil
	}
	s := &xzStream{size: size}
	var foot [12]byte
	if _, err := ra.ReadAt(s.header[:], 0); err != nil {
		return nil
	}
	if _, err := ra.ReadAt(foot[:], size-12); err != nil {
		return nil
	}
	h, f := s.header[:], foot[:]
	if !xzHeaderTaken(h) {
		return nil
	}
	if string(f[10:12]) != "YZ" || crc32.ChecksumIEEE(f[4:10]) != binary.LittleEndian.Uint32(f[0:4]) ||
		f[8] != h[6] || f[9] != h[7] {
		return nil
	}
	indexSize := (int64(binary.LittleEndian.Uint32(f[4:8])) + 1) * 4
	s.indexStart = size - 12 - indexSize
	if indexSize > xzMaxIndex || s.indexStart < 12 {
		return nil
	}
	index := make([]byte, indexSize)
	if _, err := ra.ReadAt(index, s.indexStart); err != nil {
		return nil
	}
	body := index[:len(index)-4]
	if index[0] != 0 || crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(index[len(index)-4:]) {
		return nil
	}
	p := body[1:]
	count, ok := xzVLI(&p)
	if !ok || count < 1 || count > uint64(len(p))/2 {
		return nil
	}
	s.blocks = make([]xzBlock, 0, count)
	off := int64(12)
	for range count {
		unpadded, ok1 := xzVLI(&p)
		uncompressed, ok2 := xzVLI(&p)
		// The smallest block is an 8-byte header and one byte of data.
		if !ok1 || !ok2 || unpadded < 9 || unpadded > uint64(s.indexStart) || uncompressed > 1<<62 {
			return nil
		}
		b := xzBlock{off: off, unpadded: int64(unpadded), uncompressed: int64(uncompressed)}
		off += b.padded()
		if off > s.indexStart {
			return nil
		}
		s.blocks = append(s.blocks, b)
	}
	// What is left is the index padding: zeros up to a multiple of four.
	if off != s.indexStart || len(p) != (4-(len(body)-len(p))%4)%4 || !allZero(p) {
		return nil
	}
	return s
}

// xzHeaderTaken tells whether h, a stream header's 12 bytes, is valid and
// names a check type the readers of this package verify.
func xzHeaderTaken(h []byte) bool {
	return bytes.Equal(h[:6], xzMagic) && crc32.ChecksumIEEE(h[6:8]) == binary.LittleEndian.Uint32(h[8:12]) &&
		h[6] == 0 && xzCheckSupported(h[7])
}

// xzCheckSupported says whether the decoder verifies check type id (none,
// CRC32, CRC64, SHA-256).
func xzCheckSupported(id byte) bool { return id == 0 || id == 1 || id == 4 || id == 10 }

// xzVLI decodes one variable-length integer of the xz format from *p,
// refusing the forms the decoder refuses (more than nine bytes, a
// superfluous zero byte).
func xzVLI(p *[]byte) (uint64, bool) {
	var v uint64
	for i := 0; i < 9 && i < len(*p); i++ {
		c := (*p)[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, false
			}
			*p = (*p)[i+1:]
			return v, true
		}
	}
	return 0, false
}

func putXzVLI(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// sub is the stream made of the file's header, blocks [from, to) and an
// index of their records: what the decoder reads to decode those blocks
// alone. Its blocks are read from ra in place.
func (s *xzStream) sub(ra io.ReaderAt, from, to int) io.Reader {
	end := s.indexStart
	if to < len(s.blocks) {
		end = s.blocks[to].off
	}
	off := s.blocks[from].off
	index := []byte{0}
	index = putXzVLI(index, uint64(to-from))
	for _, b := range s.blocks[from:to] {
		index = putXzVLI(index, uint64(b.unpadded))
		index = putXzVLI(index, uint64(b.uncompressed))
	}
	for len(index)%4 != 0 {
		index = append(index, 0)
	}
	index = binary.LittleEndian.AppendUint32(index, crc32.ChecksumIEEE(index))
	var foot [12]byte
	binary.LittleEndian.PutUint32(foot[4:8], uint32(len(index)/4-1))
	foot[8], foot[9] = s.header[6], s.header[7]
	binary.LittleEndian.PutUint32(foot[0:4], crc32.ChecksumIEEE(foot[4:10]))
	foot[10], foot[11] = 'Y', 'Z'
	trailer := append(index, foot[:]...)
	return io.MultiReader(bytes.NewReader(s.header[:]), io.NewSectionReader(ra, off, end-off), bytes.NewReader(trailer))
}

// xzParWorkers is how many goroutines decode blocks: one per core, at most
// xzParMaxWorkers.
func xzParWorkers() int { return min(runtime.GOMAXPROCS(0), xzParMaxWorkers) }

// newXzParallel returns a reader of the decoded content of the xz file ra
// (size bytes) that decodes its blocks in parallel, or nil when the file is
// not a stream this reader handles (see readXzStream). A stream of one
// block, or any stream on one core, is taken only when its first block
// goes the fast way (xzfast.go): otherwise the reader would only add
// goroutines to the sequential decoder's work. in counts the compressed
// bytes consumed, for the ratio limit.
func newXzParallel(ra io.ReaderAt, size int64, in *int64) *xzParReader {
	n := xzParWorkers()
	s := readXzStream(ra, size)
	if s == nil {
		return nil
	}
	if len(s.blocks) < 2 || n < 2 {
		if _, fast := s.readXzFastHeader(ra, s.blocks[0]); !fast {
			return nil
		}
	}
	// The reader's queue holds the blocks after the one being read: n-1 of
	// them keep every worker busy while the reader keeps up, and bound the
	// blocks with output in memory to n.
	r := &xzParReader{workerGroup: newWorkerGroup(), s: s, ra: ra, in: in,
		order: make(chan *xzJob, n-1), free: make(chan []byte, n*(xzParAhead/xzParChunk+1))}
	jobs := make(chan *xzJob)
	r.wg.Add(n + 1)
	go r.feed(jobs)
	for range n {
		go r.work(jobs)
	}
	return r
}

// xzJob is one block given to a worker; out carries its decoded output in
// order and is closed when the block ends, err then saying how.
type xzJob struct {
	i   int
	out chan []byte
	err error
}

// xzParReader delivers the decoded blocks in order (see newXzParallel).
type xzParReader struct {
	workerGroup
	s     *xzStream
	ra    io.ReaderAt
	in    *int64
	order chan *xzJob // jobs in block order, for the reader
	free  chan []byte // chunks the reader is done with

	cur       *xzJob
	pending   outBuf // the chunk being read
	delivered int64  // bytes of cur's block delivered
	seq       io.Reader
	err       error

	// fastBlocks counts the blocks decoded by the fast path (xzfast.go),
	// so tests can tell that it was taken.
	fastBlocks atomic.Int64
}

// feed hands the blocks out in order, to the reader's queue first: the
// queue's capacity bounds the blocks being decoded ahead.
func (r *xzParReader) feed(jobs chan<- *xzJob) {
	defer r.wg.Done()
	defer close(jobs)
	defer close(r.order)
	for i, b := range r.s.blocks {
		ahead := int(min(b.uncompressed, xzParAhead)/xzParChunk) + 1
		j := &xzJob{i: i, out: make(chan []byte, ahead)}
		select {
		case r.order <- j:
		case <-r.done:
			return
		}
		select {
		case jobs <- j:
		case <-r.done:
			return
		}
	}
}

// work decodes the blocks it is given, reusing one decoder (and its
// dictionary) for all of them.
func (r *xzParReader) work(jobs <-chan *xzJob) {
	defer r.wg.Done()
	var z *xz.Reader
	var fast xzFast
	for j := range jobs {
		j.err = r.block(&z, &fast, j)
		if j.err != nil {
			z = nil // its state after an error is not worth trusting
		}
		close(j.out)
	}
}

// block decodes one block, by the fast path when it can, else with *z
// (made or reset here). A decoder's panic is an error like any other: the
// block then goes to the sequential decoder, on the walk's goroutine,
// which turns the same panic into a warning on the file.
func (r *xzParReader) block(z **xz.Reader, fast *xzFast, j *xzJob) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("xz: the decoder failed: %v", p)
		}
	}()
	if ok, err := r.decodeFast(fast, j); ok {
		if err == nil {
			r.fastBlocks.Add(1)
		}
		return err
	}
	src := r.s.sub(r.ra, j.i, j.i+1)
	if *z == nil {
		*z, err = xz.NewReader(src, xzParDictMax)
	} else {
		err = (*z).Reset(src)
	}
	if err != nil {
		return err
	}
	(*z).Multistream(false)
	return r.decode(*z, j)
}

// decode sends the output of z to j.out in chunks, until the end of the
// block (nil) or an error.
func (r *xzParReader) decode(z *xz.Reader, j *xzJob) error {
	for {
		var c []byte
		select {
		case c = <-r.free:
		default:
			c = make([]byte, xzParChunk)
		}
		n, err := io.ReadFull(z, c)
		if n > 0 {
			select {
			case j.out <- c[:n]:
			case <-r.done:
				return errXzParClosed
			}
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return nil
		default:
			return err
		}
	}
}

var errXzParClosed = errors.New("xz: reader closed")

func (r *xzParReader) Read(p []byte) (int, error) {
	for {
		if len(r.pending.rest) > 0 {
			n := r.pending.read(p, r.free)
			r.delivered += int64(n)
			return n, nil
		}
		if r.seq != nil {
			return r.seq.Read(p)
		}
		if r.err != nil {
			return 0, r.err
		}
		if r.cur == nil {
			j, ok := <-r.order
			if !ok {
				// Every block decoded and checked against its record of
				// the index, whose own check was verified on opening.
				*r.in += r.s.size - r.s.indexStart
				r.err = io.EOF
				r.stop()
				return 0, io.EOF
			}
			r.cur, r.delivered = j, 0
			if j.i == 0 {
				*r.in += 12
			}
			*r.in += r.s.blocks[j.i].padded()
		}
		if c, ok := <-r.cur.out; ok {
			r.pending.set(c)
			continue
		}
		if r.cur.err != nil {
			r.fallBack()
			continue
		}
		r.cur = nil
	}
}

// fallBack hands the rest of the file, from the block that failed on, to a
// sequential decoder, skipping what of that block was delivered.
func (r *xzParReader) fallBack() {
	r.stop()
	i := r.cur.i
	*r.in -= r.s.blocks[i].padded()
	if i == 0 {
		*r.in -= 12
	}
	z, err := xz.NewReader(&countReader{r: r.s.sub(r.ra, i, len(r.s.blocks)), n: r.in}, 0)
	if err != nil {
		r.seq = &errReader{err}
		return
	}
	if _, err := io.CopyN(io.Discard, z, r.delivered); err != nil {
		r.seq = &errReader{err}
		return
	}
	r.seq = z
}

// outBuf is decoded output on its way to a parallel reader's caller: the
// buffer, and the part of it not read yet.
type outBuf struct{ buf, rest []byte }

func (o *outBuf) set(b []byte) { o.buf, o.rest = b, b }

// read copies what is left into p; once the buffer is read, it goes back
// to free (when there is room) for a decoder to fill again.
func (o *outBuf) read(p []byte, free chan<- []byte) int {
	n := copy(p, o.rest)
	o.rest = o.rest[n:]
	if len(o.rest) == 0 {
		select {
		case free <- o.buf[:cap(o.buf)]:
		default:
		}
		o.buf = nil
	}
	return n
}

// workerGroup is the goroutines of a parallel reader, its feeder and its
// decoders: closing done tells them to stop, and stop waits for them.
type workerGroup struct {
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func newWorkerGroup() workerGroup { return workerGroup{done: make(chan struct{})} }

// stop ends the feeder and the workers and waits for them.
func (g *workerGroup) stop() {
	g.once.Do(func() {
		close(g.done)
		g.wg.Wait()
	})
}

// Close stops the decoding goroutines.
func (g *workerGroup) Close() error {
	g.stop()
	return nil
}

// errReader returns err on every read.
type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }
