package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// Linux mount(8) output: "SOURCE on TARGET type FSTYPE (OPTIONS) [LABEL]".
// Paths are printed unescaped, so a mount point may hold spaces and even
// the words " on " or " type "; the line is anchored on its last
// " type FSTYPE (...)" as FORMATS.md §1 says.

// mountFlatNames are collector file names that may hold any mount table
// variant; content sniffing picks the variant.
var mountFlatNames = []string{
	"mount", "mount.out", "mount.txt", "mount.log", "mounts.txt", "mounts.out",
	"mount-l.out", "mount-l.txt", "mount_-l", "mount_-l.*",
}

func init() {
	Register(&Parser{
		Name: "mount",
		Kind: KindMount,
		Doc:  "Linux `mount` / `mount -l` output: SOURCE on TARGET type FSTYPE (OPTIONS) [LABEL].",
		Paths: append([]string{
			"sos_commands/filesys/mount_-l", "sos_commands/filesys/mount",
			"insights_commands/mount", "insights_commands/mount_-l",
		}, mountFlatNames...),
		Sniff: sniffMount,
		Parse: parseMount,
	})
}

// sniffMount accepts a head whose first non-blank lines all read as mount(8)
// lines.
func sniffMount(h *Head) bool {
	lines := h.nonBlankRows(10)
	if len(lines) == 0 {
		return false
	}
	for _, l := range lines {
		if _, ok := splitMountLine(l); !ok {
			return false
		}
	}
	return true
}

// mountLine is one parsed mount(8) line.
type mountLine struct {
	dev, path, fstype, label string
	opts                     []string
}

// splitMountLine parses one mount(8) line.
func splitMountLine(s string) (mountLine, bool) {
	var m mountLine
	s = strings.TrimRight(s, " \t")
	rest := s
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndex(s, ") ["); i >= 0 {
			m.label = s[i+3 : len(s)-1]
			rest = s[:i+1]
		}
	}
	if !strings.HasSuffix(rest, ")") {
		return m, false
	}
	// The last " type X (" whose X has no space and whose "(" opens the
	// option list that ends the line.
	end := len(rest)
	for end > 0 {
		i := strings.LastIndex(rest[:end], " type ")
		if i < 0 {
			return m, false
		}
		after := rest[i+6:]
		sp := strings.Index(after, " (")
		if sp > 0 && !strings.ContainsAny(after[:sp], " \t") {
			left := rest[:i]
			on := strings.Index(left, " on ")
			if on > 0 {
				m.dev = left[:on]
				m.path = left[on+4:]
				m.fstype = after[:sp]
				m.opts = splitMountOptions(after[sp+2 : len(after)-1])
				if m.path != "" {
					return m, true
				}
			}
		}
		end = i
	}
	return m, false
}

func parseMount(in *Input, out *model.Model) {
	for in.Next() {
		t := in.Text()
		if strings.TrimSpace(t) == "" {
			continue
		}
		m, ok := splitMountLine(t)
		if !ok {
			in.Warnf("not a mount line (expected \"SOURCE on TARGET type FSTYPE (OPTIONS)\"): %q", excerpt(t))
			continue
		}
		out.Mounts = append(out.Mounts, model.Mount{
			Device: m.dev, Path: m.path, FSType: m.fstype, Options: m.opts,
			Label: m.label, Format: "mount", Src: in.Src(),
		})
	}
}
