package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/internal/archivetest"
	"github.com/mikelolasagasti/xz"
	uxz "github.com/ulikunitz/xz"
)

// xzTestData is text with some randomness, so blocks compress to a few KB.
func xzTestData(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%06d Mar  1 12:00:%02d web01 kernel: secfs: pid %d opened /data/g%x\n", i, i%60, rng.IntN(1<<20), rng.Uint32())
	}
	return b.Bytes()[:n]
}

// readResult is what a reader yielded: its bytes and the error it ended
// with (nil for io.EOF).
type readResult struct {
	data []byte
	err  error
}

func readWith(r io.Reader, size int) readResult {
	var out bytes.Buffer
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return readResult{data: out.Bytes()}
		}
		if err != nil {
			return readResult{data: out.Bytes(), err: err}
		}
	}
}

// sequentialXz is what the sequential decoder makes of file.
func sequentialXz(file []byte) readResult {
	z, err := xz.NewReader(bytes.NewReader(file), 0)
	if err != nil {
		return readResult{err: err}
	}
	return readWith(z, 32<<10)
}

// parallelXz is what the parallel reader makes of file, or false when it
// does not take the file.
func parallelXz(t *testing.T, file []byte, readSize int) (readResult, bool) {
	t.Helper()
	var in int64
	p := newXzParallel(bytes.NewReader(file), int64(len(file)), &in)
	if p == nil {
		return readResult{}, false
	}
	defer p.Close()
	res := readWith(p, readSize)
	if res.err == nil && in != int64(len(file)) {
		t.Errorf("counted %d compressed bytes, want %d", in, len(file))
	}
	return res, true
}

func sameResult(t *testing.T, what string, got, want readResult) {
	t.Helper()
	if !bytes.Equal(got.data, want.data) {
		t.Errorf("%s: %d bytes differ from the sequential decoder's %d", what, len(got.data), len(want.data))
	}
	if fmt.Sprint(got.err) != fmt.Sprint(want.err) {
		t.Errorf("%s: error %v, the sequential decoder's %v", what, got.err, want.err)
	}
}

// sameDamage compares what the parallel reader made of a damaged copy of
// the xz file of data (blocks of block bytes) with the sequential decoder's:
// the error must be the same, and every block before the one the damage
// spoils must come out whole. What comes out of a spoilt block before the
// error is garbage whose length and content depend on the read sizes, for
// the sequential decoder too, so it is not compared.
func sameDamage(t *testing.T, what string, got readResult, bad, data []byte, block int) {
	t.Helper()
	want := readResult{}
	if z, err := xz.NewReader(bytes.NewReader(bad), 0); err != nil {
		want.err = err
	} else {
		want = readWith(z, 4096)
	}
	good := 0
	for good < len(want.data) && good < len(data) && want.data[good] == data[good] {
		good++
	}
	whole := good / block * block
	if want.err == nil {
		whole = len(want.data)
	}
	if len(got.data) < whole || !bytes.Equal(got.data[:whole], want.data[:whole]) {
		t.Errorf("%s: the first %d bytes (the blocks before the damage) differ from the sequential decoder's (%d bytes read)", what, whole, len(got.data))
	}
	if want.err == nil && len(got.data) != len(want.data) {
		t.Errorf("%s: %d bytes without error, the sequential decoder's %d", what, len(got.data), len(want.data))
	}
	if fmt.Sprint(got.err) != fmt.Sprint(want.err) {
		t.Errorf("%s: error %v, the sequential decoder's %v", what, got.err, want.err)
	}
}

// needCores skips a test or fuzz target on one core, where the parallel
// readers are not used.
func needCores(t testing.TB) {
	if xzParWorkers() < 2 {
		t.Skipf("GOMAXPROCS is %d: the parallel readers need two", runtime.GOMAXPROCS(0))
	}
}

func TestXzParallelSameBytes(t *testing.T) {
	needCores(t)
	data := xzTestData(512<<10 + 12345)
	for _, c := range []struct {
		name  string
		block int64
		cfg   uxz.WriterConfig
	}{
		{"crc64-128KiB", 128 << 10, uxz.WriterConfig{}},
		{"crc32-50KB", 50 << 10, uxz.WriterConfig{CheckSum: uxz.CRC32}},
		{"sha256-150KB", 150 << 10, uxz.WriterConfig{CheckSum: uxz.SHA256}},
		{"none-32KiB", 32 << 10, uxz.WriterConfig{NoCheckSum: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := archivetest.XzBlocks(t, data, c.block, c.cfg)
			want := sequentialXz(file)
			if want.err != nil || !bytes.Equal(want.data, data) {
				t.Fatalf("the sequential decoder fails on the test file: %v", want.err)
			}
			for _, size := range []int{4096, 32 << 10, 1 << 20} {
				got, ok := parallelXz(t, file, size)
				if !ok {
					t.Fatal("the parallel reader refused a multi-block stream")
				}
				sameResult(t, fmt.Sprintf("reads of %d", size), got, want)
			}
		})
	}
}

// TestXzParallelFastPath: blocks of LZMA2 alone are decoded by the fast
// path, whatever their check; a block with another filter is left to the
// general decoder; the bytes are the same either way.
func TestXzParallelFastPath(t *testing.T) {
	needCores(t)
	data := xzTestData(700<<10 + 321)
	type file struct {
		name string
		xz   []byte
		fast bool // every block goes the fast way
	}
	files := []file{
		{"ulikunitz crc64", archivetest.XzBlocks(t, data, 100<<10, uxz.WriterConfig{}), true},
		{"ulikunitz sha256", archivetest.XzBlocks(t, data, 64<<10, uxz.WriterConfig{CheckSum: uxz.SHA256}), true},
	}
	if _, err := exec.LookPath("xz"); err != nil {
		t.Log("SKIP (part): xz is not installed (.ci/run installs xz-utils): blocks written by xz itself are not tested")
	} else {
		for _, c := range []struct {
			args []string
			fast bool
		}{
			{[]string{"-T2", "--block-size=96KiB", "-6"}, true},
			{[]string{"-T2", "--block-size=64KiB", "--check=crc32", "-1"}, true},
			{[]string{"-T2", "--block-size=80KiB", "--check=none", "-7"}, true},
			{[]string{"-T2", "--block-size=80KiB", "-9", "--memlimit=1GiB"}, false}, // 64 MiB dictionary
			{[]string{"-T2", "--block-size=64KiB", "--x86", "--lzma2=preset=1"}, false},
		} {
			files = append(files, file{"xz " + strings.Join(c.args, " "), xzCommand(t, data, c.args...), c.fast})
		}
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			s := readXzStream(bytes.NewReader(f.xz), int64(len(f.xz)))
			if s == nil {
				t.Fatal("not a multi-block stream")
			}
			var in int64
			p := newXzParallel(bytes.NewReader(f.xz), int64(len(f.xz)), &in)
			if p == nil {
				t.Fatal("declined")
			}
			defer p.Close()
			got := readWith(p, 64<<10)
			sameResult(t, f.name, got, readResult{data: data})
			want := int64(0)
			if f.fast {
				want = int64(len(s.blocks))
			}
			if n := p.fastBlocks.Load(); n != want {
				t.Errorf("%d of %d blocks went the fast way, want %d", n, len(s.blocks), want)
			}
		})
	}
}

// TestXzParallelDeclines checks the files left to the sequential decoder.
func TestXzParallelDeclines(t *testing.T) {
	needCores(t)
	data := xzTestData(200 << 10)
	multi := archivetest.XzBlocks(t, data, 64<<10, uxz.WriterConfig{})
	single := archivetest.XzBlocks(t, data, 1<<30, uxz.WriterConfig{})
	singleLarge := archivetest.XzBlocks(t, data, 1<<30, uxz.WriterConfig{DictCap: 2 * xzParDictMax})
	padded := append(append([]byte(nil), multi...), 0, 0, 0, 0)
	twice := append(append([]byte(nil), multi...), multi...)
	for name, file := range map[string][]byte{
		"single block, dictionary above xzParDictMax": singleLarge,
		"stream padding":       padded,
		"two streams":          twice,
		"cut":                  multi[:len(multi)-1],
		"not xz":               []byte(strings.Repeat("plain text\n", 10)),
		"footer flags changed": withFooterFlags(multi, 1),
	} {
		if p := newXzParallel(bytes.NewReader(file), int64(len(file)), new(int64)); p != nil {
			p.Close()
			t.Errorf("%s: taken by the parallel reader", name)
		}
	}
	for name, file := range map[string][]byte{"multi-block": multi, "single block of LZMA2": single} {
		if p := newXzParallel(bytes.NewReader(file), int64(len(file)), new(int64)); p == nil {
			t.Errorf("%s stream not taken", name)
		} else {
			p.Close()
		}
	}
}

// withFooterFlags sets the footer's check type (fixing the footer's CRC), so
// that it no longer matches the header's.
func withFooterFlags(file []byte, check byte) []byte {
	f := append([]byte(nil), file...)
	foot := f[len(f)-12:]
	foot[9] = check
	binary.LittleEndian.PutUint32(foot[0:4], crc32.ChecksumIEEE(foot[4:10]))
	return f
}

// TestXzParallelDamage flips bytes all over a multi-block file: whatever the
// damage, the bytes and the error are the sequential decoder's (or the
// parallel reader declines the file).
func TestXzParallelDamage(t *testing.T) {
	needCores(t)
	data := xzTestData(64 << 10)
	step := 41 // every byte takes minutes
	if testing.Short() {
		step = 97
	}
	// Blocks of 16 KiB, and one block (taken for the fast path).
	for _, block := range []int{16 << 10, len(data)} {
		file := archivetest.XzBlocks(t, data, int64(block), uxz.WriterConfig{DictCap: 16 << 10})
		taken := 0
		for i := 0; i < len(file); i += step {
			for _, x := range []byte{0x01, 0x80} {
				bad := append([]byte(nil), file...)
				bad[i] ^= x
				got, ok := parallelXz(t, bad, 16<<10)
				if !ok {
					continue
				}
				taken++
				sameDamage(t, fmt.Sprintf("blocks of %d, byte %d ^ %#x", block, i, x), got, bad, data, block)
			}
		}
		if taken == 0 {
			t.Errorf("blocks of %d: the parallel reader declined every damaged file: nothing was compared", block)
		}
	}
}

// TestXzParallelIndexLies changes a record of the index (with a valid index
// CRC): the block it describes then fails, and the rest is the sequential
// decoder's.
func TestXzParallelIndexLies(t *testing.T) {
	needCores(t)
	data := xzTestData(100 << 10)
	file := archivetest.XzBlocks(t, data, 20<<10, uxz.WriterConfig{DictCap: 32 << 10})
	s := readXzStream(bytes.NewReader(file), int64(len(file)))
	if s == nil || len(s.blocks) < 4 {
		t.Fatal("the test file is not a multi-block stream")
	}
	for _, c := range []struct {
		name   string
		change func(b []xzBlock)
	}{
		{"uncompressed size", func(b []xzBlock) { b[2].uncompressed-- }},
		{"uncompressed sizes swapped", func(b []xzBlock) { b[1].uncompressed, b[4].uncompressed = b[4].uncompressed+1, b[1].uncompressed-1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			blocks := append([]xzBlock(nil), s.blocks...)
			c.change(blocks)
			bad := rewriteIndex(t, file, s, blocks)
			got, ok := parallelXz(t, bad, 8<<10)
			if !ok {
				t.Fatal("declined")
			}
			if sequentialXz(bad).err == nil {
				t.Fatal("the sequential decoder accepts the lying index")
			}
			sameDamage(t, c.name, got, bad, data, 20<<10)
		})
	}
}

// rewriteIndex replaces file's index by one of blocks (same encoded size).
func rewriteIndex(t *testing.T, file []byte, s *xzStream, blocks []xzBlock) []byte {
	t.Helper()
	idx := []byte{0}
	idx = putXzVLI(idx, uint64(len(blocks)))
	for _, b := range blocks {
		idx = putXzVLI(idx, uint64(b.unpadded))
		idx = putXzVLI(idx, uint64(b.uncompressed))
	}
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	idx = binary.LittleEndian.AppendUint32(idx, crc32.ChecksumIEEE(idx))
	if int64(len(idx)) != s.size-12-s.indexStart {
		t.Fatalf("the changed index is %d bytes, not %d", len(idx), s.size-12-s.indexStart)
	}
	out := append([]byte(nil), file...)
	copy(out[s.indexStart:], idx)
	return out
}

// TestXzParallelLargeDictionary: a dictionary over xzParDictMax fails in the
// workers, and the sequential decoder reads the file instead.
func TestXzParallelLargeDictionary(t *testing.T) {
	needCores(t)
	data := xzTestData(300 << 10)
	file := archivetest.XzBlocks(t, data, 100<<10, uxz.WriterConfig{DictCap: 2 * xzParDictMax})
	got, ok := parallelXz(t, file, 32<<10)
	if !ok {
		t.Fatal("declined")
	}
	sameResult(t, "32 MiB dictionary", got, readResult{data: data})
}

// TestXzParallelClose closes the reader in the middle: the workers end.
func TestXzParallelClose(t *testing.T) {
	needCores(t)
	file := archivetest.XzBlocks(t, xzTestData(2<<20), 64<<10, uxz.WriterConfig{})
	before := runtime.NumGoroutine()
	p := newXzParallel(bytes.NewReader(file), int64(len(file)), new(int64))
	if p == nil {
		t.Fatal("declined")
	}
	if _, err := io.ReadFull(p, make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	p.Close()
	// Close waits for the workers' WaitGroup, but a worker still has to
	// return from its deferred Done before the runtime stops counting it:
	// give the goroutines time to exit (as goleak retries), not a bound on
	// how fast they do.
	after := runtime.NumGoroutine()
	for wait := time.Millisecond; after > before && wait < 2*time.Second; wait *= 2 {
		time.Sleep(wait)
		after = runtime.NumGoroutine()
	}
	if after > before {
		t.Errorf("%d goroutines after Close, %d before", after, before)
	}
}

// TestXzParallelBundle walks a multi-block tar.xz bundle, from a file and
// from memory: files, warnings and SHA-256 are those of the sequential
// decoder (GOMAXPROCS 1 turns the parallel reader off).
func TestXzParallelBundle(t *testing.T) {
	needCores(t)
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for i, body := range []string{string(xzTestData(300 << 10)), "web01\n", string(xzTestData(200 << 10))} {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("h/f%d", i), Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	good := archivetest.XzBlocks(t, tarBuf.Bytes(), 64<<10, uxz.WriterConfig{DictCap: 64 << 10})
	bad := append([]byte(nil), good...)
	s := readXzStream(bytes.NewReader(good), int64(len(good)))
	bad[s.blocks[5].off+40] ^= 0x55 // inside the second file
	compareWalks(t, "b.tar.xz", good, bad, 3)
}

// TestXzCRC64 checks xz's CRC64 against hash/crc64, folded (where the
// CPU can) and with tables only: every length up to 300 (folding starts
// at 64), random bytes at every alignment, and writes split anywhere.
func TestXzCRC64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 20000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	table := crc64.MakeTable(crc64.ECMA)
	fold := crc64HasFold
	defer func() { crc64HasFold = fold }()
	for _, f := range []bool{fold, false} {
		crc64HasFold = f
		for n := range 300 {
			for _, off := range []int{0, 1, 7} {
				c := &xzCRC64{}
				c.Write(data[off : off+n])
				if want := crc64.Checksum(data[off:off+n], table); c.Sum64() != want {
					t.Fatalf("folding %v, %d bytes at %d: %#x, want %#x", f, n, off, c.Sum64(), want)
				}
			}
		}
		for _, cut := range []int{1, 15, 16, 17, 63, 64, 65, 1000, 19999} {
			c := &xzCRC64{}
			c.Write(data[:cut])
			c.Write(data[cut:])
			if want := crc64.Checksum(data, table); c.Sum64() != want {
				t.Fatalf("folding %v, written in two at %d: %#x, want %#x", f, cut, c.Sum64(), want)
			}
		}
	}
	if !fold {
		t.Log("this CPU has no carry-less multiplication: only the tables were checked")
	}
}

func BenchmarkCRC64(b *testing.B) {
	buf := xzTestData(256 << 10)
	for _, c := range []struct {
		name string
		h    func() hash.Hash64
	}{
		{"hash-crc64", func() hash.Hash64 { return crc64.New(crc64.MakeTable(crc64.ECMA)) }},
		{"xz", func() hash.Hash64 { return &xzCRC64{} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := c.h()
			b.SetBytes(int64(len(buf)))
			for range b.N {
				h.Write(buf)
			}
		})
	}
}

// compareWalks walks the bundle named name, whole (good) and damaged
// (bad), with the parallel readers and then on one core (GOMAXPROCS 1
// turns them off), and requires the same files, warnings and SHA-256 of
// both walks; the good bundle holds files files and gives no warning, the
// damage is reported.
func compareWalks(t *testing.T, name string, good, bad []byte, files int) {
	for kind, data := range map[string][]byte{"good": good, "damaged": bad} {
		t.Run(kind, func(t *testing.T) {
			walk := func() (map[string]string, []Warning, string) { return walkBytes(t, name, data) }
			got, warns, sha := walk()
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			seqFiles, seqWarns, seqSHA := walk()
			if !reflect.DeepEqual(got, seqFiles) {
				t.Errorf("files differ from the sequential decoder's")
			}
			if !reflect.DeepEqual(warns, seqWarns) || sha != seqSHA {
				t.Errorf("warnings %v SHA %s; sequential: %v %s", warns, sha, seqWarns, seqSHA)
			}
			if kind == "damaged" && len(warns) == 0 {
				t.Error("the damage is not reported")
			}
			if kind == "good" && (len(got) != files || len(warns) != 0) {
				t.Errorf("%d files read, warnings %v; want %d and none", len(got), warns, files)
			}
		})
	}
}

// walkBytes walks the bundle data, named name, and returns its files'
// contents by path, its warnings and its SHA-256.
func walkBytes(t *testing.T, name string, data []byte) (map[string]string, []Warning, string) {
	t.Helper()
	b, err := OpenReaderAt(context.Background(), name, bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err = b.Walk(context.Background(), func(e Entry, r io.Reader) error {
		body, err := io.ReadAll(r)
		got[e.Path] = string(body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, b.Warnings(), b.SHA256()
}

// xzCommand is data compressed by the xz program with args.
func xzCommand(t *testing.T, data []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("xz", append(args, "-c")...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz %v: %v", args, err)
	}
	return out
}
