package bundle

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	dsbzip2 "github.com/dsnet/compress/bzip2"
	uxz "github.com/ulikunitz/xz"

	"github.com/fsagent/triage/internal/archivetest"
)

// bz2Text is n bytes of log-like lines that bzip2 compresses about 2:1, so
// that a few megabytes make a file above bz2ParMinSize.
func bz2Text(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "%08x host%d kernel: secfs2 op=%d path=/secure/%x/%x\n", rng.Uint32(), rng.IntN(9), rng.IntN(40), rng.Uint64(), rng.Uint32())
	}
	return b.Bytes()[:n]
}

func bz2Compress(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := dsbzip2.NewWriter(&out, &dsbzip2.WriterConfig{Level: level})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// bz2Reads is what the sequential decoder and the parallel reader gave.
type bz2Reads struct {
	seq, par       []byte
	seqErr, parErr error
	r              *bz2ParReader
	in             int64 // compressed bytes the parallel reader counted
}

// bz2Both reads file with the sequential decoder and with the parallel
// reader, which must exist.
func bz2Both(t *testing.T, file []byte) (b bz2Reads) {
	t.Helper()
	b.seq, b.seqErr = io.ReadAll(bzip2.NewReader(bytes.NewReader(file)))
	b.r = newBz2Parallel(bytes.NewReader(file), int64(len(file)), &b.in)
	if b.r == nil {
		t.Fatalf("the parallel reader was not taken (%d bytes, starting %q)", len(file), file[:min(len(file), 4)])
	}
	defer b.r.Close()
	b.par, b.parErr = io.ReadAll(b.r)
	return b
}

func sameErr(a, b error) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error())
}

// TestBz2Parallel: files of one stream and of several (as pbzip2 writes),
// at different block sizes, decode to the sequential decoder's bytes with
// every block decoded in parallel and every compressed byte counted.
func TestBz2Parallel(t *testing.T) {
	needCores(t)
	a, b := bz2Text(4<<20, 1), bz2Text(2<<20, 2)
	one := bz2Compress(t, a, 1)
	several := append(append(bz2Compress(t, a, 1), bz2Compress(t, b, 3)...), bz2Compress(t, nil, 9)...)
	several = append(several, bz2Compress(t, b[:1000], 9)...)
	// Long runs of zeros (a sparse file): blocks of 5 MB of output each,
	// more than a run's output held.
	sparse := bz2Compress(t, append(append(bytes.Clone(a), make([]byte, 12<<20)...), b[:1<<20]...), 1)
	for name, file := range map[string][]byte{"one stream": one, "several streams": several, "sparse": sparse} {
		got := bz2Both(t, file)
		seq, par, seqErr, parErr, r, in := got.seq, got.par, got.seqErr, got.parErr, got.r, got.in
		if seqErr != nil || parErr != nil || !bytes.Equal(seq, par) {
			t.Fatalf("%s: errors %v / %v, %d / %d bytes, equal %v", name, seqErr, parErr, len(seq), len(par), bytes.Equal(seq, par))
		}
		if r.seq != nil || r.blocks < 20 {
			t.Errorf("%s: %d blocks in parallel, fell back %v", name, r.blocks, r.seq != nil)
		}
		if (r.replays > 0) != (name == "sparse") {
			t.Errorf("%s: %d runs decoded again as read", name, r.replays)
		}
		if in != int64(len(file)) {
			t.Errorf("%s: %d compressed bytes counted, want %d", name, in, len(file))
		}
	}
}

// TestBz2ParallelDamage: whatever is wrong with the file (a flipped byte,
// a block magic number written into a block's data at any bit offset, a
// cut, trailing bytes), the reader gives the bytes and the error of the
// sequential decoder.
func TestBz2ParallelDamage(t *testing.T) {
	needCores(t)
	a := bz2Text(6<<20, 3)
	good := append(bz2Compress(t, a[:4<<20], 1), bz2Compress(t, a[4<<20:], 2)...)
	rng := rand.New(rand.NewPCG(4, 5))
	var cases []struct {
		name string
		file []byte
	}
	add := func(name string, f []byte) {
		cases = append(cases, struct {
			name string
			file []byte
		}{name, f})
	}
	for k := 0; k < 8; k++ {
		at := 8 + rng.IntN(len(good)-16)
		f := bytes.Clone(good)
		f[at] ^= byte(1 + rng.IntN(255))
		add(fmt.Sprintf("flip at %d", at), f)

		// A false block magic number at a random bit offset.
		f = bytes.Clone(good)
		pos := int64(64 + rng.IntN(len(good)*8-200))
		for i := int64(0); i < 48; i++ {
			p, b := pos+i, byte(uint64(bz2BlockMagic)>>(47-i)&1)
			f[p/8] = f[p/8]&^(0x80>>(p%8)) | b<<(7-p%8)
		}
		add(fmt.Sprintf("false magic at bit %d", pos), f)
	}
	sparse := bz2Compress(t, append(append(bytes.Clone(a[:4<<20]), make([]byte, 12<<20)...), a[4<<20:]...), 1)
	for _, at := range []int{len(sparse) * 3 / 4, len(sparse) - 300} {
		f := bytes.Clone(sparse)
		f[at] ^= 0x10
		add(fmt.Sprintf("sparse, flip at %d", at), f)
	}
	add("cut", good[:len(good)*5/6])
	add("cut in the end marker", good[:len(good)-3])
	add("trailing bytes", append(bytes.Clone(good), "trailing junk"...))
	add("trailing header", append(bytes.Clone(good), "BZh9"...))
	add("trailing two bytes", append(bytes.Clone(good), "BZ"...))
	add("trailing stream header and block magic", append(bytes.Clone(good), "BZh91AY&SY"...))
	for _, c := range cases {
		got := bz2Both(t, c.file)
		seq, par, seqErr, parErr, r := got.seq, got.par, got.seqErr, got.parErr, got.r
		if !bytes.Equal(seq, par) || !sameErr(seqErr, parErr) {
			t.Errorf("%s: sequential %d bytes, %v; parallel %d bytes, %v", c.name, len(seq), seqErr, len(par), parErr)
		}
		if seqErr != nil && r.seq == nil {
			t.Errorf("%s: the error did not come from the sequential decoder", c.name)
		}
	}
}

// TestBz2ParallelNotTaken: a small file, or one that is not bzip2, is
// left to the sequential decoder.
func TestBz2ParallelNotTaken(t *testing.T) {
	small := bz2Compress(t, bz2Text(100<<10, 6), 9)
	var in int64
	if r := newBz2Parallel(bytes.NewReader(small), int64(len(small)), &in); r != nil {
		r.Close()
		t.Error("a small file was taken")
	}
	other := bytes.Repeat([]byte("BZx9"), 1<<19)
	if r := newBz2Parallel(bytes.NewReader(other), int64(len(other)), &in); r != nil {
		r.Close()
		t.Error("a file without a stream header was taken")
	}
}

// TestBz2Stretch: a block cut out at any bit offset and written as a
// stream of its own holds exactly the bits of the file.
func TestBz2Stretch(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	file := make([]byte, 300)
	for i := range file {
		file[i] = byte(rng.Uint32())
	}
	s := &bz2Scanner{ra: bytes.NewReader(file), size: int64(len(file))}
	if !s.ensure(int64(len(file))) {
		t.Fatal("ensure")
	}
	bit := func(b []byte, i int64) byte { return b[i/8] >> (7 - i%8) & 1 }
	for k := 0; k < 500; k++ {
		from := rng.Int64N(1000)
		to := from + rng.Int64N(1200)
		got := s.stretch('5', from, to, 0xdeadbeef)
		if string(got[:4]) != "BZh5" {
			t.Fatalf("header %q", got[:4])
		}
		body := got[4:]
		for i := int64(0); i < to-from; i++ {
			if bit(body, i) != bit(file, from+i) {
				t.Fatalf("stretch %d-%d: bit %d differs", from, to, i)
			}
		}
		tail := new(bz2Scanner)
		tail.buf, tail.size = body, int64(len(body))
		if m := tail.bits(to-from, 32)<<16 | tail.bits(to-from+32, 16); m != bz2EndMagic {
			t.Fatalf("stretch %d-%d: end marker %x", from, to, m)
		}
		if crc := tail.bits(to-from+48, 32); crc != 0xdeadbeef {
			t.Fatalf("stretch %d-%d: crc %x", from, to, crc)
		}
		if want := (to - from + 80 + 7) / 8; int64(len(body)) != want {
			t.Fatalf("stretch %d-%d: %d bytes, want %d", from, to, len(body), want)
		}
	}
}

// TestBz2ParallelBundle: a .tar.bz2 bundle walks to the same files,
// warnings and SHA-256 with the parallel reader as with the sequential
// decoder (GOMAXPROCS 1 turns the parallel reader off), whole or damaged.
func TestBz2ParallelBundle(t *testing.T) {
	needCores(t)
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for i, body := range [][]byte{bz2Text(4<<20, 10), []byte("web01\n"), bz2Text(2<<20, 11)} {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("h/f%d", i), Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	good := bz2Compress(t, tarBuf.Bytes(), 1)
	bad := bytes.Clone(good)
	bad[len(bad)*5/6] ^= 0x55 // inside the third file
	var in int64
	if r := newBz2Parallel(bytes.NewReader(good), int64(len(good)), &in); r == nil {
		t.Fatal("the parallel reader would not be taken for this bundle")
	} else {
		r.Close()
	}
	compareWalks(t, "b.tar.bz2", good, bad, 3)
}

// panicRange is a file whose reads panic when they touch bytes [lo, hi).
type panicRange struct {
	r      *bytes.Reader
	lo, hi int64
}

func (p panicRange) ReadAt(b []byte, off int64) (int, error) {
	if off < p.hi && off+int64(len(b)) > p.lo {
		panic("a read touched the marked bytes")
	}
	return p.r.ReadAt(b, off)
}

// TestParallelReaderPanic: a panic on one of the parallel readers'
// goroutines (a decoder's, the bzip2 feeder's) does not end the process;
// the stream goes to the sequential decoder, whose panic comes on the
// reading goroutine, where the walk turns it into a warning.
func TestParallelReaderPanic(t *testing.T) {
	needCores(t)
	bz := bz2Compress(t, bz2Text(6<<20, 12), 1)
	xzFile := archivetest.XzBlocks(t, xzTestData(1<<20), 64<<10, uxz.WriterConfig{DictCap: 64 << 10})
	for name, open := range map[string]func() io.ReadCloser{
		"bzip2": func() io.ReadCloser {
			var in int64
			return newBz2Parallel(panicRange{bytes.NewReader(bz), int64(len(bz)) / 2, int64(len(bz))/2 + 1}, int64(len(bz)), &in)
		},
		"xz": func() io.ReadCloser {
			var in int64
			return newXzParallel(panicRange{bytes.NewReader(xzFile), int64(len(xzFile)) / 2, int64(len(xzFile))/2 + 1}, int64(len(xzFile)), &in)
		},
	} {
		r := open()
		var got any
		func() {
			defer func() { got = recover() }()
			_, _ = io.ReadAll(r)
		}()
		r.Close()
		if got == nil {
			t.Errorf("%s: the read of the marked bytes did not panic on the reading goroutine", name)
		}
	}
}

// FuzzBz2Parallel mutates bzip2 files of several streams and of several
// blocks, and requires the parallel reader (taken whatever the size here)
// to give the sequential decoder's bytes and error, and to panic exactly
// when it does.
func FuzzBz2Parallel(f *testing.F) {
	needCores(f)
	var streams []byte
	for i := 0; i < 6; i++ {
		streams = append(streams, bz2Compress(f, bz2Text(150+40*i, uint64(i)), 1+i%9)...)
	}
	f.Add(streams)
	f.Add(bz2Compress(f, bz2Text(320<<10, 13), 1)) // four blocks of 100 kB
	f.Fuzz(func(t *testing.T, file []byte) {
		read := func(r io.Reader) (out []byte, panicked any, err error) {
			defer func() { panicked = recover() }()
			out, err = io.ReadAll(r)
			return out, nil, err
		}
		seq, seqPanic, seqErr := read(bzip2.NewReader(bytes.NewReader(file)))
		var in int64
		r := newBz2ParallelFrom(bytes.NewReader(file), int64(len(file)), &in, 0)
		if r == nil {
			return // not a stream header
		}
		defer r.Close()
		par, parPanic, parErr := read(r)
		if (seqPanic == nil) != (parPanic == nil) {
			t.Fatalf("sequential panic %v, parallel panic %v", seqPanic, parPanic)
		}
		if !bytes.Equal(seq, par) || !sameErr(seqErr, parErr) {
			t.Fatalf("sequential %d bytes, %v; parallel %d bytes, %v", len(seq), seqErr, len(par), parErr)
		}
	})
}
