package bundle_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

// TestPlainTextFile: a single plain-text file (a pasted mount output, a
// lone secfs.log) is a bundle of that one file, by path and in memory, with
// its real size; one named like an archive is read all the same, with a
// warning saying so.
func TestPlainTextFile(t *testing.T) {
	body := "/dev/sda1 on / type ext4 (rw)\n/data on /data type secfs2 (rw)\n"
	for _, tc := range []struct{ name, warn string }{
		{"mount.txt", ""},
		{"upload.tar.gz", "named like an archive or compressed file, but it holds plain text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := archivetest.Write(t, tc.name, []byte(body))
			fromDisk, err := bundle.Open(context.Background(), p, bundle.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			inMem, err := bundle.OpenReaderAt(context.Background(), tc.name, strings.NewReader(body), int64(len(body)), bundle.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range []*bundle.Bundle{fromDisk, inMem} {
				if b.Format != "file" {
					t.Errorf("format %q, want file", b.Format)
				}
				var got []bundle.Entry
				var content bytes.Buffer
				if err := b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
					got = append(got, e)
					_, err := io.Copy(&content, r)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].Path != tc.name || got[0].Size != int64(len(body)) || content.String() != body {
					t.Fatalf("entries %+v content %q", got, content.String())
				}
				ws := b.Warnings()
				if tc.warn == "" && len(ws) > 0 || tc.warn != "" && (len(ws) != 1 || !strings.Contains(ws[0].Msg, tc.warn)) {
					t.Errorf("warnings %v, want %q", ws, tc.warn)
				}
				if b.SHA256() == "" {
					t.Error("no SHA-256 for a one-file bundle")
				}
			}
		})
	}
}
