// Package bundle opens a support bundle (a directory or an archive, nested
// archives included) and streams its files without extracting anything,
// under limits that make hostile uploads harmless.
//
// Choices worth knowing:
//   - Formats are told from the bytes only, never from the name: gzip, xz,
//     zstd, bzip2 and lz4 by their magic numbers, tar by a valid header
//     checksum, zip and 7z by their signatures. The sniffing is ours (fixed
//     order, deterministic); mholt/archives does the decoding. Formats without
//     a magic number (brotli, raw zlib) are not recognised, since their
//     detection mistakes ordinary text for compressed data.
//   - A zip whose central directory is damaged or missing (a cut download)
//     is read from the local header before each entry, and a warning says
//     how many entries were found that way.
//   - A gzip file is read member by member: bytes between members that are
//     not gzip data are skipped and reported, and the members after them
//     are read (zero padding at the very end passes silently).
//   - An xz bundle file written with threads (many blocks, an index at the
//     end) is decoded on every core, block by block, with the output in
//     order and byte for byte what the sequential decoder gives, errors
//     included. Blocks of LZMA2 alone (xz's default, threads or not) are
//     decoded by internal/lzma2, 1.6 times as fast as the general decoder;
//     anything else xz is decoded sequentially (see xzpar.go, xzfast.go).
//   - Nothing is written to disk. A nested zip or 7z needs random access, so
//     it is buffered in memory up to Limits.MaxBufferBytes; a larger one is
//     listed in Others as not inspected.
//   - Entries with unsafe names (absolute, "..", drive letters, backslashes,
//     control characters, over-long) are skipped, never renamed, and reported.
//     A name that is not valid UTF-8 is kept with each bad byte written as
//     \xNN (a sanitised name cannot collide with a real one, since real
//     names never hold a backslash).
//   - Links, devices, FIFOs and sockets are never opened; they are listed in
//     Others. Setuid and setgid files are ordinary content: they are walked
//     with their mode bits in Entry.Mode.
package bundle

import (
	"errors"
	"io"
	"io/fs"
	"time"
)

// ErrUnreadable is wrapped by Open's error when the bundle cannot be read at
// all (missing, empty, or neither a directory nor a supported archive), so the
// CLI can map it to its own exit code.
var ErrUnreadable = errors.New("bundle cannot be read")

// unreadableError keeps the one-sentence message for the user while still
// matching ErrUnreadable.
type unreadableError struct{ path, msg string }

func (e *unreadableError) Error() string { return "bundle " + Escape(e.path) + ": " + e.msg }
func (e *unreadableError) Unwrap() error { return ErrUnreadable }

// Limits bound what reading one bundle may cost. Zero fields take the
// defaults of DefaultLimits. Bytes are always counted as actually read,
// never taken from sizes an archive declares.
type Limits struct {
	// MaxTotalBytes bounds the bytes produced by decompression at every
	// layer, plus the bytes read from the bundle file or directory where no
	// decompression is involved; reaching it stops the whole walk.
	MaxTotalBytes int64
	// MaxFileBytes bounds what one file yields; the reader then returns
	// io.EOF and a warning says the file was truncated.
	MaxFileBytes int64
	// MaxEntries bounds the entries (files, directories, links) across all
	// layers; reaching it stops the whole walk.
	MaxEntries int
	// MaxDepth bounds archives inside archives: the bundle's own archive is
	// level 0, an archive inside it level 1. Deeper ones are listed in
	// Others as not inspected.
	MaxDepth int
	// MaxRatio bounds decompressed:compressed bytes of each compressed
	// layer, checked once the layer produced 1 MiB; reaching it stops that
	// layer (a compression bomb).
	MaxRatio float64
	// Timeout bounds the wall time of one Walk; reaching it stops the walk,
	// also in the middle of a file.
	Timeout time.Duration
	// MaxBufferBytes bounds the memory used to hold one nested zip or 7z,
	// which cannot be read as a stream.
	MaxBufferBytes int64
}

// DefaultLimits are generous for real bundles and stop bombs quickly.
func DefaultLimits() Limits {
	return Limits{
		MaxTotalBytes:  8 << 30,
		MaxFileBytes:   2 << 30,
		MaxEntries:     100_000,
		MaxDepth:       3,
		MaxRatio:       200,
		Timeout:        10 * time.Minute,
		MaxBufferBytes: 256 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	orDefault(&l.MaxTotalBytes, d.MaxTotalBytes)
	orDefault(&l.MaxFileBytes, d.MaxFileBytes)
	orDefault(&l.MaxEntries, d.MaxEntries)
	orDefault(&l.MaxDepth, d.MaxDepth)
	orDefault(&l.MaxRatio, d.MaxRatio)
	orDefault(&l.Timeout, d.Timeout)
	orDefault(&l.MaxBufferBytes, d.MaxBufferBytes)
	return l
}

// orDefault gives a limit that is zero or negative its default.
func orDefault[T int | int64 | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Entry is one file of a bundle as Walk meets it.
type Entry struct {
	// Path is the slash-separated path inside the bundle. Files of a nested
	// archive are under the archive's own path ("upload/logs.zip/secfs.log").
	Path string
	// Size is the size the directory or archive declares; it may lie, so
	// nothing is allocated from it. -1 when nothing is declared (the content
	// of a single compressed file).
	Size int64
	Mode fs.FileMode
	// ModTime is the entry's modification time as stored.
	ModTime time.Time
}

// Warning is a problem with one entry or with the bundle as a whole:
// an unsafe name, a link not followed, a limit reached, a corrupt archive.
// Path is escaped for display (see Escape); it is empty for the bundle itself.
type Warning struct {
	Path string `json:"path"`
	Msg  string `json:"message"`
	// Loss says what part of the bundle went unread because of this
	// problem: LossArchive, LossArtifact, LossLimit, or "" when nothing
	// was lost (a link not followed, a duplicate name). An analysis with a
	// loss is incomplete: its "no problem found" cannot be trusted.
	Loss string `json:"loss,omitempty"`
}

// What a warning says was not read (Warning.Loss). The values are the
// incomplete-analysis kinds of the JSON report.
const (
	// LossArchive: the archive (or directory) is truncated, corrupt or
	// cannot be opened; entries after the damage were never seen.
	LossArchive = "archive"
	// LossArtifact: one file could not be read, or only in part.
	LossArtifact = "artifact"
	// LossLimit: a limit (size, entries, ratio, depth, time) stopped the
	// reading of a file, an archive or the whole bundle.
	LossLimit = "limit"
)

func (w Warning) Error() string {
	if w.Path == "" {
		return w.Msg
	}
	return w.Path + ": " + w.Msg
}

// WalkFunc receives each regular file in bundle order with a reader of its
// content, bounded by the limits. The reader is only valid during the call.
// A read error it returns may be returned as is: Walk recognises its own
// errors and turns them into warnings.
type WalkFunc func(e Entry, r io.Reader) error

// Other is an entry that Walk did not pass to the WalkFunc, so the inventory
// can still show it: a nested archive, a link, a device, a skipped entry.
type Other struct {
	// Path is the path in the bundle, escaped when the name was unsafe.
	Path string `json:"path"`
	// Type is one of: archive, symlink, hardlink, device, fifo, socket,
	// unsafe (a name that was refused), other.
	Type string `json:"type"`
	// Target is the link target as stored, escaped for display.
	Target string `json:"target,omitempty"`
	// Note says what was done ("opened as tar.xz", "not inspected: ...").
	Note string `json:"note,omitempty"`
}

// Bundle is an opened support bundle. Walk reads it; the other methods report
// what the last Walk met.
type Bundle struct {
	Path string
	// Format is "directory", "tar", "tar.gz", "tar.xz", "tar.zst",
	// "tar.bz2", "tar.lz4", "zip", "7z", or for a single compressed file
	// "gz", "xz", "zst", "bz2", "lz4", "Z" (and "tar.Z", as AIX snap.pax.Z),
	// or "file" for one plain-text file uploaded as it is (a pasted lsof
	// output, a lone agent log): a bundle of that one file.
	Format string
	// Size is the size in bytes of the bundle file (0 for a directory).
	Size int64

	lim      Limits
	kind     kind
	dir      string      // resolved directory for directory bundles
	src      io.ReaderAt // the bundle's bytes, for OpenReaderAt
	sniffed  *sniffed    // OpenReaderAt's decoder, for the first Walk
	sha      string
	mod      time.Time // the bundle file's modification time, for Reread
	again    bool      // a Bundle of Reread's: its Walk computes no SHA-256
	warnings []Warning
	others   []Other
	root     string
}

// SHA256 is the hex SHA-256 of the bundle file's bytes, complete after Walk
// ("" for a directory or before Walk).
func (b *Bundle) SHA256() string { return b.sha }

// Warnings returns every bundle-level warning of the last Walk, in order.
func (b *Bundle) Warnings() []Warning { return append([]Warning(nil), b.warnings...) }

// Others returns the entries of the last Walk that were not passed to the
// WalkFunc, in order.
func (b *Bundle) Others() []Other { return append([]Other(nil), b.others...) }

// Root is the single top folder every entry of the bundle lives in (like
// "sosreport-host-1234"), or "" when there is none; known after Walk.
func (b *Bundle) Root() string { return b.root }
