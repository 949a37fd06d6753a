package parsers

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// blankMask must mark exactly the spaces and tabs, whatever the bytes
// around them: the bytes next to 0x20 and 0x09 (0x21, 0x08, 0xa0, 0x89...)
// are where a word-wide test would go wrong.
func TestBlankMask(t *testing.T) {
	alphabet := []byte{' ', '\t', 'a', '0', 0x00, 0x01, 0x08, 0x0a, 0x1f, 0x21, 0x28, 0x29, 0x7f, 0x80, 0x89, 0xa0, 0xff}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 5000; n++ {
		b := make([]byte, rng.IntN(lsofLayoutMax+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		var want [2]uint64
		for i, c := range b {
			if c == ' ' || c == '\t' {
				want[i/64] |= 1 << (i % 64)
			}
		}
		if got := blankMask(b); got != want {
			t.Fatalf("blankMask(%q) = %x, want %x", b, got, want)
		}
		if got := blankMaskWords(b); got != want {
			t.Fatalf("blankMaskWords(%q) = %x, want %x", b, got, want)
		}
	}
}

// lsofLayoutCheck splits every row of text after its first line (the
// header) with one lsofLayouts and with splitAligned, and reports the
// first row where they differ; hits counts the rows split from a
// remembered pattern.
func lsofLayoutCheck(text string) (diff string, hits int) {
	lines := strings.Split(text, "\n")
	h, ok := parseLsofHeader([]byte(lines[0]))
	if !ok {
		return "", 0
	}
	c := new(lsofLayouts)
	for _, l := range lines[1:] {
		b := []byte(l)
		var want, got lsofRow
		wantOK := h.splitAligned(b, &want)
		row, name, gotOK, hit := c.splitShared(h, b, &got)
		got = *row
		got[lsofName] = name
		if hit {
			hits++
		}
		if gotOK != wantOK || (wantOK && got != want) {
			return l, hits
		}
	}
	return "", hits
}

// The rows of real captures, and rows whose fields change value but not
// width, split as splitAligned splits them, most from a remembered
// pattern.
func TestLsofLayoutsRealRows(t *testing.T) {
	files := append(corpusFiles(t, "lsof"), filepath.Join("testdata", "lsof", "linux_tid_taskcmd.txt"), filepath.Join("testdata", "lsof", "sos_indented_header.txt"))
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Each header with the rows after it, as one text.
		var part []string
		check := func() {
			if len(part) < 2 {
				return
			}
			// Twice: the second time every pattern is known.
			text := strings.Join(part, "\n")
			if d, _ := lsofLayoutCheck(text + "\n" + strings.Join(part[1:], "\n")); d != "" {
				t.Errorf("%s: split differs from splitAligned on %q", f, d)
			}
			total += len(part) - 1
		}
		for _, l := range strings.Split(string(b), "\n") {
			if _, ok := parseLsofHeader([]byte(l)); ok {
				check()
				part = part[:0]
			}
			if len(part) > 0 || strings.Contains(l, "COMMAND") {
				part = append(part, l)
			}
		}
		check()
	}
	if total < 100 {
		t.Fatalf("only %d rows checked", total)
	}
	hdr := "COMMAND     PID   TID TASKCMD               USER   FD      TYPE             DEVICE  SIZE/OFF       NODE NAME"
	rows := []string{
		"java       1000                                1  mem       REG              253,0   2156272     100001 /usr/lib64/libc-2.28.so",
		"nginx      2000                                2  mem       REG              253,1   9156272     200001 /usr/lib64/libz.so (deleted)",
		"bash       3000  3001 worker                   3  cwd       DIR              253,0      4096        128 /",
		"bash       3000  3002 worker                   3  cwd       DIR              253,0      4096        128 /srv",
		"sshd       4000                                0    3u     IPv4           40000002       0t0        TCP *:22 (LISTEN)",
		"sshd       4001                                0    4u     IPv4           40000003       0t0        TCP *:23 (LISTEN)",
		"nameless   5000                                0    5u     IPv4           40000003       0t0        TCP ",
		"nameless   5001                                0    5u     IPv4           40000003       0t0        TCP ",
		"odd cmd    6000                                0    5u     IPv4           40000003       0t0        TCP x",
		"odd cmd    6001                                0    5u     IPv4           40000003       0t0        TCP y",
		"broken     600x                                0    5u     IPv4           40000003       0t0        TCP x",
		"broken     600y                                0    5u     IPv4           40000003       0t0        TCP x",
		"shifted   70000                                0   15u     IPv4           40000003       0t0        TCPX x",
		"shifted   70001                                0   15u     IPv4           40000003       0t0        TCPX y",
	}
	d, hits := lsofLayoutCheck(hdr + "\n" + strings.Join(rows, "\n"))
	if d != "" {
		t.Fatalf("split differs from splitAligned on %q", d)
	}
	if hits < 5 {
		t.Fatalf("%d rows split from a remembered pattern, want at least 5", hits)
	}
}

// FuzzLsofLayouts checks that lsofLayouts splits every row exactly as
// splitAligned does: the first line is the header, and rows that repeat a
// pattern with other bytes reach the remembered splits.
func FuzzLsofLayouts(f *testing.F) {
	f.Add("COMMAND  PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME\nbash       1 root  cwd    DIR    8,1     4096    2 /data\nbush       2 rooo  cwe    DIR    8,2     4097    3 /dat\nbash  1 root cwd DIR 8,1 4096 2 /data")
	f.Add("  COMMAND  PID   TID TASKCMD USER  FD TYPE NAME\n  a b      12    13 c d     u     3u  REG /x y\n  a b      12    13 c d     u     3u  REG \n  e f      14    15 g h     v     4w  REG /z\n\ta b      12    13 c d     u     3u  REG /x")
	f.Add("COMMAND PID USER FD NAME\nx 1 u 0r \t/a\ny 2 v 1r \t/b\nz 3 w 2r\t /c")
	f.Fuzz(func(t *testing.T, s string) {
		// Each row also with its letters and digits changed: the same
		// pattern of blanks, other values.
		lines := strings.Split(s, "\n")
		for _, l := range lines[1:] {
			lines = append(lines, strings.Map(func(r rune) rune {
				switch {
				case r >= 'a' && r < 'z', r >= '0' && r < '9':
					return r + 1
				}
				return r
			}, l))
		}
		if d, _ := lsofLayoutCheck(strings.Join(lines, "\n")); d != "" {
			t.Fatalf("split differs from splitAligned on %q", d)
		}
	})
}

// A parse borrows layouts only once its file has shown it is large, and
// gives them up when too few rows repeat a pattern; either way every row
// splits as splitAligned splits it.
func TestLsofLayoutUse(t *testing.T) {
	hdr := "COMMAND     PID   TID TASKCMD  USER   FD      TYPE   DEVICE   SIZE/OFF       NODE NAME"
	h, ok := parseLsofHeader([]byte(hdr))
	if !ok {
		t.Fatal("header not recognised")
	}
	// row makes a row whose fields have the widths given: each width
	// is a different pattern of blanks.
	row := func(pid, tid, size, node int) string {
		digits := func(n int) string { return strings.Repeat("7", n) }
		line := []byte(strings.Repeat(" ", len(hdr)))
		put := func(label, v string, left bool) {
			at := strings.Index(hdr, label)
			if !left {
				at += len(label) - len(v)
			}
			copy(line[at:], v)
		}
		put("COMMAND", "java", true)
		put("PID", digits(pid), false)
		if tid > 0 {
			put("TID", digits(tid), false)
		}
		put("USER", "0", false)
		put("FD", "3u", false)
		put("TYPE", "REG", false)
		put("DEVICE", "253,0", false)
		put("SIZE/OFF", digits(size), false)
		put("NODE", digits(node), false)
		return string(line[:strings.Index(hdr, "NAME")]) + "/data/x"
	}
	check := func(name string, rows []string, wantBorrowed, wantOff bool) {
		t.Helper()
		st := &lsofState{hdr: h}
		for i, l := range rows {
			var want lsofRow
			wantOK := h.splitAligned([]byte(l), &want)
			row, nameSpan, gotOK := st.splitRow([]byte(l))
			got := *row
			got[lsofName] = nameSpan
			if !wantOK {
				t.Fatalf("%s: row %d does not line up with the header: %q", name, i, l)
			}
			if gotOK != wantOK || got != want {
				t.Fatalf("%s: row %d splits differently: %q", name, i, l)
			}
		}
		u := st.layouts
		if (u.c != nil) != wantBorrowed || u.off != wantOff {
			t.Fatalf("%s: borrowed %v, given up %v (tried %d, hits %d); want %v, %v", name, u.c != nil, u.off, u.tried, u.hits, wantBorrowed, wantOff)
		}
		st.releaseLayouts()
	}
	same := func(n int) []string {
		var rows []string
		for i := range n {
			rows = append(rows, row(5, 0, 1+i%2, 6))
		}
		return rows
	}
	check("small file", same(lsofLayoutAfter-1), false, false)
	check("large file", same(lsofLayoutAfter+lsofLayoutTrial), true, false)
	rng := rand.New(rand.NewPCG(3, 4))
	var mixed []string
	for range lsofLayoutAfter + lsofLayoutTrial {
		mixed = append(mixed, row(1+rng.IntN(5), rng.IntN(5), 1+rng.IntN(8), 1+rng.IntN(4)))
	}
	check("many patterns", mixed, false, true)
}

// BenchmarkBlankMask takes the blanks of a busy host's row up to NAME,
// as the layouts do (blankMask), and eight bytes at a time in Go.
func BenchmarkBlankMask(b *testing.B) {
	row := []byte("java       1000                                1  mem       REG              253,0   2156272     100001 ")
	for _, c := range []struct {
		name string
		mask func([]byte) [2]uint64
	}{
		{"mask", blankMask},
		{"words", func(r []byte) [2]uint64 { return blankMaskWords(r) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(row)))
			for b.Loop() {
				if m := c.mask(row); m[0] == 0 {
					b.Fatal("no blank")
				}
			}
		})
	}
}
