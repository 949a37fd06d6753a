// Package sections splits the files of collectors that concatenate many
// command outputs and copied files into one text file (SUSE supportconfig's
// fs-diskio.txt, AIX snap's general.snap) into sections, each introduced by
// a header that names the command or file it holds. Each section can then be
// identified and parsed as an artifact of its own, with the line numbers of
// the original file.
//
// Splitting streams: a section's body is an io.Reader that ends at the next
// header, and only header candidates (short lines starting like a header)
// are ever copied, so a 200 MB messages.txt or a 1 GiB section costs a fixed
// buffer, never its size.
package sections

import (
	"bufio"
	"bytes"
	"io"
	"path"
	"regexp"
	"strings"
)

// Format is a collector whose files are sequences of sections.
type Format string

// The collectors whose section headers Split knows.
const (
	// Supportconfig is SUSE supportutils' supportconfig: a banner line such
	// as "#==[ Command ]====#", then "# <command or file>", then the output.
	Supportconfig Format = "supportconfig"
	// Snap is IBM AIX snap: a line of dots, ".....    <command>", a line of
	// dots, then the output.
	Snap Format = "snap"
)

// Section is one header and what it says about the body that follows.
type Section struct {
	// Banner is supportconfig's banner word ("Command", "Configuration
	// File", "Log File", "Note", ...); "" for snap sections and for the text
	// before a file's first header.
	Banner string `json:"banner,omitempty"`
	// Name is the command line or file path the header names, as written
	// there, its suffix removed; "" for the text before the first header.
	Name string `json:"name"`
	// Note is what the header adds after the name: "Last 500 Lines",
	// "File not found".
	Note string `json:"note,omitempty"`
	// Line is the 1-based line of the header in the file; Body the line of
	// the first line of output (past the end of the file for an empty body).
	Line int `json:"line"`
	Body int `json:"body_line"`
}

// Path is a path that identifies the section's content the way a file of a
// sosreport or a flat bundle would be named: a copied file keeps its own
// path without the leading slash ("proc/mounts", "var/log/messages"); a
// command is mangled like sosreport does (program base name, then runs of
// characters other than letters, digits, '_', '.' and '-' turned into '_'),
// so "/usr/bin/lsmod | sort" is "lsmod_sort" and "df -Th" is "df_-Th". A
// "cat FILE" command counts as the file.
//
// A name is a command in a supportconfig "Command" section and in every
// snap section, and a file path elsewhere when it starts with "/".
func (s Section) Path() string { return NamePath(s.Name, s.Banner == "" || s.Banner == "Command") }

// maxPathLen bounds a section path, like sosreport's name limit.
const maxPathLen = 200

// NamePath is Section.Path for a header's name; command says whether the
// name is a command line rather than a file path.
func NamePath(name string, command bool) string {
	name = strings.TrimSpace(name)
	if f := strings.Fields(name); len(f) == 2 && (f[0] == "cat" || strings.HasSuffix(f[0], "/cat")) && strings.HasPrefix(f[1], "/") {
		name, command = f[1], false
	}
	if !command && strings.HasPrefix(name, "/") && !strings.ContainsAny(name, " \t|;<>&$`'\"*?") {
		p := strings.TrimLeft(path.Clean(name), "/")
		if len(p) > maxPathLen {
			p = p[:maxPathLen]
		}
		return p
	}
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	f[0] = path.Base(f[0])
	var b strings.Builder
	under := false
	for _, c := range []byte(strings.Join(f, " ")) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		switch {
		case ok:
			b.WriteByte(c)
			under = false
		case !under:
			b.WriteByte('_')
			under = true
		}
		if b.Len() >= maxPathLen {
			break
		}
	}
	return strings.Trim(b.String(), "_")
}

// The header shapes. A supportconfig banner is "#==[ Word ]===...#"; a snap
// header is a line of dots, then five dots, blanks and the command.
var (
	bannerRe  = regexp.MustCompile(`^#==\[ ?(.*?) ?\]=+#[ \t]*$`)
	snapCmdRe = regexp.MustCompile(`^\.{5}[ \t]+(\S.*?)[ \t]*$`)
	noteRe    = regexp.MustCompile(`^(.*?) - (Last [0-9]+ Lines|File not found)$`)
)

// maxHeaderLine is the longest line that can be part of a header; longer
// lines are always output.
const maxHeaderLine = 4096

func isDots(l []byte) bool {
	l = bytes.TrimRight(l, " \t")
	if len(l) < 5 {
		return false
	}
	for _, c := range l {
		if c != '.' {
			return false
		}
	}
	return true
}

// trimEOL drops a trailing "\n" and "\r".
func trimEOL(l []byte) []byte {
	l = bytes.TrimSuffix(l, []byte("\n"))
	return bytes.TrimSuffix(l, []byte("\r"))
}

// Detect says which collector's sectioned file begins with these lines (the
// first lines of a file, line ends removed), or "" for none. A
// supportconfig file starts with its banner; a snap file has a snap header
// within its first lines (some start with a line of text of their own).
func Detect(lines []string) Format {
	seen := 0
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if seen == 0 && bannerRe.MatchString(t) {
			return Supportconfig
		}
		if isDots([]byte(t)) && i+1 < len(lines) && snapCmdRe.MatchString(strings.TrimRight(lines[i+1], " \t\r")) {
			return Snap
		}
		seen++
		if seen >= 5 {
			break
		}
	}
	return ""
}

// Limits of one Split.
const (
	// MaxSections bounds the sections of one file; later headers are read
	// as output of the last section, and Split returns ErrTooMany at the end.
	MaxSections = 20000
)

// ErrTooMany is returned by Split after the whole file was read when it
// held more than MaxSections headers: the rest was read as one section.
var ErrTooMany = errTooMany{}

type errTooMany struct{}

func (errTooMany) Error() string {
	return "more than 20000 sections: the headers after that were read as output of the last section"
}

// Func receives one section and a reader of its body (the output after the
// header, up to the next header). The reader is valid only during the call;
// what Func leaves unread is skipped.
type Func func(s Section, body io.Reader) error

// Split reads r as a file of format f and calls fn for each section in
// order. Text before the first header is passed as a section with an empty
// Name. A read error of r ends the split and is returned; so is an error of
// fn.
func Split(r io.Reader, f Format, fn Func) error {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	s := &splitter{br: br, f: f, atStart: true}
	first := true
	for {
		var sec Section
		if s.boundary() {
			sec = s.header()
			s.count++
		} else if !first {
			// The previous body ended without a header: the end of the file
			// or a read error.
			if s.err != nil && s.err != io.EOF {
				return s.err
			}
			if s.ignored {
				return ErrTooMany
			}
			return nil
		} else if s.atEOF() {
			return s.readErr()
		} else {
			sec.Line = s.line + 1
		}
		first = false
		sec.Body = s.line + 1
		b := &body{s: s}
		if err := fn(sec, b); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, b); err != nil {
			return err
		}
	}
}

// unit is a line or, for a line longer than the buffer, one piece of it.
type unit struct {
	b     []byte // with its "\n" when end is set and the line had one
	start bool   // the unit begins a line
	end   bool   // the unit ends a line
}

// splitter reads units from br, with a lookahead queue of copied header
// candidates.
type splitter struct {
	br      *bufio.Reader
	f       Format
	atStart bool // the next unit read begins a line
	line    int  // lines begun so far
	q       []unit
	err     error // the read error that ended br (io.EOF at the end)
	count   int   // headers met
	ignored bool  // a header past MaxSections was read as output
}

func (s *splitter) readErr() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}

// read takes the next unit from br; ok is false at the end or on an error.
// The unit's bytes are only valid until the next read.
func (s *splitter) read() (unit, bool) {
	if s.err != nil {
		return unit{}, false
	}
	b, err := s.br.ReadSlice('\n')
	u := unit{b: b, start: s.atStart}
	switch err {
	case nil:
		u.end = true
	case bufio.ErrBufferFull:
	default:
		s.err = err
		u.end = true
		if len(b) == 0 {
			return unit{}, false
		}
	}
	s.atStart = u.end
	return u, true
}

// peek makes the queue hold at least n units (fewer at the end), copying
// them.
func (s *splitter) peek(n int) {
	for len(s.q) < n {
		u, ok := s.read()
		if !ok {
			return
		}
		u.b = append([]byte(nil), u.b...)
		s.q = append(s.q, u)
	}
}

func (s *splitter) atEOF() bool {
	s.peek(1)
	return len(s.q) == 0
}

// candidate reports whether a unit may begin a header, so that it must be
// looked at more closely (and copied).
func (s *splitter) candidate(u unit) bool {
	if !u.start || !u.end || len(u.b) > maxHeaderLine {
		return false
	}
	if s.f == Supportconfig {
		return bytes.HasPrefix(u.b, []byte("#==["))
	}
	return bytes.HasPrefix(u.b, []byte("....."))
}

// headerLine reports whether queued unit i is a complete short line, and
// returns it without its line end.
func (s *splitter) headerLine(i int) ([]byte, bool) {
	s.peek(i + 1)
	if len(s.q) <= i {
		return nil, false
	}
	u := s.q[i]
	if !u.start || !u.end || len(u.b) > maxHeaderLine {
		return nil, false
	}
	return trimEOL(u.b), true
}

// boundary reports whether a header begins at the next unit. Past
// MaxSections no header is recognised any more.
func (s *splitter) boundary() bool {
	if !s.isHeader() {
		return false
	}
	if s.count >= MaxSections {
		s.ignored = true
		return false
	}
	return true
}

// isHeader reports whether the queue's head begins a header.
func (s *splitter) isHeader() bool {
	l, ok := s.headerLine(0)
	if !ok {
		return false
	}
	if s.f == Supportconfig {
		return bannerRe.Match(l)
	}
	if !isDots(l) {
		return false
	}
	c, ok := s.headerLine(1)
	return ok && snapCmdRe.Match(c)
}

// take removes the first queued unit, counting its line.
func (s *splitter) take() unit {
	u := s.q[0]
	s.q = s.q[1:]
	if u.start {
		s.line++
	}
	return u
}

// header consumes the header that boundary found and describes it.
func (s *splitter) header() Section {
	sec := Section{Line: s.line + 1}
	l := trimEOL(s.take().b)
	if s.f == Supportconfig {
		m := bannerRe.FindSubmatch(l)
		sec.Banner = strings.TrimSpace(string(m[1]))
		if n, ok := s.headerLine(0); ok && bytes.HasPrefix(n, []byte("#")) && !bannerRe.Match(n) {
			s.take()
			name := strings.TrimSpace(strings.TrimPrefix(string(n), "#"))
			if m := noteRe.FindStringSubmatch(name); m != nil {
				name, sec.Note = m[1], m[2]
			}
			sec.Name = name
		}
		return sec
	}
	c, _ := s.headerLine(0)
	sec.Name = string(snapCmdRe.FindSubmatch(c)[1])
	s.take()
	// A dots line closes this header, unless it begins the next one (a
	// header with no body).
	if n, ok := s.headerLine(0); ok && isDots(n) && !s.isHeader() {
		s.take()
	}
	return sec
}

// body is the reader of one section's output.
type body struct {
	s    *splitter
	cur  []byte
	done bool
}

func (b *body) Read(p []byte) (int, error) {
	for len(b.cur) == 0 {
		if b.done {
			return 0, io.EOF
		}
		s := b.s
		if len(s.q) > 0 {
			if s.q[0].start && s.boundary() {
				b.done = true
				continue
			}
			b.cur = s.take().b
			continue
		}
		u, ok := s.read()
		if !ok {
			b.done = true
			if err := s.readErr(); err != nil {
				return 0, err
			}
			continue
		}
		if s.candidate(u) {
			u.b = append([]byte(nil), u.b...)
			s.q = append(s.q, u)
			continue
		}
		if u.start {
			s.line++
		}
		b.cur = u.b
	}
	n := copy(p, b.cur)
	b.cur = b.cur[n:]
	return n, nil
}
