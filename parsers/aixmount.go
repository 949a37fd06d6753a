package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// AIX mount(1) output (FORMATS.md §5): two header lines ("node mounted
// mounted over vfs date options" and dashes), then rows
// "[node] mounted mountedover vfs Mon DD HH:MM [options]". Long names
// break the column alignment, so rows are split on whitespace and anchored
// on the date.

func init() {
	Register(&Parser{
		Name:  "aix-mount",
		Kind:  KindMount,
		Doc:   "AIX mount table: node, mounted, mounted over, vfs, date, options.",
		Paths: []string{"aix_mount*", "aix-mount*", "mount_aix*", "filesys/mount*"},
		Sniff: sniffAIXMount,
		Parse: parseAIXMount,
	})
}

func sniffAIXMount(h *Head) bool {
	lines := h.nonBlankRows(6)
	for i := 0; i+1 < len(lines); i++ {
		if aixMountHeader(lines[i]) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "---") {
			return true
		}
	}
	return false
}

func aixMountHeader(l string) bool {
	return strings.Contains(l, "mounted over") && strings.Contains(l, "vfs")
}

func parseAIXMount(in *Input, out *model.Model) {
	for in.Next() {
		t := in.Text()
		trimmed := strings.TrimSpace(t)
		if trimmed == "" || aixMountHeader(t) || strings.Trim(trimmed, "- ") == "" {
			continue
		}
		f := strings.Fields(t)
		date := -1
		for i := 2; i+2 < len(f); i++ {
			if isMonth(f[i]) && len(f[i+1]) <= 2 && allDigits(f[i+1]) && aixClock(f[i+2]) {
				date = i
				break
			}
		}
		if date < 0 {
			in.Warnf("AIX mount row without a \"Mon DD HH:MM\" date: %q", excerpt(t))
			continue
		}
		m := model.Mount{Format: "aix-mount", Src: in.Src(), Date: strings.Join(f[date:date+3], " ")}
		switch date {
		case 3:
			m.Device, m.Path, m.FSType = f[0], f[1], f[2]
		case 4:
			m.Node, m.Device, m.Path, m.FSType = f[0], f[1], f[2], f[3]
		default:
			in.Warnf("expected [node] mounted mounted-over vfs before the date, found %d fields: %q", date, excerpt(t))
			continue
		}
		if date+3 < len(f) {
			m.Options = splitMountOptions(strings.Join(f[date+3:], " "))
		}
		out.Mounts = append(out.Mounts, m)
	}
}

// aixClock reports whether s reads as H:MM or HH:MM.
func aixClock(s string) bool {
	i := strings.IndexByte(s, ':')
	return i >= 1 && i <= 2 && len(s)-i == 3 && allDigits(s[:i]) && allDigits(s[i+1:])
}
