package bundle

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/fsagent/triage/internal/wording"
)

// A zip is read through its central directory, at its end. When that
// directory is damaged, or missing because the download was cut short, the
// entries can still be found from the local header that precedes each one's
// data. salvageZip does that: it is the fallback, never the normal path,
// since local headers lack what only the directory holds (file types, so
// links read as small files; sizes, when the writer streamed).

const (
	zipLocalSig     = "PK\x03\x04"
	zipLocalLen     = 30
	zipFlagDataDesc = 0x8 // sizes and CRC follow the data, not in the header
	zipStore        = 0
	zipDeflate      = 8
)

// salvageZip walks the local headers of the zip in ra (size bytes) into
// layer l, after the directory failed to open with cause. It reports once
// how many entries it recovered and returns only stop errors.
func (w *walker) salvageZip(l *layer, ra io.ReaderAt, size int64, cause error) error {
	err := w.salvageZipEntries(l, ra, size)
	w.lose(LossArchive, l.path, fmt.Sprintf("zip archive's central directory is damaged or missing (%s): %s found by their local headers; an entry whose header is damaged too is missing, and links read as small files",
		errText(cause), wording.Plural(l.entries, "entry was", "entries were")))
	return err
}

func (w *walker) salvageZipEntries(l *layer, ra io.ReaderAt, size int64) error {
	var off int64
	scan := make([]byte, 4<<10)
	for {
		if err := w.checkStop(); err != nil {
			return err
		}
		start := nextZipLocal(ra, off, size, scan)
		if start < 0 {
			return nil
		}
		next, err := w.salvageZipEntry(l, ra, start, size)
		if err != nil {
			return err
		}
		off = max(next, start+1)
	}
}

// salvageZipEntry reads the entry whose local header is at start and says
// where to look for the next header.
func (w *walker) salvageZipEntry(l *layer, ra io.ReaderAt, start, size int64) (int64, error) {
	var h [zipLocalLen]byte
	if _, err := ra.ReadAt(h[:], start); err != nil {
		return size, nil // a header cut off at the end: nothing more to find
	}
	le := binary.LittleEndian
	flags, method := le.Uint16(h[6:]), le.Uint16(h[8:])
	csize, usize := int64(le.Uint32(h[18:])), int64(le.Uint32(h[22:]))
	nameLen, extraLen := int64(le.Uint16(h[26:])), int64(le.Uint16(h[28:]))
	dataStart := start + zipLocalLen + nameLen + extraLen
	if dataStart > size {
		return size, nil
	}
	name := make([]byte, nameLen)
	if _, err := ra.ReadAt(name, start+zipLocalLen); err != nil {
		return size, nil
	}
	// Sizes are known unless streamed (data descriptor) or in a zip64 extra.
	known := flags&zipFlagDataDesc == 0 && csize != 0xffffffff && usize != 0xffffffff
	declared := int64(-1)
	if known {
		declared = usize
	}
	mode := fs.FileMode(0o644)
	if bytes.HasSuffix(name, []byte("/")) {
		mode = fs.ModeDir | 0o755
	}
	data := &offsetReader{ra: ra, off: dataStart, end: size}
	if known {
		data.end = min(size, dataStart+csize)
	}
	e := rawEntry{name: string(name), mode: mode, size: declared,
		mtime: dosTime(le.Uint16(h[12:]), le.Uint16(h[10:])),
		open: func() (io.ReadCloser, error) {
			switch {
			case method == zipDeflate:
				return flate.NewReader(data), nil
			case method == zipStore && known:
				return io.NopCloser(data), nil
			case method == zipStore:
				return nil, errors.New("a stored entry without its size cannot be recovered without the central directory")
			default:
				return nil, fmt.Errorf("compression method %d cannot be recovered without the central directory", method)
			}
		}}
	if err := w.handleEntry(l, e); err != nil && !errors.Is(err, errSkipped) {
		var re *readError
		if !errors.As(err, &re) {
			return 0, err
		}
	}
	if known {
		return dataStart + csize, nil
	}
	// Streamed: the deflate data ends where its decoder stopped, if it was
	// read to the end; otherwise the next header is searched for.
	return data.off, nil
}

// nextZipLocal is the offset of the first local header signature at or
// after off, or -1, reading through buf.
func nextZipLocal(ra io.ReaderAt, off, size int64, buf []byte) int64 {
	chunk := int64(len(buf) - len(zipLocalSig) + 1)
	for off < size {
		n, err := ra.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if i := bytes.Index(buf[:n], []byte(zipLocalSig)); i >= 0 {
			return off + int64(i)
		}
		if err != nil && err != io.EOF || n < len(buf) {
			return -1
		}
		off += chunk
	}
	return -1
}

// offsetReader reads ra from off to end through a small buffer, knowing at
// every moment how far it was consumed; it is an io.ByteReader so that the
// deflate decoder reads no further than the compressed data.
type offsetReader struct {
	ra       io.ReaderAt
	off, end int64 // next byte to hand out, and the limit
	buf      []byte
	bufOff   int64 // offset of buf[0]
}

func (r *offsetReader) fill() error {
	if r.off >= r.end {
		return io.EOF
	}
	if r.off >= r.bufOff && r.off < r.bufOff+int64(len(r.buf)) {
		return nil
	}
	if cap(r.buf) == 0 {
		r.buf = make([]byte, 0, 32<<10)
	}
	n, err := r.ra.ReadAt(r.buf[:min(int64(cap(r.buf)), r.end-r.off)], r.off)
	r.buf, r.bufOff = r.buf[:n], r.off
	if n > 0 {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (r *offsetReader) Read(p []byte) (int, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.buf[r.off-r.bufOff:])
	r.off += int64(n)
	return n, nil
}

func (r *offsetReader) ReadByte() (byte, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	c := r.buf[r.off-r.bufOff]
	r.off++
	return c, nil
}

// dosTime converts an MS-DOS date and time as zip stores them.
func dosTime(date, tm uint16) time.Time {
	return time.Date(int(date>>9)+1980, time.Month(date>>5&0xf), int(date&0x1f),
		int(tm>>11), int(tm>>5&0x3f), int(tm&0x1f)*2, 0, time.UTC)
}

// salvageable says whether the failure to open a zip is the archive's own
// damage, rather than a limit, the caller's error or the end of the walk.
func (w *walker) salvageable(err error) bool {
	var le *limitError
	var fe *fnError
	return w.checkStop() == nil && !errors.As(err, &le) && !errors.As(err, &fe)
}
