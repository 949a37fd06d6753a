package lzma2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/ulikunitz/xz/lzma"
)

// textData is log-like text with some randomness: it compresses 5-10x, with
// literals, matches and repeated distances of every kind.
func textData(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%06d Mar  1 12:00:%02d web01 kernel: secfs: pid %d opened /data/g%x\n", i, i%60, rng.IntN(1<<12), rng.Uint32()%4096)
	}
	return b.Bytes()[:n]
}

// mixedData alternates runs of one byte (long overlapping matches), random
// bytes (stored chunks) and text.
func mixedData(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 9))
	var b bytes.Buffer
	for b.Len() < n {
		switch rng.IntN(3) {
		case 0:
			b.Write(bytes.Repeat([]byte{byte(rng.IntN(256))}, rng.IntN(5000)))
		case 1:
			r := make([]byte, rng.IntN(100000))
			for i := range r {
				r[i] = byte(rng.Uint32())
			}
			b.Write(r)
		default:
			b.Write(textData(rng.IntN(50000), rng.Uint64()))
		}
	}
	return b.Bytes()[:n]
}

// encodeU is data as raw LZMA2 written by ulikunitz's encoder.
func encodeU(t testing.TB, data []byte, lc, lp, pb, dict int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := lzma.Writer2Config{Properties: &lzma.Properties{LC: lc, LP: lp, PB: pb}, DictCap: dict}.NewWriter2(&out)
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

// decodeAll decodes stream with d; it returns the output, the compressed
// bytes read and the error.
func decodeAll(d *Decoder, stream []byte, dict int64, limit int64) ([]byte, int64, error) {
	var out bytes.Buffer
	in, n, err := d.Decode(bufio.NewReader(bytes.NewReader(stream)), dict, limit, func(b []byte) error {
		out.Write(b)
		return nil
	})
	if err == nil && n != int64(out.Len()) {
		err = fmt.Errorf("Decode says %d bytes, emitted %d", n, out.Len())
	}
	return out.Bytes(), in, err
}

func TestDecodeUlikunitz(t *testing.T) {
	d := NewDecoder() // one decoder for every case: reuse must not leak state
	for _, tc := range []struct {
		name         string
		data         []byte
		lc, lp, pb   int
		dict         int
		declaredDict int64
	}{
		{"text", textData(3<<20, 1), 3, 0, 2, 1 << 20, 1 << 20},
		{"text lc0 lp4 pb4", textData(1<<20, 2), 0, 4, 4, 1 << 16, 1 << 16},
		{"text lc4 lp0 pb0", textData(1<<20, 3), 4, 0, 0, 1 << 16, 1 << 16},
		{"text lc1 lp3 pb1", textData(1<<20, 4), 1, 3, 1, 1 << 18, 1 << 18},
		{"mixed, ring wraps", mixedData(5<<19, 5), 3, 0, 2, 1 << 20, 1 << 20},
		{"mixed, large dict", mixedData(3<<19, 6), 3, 0, 2, 4 << 20, 4 << 20},
		{"one byte", []byte{'x'}, 3, 0, 2, 1 << 20, 1 << 20},
		{"empty", nil, 3, 0, 2, 1 << 20, 1 << 20},
		{"runs", bytes.Repeat([]byte("ab"), 3<<20), 3, 0, 2, 1 << 20, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := encodeU(t, tc.data, tc.lc, tc.lp, tc.pb, tc.dict)
			got, in, err := decodeAll(d, stream, tc.declaredDict, int64(len(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			if in != int64(len(stream)) {
				t.Errorf("read %d of %d compressed bytes", in, len(stream))
			}
			if !bytes.Equal(got, tc.data) {
				t.Errorf("decoded %d bytes, differing from the %d encoded at byte %d", len(got), len(tc.data), firstDiff(got, tc.data))
			}
		})
	}
}

// TestDecodeXz decodes what xz itself writes (its encoder chooses matches
// and chunk layouts differently from ulikunitz's).
func TestDecodeXz(t *testing.T) {
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("SKIP: xz is not installed (.ci/run installs xz-utils): the decoder is checked against ulikunitz's encoder only")
	}
	d := NewDecoder()
	data := mixedData(3<<20, 11)
	for _, opts := range []string{
		"preset=1", "preset=6,dict=1MiB", "preset=6,dict=64KiB,lc=0,lp=4,pb=0",
		"preset=3,lc=4,lp=0,pb=4", "preset=6,dict=8MiB,mf=hc4,mode=fast", "preset=2,dict=4KiB",
	} {
		t.Run(opts, func(t *testing.T) {
			cmd := exec.Command("xz", "--format=raw", "--lzma2="+opts, "-c")
			cmd.Stdin = bytes.NewReader(data)
			stream, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			dict := int64(8 << 20)
			if n, ok := xzDict(opts); ok {
				dict = n
			}
			got, in, err := decodeAll(d, stream, dict, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if in != int64(len(stream)) {
				t.Errorf("read %d of %d compressed bytes", in, len(stream))
			}
			if !bytes.Equal(got, data) {
				t.Errorf("decoded %d bytes, differing from the %d encoded at byte %d", len(got), len(data), firstDiff(got, data))
			}
		})
	}
}

// xzDict is the dictionary an xz option string sets (the presets' defaults
// are at most 8 MiB, which the test passes otherwise).
func xzDict(opts string) (int64, bool) {
	for _, kv := range []struct {
		s string
		n int64
	}{{"dict=4KiB", 4 << 10}, {"dict=64KiB", 64 << 10}, {"dict=1MiB", 1 << 20}, {"dict=8MiB", 8 << 20}} {
		if bytes.Contains([]byte(opts), []byte(kv.s)) {
			return kv.n, true
		}
	}
	return 0, false
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestDecodeRejects(t *testing.T) {
	good := encodeU(t, textData(200000, 3), 3, 0, 2, 1<<16)
	// The first chunk of good is a compressed chunk with a dictionary reset
	// and properties: control byte, 2+2 size bytes, the properties byte.
	if good[0] < 0xe0 {
		t.Fatalf("first control byte %#x: the cases below assume a dictionary reset", good[0])
	}
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name  string
		in    []byte
		dict  int64
		limit int64
		want  error
	}{
		{"truncated", good[:len(good)/2], 1 << 16, 1 << 30, ErrData},
		{"no end marker", good[:len(good)-1], 1 << 16, 1 << 30, ErrData},
		{"first chunk keeps the dictionary", mod(func(b []byte) []byte { b[0] &^= 0x20; return b }), 1 << 16, 1 << 30, ErrData},
		{"stored chunk first without reset", []byte{2, 0, 0, 'x', 0}, 1 << 16, 1 << 30, ErrData},
		{"control byte 3", []byte{3, 0}, 1 << 16, 1 << 30, ErrData},
		{"lc+lp above 4", mod(func(b []byte) []byte { b[5] = 3 + 2*9; return b }), 1 << 16, 1 << 30, ErrData},
		{"properties byte above 224", mod(func(b []byte) []byte { b[5] = 225; return b }), 1 << 16, 1 << 30, ErrData},
		{"range coder's first byte", mod(func(b []byte) []byte { b[6] = 1; return b }), 1 << 16, 1 << 30, ErrData},
		{"compressed size one short", mod(func(b []byte) []byte { b[4]--; return b }), 1 << 16, 1 << 30, ErrData},
		{"compressed size one long", mod(func(b []byte) []byte { b[4]++; return b }), 1 << 16, 1 << 30, ErrData},
		{"more output than the limit", good, 1 << 16, 199999, ErrLimit},
		{"stored chunk then no properties", []byte{1, 0, 0, 'x', 0x80, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0}, 1 << 16, 1 << 30, ErrData},
		{"dictionary of zero bytes", good, 0, 1 << 30, ErrData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeAll(NewDecoder(), tc.in, tc.dict, tc.limit)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestDistanceBeyondDictionary: a stream whose matches reach further back
// than the dictionary it declares is refused, even though the decoder's
// buffer (at least 1 MiB) holds the bytes.
func TestDistanceBeyondDictionary(t *testing.T) {
	chunk := textData(40000, 8)
	data := append(append(bytes.Clone(chunk), mixedData(30000, 2)...), chunk...)
	stream := encodeU(t, data, 3, 0, 2, 1<<17)
	if _, _, err := decodeAll(NewDecoder(), stream, 1<<17, 1<<30); err != nil {
		t.Fatalf("with the encoder's dictionary: %v", err)
	}
	_, _, err := decodeAll(NewDecoder(), stream, 4<<10, 1<<30)
	if !errors.Is(err, ErrData) {
		t.Fatalf("with a 4 KiB dictionary: error %v, want a distance error", err)
	}
}

// TestEmitError: an error from emit ends decoding and is what Decode
// returns.
func TestEmitError(t *testing.T) {
	stream := encodeU(t, textData(3<<19, 1), 3, 0, 2, 1<<20)
	stop := errors.New("stop")
	_, _, err := NewDecoder().Decode(bytes.NewReader(stream), 1<<20, 1<<30, func([]byte) error { return stop })
	if err != stop {
		t.Fatalf("error %v, want emit's", err)
	}
}

func TestDictSize(t *testing.T) {
	for _, tc := range []struct {
		prop byte
		want int64
		ok   bool
	}{{0, 4 << 10, true}, {1, 6 << 10, true}, {18, 2 << 20, true}, {19, 3 << 20, true}, {39, 3 << 30, true}, {40, 1<<32 - 1, true}, {41, 0, false}} {
		got, ok := DictSize(tc.prop)
		if got != tc.want || ok != tc.ok {
			t.Errorf("DictSize(%d) = %d, %v; want %d, %v", tc.prop, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzDecode: whatever the input, decoding ends without a panic, within the
// limit, and when ulikunitz's decoder also accepts the input, both decode
// the same bytes.
func FuzzDecode(f *testing.F) {
	// Small seeds: the fuzzer slows to a stop on inputs of tens of KB.
	f.Add(encodeU(f, textData(3000, 1), 3, 0, 2, 1<<16))
	f.Add(encodeU(f, mixedData(3000, 3), 0, 4, 4, 1<<16))
	f.Add(encodeU(f, bytes.Repeat([]byte("abc"), 5000), 3, 0, 2, 1<<16))
	f.Add([]byte{1, 0, 2, 'a', 'b', 'c', 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 4 << 20
		got, _, err := decodeAll(NewDecoder(), in, 1<<16, limit)
		if len(got) > limit {
			t.Fatalf("%d bytes of output beyond the limit", len(got))
		}
		if err != nil {
			return
		}
		r, uerr := lzma.Reader2Config{DictCap: 1 << 16}.NewReader2(bytes.NewReader(in))
		if uerr != nil {
			return
		}
		want, uerr := io.ReadAll(io.LimitReader(r, limit+1))
		if uerr == nil && !bytes.Equal(got, want) {
			t.Fatalf("decoded %d bytes, ulikunitz %d, differing at %d", len(got), len(want), firstDiff(got, want))
		}
	})
}

// BenchmarkDecode decodes 32 MiB of log-like text (about 9x compressed).
func BenchmarkDecode(b *testing.B) {
	data := textData(32<<20, 1)
	stream := encodeU(b, data, 3, 0, 2, 1<<20)
	d := NewDecoder()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if _, _, err := d.Decode(bytes.NewReader(stream), 1<<20, int64(len(data)), func([]byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// A stream cut anywhere, or damaged anywhere, hands out before its error
// only bytes of the data, in order: the chunks decoded before the damage,
// and of a chunk cut short the symbols its bytes hold whole. A cut late
// in the stream still gives most of the data.
func TestDecodeCutAndDamagedGiveAPrefix(t *testing.T) {
	data := mixedData(300<<10, 11)
	stream := encodeU(t, data, 3, 0, 2, 1<<20)
	d := NewDecoder()
	rng := rand.New(rand.NewPCG(12, 13))
	prefix := func(what string, out []byte, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if !bytes.HasPrefix(data, out) {
			t.Fatalf("%s: %d bytes handed out that are not the data's start", what, len(out))
		}
	}
	for range 150 {
		cut := rng.IntN(len(stream) - 1)
		out, _, err := decodeAll(d, stream[:cut], 1<<20, 1<<40)
		prefix(fmt.Sprintf("cut at %d", cut), out, err)
	}
	out, _, err := decodeAll(d, stream[:len(stream)-100], 1<<20, 1<<40)
	prefix("cut 100 bytes before the end", out, err)
	if len(out) < len(data)*9/10 {
		t.Errorf("cut 100 bytes before the end: %d of %d bytes handed out", len(out), len(data))
	}
	// One chunk cut in its middle: the symbols before the cut come out.
	text := textData(20000, 14)
	one := encodeU(t, text, 3, 0, 2, 1<<20)
	out, _, err = decodeAll(d, one[:len(one)/2], 1<<20, 1<<40)
	if err == nil || !bytes.HasPrefix(text, out) || len(out) < len(text)/4 {
		t.Errorf("one chunk cut in half: %d of %d bytes handed out (%v)", len(out), len(text), err)
	}
	// A changed byte: what comes out before the error is the data's start
	// up to the chunk the change is in, and whatever that chunk decoded
	// to; only the earlier chunks are checked.
	for range 100 {
		at := rng.IntN(len(stream))
		bad := append([]byte(nil), stream...)
		bad[at] ^= 0x40
		out, _, err := decodeAll(d, bad, 1<<20, 1<<40)
		if err == nil {
			continue // a change that still decodes (a literal's value, say)
		}
		good := 0
		for good < len(out) && out[good] == data[good] {
			good++
		}
		if good == 0 && at > 140000 {
			t.Errorf("byte %d changed: nothing of the chunks before it handed out", at)
		}
	}
}
