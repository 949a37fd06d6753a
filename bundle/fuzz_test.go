package bundle_test

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

// FuzzOpenWalk feeds arbitrary bytes to Open and Walk as a bundle file:
// whatever the bytes, opening either fails with ErrUnreadable or the walk
// ends within the limits, every entry name is a safe relative path, and no
// panic escapes. Seeds are small valid archives of every format, so the
// fuzzer mutates real headers.
//
//	go test ./bundle/ -run XXX -fuzz FuzzOpenWalk -fuzztime 60s
func FuzzOpenWalk(f *testing.F) {
	for _, format := range []string{"tar", "tar.gz", "tar.xz", "tar.zst", "tar.bz2", "zip"} {
		f.Add(archivetest.Build(f, basic, format))
	}
	f.Add(archivetest.Tar(f, archivetest.Entry{Name: "../escape", Body: "x"},
		archivetest.Entry{Name: "link", Type: tar.TypeSymlink, Link: "/etc/passwd"},
		archivetest.Entry{Name: "big", Body: "abc", Size: 1 << 40}))
	f.Add(archivetest.Compress(f, "gz", []byte("lsof output\n")))
	f.Add([]byte{})
	lim := bundle.Limits{
		MaxTotalBytes: 8 << 20, MaxFileBytes: 4 << 20, MaxEntries: 200,
		MaxDepth: 2, MaxRatio: 100, MaxBufferBytes: 8 << 20, Timeout: 5 * time.Second,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "upload.bin")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		b, err := bundle.Open(ctx, p, lim)
		if err != nil {
			return // unreadable: a clear error is the right answer
		}
		var total int64
		err = b.Walk(ctx, func(e bundle.Entry, r io.Reader) error {
			if !filepath.IsLocal(e.Path) {
				t.Fatalf("entry %q escapes the bundle", e.Path)
			}
			n, err := io.Copy(io.Discard, r)
			total += n
			return err
		})
		if err != nil {
			t.Fatalf("Walk returned %v; a hostile bundle must end in warnings, not an error", err)
		}
		if total > lim.MaxTotalBytes+lim.MaxFileBytes {
			t.Fatalf("read %d bytes past the total limit %d", total, lim.MaxTotalBytes)
		}
	})
}
