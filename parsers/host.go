package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// Host identity: `uname -a` (Linux or AIX), `hostname` and AIX `oslevel`,
// as collected by sos (uname, hostname, sos_commands/kernel/uname_-a,
// sos_commands/general/hostname), insights or by hand. Each fills
// Model.Host and records the lines it used in Host.Sources.

func init() {
	Register(&Parser{
		Name: "uname",
		Kind: KindHost,
		Doc:  "uname -a (or uname, uname -r): operating system, host name, kernel release, architecture.",
		Paths: []string{
			"uname", "uname.out", "uname.txt", "uname_-a", "uname-a.*", "uname_-a.*",
			"sos_commands/kernel/uname_-a", "insights_commands/uname_-a",
		},
		Sniff: sniffUname,
		Parse: parseUname,
	})
	Register(&Parser{
		Name: "hostname",
		Kind: KindHost,
		Doc:  "hostname output or /etc/hostname: the host's name.",
		Paths: []string{
			"hostname", "hostname.out", "hostname.txt", "hostname_*", "etc/hostname",
			"sos_commands/general/hostname", "sos_commands/host/hostname", "sos_commands/host/hostname_*",
			"insights_commands/hostname*",
		},
		Parse: parseHostname,
	})
	Register(&Parser{
		Name:  "oslevel",
		Kind:  KindHost,
		Doc:   "AIX oslevel (7.2.0.0) or oslevel -s (7200-05-03-2148): the AIX level.",
		Paths: []string{"oslevel", "oslevel*"},
		Sniff: sniffOslevel,
		Parse: parseOslevel,
	})
}

func sniffUname(h *Head) bool {
	lines := h.nonBlankRows(3)
	if len(lines) != 1 {
		return false
	}
	_, ok := splitUname(lines[0])
	return ok
}

// splitUname reads one uname line into a Host.
func splitUname(l string) (model.Host, bool) {
	var h model.Host
	f := strings.Fields(l)
	if len(f) == 0 {
		return h, false
	}
	switch {
	case f[0] == "Linux" && len(f) >= 3 && f[2] != "" && f[2][0] >= '0' && f[2][0] <= '9':
		h.OS, h.Hostname, h.Kernel = "Linux", f[1], f[2]
		// The line ends "MACHINE [PROCESSOR HARDWARE-PLATFORM] [GNU/Linux]"
		// (-m -p -i -o): the machine is the first of the trailing names.
		end := len(f)
		if f[end-1] == "GNU/Linux" {
			end--
		}
		first := end
		for first > 3 && end-first < 3 && unameArch(f[first-1]) {
			first--
		}
		if len(f) >= 5 && first < end {
			h.Arch = f[first]
		}
		return h, true
	case f[0] == "AIX" && len(f) >= 4 && allDigits(f[2]) && allDigits(f[3]):
		// AIX uname -a: "AIX host RELEASE VERSION MACHINEID".
		h.OS, h.Hostname, h.Kernel = "AIX", f[1], f[3]+"."+f[2]
		return h, true
	case len(f) == 1 && (f[0] == "Linux" || f[0] == "AIX"):
		h.OS = f[0]
		return h, true
	case len(f) == 1 && unameRelease(f[0]):
		// uname -r alone.
		h.OS, h.Kernel = "Linux", f[0]
		return h, true
	}
	return h, false
}

// unameArch reports whether s is a machine name uname prints.
func unameArch(s string) bool {
	switch s {
	case "x86_64", "i386", "i486", "i586", "i686", "aarch64", "arm64", "armv7l", "ppc64", "ppc64le", "s390x", "riscv64", "mips64", "unknown":
		return true
	}
	return false
}

// unameRelease reports whether s reads as a Linux kernel release
// (4.18.0-348.el8.x86_64, 5.4.0-42-generic).
func unameRelease(s string) bool {
	parts := strings.SplitN(s, ".", 3)
	return len(parts) == 3 && allDigits(parts[0]) && allDigits(parts[1]) && len(s) > 0 && s[len(s)-1] != '.'
}

func parseUname(in *Input, out *model.Model) {
	for in.Next() {
		t := strings.TrimSpace(in.Text())
		if t == "" {
			continue
		}
		h, ok := splitUname(t)
		if !ok {
			in.Warnf("expected `uname -a` output (\"Linux HOST RELEASE ...\" or \"AIX HOST R V ID\"): %q", excerpt(t))
			continue
		}
		h.Sources = []model.Source{in.Src()}
		hostFill(&out.Host, h)
	}
}

// hostFill sets the fields of dst that are still empty and records the
// source lines, as Model.Merge does between files.
func hostFill(dst *model.Host, h model.Host) {
	set := func(d *string, s string) {
		if *d == "" {
			*d = s
		}
	}
	set(&dst.Hostname, h.Hostname)
	set(&dst.OS, h.OS)
	set(&dst.Kernel, h.Kernel)
	set(&dst.Arch, h.Arch)
	set(&dst.OSVersion, h.OSVersion)
	dst.Sources = append(dst.Sources, h.Sources...)
}

func parseHostname(in *Input, out *model.Model) {
	seen := false
	for in.Next() {
		t := strings.TrimSpace(in.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Fields(t)
		if seen || len(f) != 1 || !hostnameOK(f[0]) {
			in.Warnf("expected one host name on one line: %q", excerpt(t))
			continue
		}
		seen = true
		hostFill(&out.Host, model.Host{Hostname: f[0], Sources: []model.Source{in.Src()}})
	}
}

// hostnameOK accepts letters, digits, '-', '_' and '.' (a short name or a
// fully qualified one).
func hostnameOK(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func sniffOslevel(h *Head) bool {
	lines := h.nonBlankRows(2)
	return len(lines) == 1 && oslevelOK(strings.TrimSpace(lines[0]))
}

// oslevelOK accepts "7.2.0.0" (oslevel, oslevel -r "7200-05") and
// "7200-05-03-2148" (oslevel -s).
func oslevelOK(s string) bool {
	if p := strings.Split(s, "."); len(p) == 4 {
		for _, x := range p {
			if !allDigits(x) {
				return false
			}
		}
		return true
	}
	p := strings.Split(s, "-")
	if len(p) < 2 || len(p) > 4 || len(p[0]) != 4 {
		return false
	}
	for _, x := range p {
		if !allDigits(x) {
			return false
		}
	}
	return true
}

func parseOslevel(in *Input, out *model.Model) {
	for in.Next() {
		t := strings.TrimSpace(in.Text())
		if t == "" {
			continue
		}
		if !oslevelOK(t) {
			in.Warnf("expected an AIX level such as 7.2.0.0 or 7200-05-03-2148: %q", excerpt(t))
			continue
		}
		hostFill(&out.Host, model.Host{OS: "AIX", OSVersion: t, Sources: []model.Source{in.Src()}})
	}
}
