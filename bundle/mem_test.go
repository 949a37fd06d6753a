package bundle_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

// walkMem walks a bundle opened from memory, like walkAll for a file.
func walkMem(t *testing.T, name string, data []byte, lim bundle.Limits) (*bundle.Bundle, []file) {
	t.Helper()
	b, err := bundle.OpenReaderAt(context.Background(), name, bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		t.Fatalf("OpenReaderAt(%s): %v", name, err)
	}
	var got []file
	err = b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
		body, err := io.ReadAll(r)
		got = append(got, file{Path: e.Path, Body: string(body), Mode: e.Mode})
		return err
	})
	if err != nil {
		t.Fatalf("Walk(%s): %v", name, err)
	}
	return b, got
}

// TestOpenReaderAtMatchesOpen: a bundle read from memory yields what the same
// bytes yield from a file: format, files, warnings, others and SHA-256.
func TestOpenReaderAtMatchesOpen(t *testing.T) {
	for _, format := range archivetest.Formats {
		t.Run(format, func(t *testing.T) {
			data := archivetest.Build(t, basic, format)
			p := archivetest.Write(t, "bundle."+format, data)
			fb, fromFile := walkAll(t, p, bundle.Limits{})
			mb, fromMem := walkMem(t, "bundle."+format, data, bundle.Limits{})
			sameFiles(t, fromMem, tree(t, basic, ""))
			sameFiles(t, fromMem, fromFile)
			if mb.Format != fb.Format || mb.Size != fb.Size || mb.Root() != fb.Root() {
				t.Errorf("memory: format %q size %d root %q; file: %q %d %q",
					mb.Format, mb.Size, mb.Root(), fb.Format, fb.Size, fb.Root())
			}
			if mb.SHA256() == "" || mb.SHA256() != fb.SHA256() {
				t.Errorf("SHA-256 from memory %q, from the file %q", mb.SHA256(), fb.SHA256())
			}
			if !reflect.DeepEqual(mb.Warnings(), fb.Warnings()) || !reflect.DeepEqual(mb.Others(), fb.Others()) {
				t.Errorf("memory: warnings %v others %v; file: %v %v", mb.Warnings(), mb.Others(), fb.Warnings(), fb.Others())
			}
		})
	}
}

// TestOpenReaderAtSingleCompressedFile: the name given stands for the file
// name, so the content of a single compressed file is named after it.
func TestOpenReaderAtSingleCompressedFile(t *testing.T) {
	data := archivetest.Compress(t, "gz", []byte("kernel: secfs loaded\n"))
	b, got := walkMem(t, "uploads/messages-2024.gz", data, bundle.Limits{})
	if b.Format != "gz" || b.Path != "uploads/messages-2024.gz" {
		t.Errorf("format %q path %q", b.Format, b.Path)
	}
	sameFiles(t, got, []file{{Path: "messages-2024", Body: "kernel: secfs loaded\n"}})
}

// TestOpenReaderAtUnreadable: what Open refuses, OpenReaderAt refuses with the
// same ErrUnreadable and a message naming the bundle.
func TestOpenReaderAtUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "bundle empty: empty upload (0 bytes)"},
		{"blob.bin", []byte{0, 1, 2, 3, 0xff, 0xfe, 9, 0}, "bundle blob.bin: not a supported archive (content looks like binary data)"},
		{"bad.gz", []byte{0x1f, 0x8b, 0xff, 0xff}, "bundle bad.gz: corrupt gz data"},
	} {
		_, err := bundle.OpenReaderAt(context.Background(), tc.name, bytes.NewReader(tc.data), int64(len(tc.data)), bundle.Limits{})
		if !errors.Is(err, bundle.ErrUnreadable) {
			t.Errorf("%s: error %v does not wrap ErrUnreadable", tc.name, err)
			continue
		}
		if got := err.Error(); len(got) < len(tc.msg) || got[:len(tc.msg)] != tc.msg {
			t.Errorf("%s: error %q, want it to start %q", tc.name, got, tc.msg)
		}
		if len(tc.data) > 0 {
			p := archivetest.Write(t, tc.name, tc.data)
			_, ferr := bundle.Open(context.Background(), p, bundle.Limits{})
			if ferr == nil || !errors.Is(ferr, bundle.ErrUnreadable) {
				t.Errorf("%s: Open accepts what OpenReaderAt refuses (%v)", tc.name, ferr)
			}
		}
	}
}

// TestBzip2Streams: bzip2 files written by parallel compressors (pbzip2,
// lbzip2) are several streams end to end; every stream is read.
func TestBzip2Streams(t *testing.T) {
	one := archivetest.Compress(t, "bz2", []byte("first stream\n"))
	two := archivetest.Compress(t, "bz2", []byte("second stream\n"))
	_, got := walkMem(t, "messages.bz2", append(one, two...), bundle.Limits{})
	sameFiles(t, got, []file{{Path: "messages", Body: "first stream\nsecond stream\n"}})
}

// TestWalkAgainSameResult: the first Walk of a bundle from memory goes on
// with the decoder that sniffed its format, later walks open their own; both
// yield the same files, warnings and SHA-256, for every format and every
// damaged seed (a gap between gzip members met while sniffing is reported
// by the walk).
func TestWalkAgainSameResult(t *testing.T) {
	cases := map[string][]byte{}
	for _, format := range archivetest.Formats {
		cases["bundle."+format] = archivetest.Build(t, basic, format)
	}
	for _, d := range damages {
		cases[d.name] = d.build(t)
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := bundle.OpenReaderAt(context.Background(), name, bytes.NewReader(data), int64(len(data)), bundle.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			walk := func() ([]file, []bundle.Warning, string) {
				var got []file
				err := b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
					body, err := io.ReadAll(r)
					got = append(got, file{Path: e.Path, Body: string(body), Mode: e.Mode})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return got, b.Warnings(), b.SHA256()
			}
			files1, warn1, sha1 := walk()
			files2, warn2, sha2 := walk()
			sameFiles(t, files1, files2)
			if !reflect.DeepEqual(warn1, warn2) || sha1 != sha2 || sha1 == "" {
				t.Errorf("first walk: warnings %v SHA %q; second: %v %q", warn1, sha1, warn2, sha2)
			}
			_, fromFile := walkAll(t, archivetest.Write(t, name, data), bundle.Limits{})
			sameFiles(t, files1, fromFile)
		})
	}
}
