package bundle

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// A bzip2 file is one or more streams of blocks that are compressed each
// on its own (old sosreports are .tar.bz2). The standard library decodes
// them one after the other on one goroutine, about 1.5 times as slow as
// bzip2 itself. When the bundle is a file, this reader decodes its blocks
// on every core and delivers their output in order.
//
// Nothing says where a block starts but a 48-bit magic number at any bit
// offset, which compressed data can also hold by chance, or by design in a
// hostile file. So blocks are taken only when decoding them proves their
// bounds. A run of blocks, from one magic number to a later one, is handed
// to the standard decoder as a stream of its own: a header, the run's
// bits, an end-of-stream marker and the CRC its blocks' CRCs make. Its
// decoding is the sequential decoder's (the bits are the file's) up to the
// run's end, where it meets the marker: it succeeds only if a block ends
// exactly there (one that ends earlier meets data where a magic number must
// be; one that runs on meets the end of the stream). The decoder's Read
// never returns the output of two blocks at once, and fills the buffer
// unless the block ends, so counting the reads shorter than the buffer
// counts the blocks: as many as magic numbers in the run means every one
// of them starts a block, none was false. Then the run is the blocks the
// sequential decoder reads there, and gives the same bytes, each block
// checked against its CRC. A run's output is only delivered once all of it
// is decoded (or, when too large to hold, decoded again once checked), so
// a run cut at a false magic number never delivers wrong bytes. Anything
// else (a run that fails, a stream whose CRC or continuation is wrong, a
// block whose output is an exact multiple of the read buffer, a stretch
// longer than a block can be) hands the file, from the start of the
// stream concerned, to the sequential decoder, which skips what was
// delivered: what the reader gets, data and error, is what the sequential
// decoder of the whole file would give.

const (
	// bz2ParRead is the decoder's read buffer: larger than a text block's
	// output (up to 900 kB), so that most blocks take one read.
	bz2ParRead = 2 << 20
	// bz2ParHeld bounds the output of a run held until its decoding ends.
	// A block of long runs of one byte (a sparse file) can give up to about
	// 45 MB: a run past this bound is decoded twice, once to check it and
	// once, by the reader, to deliver it as it comes.
	bz2ParHeld = 8 << 20
	// bz2ParRun is how many blocks a worker decodes as one stream: the
	// standard decoder allocates its 3.6 MB of tables anew for each
	// stream, so one block at a time spent about 8 % of the CPU there and
	// in page faults.
	bz2ParRun = 4
	// bz2MaxStretch bounds the compressed bytes of one block: 900,000
	// symbols of at most 20 bits, and the tables.
	bz2MaxStretch = 3 << 20
	// bz2ParMinSize is the smallest file decoded in parallel: below it,
	// there are too few blocks to share.
	bz2ParMinSize = 1 << 20

	bz2BlockMagic = 0x314159265359
	bz2EndMagic   = 0x177245385090
	bz2Mask48     = 1<<48 - 1
)

// bz2Job is a run of blocks, or (fail) the point where this reader gives
// up on the stream that starts at byte stream.
type bz2Job struct {
	stretch []byte // the run as a stream of its own
	blocks  int    // the magic numbers in the run
	stream  int64  // offset of the run's stream in the file
	end     int64  // the file's bytes consumed once the run is read
	fail    bool
	replay  bool   // checked, but its output was too large to hold
	out     []byte // the run's output, set before done is closed
	err     error
	done    chan struct{}
}

// bz2ParReader delivers the decoded blocks in order (see newBz2Parallel).
type bz2ParReader struct {
	workerGroup
	ra   io.ReaderAt
	size int64
	in   *int64
	// order holds the jobs in file order, for the reader: its capacity
	// bounds the runs decoded ahead.
	order chan *bz2Job
	free  chan []byte // output buffers the reader is done with

	pending   outBuf    // the output of the run being delivered
	replay    io.Reader // or the decoder of a run too large to hold
	stream    int64     // start of the stream being delivered
	delivered int64     // bytes of that stream delivered
	consumed  int64     // file bytes added to *in
	seq       io.Reader
	err       error

	// blocks counts the blocks decoded in parallel, and replays the runs
	// decoded again as they were read, for tests.
	blocks, replays int
}

// newBz2Parallel returns a reader of the decoded content of the bzip2 file
// ra (size bytes) that decodes its blocks in parallel, or nil on one core,
// for a small file, or when the file does not start with a stream header.
// in counts the compressed bytes consumed, for the ratio limit.
func newBz2Parallel(ra io.ReaderAt, size int64, in *int64) *bz2ParReader {
	return newBz2ParallelFrom(ra, size, in, bz2ParMinSize)
}

// newBz2ParallelFrom is newBz2Parallel for files of at least minSize
// bytes (the fuzz target's inputs are small).
func newBz2ParallelFrom(ra io.ReaderAt, size int64, in *int64, minSize int64) *bz2ParReader {
	n := xzParWorkers()
	var hdr [4]byte
	if n < 2 || size < minSize {
		return nil
	}
	if _, err := ra.ReadAt(hdr[:], 0); err != nil || !bz2Header(hdr[:]) {
		return nil
	}
	r := &bz2ParReader{workerGroup: newWorkerGroup(), ra: ra, size: size, in: in, order: make(chan *bz2Job, n-1),
		free: make(chan []byte, n+1)}
	jobs := make(chan *bz2Job)
	r.wg.Add(n + 1)
	go r.feed(jobs)
	for range n {
		go r.work(jobs)
	}
	return r
}

// bz2Header says whether b starts with a stream header: "BZh" and a block
// size from 1 to 9 (hundreds of kB).
func bz2Header(b []byte) bool {
	return len(b) >= 4 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9'
}

// feed walks the file's streams and blocks, in order, and hands out a job
// for each block, to the reader's queue first.
func (r *bz2ParReader) feed(jobs chan<- *bz2Job) {
	defer r.wg.Done()
	defer close(jobs)
	defer close(r.order)
	sc := &bz2Scanner{ra: r.ra, size: r.size}
	stream, prev := int64(0), int64(0)
	defer func() {
		if recover() != nil {
			// A fault here is this reader's, not the file's: the
			// sequential decoder reads the stream instead.
			select {
			case r.order <- &bz2Job{fail: true, stream: stream}:
			case <-r.done:
			}
		}
	}()
	send := func(j *bz2Job) bool {
		select {
		case r.order <- j:
		case <-r.done:
			return false
		}
		if j.fail {
			return false
		}
		select {
		case jobs <- j:
			return true
		case <-r.done:
			return false
		}
	}
	for stream < r.size {
		var hdr [4]byte
		if stream+4 > r.size || !sc.ensure(stream+4) || !bz2Header(sc.bytes(stream, 4, hdr[:0])) {
			// What follows a stream is not another: the sequential decoder
			// says what is wrong with it when it gets there, after the
			// stream before.
			send(&bz2Job{fail: true, stream: prev})
			return
		}
		level := hdr[3]
		at := (stream + 4) * 8
		pos, end, ok := sc.next(at)
		if !ok || pos != at {
			send(&bz2Job{fail: true, stream: stream})
			return
		}
		var combined uint32
		for !end {
			// A run: up to bz2ParRun blocks, ending at the magic number
			// after the last.
			from, k, runCRC := pos, 0, uint32(0)
			for !end && k < bz2ParRun {
				next, nextEnd, ok := sc.next(pos + 1)
				if !ok || !sc.ensure((pos+80+7)/8) {
					send(&bz2Job{fail: true, stream: stream})
					return
				}
				crc := uint32(sc.bits(pos+48, 32))
				combined = bits.RotateLeft32(combined, 1) ^ crc
				runCRC = bits.RotateLeft32(runCRC, 1) ^ crc
				k++
				pos, end = next, nextEnd
			}
			j := &bz2Job{stretch: sc.stretch(level, from, pos, runCRC), blocks: k, stream: stream, end: (pos + 7) / 8, done: make(chan struct{})}
			if !send(j) {
				return
			}
			sc.drop(pos / 8)
		}
		if pos+80 > r.size*8 || !sc.ensure((pos+80+7)/8) || uint32(sc.bits(pos+48, 32)) != combined {
			send(&bz2Job{fail: true, stream: stream})
			return
		}
		prev, stream = stream, (pos+80+7)/8
	}
}

// work decodes the runs it is given.
func (r *bz2ParReader) work(jobs <-chan *bz2Job) {
	defer r.wg.Done()
	buf := make([]byte, bz2ParRead)
	for j := range jobs {
		j.out, j.replay, j.err = r.decodeSafely(j, buf)
		close(j.done)
	}
}

// decodeSafely is decode, with a panic of the decoder turned into an
// error: the run then goes to the sequential decoder, on the walk's
// goroutine, which turns the same panic into a warning on the file.
func (r *bz2ParReader) decodeSafely(j *bz2Job, buf []byte) (out []byte, replay bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, replay, err = nil, false, fmt.Errorf("bzip2: the decoder failed: %v", p)
		}
	}()
	return r.decode(j, buf)
}

// decode decodes one run's stream to its end, holding its output up to
// bz2ParHeld (beyond, it only checks the run: replay), and checks that it
// held as many blocks as the run has magic numbers. The decoder's Read
// stops at the end of a block, so a read shorter than buf ends one; a
// block whose output is a multiple of len(buf) is not counted, and its
// run goes to the sequential decoder.
func (r *bz2ParReader) decode(j *bz2Job, buf []byte) (out []byte, replay bool, err error) {
	z := bzip2.NewReader(bytes.NewReader(j.stretch))
	select {
	case out = <-r.free:
	default:
	}
	out = out[:0]
	blocks := 0
	for {
		select {
		case <-r.done:
			return nil, false, errBz2ParClosed
		default:
		}
		n, err := z.Read(buf)
		if n > 0 && n < len(buf) {
			blocks++
		}
		if !replay && len(out)+n > bz2ParHeld {
			out, replay = nil, true
		}
		if !replay {
			out = append(out, buf[:n]...)
		}
		switch {
		case err == io.EOF:
			if blocks != j.blocks {
				return nil, false, errBz2Blocks
			}
			return out, replay, nil
		case err != nil:
			return nil, false, err
		}
	}
}

var (
	errBz2ParClosed = errors.New("bzip2: reader closed")
	errBz2Blocks    = errors.New("bzip2: a run's blocks do not match its magic numbers")
)

func (r *bz2ParReader) Read(p []byte) (int, error) {
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
		if r.replay != nil {
			// A checked run, decoded again as it is read.
			n, err := r.replay.Read(p)
			r.delivered += int64(n)
			if err == io.EOF {
				r.replay = nil
				err = nil
			}
			if n > 0 || err != nil {
				return n, err
			}
			continue
		}
		j, ok := <-r.order
		if !ok {
			// Every stream read to its end and checked.
			*r.in += r.size - r.consumed
			r.consumed = r.size
			r.err = io.EOF
			r.stop()
			return 0, io.EOF
		}
		if j.stream != r.stream {
			r.stream, r.delivered = j.stream, 0
		}
		if !j.fail {
			<-j.done
		}
		if j.fail || j.err != nil {
			r.fallBack(j.stream)
			continue
		}
		r.blocks += j.blocks
		*r.in += j.end - r.consumed
		r.consumed = j.end
		r.pending.set(j.out)
		if j.replay {
			r.replay = bzip2.NewReader(bytes.NewReader(j.stretch))
			r.replays++
		}
	}
}

// fallBack hands the file, from the stream at byte stream on, to the
// sequential decoder, skipping what of that stream was delivered.
func (r *bz2ParReader) fallBack(stream int64) {
	r.stop()
	skip := int64(0)
	if stream == r.stream {
		skip = r.delivered
	}
	*r.in -= r.consumed - stream
	z := bzip2.NewReader(&countReader{r: io.NewSectionReader(r.ra, stream, r.size-stream), n: r.in})
	if _, err := io.CopyN(io.Discard, z, skip); err != nil {
		r.seq = &errReader{err}
		return
	}
	r.seq = z
}

// bz2Scanner reads the file forward, keeping the bytes from the block
// being cut on, and finds the magic numbers at any bit offset.
type bz2Scanner struct {
	ra   io.ReaderAt
	size int64
	buf  []byte // the file's bytes from off on
	off  int64
	// scanned is the bit offset up to which every magic number was found
	// (found holds those not yet passed).
	scanned int64
	found   []bz2Mark
}

// bz2Mark is a magic number at bit pos of the file.
type bz2Mark struct {
	pos int64
	end bool // the end-of-stream magic
}

// ensure reads the file up to byte upTo (or its end), reporting whether
// all of it is there.
func (s *bz2Scanner) ensure(upTo int64) bool {
	upTo = min(upTo, s.size)
	have := s.off + int64(len(s.buf))
	if have >= upTo {
		return true
	}
	want := max(upTo-have, 1<<20)
	want = min(want, s.size-have)
	b := append(s.buf, make([]byte, want)...)
	n, err := s.ra.ReadAt(b[len(s.buf):], have)
	s.buf = b[:len(s.buf)+n]
	return err == nil || (err == io.EOF && s.off+int64(len(s.buf)) >= upTo)
}

// drop forgets the bytes before byte at.
func (s *bz2Scanner) drop(at int64) {
	if k := at - s.off; k >= 1<<20 && k <= int64(len(s.buf)) {
		s.buf = append(s.buf[:0], s.buf[k:]...)
		s.off = at
	}
}

// bytes appends the n bytes at byte off to dst.
func (s *bz2Scanner) bytes(off int64, n int, dst []byte) []byte {
	return append(dst, s.buf[off-s.off:off-s.off+int64(n)]...)
}

// bits returns the n (at most 32) bits at bit pos, which ensure has read.
func (s *bz2Scanner) bits(pos int64, n int) uint64 {
	var w [8]byte
	i := pos/8 - s.off
	copy(w[:], s.buf[i:])
	v := binary.BigEndian.Uint64(w[:])
	return v << (pos % 8) >> (64 - n)
}

// next finds the first magic number at bit from or after it, within
// bz2MaxStretch bytes, and whether it ends a stream.
func (s *bz2Scanner) next(from int64) (pos int64, end, ok bool) {
	for {
		for len(s.found) > 0 && s.found[0].pos < from {
			s.found = s.found[1:]
		}
		if len(s.found) > 0 {
			return s.found[0].pos, s.found[0].end, true
		}
		if s.scanned < from {
			s.scanned = from
		}
		if s.scanned-from > bz2MaxStretch*8 || s.scanned+48 > s.size*8 {
			return 0, false, false
		}
		s.scan()
	}
}

// scan looks for magic numbers in the next megabyte from s.scanned on.
func (s *bz2Scanner) scan() {
	first := s.scanned / 8
	last := min(first+1<<20, s.size) // bytes whose bits may start a magic
	if !s.ensure(last + 7) {
		s.scanned = s.size * 8 // a read error: nothing more is found
		return
	}
	limit := s.size*8 - 48 // the last bit a magic may start at
	for b := first; b < last; b++ {
		var w [8]byte
		copy(w[:], s.buf[b-s.off:])
		v := binary.BigEndian.Uint64(w[:])
		for sh := int64(0); sh < 8; sh++ {
			pos := b*8 + sh
			if pos < s.scanned || pos > limit {
				continue
			}
			switch v >> (16 - sh) & bz2Mask48 {
			case bz2BlockMagic:
				s.found = append(s.found, bz2Mark{pos: pos})
			case bz2EndMagic:
				s.found = append(s.found, bz2Mark{pos: pos, end: true})
			}
		}
	}
	s.scanned = last * 8
}

// stretch is the run of blocks from bit from to bit to as a stream of its
// own: a header with the file's block size, the blocks, an end-of-stream
// marker and the CRC of the run.
func (s *bz2Scanner) stretch(level byte, from, to int64, crc uint32) []byte {
	n := to - from
	out := make([]byte, 0, 4+(n+80)/8+2)
	out = append(out, 'B', 'Z', 'h', level)
	var acc uint64 // bits not yet written, in its low nb bits
	nb := 0
	put := func(v uint64, k int) {
		for k > 0 {
			take := min(k, 56-nb)
			acc = acc<<take | v>>(k-take)&(1<<take-1)
			nb += take
			k -= take
			for nb >= 8 {
				out = append(out, byte(acc>>(nb-8)))
				nb -= 8
			}
		}
	}
	for pos := from; pos < to; {
		k := min(to-pos, 32)
		put(s.bits(pos, int(k)), int(k))
		pos += k
	}
	put(bz2EndMagic, 48)
	put(uint64(crc), 32)
	if nb > 0 {
		out = append(out, byte(acc<<(8-nb)))
	}
	return out
}
