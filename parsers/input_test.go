package parsers

import (
	"bytes"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
)

// TestNewHeadLines checks NewHead's lines against cleaning each line on
// its own, for plain text (taken whole) and for text that needs cleaning.
func TestNewHeadLines(t *testing.T) {
	ref := func(b []byte) []string {
		if len(b) >= HeadSize {
			if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
				b = b[:i]
			}
		}
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		var out []string
		for _, l := range bytes.Split(b, []byte("\n")) {
			out = append(out, Clean(bytes.TrimSuffix(l, []byte("\r"))))
		}
		if n := len(out); n > 0 && out[n-1] == "" {
			out = out[:n-1]
		}
		return out
	}
	long := bytes.Repeat([]byte("COMMAND PID USER FD\tNAME /x\n"), HeadSize/20)
	// A plain first line, then a cut line of control bytes: binary, though
	// what is left after dropping the cut line is plain.
	cutBinary := "plain\n" + strings.Repeat("\x01", HeadSize)
	for _, in := range []string{
		"", "\n", "one", "one\ntwo\n", "a\n\nb\n\n", "\xef\xbb\xbfbom\n", "crlf\r\nline\r\n",
		"esc \x1b[31m\n", "bad utf8 \xff\n", "del \x7f\n", "tab\tok\n", "é accent\n", string(long),
		cutBinary, "nul\x00\n",
	} {
		h := NewHead([]byte(in))
		if want := ref([]byte(in)); !slices.Equal(h.Lines, want) {
			t.Errorf("NewHead(%q): %q, want %q", in[:min(len(in), 40)], h.Lines[:min(len(h.Lines), 3)], want[:min(len(want), 3)])
		}
		if want := looksBinary([]byte(in)); h.Binary != want {
			t.Errorf("NewHead(%q).Binary = %v, want %v", in[:min(len(in), 40)], h.Binary, want)
		}
	}
}

// TestCleanMayChange: a rooted path it passes is path.Clean's but for a
// trailing slash; one it stops holds "//" or "/.".
func TestCleanMayChange(t *testing.T) {
	for _, n := range []string{"/", "/data", "/data/", "/data/f", "/data//f", "/data/./f", "/data/../etc", "/data/.hidden", "//", "/.", "/a.b/c.d", "/a./b", "/a/b."} {
		may := cleanMayChange([]byte(n))
		if want := strings.Contains(n, "//") || strings.Contains(n, "/."); may != want {
			t.Errorf("%q: %v, want %v", n, may, want)
		}
		if !may && path.Clean(n) != n && path.Clean(n)+"/" != n {
			t.Errorf("%q passed but cleans to %q", n, path.Clean(n))
		}
	}
	// Names of every length up to 40 from '/', '.', 'a' and bytes that
	// differ from them in one bit: the eight-byte steps and the tail.
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte{'/', '.', 'a', '/' ^ 0x80, '.' ^ 1, '/' ^ 1, 0}
	for range 100000 {
		b := make([]byte, r.IntN(41))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		n := string(b)
		if want := strings.Contains(n, "//") || strings.Contains(n, "/."); cleanMayChange(b) != want {
			t.Fatalf("%q: %v, want %v", n, !want, want)
		}
	}
}
