package bundle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fsagent/triage/internal/archivetest"
)

// lzwInputs are the contents the decoder is checked on: empty, one byte,
// text, and text then random bytes (long enough that compress fills its
// table and clears it when the ratio drops).
func lzwInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 200<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var text bytes.Buffer
	for i := 0; text.Len() < 300<<10; i++ {
		text.WriteString("/dev/mapper/vg_data-lv_ora on /data/oracle type xfs (rw,relatime) " + strconv.Itoa(i*7919%1000) + "\n")
	}
	mixed := append(append(append([]byte(nil), text.Bytes()...), random...), text.Bytes()...)
	return map[string][]byte{
		"empty":  nil,
		"byte":   {'x'},
		"kwkwk":  []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		"text":   text.Bytes(),
		"mixed":  mixed,
		"random": random,
	}
}

func decodeZ(t *testing.T, z []byte) ([]byte, error) {
	t.Helper()
	r, err := newLZWReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// TestLZWNcompress decodes what Debian's ncompress writes, at every code
// width, and checks that ncompress decodes what archivetest.CompressZ
// writes (the writer that builds the snap.pax.Z scenario bundles).
func TestLZWNcompress(t *testing.T) {
	cmd := archivetest.NcompressCommand()
	if cmd == "" {
		t.Skip("SKIP: ncompress not installed (apt-get install ncompress): the .Z decoder is not checked against compress")
	}
	dir := t.TempDir()
	for name, data := range lzwInputs() {
		in := filepath.Join(dir, name)
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Not -b 9: ncompress cannot read its own 9-bit output back once
		// the table fills (it widens when reading, not when writing).
		for _, bits := range []int{10, 12, 14, 16} {
			t.Run(name+"/b"+strconv.Itoa(bits), func(t *testing.T) {
				z, err := exec.Command(cmd, "-c", "-b", strconv.Itoa(bits), in).Output()
				if err != nil && len(z) == 0 {
					t.Fatalf("compress: %v", err)
				}
				got, err := decodeZ(t, z)
				if err != nil {
					t.Fatalf("decoding compress -b %d output: %v", bits, err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("decoded %d bytes, want %d (first difference at %d)", len(got), len(data), firstDiff(got, data))
				}
				ours := archivetest.CompressZ(t, data, bits)
				c := exec.Command(cmd, "-d", "-c")
				c.Stdin = bytes.NewReader(ours)
				back, err := c.Output()
				if err != nil && len(data) > 0 {
					t.Fatalf("ncompress cannot decode archivetest.CompressZ output: %v", err)
				}
				if !bytes.Equal(back, data) {
					t.Fatalf("ncompress decoded archivetest.CompressZ output to %d bytes, want %d (first difference at %d)", len(back), len(data), firstDiff(back, data))
				}
			})
		}
	}
}

// TestLZWRoundTrip needs no tool: what archivetest.CompressZ writes
// decodes to the input.
func TestLZWRoundTrip(t *testing.T) {
	for name, data := range lzwInputs() {
		for _, bits := range []int{9, 16} {
			got, err := decodeZ(t, archivetest.CompressZ(t, data, bits))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s -b %d: decoded %d bytes (err %v), want %d", name, bits, len(got), err, len(data))
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestLZWDamaged(t *testing.T) {
	good := archivetest.CompressZ(t, []byte("hello hello hello hello world\n"), 16)
	cases := []struct {
		name string
		z    []byte
		want string // in the error; "" for a clean (possibly short) end
	}{
		{"header cut", []byte{0x1f, 0x9d}, "header cut short"},
		{"width 8", []byte{0x1f, 0x9d, 0x88, 0}, "outside 9..16"},
		{"width 17", []byte{0x1f, 0x9d, 0x91, 0}, "outside 9..16"},
		{"reserved flags", []byte{0x1f, 0x9d, 0xf0}, "unknown flags"},
		{"first code not a byte", []byte{0x1f, 0x9d, 0x90, 0xff, 0x01}, "is not a byte"},
		{"code beyond the table", []byte{0x1f, 0x9d, 0x90, 'a', 0xfe, 0x03}, "beyond the table"},
		{"truncated", good[:len(good)-4], ""},
		{"header only", good[:3], ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeZ(t, c.z)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("got %v, want a clean end", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, errLZWCorrupt)):
				t.Fatalf("got %v, want an error about %q", err, c.want)
			}
		})
	}
}

// TestLZWBomb walks a .Z that would decompress to two GB, alone and as a
// tar.Z, and checks that the ratio limit stops it early with a warning.
func TestLZWBomb(t *testing.T) {
	bomb := archivetest.ZBomb(65280)
	if len(bomb) > 200<<10 {
		t.Fatalf("the bomb is %d bytes; the test wants a small one", len(bomb))
	}
	p := archivetest.Write(t, "snap.pax.Z", bomb)
	b, err := Open(context.Background(), p, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Format != "Z" {
		t.Errorf("format %q, want Z", b.Format)
	}
	var read int64
	if err := b.Walk(context.Background(), func(e Entry, r io.Reader) error {
		n, err := io.Copy(io.Discard, r)
		read += n
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if read > 64<<20 {
		t.Errorf("read %d MiB of the bomb before stopping", read>>20)
	}
	found := false
	for _, w := range b.Warnings() {
		if strings.Contains(w.Msg, "compression bomb") {
			found = true
		}
	}
	if !found {
		t.Errorf("no bomb warning: %v", b.Warnings())
	}
}

// TestSnapPaxZ opens a pax archive compressed with compress, the shape of
// AIX snap.pax.Z, and reads its files.
func TestSnapPaxZ(t *testing.T) {
	tarBytes := archivetest.Tar(t,
		archivetest.Entry{Name: "ibmsupt/", Type: '5'},
		archivetest.Entry{Name: "ibmsupt/general/general.snap", Body: ".....\n.....    oslevel -s\n.....\n7200-05-03-2148\n"},
		archivetest.Entry{Name: "ibmsupt/filesys/filesys.snap", Body: ".....\n.....    mount\n.....\n"},
	)
	p := archivetest.Write(t, "snap.pax.Z", archivetest.CompressZ(t, tarBytes, 16))
	b, err := Open(context.Background(), p, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Format != "tar.Z" {
		t.Errorf("format %q, want tar.Z", b.Format)
	}
	var names []string
	if err := b.Walk(context.Background(), func(e Entry, r io.Reader) error {
		names = append(names, e.Path)
		_, err := io.Copy(io.Discard, r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "ibmsupt/general/general.snap,ibmsupt/filesys/filesys.snap" {
		t.Errorf("files %v", names)
	}
	if len(b.Warnings()) > 0 {
		t.Errorf("warnings: %v", b.Warnings())
	}
}

// FuzzLZW feeds the decoder arbitrary streams: it must end (with data or
// an error) without panicking, and its output is bounded by what it reads
// times the longest string.
func FuzzLZW(f *testing.F) {
	f.Add(archivetest.CompressZ(f, []byte("hello hello hello hello world\n"), 16))
	f.Add(archivetest.CompressZ(f, bytes.Repeat([]byte("ab"), 5000), 9))
	f.Add(archivetest.ZBomb(300))
	f.Add([]byte{0x1f, 0x9d, 0x90})
	f.Fuzz(func(t *testing.T, z []byte) {
		r, err := newLZWReader(bytes.NewReader(z))
		if err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(r, 64<<20))
		if max := int64(len(z)) * (1 << 16); n > max+1 {
			t.Fatalf("%d input bytes gave %d output bytes", len(z), n)
		}
	})
}
