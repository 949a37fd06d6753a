package bundle

import (
	"bufio"
	"fmt"
	"hash"
	"io"
)

// sniffed is the decoder that told a compressed bundle's format in
// OpenReaderAt, kept for the first Walk: opening an xz or zstd decoder costs
// more than decoding a small upload (an xz decoder allocates about 170 KB),
// so decoding the head twice halved the rate of the archive fuzz targets.
// The walk takes it over where the sniffing left it: the raw bytes read so
// far are hashed and counted, and the decoder's input is switched to the
// walk's counted, hashed reader from the next byte on. Its output is read
// from the first byte (the sniffed head is still buffered in out), so what
// the walk sees is what a fresh decoder would give. Open does not keep one:
// it would have to keep the file open until a Walk that may never come.
type sniffed struct {
	raw  *swapReader   // what the decoder reads the bundle's bytes from
	dec  io.ReadCloser // the decoder
	out  *bufio.Reader // its output, from the first byte
	gz   *gzipMembers  // dec, when the bundle is gzip
	gaps [][2]int64    // gaps between gzip members met while sniffing
}

// resume hands the decoder to a walk that reads the bundle's bytes from f
// (positioned at 0), hashes them into h and counts them in in; gap reports
// gaps between gzip members. It returns the decoder's output from the first
// byte.
func (s *sniffed) resume(f bundleFile, h hash.Hash, in *int64, gap func(at, n int64)) (io.ReadCloser, error) {
	read, err := s.raw.r.(io.Seeker).Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = io.CopyBuffer(h, io.NewSectionReader(f, 0, read), copyBuf(read))
	}
	if err == nil {
		_, err = f.Seek(read, io.SeekStart)
	}
	if err != nil {
		s.dec.Close()
		return nil, fmt.Errorf("reading the bundle again: %w", err)
	}
	*in += read
	s.raw.r = &countReader{r: io.TeeReader(f, h), n: in}
	if s.gz != nil {
		for _, g := range s.gaps {
			gap(g[0], g[1])
		}
		s.gz.skipped = gap
	}
	return struct {
		io.Reader
		io.Closer
	}{s.out, s.dec}, nil
}

// swapReader reads from r, which can be replaced between reads.
type swapReader struct{ r io.Reader }

func (s *swapReader) Read(p []byte) (int, error) { return s.r.Read(p) }
