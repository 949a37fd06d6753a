package bundle

import (
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
	"github.com/mholt/archives"
)

// kind is what the first bytes of a stream say it is: an outer compression
// and/or an archive format. The tar inside a compression is only known after
// decompressing (see walker.openArchive).
type kind struct {
	comp string // "", "gz", "xz", "zst", "bz2", "lz4", "Z"
	arch string // "", "tar", "zip", "7z", or "file": one plain-text file
}

func (k kind) String() string {
	switch {
	case k.arch != "" && k.comp != "":
		return k.arch + "." + k.comp
	case k.arch != "":
		return k.arch
	default:
		return k.comp
	}
}

func (k kind) known() bool { return k.comp != "" || k.arch != "" }

// plainFile is the kind of a bundle that is one plain-text file (a pasted
// lsof or mount output, a lone agent log): read as a bundle of that file.
var plainFile = kind{arch: "file"}

// sniffLen is how many bytes sniff wants to see.
const sniffLen = 1024

var magics = []struct {
	comp, arch string
	magic      []byte
}{
	{comp: "gz", magic: []byte{0x1f, 0x8b}},
	{comp: "xz", magic: []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{comp: "zst", magic: []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{comp: "lz4", magic: []byte{0x04, 0x22, 0x4d, 0x18}},
	{comp: "Z", magic: lzwMagic}, // Unix compress, as in AIX snap.pax.Z
	{arch: "zip", magic: []byte("PK\x03\x04")},
	{arch: "zip", magic: []byte("PK\x05\x06")}, // an empty zip: only the end record
	{arch: "7z", magic: []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}},
}

// sniff says what head (the first bytes of a stream) is. emptyTar accepts a
// zero-filled head as an empty tar, which is right for the bundle itself but
// not for a file inside it (a zero-filled file is not an archive).
func sniff(head []byte, emptyTar bool) kind {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return kind{comp: m.comp, arch: m.arch}
		}
	}
	if len(head) >= 4 && string(head[:3]) == "BZh" && head[3] >= '1' && head[3] <= '9' {
		return kind{comp: "bz2"}
	}
	if isTar(head, emptyTar) {
		return kind{arch: "tar"}
	}
	return kind{}
}

// isTar checks the first header block's checksum, which every tar variant
// (v7, ustar, GNU, pax) carries.
func isTar(head []byte, emptyTar bool) bool {
	if len(head) < 512 {
		return false
	}
	h := head[:512]
	if allZero(h) {
		return emptyTar && len(head) >= 1024 && allZero(head[:1024])
	}
	field := strings.Trim(string(h[148:156]), " \x00")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil || field == "" {
		return false
	}
	var unsigned, signed int64
	for i, c := range h {
		if i >= 148 && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return want == unsigned || want == signed
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// describe says in a few words what a stream that is no archive looks like.
func describe(head []byte) string {
	if len(head) == 0 {
		return "no content"
	}
	if !utf8.Valid(trimPartialRune(head)) {
		return "binary data"
	}
	for _, c := range head {
		if c == 0 || c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b {
			return "binary data"
		}
	}
	return "plain text"
}

// trimPartialRune drops an incomplete UTF-8 sequence cut by the head's end.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.RuneStart(b[len(b)-1-i]) {
			if !utf8.FullRune(b[len(b)-1-i:]) {
				return b[:len(b)-1-i]
			}
			break
		}
	}
	return b
}

// zstdMaxWindow keeps a hostile zstd frame from reserving the default 512 MB
// window; real bundles are compressed with windows of 8 MiB or less.
const zstdMaxWindow = 32 << 20

// decompressor opens the decoder for comp. gzip is single-threaded on
// purpose: the parallel reader buffers several MiB ahead per stream.
func decompressor(comp string, r io.Reader) (io.ReadCloser, error) {
	var c archives.Decompressor
	switch comp {
	case "gz":
		c = archives.Gz{}
	case "xz":
		c = archives.Xz{}
	case "zst":
		c = archives.Zstd{DecoderOptions: []zstd.DOption{
			zstd.WithDecoderMaxWindow(zstdMaxWindow),
			zstd.WithDecoderMaxMemory(zstdMaxWindow),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderConcurrency(1),
		}}
	case "bz2":
		// The standard library's decoder, not archives.Bz2 (dsnet): found
		// by FuzzBzip2, dsnet's spends about 0.1 s of CPU on each block
		// with degenerate prefix codes, which a hostile file of a few KB
		// repeats thousands of times.
		return io.NopCloser(bzip2.NewReader(r)), nil
	case "lz4":
		c = archives.Lz4{}
	case "Z":
		return newLZWReader(r)
	default:
		return nil, fmt.Errorf("unknown compression %q", comp)
	}
	return c.OpenReader(r)
}

// compExts are the name endings dropped to name the content of a single
// compressed file ("messages-2024.gz" holds "messages-2024").
var compExts = map[string][]string{
	"gz":  {".gz", ".gzip", ".z"},
	"xz":  {".xz"},
	"zst": {".zst", ".zstd"},
	"bz2": {".bz2", ".bzip2"},
	"lz4": {".lz4"},
	"Z":   {".z"},
}

func innerName(base, comp string) string {
	lower := strings.ToLower(base)
	for _, ext := range compExts[comp] {
		if strings.HasSuffix(lower, ext) && len(base) > len(ext) {
			return base[:len(base)-len(ext)]
		}
	}
	if strings.HasSuffix(lower, ".tgz") && len(base) > 4 {
		return base[:len(base)-4] + ".tar"
	}
	return base
}

// looksLikeArchiveName reports whether a file name ends like an archive or a
// compressed file, for the warning about one that holds plain text.
func looksLikeArchiveName(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range []string{".tar", ".tgz", ".tbz", ".txz", ".zip", ".7z", ".pax"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	for _, exts := range compExts {
		for _, ext := range exts {
			if strings.HasSuffix(lower, ext) {
				return true
			}
		}
	}
	return false
}
