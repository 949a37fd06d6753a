// Package wording holds the small helpers that put numbers into English
// for people: counts with their noun, sizes in binary units. Every message
// and report uses these, so the same quantity reads the same everywhere.
package wording

import "strconv"

// Plural says "1 event" or "3 events": the count with the noun form that
// fits it.
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Count writes a count with thousands separators: "149,980".
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Bytes formats a size for people: "512 B", "16 MiB" for an exact
// multiple (a limit reads as it was set), "1.5 KiB" otherwise.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	suffix := " " + string("KMGTPE"[exp]) + "iB"
	if n%div == 0 {
		return strconv.FormatInt(n/div, 10) + suffix
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + suffix
}
