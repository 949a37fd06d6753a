package analyze

import (
	"io"
	"sync"
)

// chunkSize is the unit in which file content travels from the goroutine
// that decompresses the bundle to the one that parses a file.
const chunkSize = 256 << 10

// pipeDepth is how many chunks may wait between the two: enough to keep both
// cores busy, small enough that memory stays flat (pipeDepth*chunkSize per
// file being parsed).
const pipeDepth = 4

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// chunkPipe carries one file from the bundle walker to its parser with a
// little buffering, so decompression and parsing overlap on two cores.
// Unlike io.Pipe, a write does not wait for the reader to consume it.
type chunkPipe struct {
	ch   chan chunk
	done chan struct{} // closed when the reader stops early
	once sync.Once
	err  error // the writer's read error, valid after ch is closed
	cur  chunk // the chunk being read; cur.buf is nil between chunks
	off  int
}

// chunk is n bytes of a pooled buffer.
type chunk struct {
	buf *[]byte
	n   int
}

func newChunkPipe() *chunkPipe {
	return &chunkPipe{ch: make(chan chunk, pipeDepth), done: make(chan struct{})}
}

// fill copies r into the pipe until EOF, a read error (handed to the reader)
// or the reader going away.
func (p *chunkPipe) fill(r io.Reader) {
	defer close(p.ch)
	for {
		select {
		case <-p.done: // the reader went away: read no further
			return
		default:
		}
		bp := chunkPool.Get().(*[]byte)
		n, err := io.ReadFull(r, *bp)
		if n > 0 {
			select {
			case p.ch <- chunk{bp, n}:
			case <-p.done:
				chunkPool.Put(bp)
				return
			}
		} else {
			chunkPool.Put(bp)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return
		}
		if err != nil {
			p.err = err
			return
		}
	}
}

// Read implements io.Reader for the parser's side.
func (p *chunkPipe) Read(b []byte) (int, error) {
	for p.off == p.cur.n {
		p.release()
		c, ok := <-p.ch
		if !ok {
			if p.err != nil {
				return 0, p.err
			}
			return 0, io.EOF
		}
		p.cur, p.off = c, 0
	}
	n := copy(b, (*p.cur.buf)[p.off:p.cur.n])
	p.off += n
	return n, nil
}

// NextChunk lends the rest of the chunk being read, then each next chunk,
// to a parser that hands them to its workers as they are
// (parsers.ChunkSource); release returns one to the pool.
func (p *chunkPipe) NextChunk() ([]byte, func(), error) {
	c, off := p.cur, p.off
	p.cur, p.off = chunk{}, 0
	if c.buf == nil || off == c.n {
		if c.buf != nil {
			chunkPool.Put(c.buf)
		}
		var ok bool
		if c, ok = <-p.ch; !ok {
			if p.err != nil {
				return nil, nil, p.err
			}
			return nil, nil, io.EOF
		}
		off = 0
	}
	return (*c.buf)[off:c.n], func() { chunkPool.Put(c.buf) }, nil
}

// release returns the chunk being read to the pool.
func (p *chunkPipe) release() {
	if p.cur.buf != nil {
		chunkPool.Put(p.cur.buf)
	}
	p.cur, p.off = chunk{}, 0
}

// close is called by the reader when it is done, early or not; it lets the
// writer stop and returns buffers to the pool.
func (p *chunkPipe) close() {
	p.once.Do(func() { close(p.done) })
	p.release()
}
