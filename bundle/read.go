package bundle

import (
	"errors"
	"io"

	"github.com/fsagent/triage/internal/wording"
)

// limitError is a limit reached. A global one (total bytes, entries, time)
// stops the whole walk; a local one (ratio) stops one archive layer.
type limitError struct {
	msg    string
	global bool
}

func (e *limitError) Error() string { return e.msg }

// readError is a failure to read an entry's bytes (truncated or corrupt
// archive): it ends a stream archive, not the walk.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// fnError carries the WalkFunc's own error up through the archive layers.
type fnError struct {
	path string
	err  error
}

func (e *fnError) Error() string { return Escape(e.path) + ": " + e.err.Error() }
func (e *fnError) Unwrap() error { return e.err }

// layerStats counts one compressed layer's input and output, for the ratio.
type layerStats struct{ in, out int64 }

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n *int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// countReaderAt counts the bytes read through it (a zip's compressed input).
type countReaderAt struct {
	ra io.ReaderAt
	n  *int64
}

func (c *countReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	*c.n += int64(n)
	return n, err
}

// meter is where bytes are produced (a decompressor's output, or the raw
// bundle where nothing is decompressed): it adds them to the shared total,
// checks the ratio of its layer, and stops on the deadline, inside an entry
// as well as between entries.
type meter struct {
	w     *walker
	r     io.Reader
	st    *layerStats
	ratio bool
	path  string
	err   error
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if err := m.w.checkStop(); err != nil {
		return 0, err
	}
	if rem := m.w.lim.MaxTotalBytes - m.w.total; int64(len(p)) > rem+1 {
		p = p[:rem+1]
	}
	n, err := m.r.Read(p)
	m.st.out += int64(n)
	m.w.total += int64(n)
	if m.w.total > m.w.lim.MaxTotalBytes {
		return n, m.w.stopWith(m.path, &limitError{global: true, msg: "reading stopped: the bundle holds more than " +
			wording.Bytes(m.w.lim.MaxTotalBytes) + " of data (limit --max-total-bytes; raise it only for a bundle you trust)"})
	}
	if m.ratio && m.st.out > 1<<20 && float64(m.st.out) > m.w.lim.MaxRatio*float64(m.st.in) {
		m.err = &limitError{msg: "reading stopped: the data decompresses to more than " +
			trimFloat(m.w.lim.MaxRatio) + " times its compressed size, which looks like a compression bomb (limit --max-ratio; raise it only for a bundle you trust)"}
		return n, m.err
	}
	return n, err
}

// fileReader is the reader a WalkFunc gets: at most MaxFileBytes, then
// io.EOF; it notes whether more was there and the first read error.
type fileReader struct {
	w         *walker
	r         io.Reader
	left      int64
	probed    bool
	truncated bool
	err       error
}

func (f *fileReader) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if err := f.w.checkStop(); err != nil {
		f.err = err
		return 0, err
	}
	if f.left <= 0 {
		if !f.probed {
			f.probed = true
			var one [1]byte
			n, _ := io.ReadFull(f.r, one[:])
			f.truncated = n > 0
		}
		return 0, io.EOF
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= int64(n)
	if err != nil && err != io.EOF {
		var le *limitError
		if !errors.As(err, &le) && f.w.stop == nil {
			err = &readError{err: err}
		}
		f.err = err
	}
	return n, err
}
