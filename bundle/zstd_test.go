package bundle_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

// TestZstdReadAhead: the zstd decoder's input is read ahead in a buffer
// (it asks for three bytes at a time otherwise). Bundles whose compressed
// form is many times that buffer must still walk to the same files, hash
// every byte of the file once, and a .zst inside a tar must not read into
// the entries after it.
func TestZstdReadAhead(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var big strings.Builder
	for big.Len() < 3<<20 {
		fmt.Fprintf(&big, "Nov 22 00:00:00 host app[%d]: token %016x %016x\n", r.IntN(1000), r.Uint64(), r.Uint64())
	}

	inner := archivetest.Compress(t, "zst", []byte(big.String()))
	if len(inner) < 512<<10 {
		t.Fatalf("compressed body is %d bytes: want it larger than the read-ahead many times over", len(inner))
	}
	for _, tc := range []struct {
		name string
		data []byte
		want []file
	}{
		{"b.tar.zst", archivetest.Compress(t, "zst", archivetest.Tar(t, archivetest.Entry{Name: "big.log", Body: big.String()}, archivetest.Entry{Name: "after.txt", Body: "after"})),
			[]file{{Path: "big.log", Body: big.String()}, {Path: "after.txt", Body: "after"}}},
		{"b.tar", archivetest.Tar(t, archivetest.Entry{Name: "big.log.zst", Body: string(inner)}, archivetest.Entry{Name: "after.txt", Body: "after"}),
			[]file{{Path: "big.log.zst/big.log", Body: big.String()}, {Path: "after.txt", Body: "after"}}},
		{"big.log.zst", inner, []file{{Path: "big.log", Body: big.String()}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := archivetest.Write(t, tc.name, tc.data)
			b, got := walkAll(t, p, bundle.Limits{})
			sameFiles(t, got, tc.want)
			if len(b.Warnings()) != 0 {
				t.Errorf("warnings: %v", b.Warnings())
			}
			if b.SHA256() != sha(t, p) {
				t.Errorf("SHA256 %s, want %s", b.SHA256(), sha(t, p))
			}
		})
	}
}

// TestZstdBomb: a zstd bomb is stopped by the ratio limit, which counts
// what the decoder consumed, not what was read ahead for it, and the hash
// still covers the whole file.
func TestZstdBomb(t *testing.T) {
	data := make([]byte, 256<<20) // zeros after a line (zeros alone read as an empty tar)
	copy(data, "a log line, then 256 MiB of zeros\n")
	p := archivetest.Write(t, "bomb.zst", archivetest.Compress(t, "zst", data))
	b, err := bundle.Open(context.Background(), p, bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
		c, err := io.Copy(io.Discard, r)
		n += c
		return err
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if n > 2<<20 {
		t.Errorf("%d bytes read from a bomb, want it stopped after about 1 MiB", n)
	}
	wantWarning(t, b, "", "looks like a compression bomb (limit --max-ratio; raise it only for a bundle you trust)")
	if b.SHA256() != sha(t, p) {
		t.Errorf("SHA256 incomplete after a stopped walk")
	}
}
