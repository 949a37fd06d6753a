package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// /proc/mounts (also /proc/self/mounts and /etc/mtab): six fields
// "SOURCE TARGET FSTYPE OPTIONS 0 0" with whitespace and backslashes in
// fields octal-escaped (FORMATS.md §2).

func init() {
	Register(&Parser{
		Name: "proc-mounts",
		Kind: KindMount,
		Doc:  "/proc/mounts, /proc/self/mounts and /etc/mtab: SOURCE TARGET FSTYPE OPTIONS 0 0, octal escapes decoded.",
		Paths: []string{
			"proc/mounts", "proc/self/mounts", "proc/*/mounts", "etc/mtab",
			"mtab", "proc_mounts", "proc_mounts.*", "proc-mounts.*",
		},
		Sniff: sniffProcMounts,
		Parse: parseProcMounts,
	})
}

// sniffProcMounts accepts a head whose first line and most of the next ones
// have six fields ending in "0 0" (the last line may be truncated).
func sniffProcMounts(h *Head) bool {
	lines := h.nonBlankRows(10)
	if len(lines) == 0 {
		return false
	}
	good := 0
	for i, l := range lines {
		f := strings.Fields(l)
		ok := len(f) == 6 && f[4] == "0" && f[5] == "0"
		if i == 0 && !ok {
			return false
		}
		if ok {
			good++
		}
	}
	return good*10 >= len(lines)*8
}

func parseProcMounts(in *Input, out *model.Model) {
	for in.Next() {
		t := in.Text()
		f := strings.Fields(t)
		switch {
		case len(f) == 0:
			continue
		case len(f) < 4 || len(f) > 6:
			in.Warnf("expected 6 fields \"SOURCE TARGET FSTYPE OPTIONS 0 0\", found %d: %q", len(f), excerpt(t))
			continue
		case len(f) < 6:
			in.Warnf("line truncated: %d of 6 fields (dump and pass columns missing); mount kept", len(f))
		}
		out.Mounts = append(out.Mounts, model.Mount{
			Device:  unescapeOctal(f[0]),
			Path:    unescapeOctal(f[1]),
			FSType:  unescapeOctal(f[2]),
			Options: splitMountOptions(unescapeOctal(f[3])),
			Format:  "proc-mounts",
			Src:     in.Src(),
		})
	}
}
