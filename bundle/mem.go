package bundle

import (
	"context"
	"io"
	"os"
)

// OpenReaderAt is Open for a bundle file that is not on disk: an upload
// held in memory (bytes.NewReader), a blob in a store, a section of a larger
// file. r must hold the size bytes of one archive or compressed file (a
// directory bundle has no ReaderAt form). name is how messages and
// Bundle.Path call the bundle; its last element names the content of a
// single compressed file, as a file name does for Open. Walk reads r from
// the start again each time, so r must not change while the Bundle is used.
// The decoder that read the head of a compressed bundle to tell its format
// is kept for the first Walk, which goes on with it; its memory (up to the
// dictionary the stream declares) is held until then.
// The error wraps ErrUnreadable when r holds no supported archive.
func OpenReaderAt(ctx context.Context, name string, r io.ReaderAt, size int64, lim Limits) (*Bundle, error) {
	b := &Bundle{Path: name, lim: lim.withDefaults(), src: r}
	if size <= 0 {
		return nil, &unreadableError{name, "empty upload (0 bytes)"}
	}
	b.Size = size
	k, looks, pend, err := sniffBundle(io.NewSectionReader(r, 0, size), true)
	if err != nil {
		return nil, &unreadableError{name, err.Error()}
	}
	if !k.known() {
		if looks != "plain text" {
			return nil, &unreadableError{name, "not a supported archive (content looks like " + looks + ")"}
		}
		k = plainFile
	}
	if err := ctx.Err(); err != nil {
		if pend != nil {
			pend.dec.Close()
		}
		return nil, err
	}
	b.kind, b.Format, b.sniffed = k, k.String(), pend
	return b, nil
}

// bundleFile is what Walk reads an archive bundle from: an *os.File for
// Open, a section of the caller's ReaderAt for OpenReaderAt.
type bundleFile interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

// openFile opens the bundle's bytes for one Walk.
func (b *Bundle) openFile() (bundleFile, func() error, error) {
	if b.src != nil {
		return io.NewSectionReader(b.src, 0, b.Size), func() error { return nil }, nil
	}
	f, err := os.Open(b.Path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
