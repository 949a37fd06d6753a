package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// /proc/<pid>/mountinfo: "ID PARENT MAJ:MIN ROOT TARGET MNT_OPTS
// [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTS" (FORMATS.md §3). The optional
// fields end at a lone "-"; collectors may truncate SUPER_OPTS.

func init() {
	Register(&Parser{
		Name: "mountinfo",
		Kind: KindMount,
		Doc:  "/proc/<pid>/mountinfo: mount ids, parent ids, bind roots, propagation tags; octal escapes decoded.",
		Paths: []string{
			"proc/self/mountinfo", "proc/*/mountinfo", "mountinfo", "mountinfo.*",
			"proc_self_mountinfo*",
		},
		Sniff: sniffMountinfo,
		Parse: parseMountinfo,
	})
}

// sniffMountinfo accepts a head whose first non-blank lines start with two
// numbers and MAJ:MIN and have a lone "-" later.
func sniffMountinfo(h *Head) bool {
	lines := h.nonBlankRows(10)
	if len(lines) == 0 {
		return false
	}
	for _, l := range lines {
		if _, _, ok := splitMountinfo(l); !ok {
			return false
		}
	}
	return true
}

// splitMountinfo parses one line; short says the line ends before the
// source or the superblock options.
func splitMountinfo(t string) (m model.Mount, short, ok bool) {
	f := strings.Fields(t)
	if len(f) < 7 {
		return m, false, false
	}
	id, ok1 := atoi(f[0])
	parent, ok2 := atoi(f[1])
	if !ok1 || !ok2 || !isMajMin(f[2]) {
		return m, false, false
	}
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || sep+1 >= len(f) {
		return m, false, false
	}
	m.ID, m.ParentID, m.MajMin = id, parent, f[2]
	m.Root = unescapeOctal(f[3])
	m.Path = unescapeOctal(f[4])
	m.Options = splitMountOptions(unescapeOctal(f[5]))
	m.Propagation = strings.Join(f[6:sep], " ")
	m.FSType = unescapeOctal(f[sep+1])
	if sep+2 < len(f) {
		m.Device = unescapeOctal(f[sep+2])
	}
	if sep+3 < len(f) {
		seen := map[string]bool{}
		for _, o := range m.Options {
			seen[o] = true
		}
		for _, o := range splitMountOptions(unescapeOctal(strings.Join(f[sep+3:], " "))) {
			if !seen[o] {
				seen[o] = true
				m.Options = append(m.Options, o)
			}
		}
	}
	m.Format = "mountinfo"
	return m, sep+3 >= len(f), true
}

// isMajMin reports whether s reads as a device number "MAJ:MIN".
func isMajMin(s string) bool {
	i := strings.IndexByte(s, ':')
	return i > 0 && allDigits(s[:i]) && allDigits(s[i+1:])
}

func parseMountinfo(in *Input, out *model.Model) {
	for in.Next() {
		t := in.Text()
		if strings.TrimSpace(t) == "" {
			continue
		}
		m, short, ok := splitMountinfo(t)
		if !ok {
			in.Warnf("not a mountinfo line (expected \"ID PARENT MAJ:MIN ROOT TARGET OPTS [TAGS] - FSTYPE SOURCE OPTS\"): %q", excerpt(t))
			continue
		}
		if short {
			in.Warnf("line truncated: source or superblock options missing after the \"-\" separator; mount kept")
		}
		m.Src = in.Src()
		out.Mounts = append(out.Mounts, m)
	}
}
