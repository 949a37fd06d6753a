package parsers

import (
	"encoding/json"
	"strings"

	"github.com/fsagent/triage/model"
)

// Installed-package lists: `rpm -qa` (name-version-release.arch), sos's
// installed-rpms (the same followed by the install date) and insights'
// JSON lines, `dpkg -l` (status, name, version, architecture,
// description) and AIX `lslpp -L` (fileset, level, state, type,
// description).

func init() {
	Register(&Parser{
		Name: "rpm",
		Kind: KindPackages,
		Doc:  "rpm -qa, sos installed-rpms and insights JSON package lines.",
		Paths: []string{
			"installed-rpms", "installed_rpms", "sos_commands/rpm/*", "insights_commands/rpm_-qa*",
			"rpm-qa*", "rpm_-qa*", "rpm.out", "rpm.txt", "rpms.txt", "rpmlist*",
		},
		Sniff: sniffRPM,
		Parse: parseRPM,
	})
	Register(&Parser{
		Name: "dpkg",
		Kind: KindPackages,
		Doc:  "dpkg -l: Debian and Ubuntu packages with their status codes.",
		Paths: []string{
			"sos_commands/dpkg/dpkg_-l*", "insights_commands/dpkg_-l*", "dpkg-l*", "dpkg_-l*", "dpkg.out", "dpkg.txt",
		},
		Sniff: sniffDpkg,
		Parse: parseDpkg,
	})
	Register(&Parser{
		Name:  "lslpp",
		Kind:  KindPackages,
		Doc:   "AIX lslpp -L: filesets and RPMs with level and state.",
		Paths: []string{"lslpp*", "lslpp_-l*", "lslpp-l*"},
		Sniff: sniffLslpp,
		Parse: parseLslpp,
	})
}

// rpmArches are the architecture suffixes of rpm package names.
var rpmArches = map[string]bool{
	"x86_64": true, "noarch": true, "i386": true, "i486": true, "i586": true, "i686": true,
	"aarch64": true, "ppc": true, "ppc64": true, "ppc64le": true, "s390": true, "s390x": true,
	"armv7hl": true, "armv7l": true, "src": true, "ia64": true, "athlon": true,
}

// splitNVRA splits name-version-release[.arch]; ok is false when the word
// has fewer than three dash-separated parts.
func splitNVRA(s string) (name, version, arch string, ok bool) {
	if i := strings.LastIndexByte(s, '.'); i > 0 && rpmArches[s[i+1:]] {
		s, arch = s[:i], s[i+1:]
	}
	r := strings.LastIndexByte(s, '-')
	if r <= 0 {
		return "", "", "", false
	}
	v := strings.LastIndexByte(s[:r], '-')
	if v <= 0 || v+1 == r || r+1 == len(s) {
		return "", "", "", false
	}
	return s[:v], s[v+1:], arch, true
}

func sniffRPM(h *Head) bool {
	lines := h.nonBlankRows(10)
	if len(lines) == 0 {
		return false
	}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "{") && strings.Contains(l, `"name"`) {
			continue
		}
		f := strings.Fields(l)
		if _, _, arch, ok := splitNVRA(f[0]); !ok || arch == "" && !strings.HasPrefix(f[0], "gpg-pubkey-") {
			return false
		}
	}
	return true
}

// rpmJSON is one line of insights' installed-rpms JSON form.
type rpmJSON struct {
	Name    string `json:"name"`
	Epoch   string `json:"epoch"`
	Version string `json:"version"`
	Release string `json:"release"`
	Arch    string `json:"arch"`
}

// isRPMTableHeader recognises the header of supportconfig's package table
// (rpm -qa --queryformat "%-35{NAME} %-35{DISTRIBUTION} %{VERSION}-%{RELEASE}").
func isRPMTableHeader(f []string) bool {
	return len(f) == 3 && f[0] == "NAME" && f[1] == "DISTRIBUTION" && f[2] == "VERSION"
}

func parseRPM(in *Input, out *model.Model) {
	table := false // inside supportconfig's NAME DISTRIBUTION VERSION table
	for in.Next() {
		t := strings.TrimSpace(in.Text())
		if t == "" {
			continue
		}
		if f := strings.Fields(t); isRPMTableHeader(f) {
			table = true
			continue
		} else if table {
			// NAME, then the distribution (several words, or "(none)"),
			// then version-release: the name and the last word.
			if len(f) < 3 {
				in.Warnf("expected NAME DISTRIBUTION VERSION-RELEASE: %q", excerpt(t))
				continue
			}
			out.Packages = append(out.Packages, model.Package{Name: f[0], Version: f[len(f)-1], Manager: "rpm", Src: in.Src()})
			continue
		}
		if strings.HasPrefix(t, "{") {
			var j rpmJSON
			if err := json.Unmarshal(in.Bytes(), &j); err != nil {
				in.Warnf("JSON package line: %v", err)
				continue
			}
			if j.Name == "" {
				in.Warnf("JSON package line without a name: %q", excerpt(t))
				continue
			}
			v := j.Version
			if j.Release != "" {
				v += "-" + j.Release
			}
			if j.Epoch != "" && j.Epoch != "(none)" {
				v = j.Epoch + ":" + v
			}
			out.Packages = append(out.Packages, model.Package{Name: j.Name, Version: v, Arch: j.Arch, Manager: "rpm", Src: in.Src()})
			continue
		}
		f := strings.Fields(t)
		word := f[0]
		// sos writes "name-ver-rel.arch~~date" before reformatting; accept it.
		if i := strings.Index(word, "~~"); i > 0 {
			word = word[:i]
		}
		name, version, arch, ok := splitNVRA(word)
		if !ok {
			in.Warnf("expected an rpm name-version-release[.arch] first word: %q", excerpt(t))
			continue
		}
		out.Packages = append(out.Packages, model.Package{Name: name, Version: version, Arch: arch, Manager: "rpm", Src: in.Src()})
	}
}

func sniffDpkg(h *Head) bool {
	for _, l := range h.nonBlankRows(6) {
		if strings.HasPrefix(l, "Desired=Unknown/Install") || strings.HasPrefix(l, "||/ Name") {
			return true
		}
	}
	return false
}

func parseDpkg(in *Input, out *model.Model) {
	hasArch := true
	inRows := false
	for in.Next() {
		t := in.Text()
		trimmed := strings.TrimSpace(t)
		switch {
		case trimmed == "":
			continue
		case strings.HasPrefix(t, "Desired="), strings.HasPrefix(t, "| "), strings.HasPrefix(t, "|/ "):
			continue
		case strings.HasPrefix(t, "||/"):
			hasArch = strings.Contains(t, "Architecture")
			continue
		case strings.HasPrefix(t, "+++-"):
			inRows = true
			continue
		}
		f := strings.Fields(t)
		if len(f) < 3 || len(f[0]) < 2 || len(f[0]) > 3 || !inRows && !dpkgStatus(f[0]) {
			in.Warnf("expected a dpkg -l row \"ii  name  version  arch  description\": %q", excerpt(t))
			continue
		}
		p := model.Package{Name: f[1], Version: f[2], State: f[0], Manager: "dpkg", Src: in.Src()}
		if i := strings.IndexByte(p.Name, ':'); i > 0 {
			p.Name, p.Arch = p.Name[:i], p.Name[i+1:]
		}
		if hasArch && len(f) > 3 {
			p.Arch = f[3]
		}
		// Rows whose status is "not installed" or "config files only"
		// ("rc": removed, configuration kept) describe packages that are no
		// longer on the host: kept with their state, marked not installed.
		p.NotInstalled = f[0][1] == 'n' || f[0][1] == 'c'
		out.Packages = append(out.Packages, p)
	}
}

// dpkgStatus reports whether s reads as dpkg's desired/status[/error] code.
func dpkgStatus(s string) bool {
	return len(s) >= 2 && strings.ContainsRune("uirhp", rune(s[0])) && strings.ContainsRune("nicUFHWt", rune(s[1]))
}

func sniffLslpp(h *Head) bool {
	for _, l := range h.nonBlankRows(4) {
		if lslppHeader(l) || lslppColonHeader(l) {
			return true
		}
	}
	return false
}

// lslppColonHeader recognises the header of lslpp's colon form (-lc, -Lc):
// "#Path:Fileset:Level:PTF Id:State:Type:Description:EFIX Locked" or,
// for -Lc, "#Package Name:Fileset:Level:State:...".
func lslppColonHeader(l string) bool {
	l = strings.TrimSpace(l)
	return strings.HasPrefix(l, "#") && strings.Contains(l, ":Fileset:Level:")
}

// lslppColonRow reads one row of the colon form whose header was h (its
// fields). A fileset is listed once per object repository it has parts in
// (/usr/lib/objrepos, /etc/objrepos); seen keeps the first.
func lslppColonRow(in *Input, h []string, t string, seen map[string]bool, out *model.Model) {
	f := strings.Split(t, ":")
	col := func(name string) string {
		for i, n := range h {
			if n == name && i < len(f) {
				return strings.TrimSpace(f[i])
			}
		}
		return ""
	}
	name, level := col("Fileset"), col("Level")
	if name == "" || !lslppLevel(level) {
		in.Warnf("expected an lslpp colon row \"path:fileset:level:...\": %q", excerpt(t))
		return
	}
	if seen[name] {
		return
	}
	seen[name] = true
	// -lc writes the state as a word (COMMITTED, APPLIED, BROKEN); keep
	// the one-letter code of -L.
	state := col("State")
	if len(state) > 1 {
		state = state[:1]
	}
	out.Packages = append(out.Packages, model.Package{Name: name, Version: level, State: state, Manager: "lslpp", Src: in.Src()})
}

func lslppHeader(l string) bool {
	f := strings.Fields(l)
	return len(f) >= 4 && (f[0] == "Fileset" || f[0] == "Package") && f[1] == "Level" && f[2] == "State" && f[3] == "Type"
}

func parseLslpp(in *Input, out *model.Model) {
	footer := false
	var last *model.Package
	var colon []string // the colon form's header fields, once met
	seen := map[string]bool{}
	for in.Next() {
		t := in.Text()
		trimmed := strings.TrimSpace(t)
		if lslppColonHeader(trimmed) {
			colon = strings.Split(strings.TrimPrefix(trimmed, "#"), ":")
			continue
		}
		if colon != nil && trimmed != "" {
			lslppColonRow(in, colon, trimmed, seen, out)
			continue
		}
		switch {
		case trimmed == "", lslppHeader(t), strings.Trim(trimmed, "-") == "":
			continue
		case strings.HasPrefix(trimmed, "State codes:"), strings.HasPrefix(trimmed, "Type codes:"):
			footer = true
			continue
		case footer:
			continue
		}
		f := strings.Fields(t)
		if len(f) >= 3 && lslppLevel(f[1]) && len(f[2]) <= 2 {
			out.Packages = append(out.Packages, model.Package{Name: f[0], Version: f[1], State: f[2], Manager: "lslpp", Src: in.Src()})
			last = &out.Packages[len(out.Packages)-1]
			continue
		}
		if last != nil && (t[0] == ' ' || t[0] == '\t') {
			// The description wrapped onto this line.
			last.Src.EndLine = in.Line()
			continue
		}
		in.Warnf("expected an lslpp -L row \"fileset level state type description\": %q", excerpt(t))
	}
}

// lslppLevel reports whether s reads as a fileset level (7.2.0.0) or an RPM
// version (5.0.18-1).
func lslppLevel(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9' && strings.ContainsAny(s, ".-")
}
