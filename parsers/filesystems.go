package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// /proc/filesystems (FORMATS.md §12): "nodev<TAB>NAME" for virtual
// filesystems, "<TAB>NAME" for block-device-backed ones. A filesystem
// module that is loaded (fuse, an agent's stacked fs) adds a line.

func init() {
	Register(&Parser{
		Name:  "proc-filesystems",
		Kind:  KindFilesystems,
		Doc:   "/proc/filesystems: filesystem types registered with the kernel and whether they need a device.",
		Paths: []string{"proc/filesystems", "proc_filesystems", "proc_filesystems.*", "filesystems", "filesystems.*"},
		Sniff: sniffFilesystems,
		Parse: parseFilesystems,
	})
}

func sniffFilesystems(h *Head) bool {
	n := 0
	for _, l := range h.Lines {
		if l == "" {
			continue
		}
		if _, _, ok := splitFilesystem(l); !ok || !strings.Contains(l, "\t") {
			return false
		}
		if n++; n == 10 {
			break
		}
	}
	return n >= 2
}

func splitFilesystem(l string) (name string, nodev, ok bool) {
	f := strings.Fields(l)
	switch {
	case len(f) == 2 && f[0] == "nodev":
		return f[1], true, true
	case len(f) == 1 && (l[0] == '\t' || l[0] == ' '):
		return f[0], false, true
	case len(f) == 1 && f[0] != "nodev":
		// A collector that trimmed the leading tab.
		return f[0], false, true
	}
	return "", false, false
}

func parseFilesystems(in *Input, out *model.Model) {
	for in.Next() {
		t := in.Text()
		if strings.TrimSpace(t) == "" {
			continue
		}
		name, nodev, ok := splitFilesystem(t)
		if !ok {
			in.Warnf("expected \"nodev<TAB>NAME\" or \"<TAB>NAME\": %q", excerpt(t))
			continue
		}
		out.Filesystems = append(out.Filesystems, model.Filesystem{Name: name, NoDev: nodev, Src: in.Src()})
	}
}
