package bundle_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

// TestReread: a bundle that is cheap to read again gives each of its
// files again by its place in the walk, byte for byte, and leaves what
// the first walk met (warnings, SHA-256) as it was; a bundle or file that
// changed since is refused without reading it.
func TestReread(t *testing.T) {
	want := tree(t, basic, "")
	rereadable := map[string]bool{"tar": true, "tar.zst": true, "tar.lz4": true}
	for _, format := range append(archivetest.Formats, "directory") {
		t.Run(format, func(t *testing.T) {
			p := basic
			if format != "directory" {
				p = archivetest.WriteFile(t, basic, format)
			}
			b, got := walkAll(t, p, bundle.Limits{})
			if b.Rereadable() != (rereadable[format] || format == "directory") {
				t.Fatalf("Rereadable() = %v", b.Rereadable())
			}
			if !b.Rereadable() {
				return
			}
			sum := b.SHA256()
			var entries []bundle.Entry
			if err := b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
				entries = append(entries, e)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for i, e := range entries {
				var body []byte
				err := b.Reread(context.Background(), i, e, func(r io.Reader) (err error) {
					body, err = io.ReadAll(r)
					return err
				})
				if err != nil || string(body) != got[i].Body || got[i].Path != e.Path {
					t.Fatalf("file %d (%s): %v, %q; want %q", i, e.Path, err, body, got[i].Body)
				}
			}
			if b.SHA256() != sum || len(b.Warnings()) != 0 {
				t.Fatalf("after Reread: SHA-256 %q (was %q), warnings %v", b.SHA256(), sum, b.Warnings())
			}
			sameFiles(t, got, want)
			// Another file at that place, or none, is not read.
			other := entries[1]
			other.Size++
			if err := b.Reread(context.Background(), 1, other, func(io.Reader) error { t.Fatal("read a changed file"); return nil }); err == nil ||
				!strings.Contains(err.Error(), "changed since it was read") {
				t.Fatalf("a changed file: %v", err)
			}
			if err := b.Reread(context.Background(), len(entries), entries[0], func(io.Reader) error { t.Fatal("read past the end"); return nil }); err == nil ||
				!strings.Contains(err.Error(), "was not met again") {
				t.Fatalf("past the last file: %v", err)
			}
			if format == "directory" {
				return
			}
			// The bundle file itself changed.
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(p, later, later); err != nil {
				t.Fatal(err)
			}
			if err := b.Reread(context.Background(), 0, entries[0], func(io.Reader) error { t.Fatal("read a changed bundle"); return nil }); err == nil ||
				!strings.Contains(err.Error(), "bundle changed") {
				t.Fatalf("a changed bundle: %v", err)
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := b.Reread(context.Background(), 0, entries[0], func(io.Reader) error { return nil }); err == nil {
				t.Fatalf("a removed bundle was read again (%s)", filepath.Base(p))
			}
		})
	}
}
