package archivetest

import (
	"archive/tar"
	"bytes"
	"os/exec"
	"testing"
)

// The Unix compress (.Z) writer used to build AIX snap.pax.Z bundles in
// tests. It writes what ncompress writes for the same input up to the
// point where ncompress would clear a full table (this writer never
// clears), so its output is checked against ncompress's decoder where that
// is installed, and ncompress's own output against triage's decoder.

// zWriter packs LZW codes the way compress does: least significant bit
// first, in groups of eight codes (width bytes), a group padded out when
// the width grows.
type zWriter struct {
	buf   bytes.Buffer
	bits  int
	acc   uint64
	nacc  int // bits in acc
	inGrp int // bits written in the current group
}

func (w *zWriter) put(code int) {
	w.acc |= uint64(code) << w.nacc
	w.nacc += w.bits
	w.inGrp += w.bits
	for w.nacc >= 8 {
		w.buf.WriteByte(byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
	if w.inGrp == w.bits*8 {
		w.inGrp = 0
	}
}

// pad ends the current group: its unused codes are written as zero bits.
func (w *zWriter) pad() {
	if w.inGrp == 0 {
		return
	}
	total := w.bits * 8
	for w.inGrp < total {
		w.put(0)
	}
}

func (w *zWriter) flush() []byte {
	if w.nacc > 0 {
		w.buf.WriteByte(byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
	return w.buf.Bytes()
}

// zCodes writes a .Z stream (block mode, maxBits wide at most) of the codes
// that next yields: next returns the code to write given the table's next
// free entry before that code's entry is added, and false at the end.
func zCodes(maxBits int, next func(freeEnt int) (int, bool)) []byte {
	w := &zWriter{bits: 9}
	w.buf.Write([]byte{0x1f, 0x9d, byte(0x80 | maxBits)})
	maxMax := 1 << maxBits
	maxCode := 1<<9 - 1
	freeEnt := 257
	first := true
	for {
		c, ok := next(freeEnt)
		if !ok {
			break
		}
		w.put(c)
		if first { // the first code defines no entry
			first = false
			continue
		}
		// After each code but the first, the reader adds an entry; when the
		// next one would not fit the width, both sides widen.
		if freeEnt < maxMax {
			freeEnt++
		}
		if freeEnt > maxCode { // (with maxBits 9 too: compress widens to 10)
			w.pad()
			w.bits++
			if w.bits == maxBits {
				maxCode = maxMax
			} else {
				maxCode = 1<<w.bits - 1
			}
		}
	}
	return w.flush()
}

// CompressZ compresses data in the Unix compress (.Z) format with codes of
// at most maxBits (9 to 16) bits, never clearing the table.
func CompressZ(t testing.TB, data []byte, maxBits int) []byte {
	t.Helper()
	if maxBits < 9 || maxBits > 16 {
		t.Fatalf("archivetest: compress code width %d is outside 9..16", maxBits)
	}
	maxMax := 1 << maxBits
	dict := map[int]int{} // prefix code << 8 | byte -> code
	var codes []int
	if len(data) > 0 {
		ent := int(data[0])
		free := 257
		for _, c := range data[1:] {
			key := ent<<8 | int(c)
			if code, ok := dict[key]; ok {
				ent = code
				continue
			}
			codes = append(codes, ent)
			if free < maxMax {
				dict[key] = free
				free++
			}
			ent = int(c)
		}
		codes = append(codes, ent)
	}
	i := 0
	return zCodes(maxBits, func(int) (int, bool) {
		if i == len(codes) {
			return 0, false
		}
		i++
		return codes[i-1], true
	})
}

// ZBomb is a .Z stream of n codes that decompresses to about n*n/2 bytes
// 'a' (two GB for n = 65,280) from a few bytes per code: each code names
// the string the previous one defined, one byte longer.
func ZBomb(n int) []byte {
	i := 0
	return zCodes(16, func(freeEnt int) (int, bool) {
		if i == n {
			return 0, false
		}
		i++
		if i == 1 {
			return 'a', true
		}
		if freeEnt >= 1<<16 { // table full: repeat the longest string
			return 1<<16 - 1, true
		}
		return freeEnt, true
	})
}

// NcompressCommand is Debian ncompress's compress program, or "" when it
// is not installed (gzip's uncompress script is not it: it cannot write .Z).
func NcompressCommand() string {
	p, err := exec.LookPath("compress")
	if err != nil {
		return ""
	}
	return p
}

// SnapPaxZ builds the tree at dir the way AIX snap -c packs /tmp/ibmsupt:
// a pax archive (POSIX.1-2001 headers) compressed with compress.
func SnapPaxZ(t testing.TB, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range treeEntries(t, dir) {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: 0o644, ModTime: stamp, Format: tar.FormatPAX,
			PAXRecords: map[string]string{"comment": "snap"}}
		switch e.Type {
		case 0:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Body))
		case tar.TypeDir:
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("archivetest: pax header %q: %v", e.Name, err)
		}
		if _, err := tw.Write([]byte(e.Body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return CompressZ(t, buf.Bytes(), 16)
}
