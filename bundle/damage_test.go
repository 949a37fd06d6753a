package bundle_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
	uxz "github.com/ulikunitz/xz"
)

// Damage met in real uploads, built from readable content. Each is a seed of
// the fuzz target of its format and a regression case below: the damage is
// reported in one message naming the archive, what precedes it is read, and
// the rest of the bundle is read as if nothing had happened.

// damageLog is a log long enough that a cut in its compressed form falls
// after the entries before it, and short enough to be a seed.
func damageLog() string {
	var b strings.Builder
	for i := 0; b.Len() < 8<<10; i++ {
		b.WriteString("Mar  1 12:00:00 web01 kernel: secfs: guard point /data/g")
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), 1+i%7))
		b.WriteString(" busy\n")
	}
	return b.String()
}

var damageEntries = []archivetest.Entry{
	{Name: "h/hostname", Body: "web01\n"},
	{Name: "h/mounts", Body: "/dev/sda1 / ext4 rw 0 0\n"},
}

type damage struct {
	name string
	// build returns the damaged file.
	build func(t testing.TB) []byte
	// read is what is still read from it, path relative to it; partial
	// files are read up to the damage: what is read is a prefix of this.
	read, partial map[string]string
	// warnAt is the path the warning names, relative to the damaged file
	// ("" for the file itself); msg is the warning (a prefix).
	warnAt, msg string
	// also are further warnings: path relative to the file, message prefix.
	also [][2]string
}

var damages = []damage{
	{
		name: "truncated-download.tar.gz",
		build: func(t testing.TB) []byte {
			tgz := archivetest.Compress(t, "gz", archivetest.Tar(t, damageEntries[0], damageEntries[1],
				archivetest.Entry{Name: "h/messages", Body: damageLog()}))
			return tgz[:len(tgz)*2/3]
		},
		read:    map[string]string{"h/hostname": "web01\n", "h/mounts": "/dev/sda1 / ext4 rw 0 0\n"},
		partial: map[string]string{"h/messages": damageLog()},
		msg:     "tar.gz archive is truncated or corrupt (unexpected EOF); 3 entries before the damage were read, the rest is skipped",
		also:    [][2]string{{"h/messages", "cut short: the archive breaks off inside this file (unexpected EOF); only its beginning was read"}},
	},
	{
		name: "wrong-checksum.tar",
		build: func(t testing.TB) []byte {
			b := archivetest.Tar(t, damageEntries[0], archivetest.Entry{Name: "h/bad", Body: "x"}, damageEntries[1])
			copy(b[1024+148:], "0123456\x00") // the second header's checksum
			return b
		},
		read: map[string]string{"h/hostname": "web01\n"},
		msg:  "tar archive is truncated or corrupt (archive/tar: invalid tar header); 1 entry before the damage were read, the rest is skipped",
	},
	{
		name: "damaged-central-directory.zip",
		build: func(t testing.TB) []byte {
			z := archivetest.Zip(t, damageEntries...)
			cd := bytes.Index(z, []byte("PK\x01\x02"))
			copy(z[cd:], "XX\x01\x02")
			return z
		},
		read: map[string]string{"h/hostname": "web01\n", "h/mounts": "/dev/sda1 / ext4 rw 0 0\n"},
		msg:  "zip archive's central directory is damaged or missing (zip: not a valid zip file): 2 entries were found by their local headers",
	},
	{
		name: "truncated-download.zip",
		build: func(t testing.TB) []byte {
			z := archivetest.Zip(t, damageEntries[0], damageEntries[1],
				archivetest.Entry{Name: "h/messages", Body: damageLog()})
			return z[:len(z)*2/3]
		},
		read:    map[string]string{"h/hostname": "web01\n", "h/mounts": "/dev/sda1 / ext4 rw 0 0\n"},
		partial: map[string]string{"h/messages": damageLog()},
		msg:     "zip archive's central directory is damaged or missing (zip: not a valid zip file): 3 entries were found by their local headers",
		also:    [][2]string{{"h/messages", "read error (unexpected EOF); the file may be incomplete"}},
	},
	{
		name: "damaged-header.7z",
		build: func(t testing.TB) []byte {
			b := sevenZipSeed(t)
			b[len(b)-20] ^= 0x55 // inside the (next) header at the end
			return b
		},
		msg: "7z archive is truncated or corrupt (the 7z header fails its checksum); 0 entries before the damage were read, the rest is skipped",
	},
	{
		name: "truncated-download.7z",
		build: func(t testing.TB) []byte {
			b := sevenZipSeed(t)
			return b[:len(b)*2/3]
		},
		msg: "7z archive is truncated or corrupt (the 7z header lies past the end of the file (a cut download?))",
	},
	{
		name: "member-after-garbage.gz",
		build: func(t testing.TB) []byte {
			first := archivetest.Compress(t, "gz", []byte("first member\n"))
			second := archivetest.Compress(t, "gz", []byte("second member\n"))
			return append(append(first, "\x00\x00 partial download resumed \xff\xfe"...), second...)
		},
		read: map[string]string{"member-after-garbage": "first member\nsecond member\n"},
		msg:  "30 bytes at byte 38 of the gzip data are not gzip data; skipped, and the gzip members after them were read",
	},
	{
		name: "bad-block-crc.xz",
		build: func(t testing.TB) []byte {
			// A 16 KiB dictionary, not the writer's 8 MiB: the decoder
			// allocates what the stream declares, and this file is a
			// seed of FuzzXz, whose every execution would pay for it.
			var buf bytes.Buffer
			w, err := uxz.WriterConfig{DictCap: 16 << 10}.NewWriter(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w, damageLog()); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			xz := buf.Bytes()
			// The stream footer's backward size locates the index; the
			// block's check (CRC-64 here) ends right before it.
			backward := int(binary.LittleEndian.Uint32(xz[len(xz)-8:]))
			index := len(xz) - 12 - (backward+1)*4
			xz[index-1] ^= 0xff
			return xz
		},
		partial: map[string]string{"bad-block-crc": damageLog()},
		warnAt:  "bad-block-crc",
		msg:     "read error (xz: data is corrupt); the file may be incomplete",
	},
}

// checkDamage compares a walk with what d says survives, under prefix.
func checkDamage(t *testing.T, d damage, b *bundle.Bundle, got []file, prefix string) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range got {
		rel, ok := strings.CutPrefix(f.Path, prefix)
		if !ok {
			continue
		}
		seen[rel] = true
		want, inRead := d.read[rel]
		full, inPartial := d.partial[rel]
		switch {
		case inRead && f.Body != want:
			t.Errorf("%s read as %q, want %q", f.Path, f.Body, want)
		case inPartial && !strings.HasPrefix(full, f.Body):
			t.Errorf("%s: %d bytes read that are not the start of its content", f.Path, len(f.Body))
		case !inRead && !inPartial:
			t.Errorf("%s read, though it is past the damage", f.Path)
		}
	}
	for rel := range d.read {
		if !seen[rel] {
			t.Errorf("%s%s not read; walked %q", prefix, rel, paths(got))
		}
	}
	want := append([][2]string{{d.warnAt, d.msg}}, d.also...)
	for _, ww := range want {
		at := strings.TrimPrefix(strings.TrimSuffix(prefix, "/")+"/"+ww[0], "/")
		at = strings.TrimSuffix(at, "/")
		found := false
		for _, w := range b.Warnings() {
			if w.Path == at && strings.HasPrefix(w.Msg, ww[1]) {
				found = true
				if w.Loss == "" {
					t.Errorf("warning %v does not say what was lost", w)
				}
			}
		}
		if !found {
			t.Errorf("no warning %q at %q; warnings %v", ww[1], at, b.Warnings())
		}
	}
	if len(b.Warnings()) != len(want) {
		t.Errorf("the damage gave %d warnings, want %d: %v", len(b.Warnings()), len(want), b.Warnings())
	}
}

// TestDamageTopLevel opens each damaged file as the bundle itself: what
// precedes the damage is read and one warning names it.
func TestDamageTopLevel(t *testing.T) {
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			b, got := walkMem(t, d.name, d.build(t), bundle.Limits{})
			checkDamage(t, d, b, got, "")
		})
	}
}

// TestDamageNested puts each damaged file in a bundle between two others:
// the damage costs only what follows it in that file.
func TestDamageNested(t *testing.T) {
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			outer := archivetest.Tar(t,
				archivetest.Entry{Name: "case/before.txt", Body: "before\n"},
				archivetest.Entry{Name: "case/" + d.name, Body: string(d.build(t))},
				archivetest.Entry{Name: "case/after.txt", Body: "after\n"})
			b, got := walkMem(t, "upload.tar", outer, bundle.Limits{})
			checkDamage(t, d, b, got, "case/"+d.name+"/")
			var rest []file
			for _, f := range got {
				if !strings.HasPrefix(f.Path, "case/"+d.name+"/") {
					rest = append(rest, f)
				}
			}
			sameFiles(t, rest, []file{{Path: "case/before.txt", Body: "before\n"}, {Path: "case/after.txt", Body: "after\n"}})
		})
	}
}

// TestDamageSeedSizes keeps the damage seeds small enough for fast fuzzing.
func TestDamageSeedSizes(t *testing.T) {
	for _, d := range damages {
		if n := len(d.build(t)); n > 4<<10 {
			t.Errorf("%s is %d bytes; a seed should be a few hundred", d.name, n)
		}
	}
}

// TestZipSalvageKeepsTheRules: entries recovered without the central
// directory pass the same checks as any other (unsafe names are skipped,
// the entry limit holds), and a stored entry with its size is read.
func TestZipSalvageKeepsTheRules(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct{ name, body string }{{"../escape.txt", "evil"}, {"h/stored.txt", "kept as is\n"}, {"h/x", "1"}, {"h/y", "2"}} {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte(e.body)),
			CompressedSize64: uint64(len(e.body)), UncompressedSize64: uint64(len(e.body))})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, e.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	z := buf.Bytes()
	z = z[:bytes.Index(z, []byte("PK\x01\x02"))] // no central directory at all
	b, got := walkMem(t, "cut.zip", z, bundle.Limits{MaxEntries: 3})
	sameFiles(t, got, []file{{Path: "h/stored.txt", Body: "kept as is\n"}, {Path: "h/x", Body: "1"}})
	wantWarning(t, b, "../escape.txt", "unsafe name")
	wantWarning(t, b, "", "reading stopped: the bundle holds more than 3 entries")
	wantWarning(t, b, "", "zip archive's central directory is damaged or missing (zip: not a valid zip file): 4 entries were found")
}

// TestGzipGaps: what is not gzip data between or after members is skipped
// and reported, except zero padding at the very end, which holds nothing.
func TestGzipGaps(t *testing.T) {
	one := archivetest.Compress(t, "gz", []byte("one\n"))
	two := archivetest.Compress(t, "gz", []byte("two\n"))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	at := strconv.Itoa(len(one))
	for _, tc := range []struct {
		name, body, warning string
		data                []byte
	}{
		{"two members", "one\ntwo\n", "", cat(one, two)},
		{"zero padding at the end", "one\ntwo\n", "", cat(one, two, make([]byte, 512))},
		{"garbage at the end", "one\n", "5 bytes at byte " + at + " of the gzip data are not gzip data", cat(one, []byte("junk\n"))},
		{"magic with reserved flags between", "one\ntwo\n", "12 bytes at byte " + at + " of the gzip data are not gzip data", cat(one, []byte{0x1f, 0x8b, 0x08, 0xff, 1, 2, 3, 4, 5, 6, 7, 8}, two)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, got := walkMem(t, "x.log.gz", tc.data, bundle.Limits{})
			sameFiles(t, got, []file{{Path: "x.log", Body: tc.body}})
			if tc.warning == "" {
				if len(b.Warnings()) != 0 {
					t.Errorf("warnings %v, want none", b.Warnings())
				}
				return
			}
			wantWarning(t, b, "", tc.warning)
			if len(b.Warnings()) != 1 {
				t.Errorf("warnings %v, want one", b.Warnings())
			}
		})
	}
}
