package parsers

import (
	"bytes"
	"slices"
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
	for _, in := range []string{
		"", "\n", "one", "one\ntwo\n", "a\n\nb\n\n", "\xef\xbb\xbfbom\n", "crlf\r\nline\r\n",
		"esc \x1b[31m\n", "bad utf8 \xff\n", "del \x7f\n", "tab\tok\n", "é accent\n", string(long),
	} {
		got := NewHead([]byte(in)).Lines
		if want := ref([]byte(in)); !slices.Equal(got, want) {
			t.Errorf("NewHead(%q): %q, want %q", in[:min(len(in), 40)], got[:min(len(got), 3)], want[:min(len(want), 3)])
		}
	}
}
