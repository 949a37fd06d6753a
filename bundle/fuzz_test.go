package bundle_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

// The archive fuzz targets open the bundle from memory (OpenReaderAt), so an
// execution costs a walk, not a temp file. Seeds are a few hundred bytes so
// that minimizing a new input takes milliseconds. There is one target per
// format, seeded only with that format, so mutations land in the headers of
// the decoder under test; FuzzOpenWalk mixes them all, FuzzNested puts the
// input inside an outer archive. Run one for longer with, for example:
//
//	go test ./bundle/ -run '^$' -fuzz '^FuzzGzip$' -fuzztime 5m -fuzzminimizetime 5s
//
// .ci/fuzz runs every target of the repository briefly.

// fuzzLimits keep one execution cheap: a few hundred bytes of input cannot
// make a walk read more than 1 MiB or last longer than two seconds.
var fuzzLimits = bundle.Limits{
	MaxTotalBytes: 1 << 20, MaxFileBytes: 256 << 10, MaxEntries: 64,
	MaxDepth: 2, MaxRatio: 100, MaxBufferBytes: 256 << 10, Timeout: 2 * time.Second,
}

// fuzzResult is what one walk of a fuzzed bundle produced.
type fuzzResult struct {
	opened   bool
	files    map[string]string
	warnings []bundle.Warning
}

// stopped says whether a global limit ended the walk early.
func (r fuzzResult) stopped() bool {
	for _, w := range r.warnings {
		if strings.HasPrefix(w.Msg, "reading stopped") {
			return true
		}
	}
	return false
}

// fuzzWalk opens data as a bundle and walks it, checking what must hold
// whatever the bytes: opening fails only with ErrUnreadable; the walk ends in
// warnings, never an error or a panic; every path stays inside the bundle;
// no more bytes are read than the limits allow; every warning says something.
func fuzzWalk(t *testing.T, name string, data []byte) fuzzResult {
	t.Helper()
	ctx := context.Background()
	res := fuzzResult{files: map[string]string{}}
	b, err := bundle.OpenReaderAt(ctx, name, bytes.NewReader(data), int64(len(data)), fuzzLimits)
	if err != nil {
		if !errors.Is(err, bundle.ErrUnreadable) {
			t.Fatalf("Open: %v does not wrap ErrUnreadable", err)
		}
		return res
	}
	res.opened = true
	var total int64
	err = b.Walk(ctx, func(e bundle.Entry, r io.Reader) error {
		if !filepath.IsLocal(e.Path) {
			t.Fatalf("entry %q escapes the bundle", e.Path)
		}
		if _, dup := res.files[e.Path]; dup {
			t.Fatalf("entry %q passed twice", e.Path)
		}
		body, err := io.ReadAll(r)
		total += int64(len(body))
		if int64(len(body)) > fuzzLimits.MaxFileBytes {
			t.Fatalf("entry %q yielded %d bytes, over the per-file limit", e.Path, len(body))
		}
		res.files[e.Path] = string(body)
		return err
	})
	if err != nil {
		t.Fatalf("Walk returned %v; a hostile bundle must end in warnings, not an error", err)
	}
	if total > fuzzLimits.MaxTotalBytes+1 {
		t.Fatalf("read %d bytes past the total limit %d", total, fuzzLimits.MaxTotalBytes)
	}
	res.warnings = b.Warnings()
	for _, w := range res.warnings {
		if w.Msg == "" {
			t.Fatalf("empty warning for %q", w.Path)
		}
	}
	return res
}

// tiny is the content of the seeds: a small file and a symlink (a tar of
// them is 1.5 KiB), then a directory and a second file for zip and 7z.
var tiny = []archivetest.Entry{
	{Name: "h/mounts", Body: "/dev/sda1 / ext4 rw 0 0\n/dev/secfs0 /data secfs rw 0 0\n"},
	{Name: "h/log", Type: tar.TypeSymlink, Link: "mounts"},
	{Name: "h/d/", Type: tar.TypeDir},
	{Name: "h/hostname", Body: "web01\n"},
}

// tinyTar is tiny's first two entries as a tar without its end-of-archive
// blocks (a reader stops cleanly at a header boundary).
func tinyTar(t testing.TB) []byte {
	return trimTar(archivetest.Tar(t, tiny[:2]...))
}

// trimTar drops the two zero blocks that end a tar.
func trimTar(b []byte) []byte { return b[:len(b)-1024] }

// seedCompressed adds comp versions of tinyTar and of one plain text file.
func seedCompressed(f *testing.F, comp string) {
	f.Add(archivetest.Compress(f, comp, tinyTar(f)))
	f.Add(archivetest.Compress(f, comp, []byte("Mar  1 12:00:00 web01 kernel: secfs: loaded\n")))
}

// seedDamage adds the damaged files (see damages) whose names end in ext.
func seedDamage(f *testing.F, ext string) {
	for _, d := range damages {
		if strings.HasSuffix(d.name, ext) {
			f.Add(d.build(f))
		}
	}
}

// FuzzOpenWalk mixes seeds of every format in one corpus: a mutation can turn
// one format into another.
func FuzzOpenWalk(f *testing.F) {
	f.Add(tinyTar(f))
	for _, comp := range []string{"gz", "xz", "zst", "bz2", "lz4"} {
		f.Add(archivetest.Compress(f, comp, tinyTar(f)))
	}
	f.Add(archivetest.Zip(f, tiny...))
	f.Add(archivetest.Tar(f, archivetest.Entry{Name: "../escape", Body: "x"},
		archivetest.Entry{Name: "link", Type: tar.TypeSymlink, Link: "/etc/passwd"},
		archivetest.Entry{Name: "big", Body: "abc", Size: 1 << 40}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.bin", data) })
}

// FuzzTar mutates tar headers: names, types, sizes, checksums, pax and GNU
// extensions.
func FuzzTar(f *testing.F) {
	seedDamage(f, ".tar")
	f.Add(tinyTar(f))
	f.Add(trimTar(archivetest.Tar(f, archivetest.Entry{Name: "a/b", Type: tar.TypeLink, Link: "a/c"})))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.tar", data) })
}

// FuzzGzip mutates gzip framing (header flags, extra fields, CRC, members)
// around a small tar or text file.
func FuzzGzip(f *testing.F) {
	seedDamage(f, ".gz")
	seedCompressed(f, "gz")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.tar.gz", data) })
}

// FuzzXz mutates xz framing (stream flags, block headers, index, CRCs).
func FuzzXz(f *testing.F) {
	seedDamage(f, ".xz")
	seedCompressed(f, "xz")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.tar.xz", data) })
}

// FuzzZstd mutates zstd frames (window size, block types, checksums).
func FuzzZstd(f *testing.F) {
	seedCompressed(f, "zst")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.tar.zst", data) })
}

// FuzzBzip2 mutates bzip2 streams (block size, Huffman tables, CRCs).
func FuzzBzip2(f *testing.F) {
	seedCompressed(f, "bz2")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.tar.bz2", data) })
}

// FuzzLz4 mutates lz4 frames.
func FuzzLz4(f *testing.F) {
	seedCompressed(f, "lz4")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.tar.lz4", data) })
}

// FuzzZip mutates zip local headers, the central directory and its end
// record; the bundle is read through a ReaderAt, as an upload is.
func FuzzZip(f *testing.F) {
	seedDamage(f, ".zip")
	f.Add(archivetest.Zip(f, tiny...))
	f.Add(archivetest.Zip(f, archivetest.Entry{Name: "x.txt", Body: "one line\n"}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.zip", data) })
}

// Fuzz7z mutates 7z headers. Seeds are built with the 7z command when it is
// installed; the corpus in testdata/fuzz/Fuzz7z holds one built that way, so
// the target mutates a real archive either way.
func Fuzz7z(f *testing.F) {
	if archivetest.SevenZipCommand() != "" {
		dir := f.TempDir()
		for name, body := range map[string]string{"h/hostname": "web01\n", "h/mounts": "/dev/sda1 / ext4 rw 0 0\n"} {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				f.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				f.Fatal(err)
			}
		}
		f.Add(archivetest.Build(f, dir, "7z"))
	} else {
		f.Log("7z not installed: fuzzing only from the committed corpus in testdata/fuzz/Fuzz7z")
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.7z", data) })
}

// FuzzNested puts the input inside a tar bundle, between two plain files:
// whatever the inner archive holds, it is opened (or kept as a file) within
// the limits, and the files before and after it are still read.
func FuzzNested(f *testing.F) {
	inner := tinyTar(f)
	f.Add(inner)
	f.Add(archivetest.Compress(f, "gz", inner))
	f.Add(archivetest.Compress(f, "xz", archivetest.Compress(f, "gz", []byte("double\n"))))
	f.Add(archivetest.Zip(f, archivetest.Entry{Name: "deep.tar.gz", Body: string(archivetest.Compress(f, "gz", inner))}))
	f.Add(archivetest.Tar(f, archivetest.Entry{Name: "z.zip", Body: string(archivetest.Zip(f, tiny[:2]...))}))
	f.Fuzz(func(t *testing.T, data []byte) {
		outer := archivetest.Tar(t,
			archivetest.Entry{Name: "case/before.txt", Body: "before\n"},
			archivetest.Entry{Name: "case/inner.bin", Body: string(data)},
			archivetest.Entry{Name: "case/after.txt", Body: "after\n"})
		res := fuzzWalk(t, "upload.tar", outer)
		if !res.opened {
			t.Fatal("the outer tar was not opened")
		}
		if res.stopped() {
			return // a global limit ended the walk: it said so
		}
		for path, want := range map[string]string{"case/before.txt": "before\n", "case/after.txt": "after\n"} {
			if got := res.files[path]; got != want {
				t.Fatalf("%s read as %q, want %q (warnings: %v)", path, got, want, res.warnings)
			}
		}
	})
}

// TestFuzzSeedsAreRead checks that the seeds are real archives of their
// format: a fuzzer mutating a seed that does not open explores nothing.
func TestFuzzSeedsAreRead(t *testing.T) {
	cases := map[string][]byte{"tar": tinyTar(t), "zip": archivetest.Zip(t, tiny...)}
	for _, comp := range []string{"gz", "xz", "zst", "bz2", "lz4"} {
		cases["tar."+comp] = archivetest.Compress(t, comp, tinyTar(t))
	}
	seven, err := os.ReadFile("testdata/fuzz/Fuzz7z/seed-7zz-two-files")
	if err != nil {
		t.Fatal(err)
	}
	_, quoted, _ := strings.Cut(strings.TrimSpace(string(seven)), "[]byte(")
	raw, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
	if err != nil {
		t.Fatalf("7z corpus file: %v", err)
	}
	cases["7z"] = []byte(raw)
	for format, data := range cases {
		t.Run(format, func(t *testing.T) {
			res := fuzzWalk(t, "seed", data)
			if got := res.files["h/mounts"]; !strings.HasPrefix(got, "/dev/sda1 ") {
				t.Errorf("h/mounts read as %q, want the mount table (files %v, warnings %v)", got, res.files, res.warnings)
			}
			if len(res.warnings) != 0 {
				t.Errorf("a seed walks with warnings: %v", res.warnings)
			}
		})
	}
}
