// Package pathglob holds the one glob matcher for paths inside a bundle,
// shared by the parser registry (which file is which artifact) and the
// `lines:` collectors of rules (which files a rule reads), so that a
// pattern means the same thing wherever it is written.
//
// A pattern is a list of path.Match globs, one per path component, matched
// against the trailing components of a bundle path: "proc/mounts" matches
// "sosreport-h-1/proc/mounts". A leading "/" anchors the pattern at the
// bundle root; a leading "**/" is allowed and means the same as none.
//
// Matching is case-insensitive, always. Bundles come from many collectors
// and archive tools, some of which change the case of names (a zip made on
// Windows, an AIX snap copied through a share); a pattern that missed
// "DMESG" would leave an artifact unread, and nothing unread may be
// reported as healthy. No shipped format depends on case to tell two
// artifacts apart.
package pathglob

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// Pattern is a compiled glob. The zero Pattern matches nothing.
type Pattern struct {
	text  string
	comps []string // lower-cased components, "**" prefix removed
	root  bool     // anchored at the bundle root
	lit   int      // literal characters, for Score
}

// Compile checks a glob and prepares it for matching. The error says what
// is wrong in words a rule author or parser writer can act on.
func Compile(glob string) (Pattern, error) {
	if strings.TrimSpace(glob) == "" {
		return Pattern{}, fmt.Errorf("empty glob")
	}
	p := Pattern{text: glob}
	g := glob
	if strings.HasPrefix(g, "/") {
		p.root = true
		g = strings.TrimLeft(g, "/")
	}
	parts := strings.Split(g, "/")
	for len(parts) > 0 && parts[0] == "**" && !p.root {
		parts = parts[1:]
	}
	if len(parts) == 0 {
		return Pattern{}, fmt.Errorf("glob %q names no file", glob)
	}
	for _, c := range parts {
		if c == "" || c == "." || c == ".." {
			return Pattern{}, fmt.Errorf("glob %q has an empty, \".\" or \"..\" component", glob)
		}
		if strings.Contains(c, "**") {
			return Pattern{}, fmt.Errorf("glob %q: \"**\" is only allowed as the leading component", glob)
		}
		if _, err := path.Match(c, ""); err != nil {
			return Pattern{}, fmt.Errorf("glob %q: malformed pattern %q (unclosed [ or trailing \\)", glob, c)
		}
		lc := strings.ToLower(c)
		p.comps = append(p.comps, lc)
		for _, r := range lc {
			if r != '*' && r != '?' && r != '[' && r != ']' {
				p.lit++
			}
		}
	}
	return p, nil
}

// MustCompile is Compile for patterns written in the program's own source;
// it panics on a malformed one.
func MustCompile(glob string) Pattern {
	p, err := Compile(glob)
	if err != nil {
		panic("pathglob: " + err.Error())
	}
	return p
}

// String is the glob as written.
func (p Pattern) String() string { return p.text }

// Match reports whether the bundle path name is one the pattern names.
func (p Pattern) Match(name string) bool { return p.Score(name) > 0 }

// Score is 0 when the pattern does not match name, otherwise a number that
// grows with how specific the pattern is: more components first, then more
// literal characters. The parser registry lets the most specific pattern
// decide a file's kind.
func (p Pattern) Score(name string) int { return p.ScoreName(Split(name)) }

// A Name is a bundle path prepared for matching: cleaned, lower-cased and
// split into components. The parser registry scores every file's path
// against every pattern it knows; splitting the path once instead of once
// per pattern was a tenth of the CPU of a batch of small bundles.
type Name struct{ comps []string }

// Split prepares a bundle path for ScoreName.
func Split(name string) Name {
	name = strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(name)), "/")
	return Name{comps: strings.Split(strings.ToLower(name), "/")}
}

// ScoreName is Score for a path already split.
func (p Pattern) ScoreName(n Name) int {
	comps := n.comps
	if len(p.comps) == 0 || len(comps) < len(p.comps) || (p.root && len(comps) != len(p.comps)) {
		return 0
	}
	comps = comps[len(comps)-len(p.comps):]
	for i, g := range p.comps {
		if ok, err := path.Match(g, comps[i]); err != nil || !ok {
			return 0
		}
	}
	return len(p.comps)*1000 + p.lit
}
