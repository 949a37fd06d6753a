package bundle_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
)

type E = archivetest.Entry

var ok = E{Name: "ok.txt", Body: "benign"}

// snapshot lists every path under dir (recursively), for before/after checks.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// noWrites runs f and fails if it created anything in the package directory,
// its parent, or the temp dir (pointed at a fresh directory for the test), or
// at the paths hostile entries name.
func noWrites(t *testing.T, f func()) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cwd, _ := os.Getwd()
	before := [][]string{snapshot(t, cwd), snapshot(t, tmp), entries(t, filepath.Dir(cwd))}
	f()
	after := [][]string{snapshot(t, cwd), snapshot(t, tmp), entries(t, filepath.Dir(cwd))}
	for i := range before {
		if strings.Join(before[i], "\n") != strings.Join(after[i], "\n") {
			t.Errorf("files appeared during the walk: before %q, after %q", before[i], after[i])
		}
	}
	for _, p := range []string{"/tmp/triage-hostile-abs.txt", "/triage-hostile-dotdot.txt", filepath.Join(filepath.Dir(cwd), "triage-hostile-dotdot.txt")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
}

func entries(t *testing.T, dir string) []string {
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestHostile covers HOSTILE.md row by row: each case asserts its warning,
// that nothing was written, and that the benign files were still walked.
func TestHostile(t *testing.T) {
	nfc, nfd := "caf\u00e9.txt", "cafe\u0301.txt"
	long := strings.Repeat("x", 300)
	tests := []struct {
		name     string
		file     string
		data     func(t *testing.T) []byte
		lim      bundle.Limits
		want     []file // exactly the files walked
		warnings [][2]string
		others   map[string]string // path -> type
	}{
		{
			name: "dotdot names", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, E{Name: "../triage-hostile-dotdot.txt", Body: "evil"}, ok,
					E{Name: "a/../../triage-hostile-dotdot.txt", Body: "evil"}, E{Name: "..", Type: tar.TypeDir})
			},
			want: []file{{Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{"../triage-hostile-dotdot.txt", `unsafe name (".." in name); entry skipped`},
				{"a/../../triage-hostile-dotdot.txt", `".." in name`}, {"..", `".." in name`}},
			others: map[string]string{"../triage-hostile-dotdot.txt": "unsafe"},
		},
		{
			name: "absolute and drive names", file: "x.zip",
			data: func(t *testing.T) []byte {
				return archivetest.Zip(t, E{Name: "/tmp/triage-hostile-abs.txt", Body: "evil"}, ok,
					E{Name: `C:\Windows\evil.txt`, Body: "evil"}, E{Name: "C:evil.txt", Body: "evil"},
					E{Name: "back\\slash.txt", Body: "evil"})
			},
			want: []file{{Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{"/tmp/triage-hostile-abs.txt", "absolute name"},
				{`C:\\Windows\\evil.txt`, "backslash in name"}, {"C:evil.txt", "drive letter in name"}},
		},
		{
			name: "control characters escaped", file: "x.zip",
			data: func(t *testing.T) []byte {
				return archivetest.Zip(t, E{Name: "evil\x1b[31m.txt", Body: "evil"}, E{Name: "nul\x00.txt", Body: "evil"},
					E{Name: "bidi\u202etxt.exe", Body: "evil"}, E{Name: "crlf\r\n.txt", Body: "evil"}, ok)
			},
			want: []file{{Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{`evil\x1b[31m.txt`, "control or format character in name"},
				{`nul\x00.txt`, "control"}, {`crlf\r\n.txt`, "control"}, {`bidi\u202etxt.exe`, "control or format character"}},
		},
		{
			name: "long names", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, E{Name: "d/" + long, Body: "long"}, ok)
			},
			want:     []file{{Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{"d/xxxx", "name component longer than 255 bytes"}},
		},
		{
			name: "symlink escapes", file: "x.tar.gz",
			data: func(t *testing.T) []byte {
				return archivetest.Compress(t, "gz", archivetest.Tar(t,
					E{Name: "proc/self/mounts", Body: "/dev/sda1 / xfs rw 0 0\n"},
					E{Name: "proc/mounts", Type: tar.TypeSymlink, Link: "self/mounts"},
					E{Name: "passwd", Type: tar.TypeSymlink, Link: "/etc/passwd"},
					E{Name: "up", Type: tar.TypeSymlink, Link: "../../etc/shadow"},
					E{Name: "etc", Type: tar.TypeSymlink, Link: "/etc"},
					E{Name: "via", Type: tar.TypeSymlink, Link: "etc/passwd"}, ok))
			},
			want: []file{{Path: "proc/self/mounts", Body: "/dev/sda1 / xfs rw 0 0\n"}, {Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{"passwd", "symlink points outside the bundle (absolute target /etc/passwd); not followed"},
				{"up", "symlink points outside the bundle (../../etc/shadow)"},
				{"via", "points outside the bundle through the symlink etc"}},
			others: map[string]string{"proc/mounts": "symlink", "passwd": "symlink"},
		},
		{
			name: "symlink chains and loops", file: "x.tar",
			data: func(t *testing.T) []byte {
				es := []E{ok, {Name: "a", Type: tar.TypeSymlink, Link: "b"}, {Name: "b", Type: tar.TypeSymlink, Link: "a"},
					{Name: "self", Type: tar.TypeSymlink, Link: "self"}, {Name: "c1", Type: tar.TypeSymlink, Link: "ok.txt"}}
				for i := 2; i <= 12; i++ {
					es = append(es, E{Name: "c" + itoa(i), Type: tar.TypeSymlink, Link: "c" + itoa(i-1)})
				}
				return archivetest.Tar(t, es...)
			},
			want: []file{{Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{"b", "symlink is a symlink loop or a chain of more than 8 links"},
				{"self", "symlink loop"}, {"c12", "chain of more than 8 links"}},
			others: map[string]string{"a": "symlink", "c3": "symlink"},
		},
		{
			name: "hardlinks", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, ok, E{Name: "h-out", Type: tar.TypeLink, Link: "../../etc/passwd"},
					E{Name: "h-abs", Type: tar.TypeLink, Link: "/etc/shadow"},
					E{Name: "h-self", Type: tar.TypeLink, Link: "h-self"}, E{Name: "h-ok", Type: tar.TypeLink, Link: "ok.txt"})
			},
			want: []file{{Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{"h-out", `hardlink to ../../etc/passwd points outside the bundle (".." in name); not followed`},
				{"h-abs", "points outside the bundle (absolute name)"}, {"h-self", "hardlink to itself"}},
			others: map[string]string{"h-ok": "hardlink", "h-out": "hardlink"},
		},
		{
			name: "devices and fifos", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, E{Name: "dev/sda", Type: tar.TypeBlock}, E{Name: "dev/null", Type: tar.TypeChar},
					E{Name: "run/pipe", Type: tar.TypeFifo}, ok, E{Name: "bin/su", Body: "elf", Mode: 0o4755})
			},
			want:     []file{{Path: "ok.txt", Body: "benign"}, {Path: "bin/su", Body: "elf"}},
			warnings: [][2]string{{"dev/sda", "block device skipped; never opened"}, {"dev/null", "character device skipped"}, {"run/pipe", "FIFO skipped"}},
			others:   map[string]string{"dev/sda": "device", "dev/null": "device", "run/pipe": "fifo"},
		},
		{
			name: "duplicate names", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, E{Name: "dup.txt", Body: "first"}, E{Name: "dup.txt", Body: "second"},
					E{Name: "Case.txt", Body: "upper"}, E{Name: "case.txt", Body: "lower"},
					E{Name: nfc, Body: "nfc"}, E{Name: nfd, Body: "nfd"},
					E{Name: "x", Body: "file"}, E{Name: "x/", Type: tar.TypeDir}, E{Name: "x/y", Body: "under"})
			},
			want: []file{{Path: "dup.txt", Body: "first"}, {Path: "dup.txt~2", Body: "second"},
				{Path: "Case.txt", Body: "upper"}, {Path: "case.txt", Body: "lower"}, {Path: nfc, Body: "nfc"}, {Path: nfd, Body: "nfd"},
				{Path: "x", Body: "file"}, {Path: "x/y", Body: "under"}},
			warnings: [][2]string{{"dup.txt", "duplicate name; this copy is kept as dup.txt~2"},
				{"case.txt", "differs from Case.txt only in letter case or Unicode form; both kept"},
				{nfd, "differs from " + nfc + " only in letter case or Unicode form"},
				{"x", "a file and a directory have the same name; both kept"}},
		},
		{
			name: "non-UTF-8 names", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, E{Name: "caf\xe9.log", Body: "latin1"}, ok)
			},
			want:     []file{{Path: `caf\xe9.log`, Body: "latin1"}, {Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{`caf\xe9.log`, `name is not valid UTF-8; kept with each bad byte written as \xNN`}},
		},
		{
			name: "huge declared size", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, ok, E{Name: "sparse.img", Body: strings.Repeat("a", 4096), Size: 1 << 40})
			},
			want:     []file{{Path: "ok.txt", Body: "benign"}, {Path: "sparse.img", Body: strings.Repeat("a", 4096)}},
			warnings: [][2]string{{"", "tar archive is truncated or corrupt (unexpected EOF); 2 entries before the damage were read"}},
		},
		{
			name: "truncated tar.gz", file: "x.tar.gz",
			data: func(t *testing.T) []byte {
				big := make([]byte, 200<<10)
				for i := range big {
					big[i] = byte(i*7919>>3) ^ byte(i>>11)
				}
				gz := archivetest.Compress(t, "gz", archivetest.Tar(t, ok, E{Name: "big.bin", Body: string(big)}, E{Name: "after.txt", Body: "lost"}))
				return gz[:len(gz)/2]
			},
			want:     []file{{Path: "ok.txt", Body: "benign"}}, // big.bin is partial: checked below
			warnings: [][2]string{{"", "tar.gz archive is truncated or corrupt (unexpected EOF)"}},
		},
		{
			name: "corrupt tar header", file: "x.tar",
			data: func(t *testing.T) []byte {
				b := archivetest.Tar(t, ok, E{Name: "second.txt", Body: "2"}, E{Name: "third.txt", Body: "3"})
				copy(b[1024+148:], "9999999\x00") // second header's checksum
				return b
			},
			want:     []file{{Path: "ok.txt", Body: "benign"}},
			warnings: [][2]string{{"", "tar archive is truncated or corrupt (archive/tar: invalid tar header); 1 entry before the damage were read"}},
		},
		{
			name: "binary junk named like an artifact", file: "x.tar",
			data: func(t *testing.T) []byte {
				return archivetest.Tar(t, E{Name: "sos_commands/filesys/mount", Body: "\x00\x01\x02\xff\xfe junk \x1b[2J\x00"}, ok)
			},
			want: []file{{Path: "sos_commands/filesys/mount", Body: "\x00\x01\x02\xff\xfe junk \x1b[2J\x00"}, {Path: "ok.txt", Body: "benign"}},
		},
		{
			name: "entries limit", file: "x.tar",
			data: func(t *testing.T) []byte {
				es := []E{ok}
				for i := 0; i < 30; i++ {
					es = append(es, E{Name: "many/" + itoa(i), Body: "x"})
				}
				return archivetest.Tar(t, es...)
			},
			lim:      bundle.Limits{MaxEntries: 10},
			want:     append([]file{{Path: "ok.txt", Body: "benign"}}, manyFiles(9)...),
			warnings: [][2]string{{"", "reading stopped: the bundle holds more than 10 entries (limit --max-entries; raise it only for a bundle you trust)"}},
		},
		{
			name: "zip named tar.gz with a bomb kernel", file: "x.tar.gz",
			data:     func(t *testing.T) []byte { return archivetest.OverlappingZip(t, 50, 32<<20) },
			warnings: [][2]string{{"", "decompresses to more than 200 times its compressed size, which looks like a compression bomb (limit --max-ratio; raise it only for a bundle you trust)"}},
		},
		{
			name: "overlapping zip stopped by the total", file: "bomb.zip",
			data:     func(t *testing.T) []byte { return archivetest.OverlappingZip(t, 1000, 16<<20) },
			lim:      bundle.Limits{MaxRatio: 1e9, MaxTotalBytes: 100 << 20},
			warnings: [][2]string{{"", "reading stopped: the bundle holds more than 100 MiB of data (limit --max-total-bytes; raise it only for a bundle you trust)"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := archivetest.Write(t, tc.file, tc.data(t))
			var b *bundle.Bundle
			var got []file
			noWrites(t, func() { b, got = walkAll(t, p, tc.lim) })
			if tc.name == "truncated tar.gz" && len(got) == 2 && got[1].Path == "big.bin" {
				got = got[:1] // partly read before the damage
			}
			if !strings.Contains(tc.name, "bomb") && !strings.Contains(tc.name, "overlapping") {
				sameFiles(t, got, tc.want)
			} else if len(got) > 7 {
				t.Errorf("bomb: %d files walked", len(got))
			}
			for _, w := range tc.warnings {
				wantWarning(t, b, w[0], w[1])
			}
			for p, typ := range tc.others {
				if o, ok := findOther(b, p); !ok || o.Type != typ {
					t.Errorf("Others[%q] = %+v, want type %s; others %+v", p, o, typ, b.Others())
				}
			}
		})
	}
}

func manyFiles(n int) []file {
	var out []file
	for i := 0; i < n; i++ {
		out = append(out, file{Path: "many/" + itoa(i), Body: "x"})
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// writeGzipBomb writes 10 GiB of zeros as gzip (about 10 MB), after a line
// of text or as one tar entry, to a file. (Zeros alone would read as an
// empty tar and stop at once.)
func writeGzipBomb(t testing.TB, asTar bool) string {
	p := filepath.Join(t.TempDir(), "bomb.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prefix := []byte("a log line, then 10 GiB of zeros\n")
	if asTar {
		var hdr bytes.Buffer
		tw := tar.NewWriter(&hdr)
		tw.WriteHeader(&tar.Header{Name: "var/log/huge.log", Size: 10 << 30, Mode: 0o644, Typeflag: tar.TypeReg})
		tw.Flush() // fails: the body is missing, which is the point; the header is written
		prefix = hdr.Bytes()
	}
	archivetest.WriteGzipZeros(t, f, prefix, 10<<30)
	return p
}

func TestGzipBomb(t *testing.T) {
	for _, asTar := range []bool{false, true} {
		p := writeGzipBomb(t, asTar)
		var b *bundle.Bundle
		var n int64
		noWrites(t, func() {
			var err error
			b, err = bundle.Open(context.Background(), p, bundle.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			err = b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
				c, err := io.Copy(io.Discard, r)
				n += c
				return err
			})
			if err != nil {
				t.Fatalf("Walk: %v", err)
			}
		})
		if n > 2<<20 {
			t.Errorf("tar=%v: %d bytes read from a bomb, want it stopped after about 1 MiB", asTar, n)
		}
		wantWarning(t, b, "", "looks like a compression bomb (limit --max-ratio; raise it only for a bundle you trust)")
		if b.SHA256() != sha(t, p) {
			t.Errorf("SHA256 incomplete after a stopped walk")
		}
	}
}

func TestTotalLimitStopsEverything(t *testing.T) {
	p := writeGzipBomb(t, true)
	b, got := walkAll(t, p, bundle.Limits{MaxRatio: 1e12, MaxTotalBytes: 64 << 20, MaxFileBytes: 16 << 20})
	if len(got) != 1 || len(got[0].Body) != 16<<20 {
		t.Fatalf("walked %d files", len(got))
	}
	wantWarning(t, b, "var/log/huge.log", "file truncated after 16 MiB: it is larger than the per-file limit (limit --max-file-bytes; raise it only for a bundle you trust)")
	wantWarning(t, b, "", "more than 64 MiB of data (limit --max-total-bytes; raise it only for a bundle you trust)")
}

func TestTimeoutInsideOneEntry(t *testing.T) {
	p := writeGzipBomb(t, false)
	b, err := bundle.Open(context.Background(), p, bundle.Limits{MaxRatio: 1e12, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	err = b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
		c, err := io.Copy(io.Discard, r)
		n += c
		return err
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if n == 0 || n >= 2<<30 {
		t.Errorf("read %d bytes before the deadline", n)
	}
	wantWarning(t, b, "", "reading stopped: the time limit of 200ms was reached (limit --timeout; raise it only for a bundle you trust)")
}

func TestCancelAndFnError(t *testing.T) {
	p := archivetest.WriteFile(t, basic, "tar.gz")
	b, _ := bundle.Open(context.Background(), p, bundle.Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := b.Walk(ctx, func(e bundle.Entry, r io.Reader) error {
		calls++
		cancel()
		_, err := io.ReadAll(r)
		return err
	})
	if err != context.Canceled || calls != 1 {
		t.Errorf("cancel: err %v after %d calls", err, calls)
	}
	boom := io.ErrClosedPipe
	err = b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error { return boom })
	if err == nil || !strings.Contains(err.Error(), "sosreport-host-1234/") || !errors.Is(err, boom) {
		t.Errorf("fn error: %v", err)
	}
}

func TestLongSingleLine(t *testing.T) {
	const size = 200 << 20
	p := filepath.Join(t.TempDir(), "line.tar")
	f, _ := os.Create(p)
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "var/log/one-line.log", Size: size, Mode: 0o644, Typeflag: tar.TypeReg})
	chunk := bytes.Repeat([]byte("abcdefghij"), 1<<16)
	for left := size; left > 0; left -= len(chunk) {
		tw.Write(chunk[:min(left, len(chunk))])
	}
	tw.WriteHeader(&tar.Header{Name: "ok.txt", Size: 6, Mode: 0o644, Typeflag: tar.TypeReg})
	tw.Write([]byte("benign"))
	tw.Close()
	f.Close()
	for _, lim := range []int64{0, 64 << 20} {
		b, err := bundle.Open(context.Background(), p, bundle.Limits{MaxFileBytes: lim})
		if err != nil {
			t.Fatal(err)
		}
		sizes := map[string]int64{}
		err = b.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
			n, err := io.Copy(io.Discard, r)
			sizes[e.Path] = n
			return err
		})
		want := int64(size)
		if lim > 0 {
			want = lim
			wantWarning(t, b, "var/log/one-line.log", "file truncated after 64 MiB")
		} else if len(b.Warnings()) != 0 {
			t.Errorf("warnings: %v", b.Warnings())
		}
		if err != nil || sizes["var/log/one-line.log"] != want || sizes["ok.txt"] != 6 {
			t.Errorf("limit %d: err %v sizes %v", lim, err, sizes)
		}
	}
}

func BenchmarkGzipBomb(b *testing.B) {
	p := writeGzipBomb(b, true)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bd, err := bundle.Open(context.Background(), p, bundle.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if err := bd.Walk(context.Background(), func(e bundle.Entry, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}
