package bundle

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name limits: longer names come from no real file system and only serve to
// flood a report.
const (
	maxNameBytes      = 4096
	maxComponentBytes = 255
	maxDisplayRunes   = 300
	maxLinkHops       = 8
)

// Escape makes a name from a bundle safe to print on a terminal or in any
// report: control characters, terminal escapes and invalid UTF-8 become Go
// escapes (\x1b, \x00, \xff), backslashes are doubled, and very long names
// are cut with an ellipsis. Printable Unicode is kept as is.
func Escape(s string) string {
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	q = strings.ReplaceAll(q, `\"`, `"`)
	if utf8.RuneCountInString(q) > maxDisplayRunes {
		r := []rune(q)
		q = string(r[:maxDisplayRunes]) + "…"
	}
	return q
}

// cleanName turns a stored entry name into a clean relative slash path, or
// says why the name is refused. "" with no problem is the archive root (".").
func cleanName(raw string) (string, string) {
	if raw == "" {
		return "", "empty name"
	}
	if len(raw) > maxNameBytes {
		return "", fmt.Sprintf("name longer than %d bytes", maxNameBytes)
	}
	for _, r := range raw {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return "", "control or format character in name"
		}
	}
	if strings.ContainsRune(raw, '\\') {
		return "", "backslash in name"
	}
	if len(raw) >= 2 && raw[1] == ':' && isASCIILetter(raw[0]) {
		return "", "drive letter in name"
	}
	if strings.HasPrefix(raw, "/") {
		return "", "absolute name"
	}
	parts := strings.Split(raw, "/")
	out := parts[:0]
	for _, p := range parts {
		switch {
		case p == "" || p == ".":
			continue
		case p == "..":
			return "", `".." in name`
		case len(p) > maxComponentBytes:
			return "", fmt.Sprintf("name component longer than %d bytes", maxComponentBytes)
		}
		out = append(out, p)
	}
	return strings.Join(out, "/"), ""
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// sanitizeUTF8 writes each byte of s that is not valid UTF-8 as \xNN.
func sanitizeUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// resolveLink follows the symlink name -> target through the symlinks met so
// far in the same archive (links, keyed by clean name), a few hops at most.
// It returns the resolved clean path, or why it cannot be followed: it points
// outside the bundle, or it loops.
func resolveLink(links map[string]string, name, target string) (string, string) {
	if target == "" {
		return "", "empty link target"
	}
	if isAbsName(target) {
		return "", "points outside the bundle (absolute target " + Escape(target) + ")"
	}
	comps := append(splitPath(path.Dir(name)), splitPath(target)...)
	var cur []string
	hops := 0
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", "points outside the bundle (" + Escape(target) + ")"
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, c)
		t, ok := links[strings.Join(cur, "/")]
		if !ok {
			continue
		}
		hops++
		if hops > maxLinkHops {
			return "", fmt.Sprintf("is a symlink loop or a chain of more than %d links", maxLinkHops)
		}
		if isAbsName(t) {
			return "", "points outside the bundle through the symlink " + Escape(strings.Join(cur, "/"))
		}
		cur = cur[:len(cur)-1]
		comps = append(splitPath(t), comps...)
	}
	return strings.Join(cur, "/"), ""
}

func isAbsName(s string) bool {
	return strings.HasPrefix(s, "/") || strings.ContainsRune(s, '\\') ||
		len(s) >= 2 && s[1] == ':' && isASCIILetter(s[0])
}

func splitPath(p string) []string {
	if p == "." || p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// joinPath joins the in-bundle path of an archive and a clean inner name.
func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	if name == "" {
		return prefix
	}
	return prefix + "/" + name
}
