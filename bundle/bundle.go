// Package bundle opens a support bundle (a directory or an archive, nested
// archives included) and streams its files without extracting anything,
// under limits that make hostile uploads harmless.
package bundle

import (
	"io"
	"io/fs"
	"time"
)

// Limits bound what reading one bundle may cost. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	MaxTotalBytes int64         // decompressed bytes across all layers
	MaxFileBytes  int64         // bytes read from one file
	MaxEntries    int           // entries across all layers
	MaxDepth      int           // nesting of archives inside archives
	MaxRatio      float64       // decompressed:compressed, checked after the first MiB
	Timeout       time.Duration // wall time for the whole bundle
}

// DefaultLimits are generous for real bundles and stop bombs quickly.
func DefaultLimits() Limits {
	return Limits{
		MaxTotalBytes: 8 << 30,
		MaxFileBytes:  2 << 30,
		MaxEntries:    100_000,
		MaxDepth:      3,
		MaxRatio:      200,
		Timeout:       10 * time.Minute,
	}
}

// Entry is one file of a bundle as Walk meets it.
type Entry struct {
	// Path is the slash-separated path inside the bundle. Files of a nested
	// archive are under the archive's own path ("upload/logs.zip/secfs.log").
	Path string
	// Size is the size the directory or archive declares; it may lie, so
	// nothing is allocated from it.
	Size int64
	Mode fs.FileMode
	// ModTime is the entry's modification time as stored.
	ModTime time.Time
}

// Warning is a problem with one entry or with the bundle as a whole:
// an unsafe name, a link not followed, a limit reached, a corrupt archive.
type Warning struct {
	Path string `json:"path"`
	Msg  string `json:"message"`
}

func (w Warning) Error() string {
	if w.Path == "" {
		return w.Msg
	}
	return w.Path + ": " + w.Msg
}

// WalkFunc receives each regular file in bundle order with a reader of its
// content, bounded by the limits. The reader is only valid during the call.
type WalkFunc func(e Entry, r io.Reader) error
