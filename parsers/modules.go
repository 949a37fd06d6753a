package parsers

import (
	"bytes"
	"path"
	"regexp"
	"strings"

	"github.com/fsagent/triage/model"
)

// The modules parsers read the loaded kernel modules: lsmod, /proc/modules
// and AIX genkex. All three list the most recently loaded module first;
// LoadOrder turns that around (0 = loaded first), which is what tells which
// modules were loaded after an agent and may have hooked the same calls.
// One Parse function reads all three forms, line by line, so a capture that
// mixes them (a pasted transcript, an AIX snap file) still yields facts.

func init() {
	Register(&Parser{
		Name: "lsmod",
		Kind: KindModules,
		Doc:  "lsmod: loaded kernel modules with sizes, reference counts and users",
		Paths: []string{
			"sos_commands/kernel/lsmod", "insights_commands/lsmod", "lsmod",
			"lsmod.out", "lsmod*.txt", "lsmod*.out", "lsmod-*", "lsmod_*",
		},
		Sniff: sniffLsmod,
		Parse: parseModules,
	})
	Register(&Parser{
		Name:  "proc-modules",
		Kind:  KindModules,
		Doc:   "/proc/modules: loaded kernel modules with state (Live, Unloading) and taint",
		Paths: []string{"proc/modules", "proc_modules", "proc_modules*.txt", "proc_modules*.out"},
		Sniff: sniffProcModules,
		Parse: parseModules,
	})
	Register(&Parser{
		Name: "genkex",
		Kind: KindModules,
		Doc:  "AIX genkex: loaded kernel extensions, most recent first",
		Paths: []string{
			"genkex", "genkex.out", "genkex*.txt", "genkex*.out", "genkex-*", "genkex_*",
			"kernel/genkex*", "general/genkex*",
		},
		Sniff: sniffGenkex,
		Parse: parseModules,
	})
}

// modulesLsmodHeader recognises the lsmod header ("Module  Size  Used by").
func modulesLsmodHeader(t []byte) bool {
	return bytes.HasPrefix(t, []byte("Module")) && bytes.Contains(t, []byte("Size")) && bytes.Contains(t, []byte("Used by"))
}

// modulesGenkexHeader recognises the genkex header ("Text address  Size File").
func modulesGenkexHeader(t []byte) bool {
	return bytes.HasPrefix(t, []byte("Text address")) && bytes.Contains(t, []byte("Size")) && bytes.Contains(t, []byte("File"))
}

// modulesState is the parse of one file: the listing in progress.
type modulesState struct {
	start  int  // index in out.Modules of the listing's first module
	genkex bool // inside a genkex listing
	sorted bool // the output was piped through sort: one listing, order lost
	toks   []span
}

// sortedRe recognises a command whose output was sorted ("lsmod | sort").
var sortedRe = regexp.MustCompile(`\|\s*(/usr)?(/bin/)?sort\b`)

func parseModules(in *Input, out *model.Model) {
	st := &modulesState{start: len(out.Modules), toks: make([]span, 0, 16), sorted: sortedRe.MatchString(in.Section())}
	for in.Next() {
		t, _ := trimBlank(in.Bytes())
		if len(t) == 0 {
			continue
		}
		switch {
		case modulesLsmodHeader(t):
			if !st.sorted { // sorted in among the rows, it ends nothing
				st.endListing(out)
			}
			continue
		case modulesGenkexHeader(t):
			st.endListing(out)
			st.genkex = true
			continue
		case t[0] == '#' || t[0] == '$':
			// A pasted prompt starts another command's output.
			st.endListing(out)
			in.Warnf("not a module line (shell prompt): %s", quotedExcerpt(in.Text()))
			continue
		}
		if m, ok := st.row(in, t); ok {
			out.Modules = append(out.Modules, m)
			continue
		}
		in.Warnf("not a module line: %s", quotedExcerpt(in.Text()))
	}
	st.endListing(out)
}

// endListing numbers the modules of the listing just read: they came
// newest first, so the last one read was loaded first.
func (st *modulesState) endListing(out *model.Model) {
	ms := out.Modules[st.start:]
	for i := range ms {
		ms[i].LoadOrder = len(ms) - 1 - i
		ms[i].OrderLost = st.sorted
	}
	st.start = len(out.Modules)
	st.genkex = false
}

// row reads one module line in whichever form it has.
func (st *modulesState) row(in *Input, t []byte) (model.Module, bool) {
	toks := appendFields(st.toks[:0], t, 16)
	tok := func(i int) []byte { return t[toks[i].start:toks[i].end] }
	n := len(toks)
	if st.genkex || (n >= 3 && tok(n - 1)[0] == '/') {
		if m, ok := genkexRow(in, t, toks); ok {
			return m, true
		}
	}
	if n < 3 {
		return model.Module{}, false
	}
	size, ok := atoi64(tok(1))
	if !ok {
		return model.Module{}, false
	}
	m := model.Module{Name: Clean(tok(0)), Size: size, Src: in.Src()}
	if string(tok(2)) == "-" {
		m.RefCount = -1
	} else if rc, ok := atoi64(tok(2)); ok && rc <= 1<<31 {
		m.RefCount = int(rc)
	} else {
		return model.Module{}, false
	}
	// /proc/modules: NAME SIZE REFCNT DEPS STATE ADDRESS [TAINT]
	if n >= 6 && isModuleState(tok(4)) && bytes.HasPrefix(tok(5), []byte("0x")) {
		modulesUsers(&m, string(tok(3)))
		m.State = string(tok(4))
		if n >= 7 {
			taint := Clean(tok(6))
			if len(taint) >= 2 && taint[0] == '(' && taint[len(taint)-1] == ')' {
				m.Taint = taint[1 : len(taint)-1]
			} else {
				in.Warnf("module %s: unexpected taint field %s", m.Name, quotedExcerpt(taint))
			}
			if n > 7 {
				in.Warnf("module %s: unexpected extra fields", m.Name)
			}
		}
		return m, true
	}
	// lsmod: NAME SIZE REFCNT [USERS], old kernels also "(unused)" flags
	// and "[a b]" user lists.
	for i := 3; i < n; i++ {
		modulesUsers(&m, string(tok(i)))
	}
	return m, true
}

func isModuleState(b []byte) bool {
	switch string(b) {
	case "Live", "Loading", "Unloading", "Coming", "Going":
		return true
	}
	return false
}

// modulesUsers adds a used-by list ("a,b,", "[permanent]", "-") to m.
func modulesUsers(m *model.Module, s string) {
	if s == "-" {
		return
	}
	for _, u := range strings.Split(s, ",") {
		u = strings.Trim(u, " []")
		switch {
		case u == "":
		case u == "permanent":
			m.Permanent = true
		case strings.HasPrefix(u, "(") && strings.HasSuffix(u, ")"): // (autoclean), (unused)
		default:
			m.UsedBy = append(m.UsedBy, Clean([]byte(u)))
		}
	}
}

// genkexRow reads "ADDRESS SIZE PATH" (hexadecimal, no 0x); newer
// releases may print data address and size before the path.
func genkexRow(in *Input, t []byte, toks []span) (model.Module, bool) {
	if len(toks) < 3 {
		return model.Module{}, false
	}
	if !allHex(t[toks[0].start:toks[0].end]) {
		return model.Module{}, false
	}
	size, ok := hex64(t[toks[1].start:toks[1].end])
	if !ok {
		return model.Module{}, false
	}
	// The path is the rest after the last hexadecimal column.
	k := 2
	for k < len(toks)-1 && allHex(t[toks[k].start:toks[k].end]) {
		k++
	}
	p := Clean(t[toks[k].start:])
	name := path.Base(p)
	if i := strings.IndexByte(name, '('); i > 0 {
		name = name[:i] // an archive member: lib(member.o)
	}
	return model.Module{Name: name, Size: size, RefCount: -1, Path: p, Src: in.Src()}, true
}

func sniffLsmod(h *Head) bool {
	l := h.NonBlank(1)
	return len(l) == 1 && modulesLsmodHeader([]byte(l[0]))
}

func sniffGenkex(h *Head) bool {
	for _, l := range h.NonBlank(20) {
		if modulesGenkexHeader([]byte(l)) {
			return true
		}
	}
	return false
}

// sniffProcModules wants every one of the first lines to read
// NAME SIZE REFCNT DEPS STATE 0xADDRESS.
func sniffProcModules(h *Head) bool {
	lines := h.NonBlank(5)
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 6 || len(f) > 7 || !allDigits(f[1]) || (f[2] != "-" && !allDigits(f[2])) ||
			!isModuleState([]byte(f[4])) || !strings.HasPrefix(f[5], "0x") {
			return false
		}
	}
	return len(lines) > 0
}
