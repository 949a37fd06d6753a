// Package archivetest builds archives inside tests, so that test bundles are
// kept as readable directory trees (or entry lists for hostile cases) and no
// binary blob is committed.
package archivetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mholt/archives"
	uxz "github.com/ulikunitz/xz"
)

// Formats lists what Build writes (7z only when a 7z command is installed).
var Formats = []string{"tar", "tar.gz", "tar.xz", "tar.zst", "tar.bz2", "tar.lz4", "zip", "7z"}

// stamp is the fixed time given to every entry, so builds are reproducible.
var stamp = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// Entry is one member of a hand-made archive.
type Entry struct {
	Name string
	// Type is a tar type flag: tar.TypeReg (the default), TypeDir,
	// TypeSymlink, TypeLink, TypeChar, TypeBlock, TypeFifo. Zip writes only
	// regular files, directories and symlinks.
	Type byte
	Body string
	// Link is the target of a symlink or hardlink.
	Link string
	// Mode is the permission and special bits (0o644 when zero).
	Mode int64
	// Size, when larger than len(Body), is declared in the tar header: the
	// archive then ends right after Body, as a truncated or lying one does.
	Size int64
}

// Build archives the tree at dir in format (see Formats; "tgz" is
// "tar.gz"). Entry names are relative to dir, in lexical order, with
// directories. Symlinks in the tree are stored as symlinks.
func Build(t testing.TB, dir, format string) []byte {
	t.Helper()
	if format == "7z" {
		return sevenZip(t, dir)
	}
	entries := treeEntries(t, dir)
	if format == "zip" {
		return Zip(t, entries...)
	}
	tarBytes := Tar(t, entries...)
	switch format {
	case "tar":
		return tarBytes
	case "tgz":
		format = "tar.gz"
	}
	comp, ok := strings.CutPrefix(format, "tar.")
	if !ok {
		t.Fatalf("archivetest: unknown format %q", format)
	}
	return Compress(t, comp, tarBytes)
}

// WriteFile builds dir in format and writes it into a new t.TempDir() as
// "bundle.<format>", returning the path.
func WriteFile(t testing.TB, dir, format string) string {
	t.Helper()
	return Write(t, "bundle."+format, Build(t, dir, format))
}

// Write writes data into a new t.TempDir() under name and returns the path.
func Write(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func treeEntries(t testing.TB, dir string) []Entry {
	t.Helper()
	var out []Entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, Entry{Name: rel, Type: tar.TypeSymlink, Link: target})
		case d.IsDir():
			out = append(out, Entry{Name: rel + "/", Type: tar.TypeDir})
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, Entry{Name: rel, Body: string(b)})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Tar writes entries as a tar archive, names exactly as given.
func Tar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		h := &tar.Header{Name: e.Name, Typeflag: typ, Linkname: e.Link, Mode: mode,
			ModTime: stamp, Format: tar.FormatGNU}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.Body))
			if e.Size > h.Size {
				h.Size = e.Size
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("archivetest: tar header %q: %v", e.Name, err)
		}
		if _, err := io.WriteString(tw, e.Body); err != nil {
			t.Fatal(err)
		}
		if e.Size > int64(len(e.Body)) {
			return buf.Bytes() // a lying or truncated archive ends here
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Zip writes entries as a zip archive (deflated), names exactly as given.
func Zip(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: stamp}
		mode := fs.FileMode(e.Mode & 0o7777)
		if mode == 0 {
			mode = 0o644
		}
		body := e.Body
		switch e.Type {
		case 0, tar.TypeReg:
		case tar.TypeDir:
			mode |= fs.ModeDir
			h.Method = zip.Store
		case tar.TypeSymlink:
			mode |= fs.ModeSymlink
			body = e.Link
		default:
			t.Fatalf("archivetest: zip cannot hold type %q", e.Type)
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatalf("archivetest: zip entry %q: %v", e.Name, err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Compressor returns the compressor for "gz", "xz", "zst", "bz2" or "lz4".
func Compressor(t testing.TB, comp string) archives.Compressor {
	t.Helper()
	switch comp {
	case "gz":
		return archives.Gz{}
	case "xz":
		return archives.Xz{}
	case "zst":
		return archives.Zstd{}
	case "bz2":
		return archives.Bz2{}
	case "lz4":
		return archives.Lz4{}
	}
	t.Fatalf("archivetest: unknown compression %q", comp)
	return nil
}

// Compress compresses data with comp ("gz", "xz", "zst", "bz2", "lz4").
func Compress(t testing.TB, comp string, data []byte) []byte {
	t.Helper()
	return CompressWith(t, Compressor(t, comp), data)
}

// CompressWith compresses data with c, for a test that needs settings of
// its own (a smaller block, a faster level).
func CompressWith(t testing.TB, c archives.Compressor, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := c.OpenWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, data)
	return buf.Bytes()
}

// writeAll writes data to w and closes it, failing the test on an error.
func writeAll(t testing.TB, w io.WriteCloser, data []byte) {
	t.Helper()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// XzBlocks compresses data into one xz stream of blocks of blockSize
// uncompressed bytes, as xz -T writes (the compressors behind Compress
// write a single block), so tests can reach the parallel xz reader.
func XzBlocks(t testing.TB, data []byte, blockSize int64, cfg uxz.WriterConfig) []byte {
	t.Helper()
	var buf bytes.Buffer
	cfg.BlockSize = blockSize
	w, err := cfg.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, data)
	return buf.Bytes()
}

// SevenZipCommand is the 7z program found on PATH, or "".
func SevenZipCommand() string {
	for _, name := range []string{"7z", "7za", "7zz", "7zr"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func sevenZip(t testing.TB, dir string) []byte {
	t.Helper()
	cmd := SevenZipCommand()
	if cmd == "" {
		t.Skip("SKIP: 7z not installed (apt-get install 7zip, or p7zip-full): 7z bundles are not tested")
	}
	out := filepath.Join(t.TempDir(), "bundle.7z")
	c := exec.Command(cmd, "a", "-bd", "-y", out, ".")
	c.Dir = dir
	if msg, err := c.CombinedOutput(); err != nil {
		t.Fatalf("archivetest: %s: %v\n%s", cmd, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WriteGzipZeros writes a gzip stream that decompresses to n zero bytes
// (n rounded up to MiB) without compressing n bytes: one member holding
// 16 MiB of zeros is repeated (gzip readers join members), so a 10 GiB bomb
// takes about 10 MB and a fraction of a second to write. prefix, if any, is
// compressed in a member of its own before the zeros (a tar header, say).
func WriteGzipZeros(t testing.TB, w io.Writer, prefix []byte, n int64) {
	t.Helper()
	if len(prefix) > 0 {
		if _, err := w.Write(Compress(t, "gz", prefix)); err != nil {
			t.Fatal(err)
		}
	}
	const chunk = 16 << 20
	member := Compress(t, "gz", make([]byte, chunk))
	for left := n; left > 0; left -= chunk {
		part := member
		if left < chunk {
			part = Compress(t, "gz", make([]byte, ((left+(1<<20)-1)>>20)<<20))
		}
		if _, err := w.Write(part); err != nil {
			t.Fatal(err)
		}
	}
}

// OverlappingZip builds a zip bomb without nesting: n central-directory
// entries, each with its own name, all pointing at one deflated member of
// size zero bytes, so reading every entry decompresses n*size bytes.
func OverlappingZip(t testing.TB, n int, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "k", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	eocd := b[len(b)-22:]
	cdSize := binary.LittleEndian.Uint32(eocd[12:])
	cdOff := binary.LittleEndian.Uint32(eocd[16:])
	rec := b[cdOff : cdOff+cdSize]
	nameLen := int(binary.LittleEndian.Uint16(rec[28:]))
	fixed, rest := rec[:46], rec[46+nameLen:] // rest: extra and comment
	out := append([]byte(nil), b[:cdOff]...)
	var cd []byte
	for i := 0; i < n; i++ {
		name := []byte(fmt.Sprintf("bomb/%06d.bin", i))
		r := append([]byte(nil), fixed...)
		binary.LittleEndian.PutUint16(r[28:], uint16(len(name)))
		r = append(append(r, name...), rest...)
		cd = append(cd, r...)
	}
	end := append([]byte(nil), eocd...)
	binary.LittleEndian.PutUint16(end[8:], uint16(n))
	binary.LittleEndian.PutUint16(end[10:], uint16(n))
	binary.LittleEndian.PutUint32(end[12:], uint32(len(cd)))
	binary.LittleEndian.PutUint32(end[16:], uint32(len(out)))
	return append(append(out, cd...), end...)
}
