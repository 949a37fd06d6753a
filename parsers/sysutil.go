package parsers

import (
	"strings"
)

// Helpers shared by the system-artifact parsers (mount tables, df, ps,
// packages, host). Names carry a "sys" prefix because other engineers add
// files to this package at the same time.

// sysUnescapeOctal decodes the kernel's octal escapes (\040 space, \011 tab,
// \012 newline, \134 backslash) used in /proc/mounts and mountinfo fields.
// Anything that is not a valid three-digit escape is kept as it is.
func sysUnescapeOctal(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && sysIsOctal(s, i+1) {
			v := (int(s[i+1]-'0') << 6) | (int(s[i+2]-'0') << 3) | int(s[i+3]-'0')
			if v <= 0xff {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// sysIsOctal reports whether s has three octal digits at i.
func sysIsOctal(s string, i int) bool {
	if i+3 > len(s) {
		return false
	}
	for j := i; j < i+3; j++ {
		if s[j] < '0' || s[j] > '7' {
			return false
		}
	}
	return true
}

// sysSplitOptions splits a mount option list on the commas that are outside
// double quotes, so an SELinux context="a:b:s0:c1,c2" stays one option.
// Empty items (",,") are dropped.
func sysSplitOptions(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				if i > start {
					out = append(out, s[start:i])
				}
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// sysSpan is the byte range of one whitespace-separated field of a line.
type sysSpan struct{ start, end int }

// sysSpans splits a line on runs of spaces and tabs, keeping where each
// field starts, so that a parser can take "the rest of the line" from a
// field on (a command line, a mount point with spaces).
func sysSpans(s string) []sysSpan {
	var out []sysSpan
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		out = append(out, sysSpan{i, j})
		i = j
	}
	return out
}

// sysDigits reports whether s is a non-empty run of ASCII digits.
func sysDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sysAtoi converts a string of digits, up to 9 of them so it cannot
// overflow; ok is false for anything else.
func sysAtoi(s string) (int, bool) {
	if !sysDigits(s) || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// sysMonths are the month abbreviations of ps, AIX mount and uname dates.
var sysMonths = map[string]bool{
	"Jan": true, "Feb": true, "Mar": true, "Apr": true, "May": true, "Jun": true,
	"Jul": true, "Aug": true, "Sep": true, "Oct": true, "Nov": true, "Dec": true,
}

// sysHeadLines returns up to n non-blank lines of the head, untrimmed on
// the left (column layouts depend on leading spaces) but right-trimmed.
func sysHeadLines(h *Head, n int) []string {
	var out []string
	for _, l := range h.Lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			continue
		}
		out = append(out, l)
		if len(out) == n {
			break
		}
	}
	return out
}

// sysShort shortens a line for a warning message.
func sysShort(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	// Cut on a rune boundary.
	cut := max
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
