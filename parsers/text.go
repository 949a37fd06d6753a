package parsers

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// The small lexical helpers every parser needs: digits, numbers, fields,
// month names and short excerpts for warnings. They take a string or a
// []byte alike (text is the constraint), so a parser working on the raw
// bytes of Input.Bytes and one working on Input.Text share one copy, and
// none of them allocates.

// text is a line or a cell of one, as a string or as raw bytes.
type text interface{ ~string | ~[]byte }

// hasPrefix is bytes.HasPrefix for a constant prefix: comparing with a
// string constant compiles to a few word compares, where bytes.HasPrefix
// calls the runtime's general memory comparison (a sixth of strace's time
// went there).
func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// hasSuffix is bytes.HasSuffix for a constant suffix (see hasPrefix).
func hasSuffix(b []byte, p string) bool { return len(b) >= len(p) && string(b[len(b)-len(p):]) == p }

// isDigit reports an ASCII decimal digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isBlank reports the separators of columnar command output: space and tab.
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// skipBlanks returns the index of the first byte of b from i on that is
// not blank, or len(b). lsof pads its columns with runs of spaces (half of
// a busy row), so spaces are skipped eight at a time.
func skipBlanks(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:]) ^ 0x2020202020202020
		if x != 0 {
			i += bits.TrailingZeros64(x) / 8
			break
		}
		i += 8
	}
	for i < len(b) && isBlank(b[i]) {
		i++
	}
	return i
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits[S text](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi converts a run of at most 9 digits (counts, PIDs, line numbers), so
// it cannot overflow an int on any platform; ok is false for anything else,
// a sign included.
func atoi[S text](s S) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int(d)
	}
	return n, true
}

// atoi64 converts a run of at most 18 digits (sizes, offsets, object
// counts), so it cannot overflow; ok is false for anything else.
func atoi64[S text](s S) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	return n, true
}

// hexDigit returns the value of a hexadecimal digit, or -1.
func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// allHex reports whether s is a non-empty run of hexadecimal digits, of any
// length (a 64-bit kernel address).
func allHex[S text](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if hexDigit(s[i]) < 0 {
			return false
		}
	}
	return true
}

// hex64 parses an unsigned hexadecimal of at most 15 digits, after an
// optional 0x, so it cannot overflow; ok is false for anything else.
func hex64[S text](s S) (int64, bool) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if len(s) > 15 || !allHex(s) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		n = n<<4 | int64(hexDigit(s[i]))
	}
	return n, true
}

// span is the byte range [start, end) of one field of a line, so a parser
// can slice the field without copying it or take "the rest of the line"
// from a field on (a command line, a mount point with blanks).
type span struct{ start, end int }

// appendFields appends to dst the fields of s separated by runs of blanks,
// until dst holds max spans (max < 0: no limit); the last field kept may
// be followed by more text. Passing a reused dst[:0] costs no allocation
// per line.
func appendFields[S text](dst []span, s S, max int) []span {
	if max < 0 {
		max = math.MaxInt
	}
	i := 0
	for i < len(s) && len(dst) < max {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && !isBlank(s[i]) {
			i++
		}
		dst = append(dst, span{start, i})
	}
	return dst
}

// fields returns every blank-separated field of s as spans.
func fields(s string) []span { return appendFields(nil, s, -1) }

// trimBlank returns b without leading and trailing blanks, and the offset
// of its first byte in b.
func trimBlank(b []byte) ([]byte, int) {
	s, e := 0, len(b)
	for s < e && isBlank(b[s]) {
		s++
	}
	for e > s && isBlank(b[e-1]) {
		e--
	}
	return b[s:e], s
}

// months are the English month abbreviations of syslog, ps, uname and AIX
// mount dates.
var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// hasMonthPrefix reports whether s starts with a month abbreviation
// ("Jan 12 ..." of a syslog line).
func hasMonthPrefix[S text](s S) bool {
	if len(s) < 3 {
		return false
	}
	i := monthAt[monthKey(s[0], s[1], s[2])]
	return i > 0 && s[0] == months[i-1][0] && s[1] == months[i-1][1] && s[2] == months[i-1][2]
}

// monthKey packs the low five bits of three bytes: a month's letters
// differ there, so monthAt tells the one month three bytes may be in one
// look-up, where trying the twelve in turn was 1 % of a large bundle's
// parse (a log's every line asks).
func monthKey(a, b, c byte) uint16 { return uint16(a&31)<<10 | uint16(b&31)<<5 | uint16(c&31) }

// monthAt has, at each month's key, its index in months plus 1.
var monthAt = func() (t [1 << 15]uint8) {
	for i, m := range months {
		t[monthKey(m[0], m[1], m[2])] = uint8(i + 1)
	}
	return t
}()

// isMonth reports whether s is exactly a month abbreviation (a ps or AIX
// mount date cell).
func isMonth[S text](s S) bool { return len(s) == 3 && hasMonthPrefix(s) }

// shorten cuts s to at most max bytes plus "...", never inside a
// character, so a warning quoting a long line stays readable.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// excerpt is a line as the system-table parsers quote it in a warning:
// at most 80 bytes.
func excerpt(s string) string { return shorten(s, 80) }

// quotedExcerpt is a line as the process and kernel parsers quote it in a
// warning: trimmed, at most 120 bytes, in double quotes.
func quotedExcerpt(s string) string {
	return `"` + shorten(strings.TrimSpace(s), 120) + `"`
}
