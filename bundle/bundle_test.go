package bundle_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

const basic = "testdata/basic"

// file is what Walk gave for one entry.
type file struct {
	Path string
	Body string
	Mode fs.FileMode
}

// walkAll opens and walks path, reading every file fully.
func walkAll(t *testing.T, path string, lim bundle.Limits) (*bundle.Bundle, []file) {
	t.Helper()
	b, err := bundle.Open(context.Background(), path, lim)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	var got []file
	err = b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
		body, err := io.ReadAll(r)
		got = append(got, file{Path: e.Path, Body: string(body), Mode: e.Mode})
		return err
	})
	if err != nil {
		t.Fatalf("Walk(%s): %v", path, err)
	}
	return b, got
}

// tree reads a testdata tree as the files a walk should yield, under prefix.
func tree(t *testing.T, dir, prefix string) []file {
	t.Helper()
	var out []file
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out = append(out, file{Path: prefix + filepath.ToSlash(rel), Body: string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func paths(fs []file) []string {
	var p []string
	for _, f := range fs {
		p = append(p, f.Path)
	}
	return p
}

// sameFiles compares paths and bodies, ignoring order.
func sameFiles(t *testing.T, got, want []file) {
	t.Helper()
	g := map[string]string{}
	for _, f := range got {
		g[f.Path] = f.Body
	}
	if len(g) != len(got) {
		t.Errorf("a path was walked twice: %q", paths(got))
	}
	for _, w := range want {
		body, ok := g[w.Path]
		if !ok {
			t.Errorf("missing %q; walked %q", w.Path, paths(got))
			continue
		}
		if body != w.Body {
			t.Errorf("%s: body %q, want %q", w.Path, body, w.Body)
		}
	}
	if len(got) != len(want) {
		t.Errorf("walked %d files %q, want %d", len(got), paths(got), len(want))
	}
}

func hasWarning(ws []bundle.Warning, path, msg string) bool {
	for _, w := range ws {
		if strings.Contains(w.Path, path) && strings.Contains(w.Msg, msg) {
			return true
		}
	}
	return false
}

func wantWarning(t *testing.T, b *bundle.Bundle, path, msg string) {
	t.Helper()
	if !hasWarning(b.Warnings(), path, msg) {
		t.Errorf("no warning with path ~%q and message ~%q; warnings: %v", path, msg, b.Warnings())
	}
}

func findOther(b *bundle.Bundle, path string) (bundle.Other, bool) {
	for _, o := range b.Others() {
		if o.Path == path {
			return o, true
		}
	}
	return bundle.Other{}, false
}

func sha(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFormats(t *testing.T) {
	want := tree(t, basic, "")
	for _, format := range archivetest.Formats {
		t.Run(format, func(t *testing.T) {
			p := archivetest.WriteFile(t, basic, format)
			b, got := walkAll(t, p, bundle.Limits{})
			if b.Format != format {
				t.Errorf("Format = %q, want %q", b.Format, format)
			}
			sameFiles(t, got, want)
			if b.Root() != "sosreport-host-1234" {
				t.Errorf("Root = %q", b.Root())
			}
			if b.SHA256() != sha(t, p) {
				t.Errorf("SHA256 = %q, want %q", b.SHA256(), sha(t, p))
			}
			if st, _ := os.Stat(p); b.Size != st.Size() {
				t.Errorf("Size = %d, want %d", b.Size, st.Size())
			}
			if len(b.Warnings()) != 0 {
				t.Errorf("warnings on a clean bundle: %v", b.Warnings())
			}
		})
	}
}

func TestArchiveOrder(t *testing.T) {
	data := archivetest.Tar(t, archivetest.Entry{Name: "z.txt", Body: "z"},
		archivetest.Entry{Name: "a.txt", Body: "a"}, archivetest.Entry{Name: "m.txt", Body: "m"})
	_, got := walkAll(t, archivetest.Write(t, "order.tar", data), bundle.Limits{})
	if p := strings.Join(paths(got), ","); p != "z.txt,a.txt,m.txt" {
		t.Errorf("order %s, want archive order z.txt,a.txt,m.txt", p)
	}
}

func TestSingleCompressedFile(t *testing.T) {
	body := strings.Repeat("Mar  1 12:00:01 host1 kernel: secfs: module busy\n", 50)
	for _, comp := range []string{"gz", "xz", "zst", "bz2", "lz4"} {
		t.Run(comp, func(t *testing.T) {
			p := archivetest.Write(t, "messages."+comp, archivetest.Compress(t, comp, []byte(body)))
			b, got := walkAll(t, p, bundle.Limits{})
			if b.Format != comp {
				t.Errorf("Format = %q, want %q", b.Format, comp)
			}
			sameFiles(t, got, []file{{Path: "messages", Body: body}})
			if b.Root() != "" {
				t.Errorf("Root = %q, want none", b.Root())
			}
			if b.SHA256() != sha(t, p) {
				t.Errorf("SHA256 mismatch")
			}
		})
	}
}

func TestDirectoryBundle(t *testing.T) {
	b, got := walkAll(t, basic, bundle.Limits{})
	if b.Format != "directory" || b.Size != 0 || b.SHA256() != "" {
		t.Errorf("Format %q Size %d SHA %q", b.Format, b.Size, b.SHA256())
	}
	want := tree(t, basic, "")
	sameFiles(t, got, want)
	if !sort.StringsAreSorted(paths(got)) {
		t.Errorf("directory not walked in lexical order: %q", paths(got))
	}
	if b.Root() != "sosreport-host-1234" {
		t.Errorf("Root = %q", b.Root())
	}
}

func TestDirectoryLinksNotFollowed(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok.txt"), []byte("ok"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(dir, "passwd"))
	os.Symlink("/etc", filepath.Join(dir, "etc"))
	os.Symlink("ok.txt", filepath.Join(dir, "again.txt"))
	b, got := walkAll(t, dir, bundle.Limits{})
	sameFiles(t, got, []file{{Path: "ok.txt", Body: "ok"}})
	wantWarning(t, b, "passwd", "points outside the bundle")
	wantWarning(t, b, "etc", "points outside the bundle")
	if o, ok := findOther(b, "again.txt"); !ok || o.Type != "symlink" || o.Target != "ok.txt" {
		t.Errorf("again.txt: %+v %v", o, ok)
	}
}

func TestRoot(t *testing.T) {
	data := archivetest.Tar(t, archivetest.Entry{Name: "a/x", Body: "x"}, archivetest.Entry{Name: "b/y", Body: "y"})
	b, _ := walkAll(t, archivetest.Write(t, "two.tar", data), bundle.Limits{})
	if b.Root() != "" {
		t.Errorf("two top folders: Root = %q", b.Root())
	}
	data = archivetest.Tar(t, archivetest.Entry{Name: "./sos-1/", Type: '5'}, archivetest.Entry{Name: "./sos-1/x", Body: "x"})
	b, got := walkAll(t, archivetest.Write(t, "dot.tar", data), bundle.Limits{})
	if b.Root() != "sos-1" || len(got) != 1 || got[0].Path != "sos-1/x" {
		t.Errorf("Root = %q, files %q", b.Root(), paths(got))
	}
}

func TestUnreadable(t *testing.T) {
	zipBytes := archivetest.Build(t, basic, "zip")
	tgzBytes := archivetest.Build(t, basic, "tar.gz")
	tests := []struct {
		name, file string
		data       []byte
		msg        string // "" when it opens
		format     string
	}{
		{name: "zip named tar.gz", file: "x.tar.gz", data: zipBytes, format: "zip"},
		{name: "tgz named zip", file: "x.zip", data: tgzBytes, format: "tar.gz"},
		{name: "binary named zip", file: "x.zip", data: []byte{0, 1, 2, 3, 0xff, 0xfe, 9, 0},
			msg: "x.zip: not a supported archive (content looks like binary data)"},
		{name: "empty upload", file: "x.tar.gz", data: []byte{}, msg: "x.tar.gz: empty upload (0 bytes)"},
		{name: "corrupt gz header", file: "x.gz", data: []byte{0x1f, 0x8b, 0x42},
			msg: "x.gz: corrupt gz data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := archivetest.Write(t, tc.file, tc.data)
			b, err := bundle.Open(context.Background(), p, bundle.Limits{})
			if tc.msg == "" {
				if err != nil || b.Format != tc.format {
					t.Fatalf("Open: %v, format %v", err, b)
				}
				_, got := walkAll(t, p, bundle.Limits{})
				sameFiles(t, got, tree(t, basic, ""))
				return
			}
			if !errors.Is(err, bundle.ErrUnreadable) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Open error %v, want ErrUnreadable with %q", err, tc.msg)
			}
		})
	}
	_, err := bundle.Open(context.Background(), filepath.Join(t.TempDir(), "missing.tgz"), bundle.Limits{})
	if !errors.Is(err, bundle.ErrUnreadable) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing: %v", err)
	}
}

func TestEmptyArchives(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty.tar":    archivetest.Tar(t),
		"empty.tar.gz": archivetest.Compress(t, "gz", archivetest.Tar(t)),
		"empty.zip":    archivetest.Zip(t),
	} {
		t.Run(name, func(t *testing.T) {
			b, got := walkAll(t, archivetest.Write(t, name, data), bundle.Limits{})
			if len(got) != 0 || b.Format != strings.TrimPrefix(filepath.Ext(name), ".") && b.Format != "tar.gz" {
				t.Errorf("format %q, files %q", b.Format, paths(got))
			}
		})
	}
}

func TestNested(t *testing.T) {
	inner := archivetest.Build(t, basic, "tar.xz")
	logsZip := archivetest.Build(t, "testdata/agentlogs", "zip")
	rotated := archivetest.Compress(t, "gz", []byte("old line\n"))
	upload := archivetest.Zip(t,
		archivetest.Entry{Name: "case-123/README.txt", Body: "customer notes"},
		archivetest.Entry{Name: "case-123/sosreport-host-1234.tar.xz", Body: string(inner)},
		archivetest.Entry{Name: "case-123/agent_logs.zip", Body: string(logsZip)},
		archivetest.Entry{Name: "case-123/messages-1.gz", Body: string(rotated)},
	)
	b, got := walkAll(t, archivetest.Write(t, "upload.zip", upload), bundle.Limits{})
	want := []file{{Path: "case-123/README.txt", Body: "customer notes"}, {Path: "case-123/messages-1.gz/messages-1", Body: "old line\n"}}
	want = append(want, tree(t, basic, "case-123/sosreport-host-1234.tar.xz/")...)
	want = append(want, tree(t, "testdata/agentlogs", "case-123/agent_logs.zip/")...)
	sameFiles(t, got, want)
	for p, note := range map[string]string{
		"case-123/sosreport-host-1234.tar.xz": "opened as tar.xz",
		"case-123/agent_logs.zip":             "opened as zip",
		"case-123/messages-1.gz":              "opened as gz",
	} {
		if o, ok := findOther(b, p); !ok || o.Type != "archive" || o.Note != note {
			t.Errorf("Others[%s] = %+v, want archive %q", p, o, note)
		}
	}
	if b.Root() != "case-123" {
		t.Errorf("Root = %q", b.Root())
	}
	// A zip inside a directory bundle is read in place.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "agent_logs.zip"), logsZip, 0o644)
	_, got = walkAll(t, dir, bundle.Limits{})
	sameFiles(t, got, tree(t, "testdata/agentlogs", "agent_logs.zip/"))
}

// nest wraps a file in n levels of tar.gz, each level holding levelN.txt.
func nest(t *testing.T, n int) []byte {
	var data []byte
	for i := n; i >= 0; i-- {
		es := []archivetest.Entry{{Name: "level" + string(rune('0'+i)) + ".txt", Body: "level"}}
		if data != nil {
			es = append(es, archivetest.Entry{Name: "inner.tar.gz", Body: string(data)})
		}
		data = archivetest.Compress(t, "gz", archivetest.Tar(t, es...))
	}
	return data
}

func TestDepthLimit(t *testing.T) {
	b, got := walkAll(t, archivetest.Write(t, "deep.tar.gz", nest(t, 9)), bundle.Limits{MaxDepth: 3})
	want := []file{
		{Path: "level0.txt", Body: "level"},
		{Path: "inner.tar.gz/level1.txt", Body: "level"},
		{Path: "inner.tar.gz/inner.tar.gz/level2.txt", Body: "level"},
		{Path: "inner.tar.gz/inner.tar.gz/inner.tar.gz/level3.txt", Body: "level"},
	}
	sameFiles(t, got, want)
	deep := "inner.tar.gz/inner.tar.gz/inner.tar.gz/inner.tar.gz"
	o, ok := findOther(b, deep)
	if !ok || !strings.HasPrefix(o.Note, "not inspected") {
		t.Errorf("Others[%s] = %+v", deep, o)
	}
	wantWarning(t, b, deep, "deeper than 3 levels (limit --max-depth; raise it only for a bundle you trust)")
}
