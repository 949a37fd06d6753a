package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Rereadable reports whether reading the bundle again, up to one of its
// files, costs less than holding a large part of that file aside while the
// first Walk goes on: true for a directory, a plain tar or file, and zstd
// or lz4, which decode several times faster than a parser reads. gzip, xz,
// bzip2 and compress decode slower than the parsers: what a parser holds
// aside is made on the core the decoder leaves idle, while decoding again
// would cost most of a second walk. zip and 7z are not read again either.
func (b *Bundle) Rereadable() bool {
	if b.Format == "directory" {
		return true
	}
	switch b.kind.arch {
	case "tar", "file", "":
	default:
		return false
	}
	switch b.kind.comp {
	case "", "zst", "lz4":
		return true
	}
	return false
}

// errReread ends the walk of Reread once the file was read.
var errReread = errors.New("read again")

// Reread walks the bundle again, on a Bundle of its own (b's warnings and
// the rest of what its last Walk met are left as they were), up to the
// index-th file Walk gave (from 0), and calls read with that file's
// content. The file must be the one met first: the same path, size and
// modification time, and a bundle file of the same size and modification
// time; otherwise Reread fails without calling read. The limits are b's,
// counted anew. Walk must have ended before Reread is called.
func (b *Bundle) Reread(ctx context.Context, index int, want Entry, read func(r io.Reader) error) error {
	if b.Format != "directory" && b.src == nil {
		fi, err := os.Stat(b.Path)
		if err != nil {
			return fmt.Errorf("the bundle cannot be read again: %w", err)
		}
		if fi.Size() != b.Size || !fi.ModTime().Equal(b.mod) {
			return errors.New("the bundle changed since it was read")
		}
	}
	c := &Bundle{Path: b.Path, Format: b.Format, Size: b.Size, lim: b.lim, kind: b.kind, dir: b.dir, src: b.src, mod: b.mod, again: true}
	n, found := 0, false
	err := c.Walk(ctx, func(e Entry, r io.Reader) error {
		if n++; n <= index {
			return nil
		}
		found = true
		if e.Path != want.Path || e.Size != want.Size || !e.ModTime.Equal(want.ModTime) {
			return fmt.Errorf("%s changed since it was read", Escape(want.Path))
		}
		if err := read(r); err != nil {
			return err
		}
		return errReread
	})
	switch {
	case errors.Is(err, errReread):
		return nil
	case err != nil:
		var fe *fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		return err
	case !found:
		if ws := c.Warnings(); len(ws) > 0 {
			return fmt.Errorf("%s was not met again: %s", Escape(want.Path), ws[len(ws)-1].Error())
		}
		return fmt.Errorf("%s was not met again", Escape(want.Path))
	}
	return nil
}
