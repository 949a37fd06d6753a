package parsers

import (
	"strings"
)

// Decoding of the fields of mount tables (/proc/mounts, mountinfo, findmnt):
// kernel octal escapes and quoted option lists.

// unescapeOctal decodes the kernel's octal escapes (\040 space, \011 tab,
// \012 newline, \134 backslash) used in /proc/mounts and mountinfo fields.
// Anything that is not a valid three-digit escape is kept as it is.
func unescapeOctal(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && octalAt(s, i+1) {
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

// octalAt reports whether s has three octal digits at i.
func octalAt(s string, i int) bool {
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

// splitMountOptions splits a mount option list on the commas that are outside
// double quotes, so an SELinux context="a:b:s0:c1,c2" stays one option.
// Empty items (",,") are dropped.
func splitMountOptions(s string) []string {
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
