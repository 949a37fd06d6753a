package parsers

import (
	"path"
	"strings"

	"github.com/fsagent/triage/model"
)

// The fuser parser reads what fuser printed about the names it was asked
// about: the combined stdout+stderr form (`/mnt:  1011c  2345`), a
// stdout-only capture (bare PIDs), the -v table with its `kernel mount`
// pseudo rows, -u user names, and the AIX and Solaris letter sets. A busy
// guard point shows here when lsof was not collected.

func init() {
	Register(&Parser{
		Name: "fuser",
		Kind: KindFuser,
		Doc:  "fuser output: NAME: PID+letters lines, bare PIDs, the -v table (psmisc, AIX, Solaris)",
		Paths: []string{
			"insights_commands/fuser*", "fuser", "fuser*.out", "fuser*.txt", "fuser*.log",
			"fuser-*", "fuser_*",
		},
		Sniff: sniffFuser,
		Parse: parseFuser,
	})
}

// fuserPID parses one PID token of the short form: digits, then access
// letters and an optional "(user)" in either order ("1011c", "2345",
// "675ctom", "234567(root)", "1811c(alice)").
func fuserPID(t string) (pid int, access, user string, ok bool) {
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, good := atoi64(t[:i])
	if !good || n > 1<<31 {
		return 0, "", "", false
	}
	rest := t[i:]
	var letters strings.Builder
	for len(rest) > 0 {
		c := rest[0]
		switch {
		case c == '(' && user == "":
			j := strings.IndexByte(rest, ')')
			if j < 2 {
				return 0, "", "", false
			}
			user, rest = rest[1:j], rest[j+1:]
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters.WriteByte(c)
			rest = rest[1:]
		default:
			return 0, "", "", false
		}
	}
	return int(n), letters.String(), user, true
}

// fuserAccess recognises the ACCESS cell of the -v table ("..c..", "F....",
// ".rce.") and returns its letters.
func fuserAccess(t string) (string, bool) {
	if len(t) < 4 || len(t) > 6 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '.':
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	return b.String(), true
}

// fuserCommand returns the names given to a fuser command line ("# fuser
// -v -m /mnt", "/usr/sbin/fuser –v –m /mnt"), or ok false when the line is
// not a fuser command.
func fuserCommand(t string) (names []string, ok bool) {
	if c, prompt := kernPrompt(t); prompt {
		t = c
	}
	f := strings.Fields(t)
	if len(f) == 0 || path.Base(f[0]) != "fuser" {
		return nil, false
	}
	for i := 1; i < len(f); i++ {
		a := f[i]
		switch {
		case a == "-n" || a == "--namespace":
			i++ // its value is a name space, not a name
		case strings.HasPrefix(a, "-"), strings.HasPrefix(a, "\u2013"), strings.HasPrefix(a, "\u2014"):
		case a == "|" || a == ">" || a == "2>&1" || strings.HasPrefix(a, ">") || strings.HasPrefix(a, "2>"):
			return names, true
		default:
			names = append(names, a)
		}
	}
	return names, true
}

// fuserState is the parse of one file.
type fuserState struct {
	cur     string // the name the next PIDs belong to
	verbose bool   // the -v header was seen
}

func parseFuser(in *Input, out *model.Model) {
	st := &fuserState{}
	for in.Next() {
		t := strings.TrimSpace(in.Text())
		if t == "" {
			continue
		}
		if names, ok := fuserCommand(t); ok {
			st.cur = ""
			if len(names) == 1 {
				st.cur = names[0]
			}
			continue
		}
		f := strings.Fields(t)
		if len(f) == 4 && f[0] == "USER" && f[1] == "PID" && f[2] == "ACCESS" && f[3] == "COMMAND" {
			st.verbose = true
			continue
		}
		if st.verbose && st.verboseRow(in, t, f, out) {
			continue
		}
		if st.shortLine(in, t, out) {
			continue
		}
		if !st.verbose && st.verboseRow(in, t, f, out) {
			continue
		}
		if _, prompt := kernPrompt(t); prompt {
			in.Warnf("not fuser output (another command): %s", quotedExcerpt(t))
			continue
		}
		in.Warnf("not a fuser line: %s", quotedExcerpt(t))
	}
}

// verboseRow reads a -v row: [NAME:] USER PID ACCESS COMMAND, where PID may
// read "kernel" and ACCESS then names the kernel's use ("mount", "swap").
func (st *fuserState) verboseRow(in *Input, t string, f []string, out *model.Model) bool {
	for i := 1; i+1 < len(f); i++ {
		var h model.FuserHit
		if f[i] == "kernel" {
			h.Kernel = f[i+1]
		} else {
			pid, ok := atoi64(f[i])
			if !ok || pid > 1<<31 {
				continue
			}
			acc, ok := fuserAccess(f[i+1])
			if !ok {
				continue
			}
			h.PID, h.Access = int(pid), acc
		}
		h.User = f[i-1]
		// The name, when the row carries one, is what precedes USER.
		pos := fieldOffset(t, f, i-1)
		if name := strings.TrimSpace(t[:pos]); name != "" {
			if !strings.HasSuffix(name, ":") {
				return false
			}
			st.cur = strings.TrimSuffix(name, ":")
		}
		h.Command = strings.TrimSpace(t[fieldOffset(t, f, i+1)+len(f[i+1]):])
		h.Path = st.cur
		h.Src = in.Src()
		if h.Path == "" {
			in.Warnf("fuser row without the name it is about")
		}
		out.Fuser = append(out.Fuser, h)
		return true
	}
	return false
}

// fieldOffset returns the byte offset in t of the k-th field of f.
func fieldOffset(t string, f []string, k int) int {
	pos := 0
	for j := 0; j <= k; j++ {
		i := strings.Index(t[pos:], f[j])
		if i < 0 {
			return pos
		}
		if j == k {
			return pos + i
		}
		pos += i + len(f[j])
	}
	return pos
}

// shortLine reads "NAME: PID..." or a line of bare PIDs.
func (st *fuserState) shortLine(in *Input, t string, out *model.Model) bool {
	// The name may hold blanks and colons: try each ": " until the rest
	// reads as PIDs.
	for i := 0; i < len(t); i++ {
		if t[i] != ':' || (i+1 < len(t) && t[i+1] != ' ' && t[i+1] != '\t') || i == 0 {
			continue
		}
		if st.pids(in, t[:i], t[i+1:], out) {
			return true
		}
	}
	return st.pids(in, "", t, out)
}

// pids turns the PID tokens of rest into hits on name ("" keeps the
// current name); false when a token is not a PID.
func (st *fuserState) pids(in *Input, name, rest string, out *model.Model) bool {
	f := strings.Fields(rest)
	if name == "" && len(f) == 0 {
		return false
	}
	for _, tok := range f {
		if _, _, _, ok := fuserPID(tok); !ok {
			return false
		}
	}
	if name != "" {
		st.cur = strings.TrimSpace(name)
	}
	if st.cur == "" && len(f) > 0 {
		in.Warnf("fuser PIDs without the name they use (stdout-only capture)")
	}
	src := in.Src()
	for _, tok := range f {
		pid, acc, user, _ := fuserPID(tok)
		out.Fuser = append(out.Fuser, model.FuserHit{Path: st.cur, PID: pid, Access: acc, User: user, Src: src})
	}
	return true
}

// sniffFuser recognises the -v header, a fuser command line, or a first
// line of the form "/path: PID...".
func sniffFuser(h *Head) bool {
	for _, l := range h.NonBlank(5) {
		if _, ok := fuserCommand(l); ok {
			return true
		}
		f := strings.Fields(l)
		if len(f) == 4 && f[0] == "USER" && f[1] == "PID" && f[2] == "ACCESS" && f[3] == "COMMAND" {
			return true
		}
		if _, prompt := kernPrompt(l); prompt {
			continue
		}
		i := strings.Index(l, ": ")
		if (i < 0 && !strings.HasSuffix(l, ":")) || !strings.HasPrefix(l, "/") {
			return false
		}
		if i < 0 {
			return false
		}
		rest := strings.Fields(l[i+1:])
		if len(rest) == 0 {
			return false
		}
		for _, t := range rest {
			if _, _, _, ok := fuserPID(t); !ok {
				return false
			}
		}
		return true
	}
	return false
}
