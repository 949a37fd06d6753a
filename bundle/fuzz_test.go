package bundle_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
	"github.com/mholt/archives"
	uxz "github.com/ulikunitz/xz"
)

// The archive fuzz targets open the bundle from memory (OpenReaderAt), so an
// execution costs a walk, not a temp file. Seeds are a few hundred bytes so
// that minimizing a new input takes milliseconds. There is one target per
// format, seeded only with that format, so mutations land in the headers of
// the decoder under test; FuzzOpenWalk mixes them all, FuzzNested puts the
// input inside an outer archive. Run one for longer with, for example:
//
//	go test ./bundle/ -run '^$' -fuzz '^FuzzGzip$' -fuzztime 5m -fuzzminimizetime 200x
//
// .ci/fuzz runs every target of the repository briefly.

// fuzzLimits keep one execution cheap: a few hundred bytes of input cannot
// make a walk decompress more than 64 KiB or last longer than two seconds.
// A mutated stream easily decodes to garbage up to whatever limit there is
// (a bzip2 run, an LZMA match of the wrong length), and the instrumented
// decoders produce it at a few tens of MB/s: with 256 KiB, such inputs
// halved FuzzXz's rate (about 1,200 executions per second against 2,200
// with 64 KiB, back to back). The seeds decode to under 10 KiB, the
// dictionaries they declare (4 KiB) wrap well within 64 KiB, and the limit's
// own path is exercised more, not less. The ratio limit, which needs 1 MiB
// of output to act, is left to the hostile-bundle tests.
var fuzzLimits = bundle.Limits{
	MaxTotalBytes: 64 << 10, MaxFileBytes: 32 << 10, MaxEntries: 64,
	MaxDepth: 2, MaxRatio: 100, MaxBufferBytes: 64 << 10, Timeout: 2 * time.Second,
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
	f.Add(compressSeed(f, comp, tinyTar(f)))
	f.Add(compressSeed(f, comp, []byte("Mar  1 12:00:00 web01 kernel: secfs: loaded\n")))
}

// compressSeed compresses data with comp, declaring the smallest window the
// format allows where the compressor declares a large one: an xz stream
// says 8 MiB of dictionary and an lz4 frame 4 MiB blocks, and their decoders
// allocate that much, which would make every execution of a few hundred
// bytes cost milliseconds. Small inputs decode the same with the small size.
func compressSeed(t testing.TB, comp string, data []byte) []byte {
	if comp == "bz2" { // 100 KB blocks rather than 900 KB
		return archivetest.CompressWith(t, archives.Bz2{CompressionLevel: 1}, data)
	}
	b := archivetest.Compress(t, comp, data)
	switch comp {
	case "xz":
		smallXzDict(t, b)
	case "lz4":
		smallLz4Blocks(t, b)
	}
	return b
}

// smallXzDict sets the LZMA2 dictionary of an xz stream's first block to
// 4 KiB and fixes the block header's CRC-32. Block header (xz format 3.1):
// size byte, flags, optional sizes, then the filter: id 0x21, 1, dict byte.
func smallXzDict(t testing.TB, b []byte) {
	h := b[12:]
	size := (int(h[0]) + 1) * 4
	i := 2
	for _, present := range []bool{h[1]&0x40 != 0, h[1]&0x80 != 0} {
		if present {
			for h[i]&0x80 != 0 {
				i++
			}
			i++
		}
	}
	if h[1]&3 != 0 || h[i] != 0x21 || h[i+1] != 1 {
		t.Fatalf("xz seed: unexpected block header % x", h[:size])
	}
	h[i+2] = 0 // 4 KiB
	binary.LittleEndian.PutUint32(h[size-4:], crc32.ChecksumIEEE(h[:size-4]))
}

// smallLz4Blocks sets an lz4 frame's block size to 64 KiB and fixes the
// descriptor checksum (the second byte of the XXH32 of the descriptor).
func smallLz4Blocks(t testing.TB, b []byte) {
	flg := b[4]
	n := 2
	if flg&0x08 != 0 {
		n += 8 // content size
	}
	if flg&0x01 != 0 {
		n += 4 // dictionary id
	}
	b[5] = 4 << 4 // 64 KiB blocks
	b[4+n] = byte(xxh32(b[4:4+n]) >> 8)
}

// xxh32 is XXH32 with seed 0, for the short inputs of smallLz4Blocks.
func xxh32(p []byte) uint32 {
	const p1, p2, p3, p4, p5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
	h := uint32(p5) + uint32(len(p))
	for ; len(p) >= 4; p = p[4:] {
		h += binary.LittleEndian.Uint32(p) * p3
		h = bits.RotateLeft32(h, 17) * p4
	}
	for _, c := range p {
		h += uint32(c) * p5
		h = bits.RotateLeft32(h, 11) * p1
	}
	h ^= h >> 15
	h *= p2
	h ^= h >> 13
	h *= p3
	h ^= h >> 16
	return h
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
		f.Add(compressSeed(f, comp, tinyTar(f)))
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
// One seed is a stream of several blocks, as xz -T writes, which the walk
// decodes in parallel: mutations of its index and blocks exercise the
// checks and the fallback to the sequential decoder.
func FuzzXz(f *testing.F) {
	seedDamage(f, ".xz")
	seedCompressed(f, "xz")
	f.Add(archivetest.XzBlocks(f, tinyTar(f), 512, uxz.WriterConfig{DictCap: 4 << 10}))
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
	f.Add(encoded7z(f, 1, 1)) // a header packed by LZMA, without 7-Zip installed too
	seedDamage(f, ".7z")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, "upload.7z", data) })
}

// FuzzNested puts the input inside a tar bundle, between two plain files:
// whatever the inner archive holds, it is opened (or kept as a file) within
// the limits, and the files before and after it are still read.
func FuzzNested(f *testing.F) {
	inner := tinyTar(f)
	f.Add(inner)
	f.Add(archivetest.Compress(f, "gz", inner))
	f.Add(compressSeed(f, "xz", archivetest.Compress(f, "gz", []byte("double\n"))))
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
		cases["tar."+comp] = compressSeed(t, comp, tinyTar(t))
	}
	cases["7z"] = sevenZipSeed(t)
	cases["tar.xz, 3 blocks"] = archivetest.XzBlocks(t, tinyTar(t), 512, uxz.WriterConfig{DictCap: 4 << 10})
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

// sevenZipSeed is the 7z archive of the committed Fuzz7z corpus (two small
// files written by 7zz), so that tests need no 7z command.
func sevenZipSeed(t testing.TB) []byte {
	seven, err := os.ReadFile("testdata/fuzz/Fuzz7z/seed-7zz-two-files")
	if err != nil {
		t.Fatal(err)
	}
	_, quoted, _ := strings.Cut(strings.TrimSpace(string(seven)), "[]byte(")
	raw, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
	if err != nil {
		t.Fatalf("7z corpus file: %v", err)
	}
	return []byte(raw)
}
