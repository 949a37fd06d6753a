package parsers

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/fsagent/triage/model"
)

// DefaultMaxLine is the longest line kept whole; the rest of a longer line is
// skipped with a warning.
const DefaultMaxLine = 1 << 20

// HeadSize is how many bytes of a file Identify sees.
const HeadSize = 16 << 10

// Head is the start of a file, for sniffing: its first lines, cleaned as
// Input cleans them.
type Head struct {
	Lines  []string
	Binary bool // NUL bytes or mostly non-text: not an artifact
}

// NewHead splits the first bytes of a file into lines for Sniff functions.
func NewHead(b []byte) *Head {
	plain := plainText(b) // plain text is not binary, and needs no cleaning
	h := &Head{Binary: !plain && looksBinary(b)}
	if len(b) >= HeadSize {
		// The last line may be cut; drop it.
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			b = b[:i]
		}
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if plain {
		// Every line is its own cleaned form: one string for the whole
		// head, and the lines slices of it (a string per line was 4 % of
		// the CPU of a batch of small bundles).
		h.Lines = strings.Split(string(b), "\n")
	} else {
		for _, l := range bytes.Split(b, []byte("\n")) {
			h.Lines = append(h.Lines, Clean(bytes.TrimSuffix(l, []byte("\r"))))
		}
	}
	if n := len(h.Lines); n > 0 && h.Lines[n-1] == "" {
		h.Lines = h.Lines[:n-1]
	}
	return h
}

// NonBlank returns up to n non-blank lines of the head, trimmed.
func (h *Head) NonBlank(n int) []string {
	var out []string
	for _, l := range h.Lines {
		if t := strings.TrimSpace(l); t != "" {
			out = append(out, t)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// nonBlankRows returns up to n non-blank lines of the head, right-trimmed
// but with their leading blanks kept: the Sniffs of column layouts (df, ps,
// mount tables) need the indentation that NonBlank removes.
func (h *Head) nonBlankRows(n int) []string {
	var out []string
	for _, l := range h.Lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			continue
		}
		out = append(out, l)
		if len(out) == n {
			break
		}
	}
	return out
}

func looksBinary(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	bad := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1b && c != '\f' {
			bad++
		}
	}
	return bad*10 > len(b)
}

// Warning is a problem found in one file, at one line when known.
type Warning struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
	// Loss is "artifact" when the file could not be read, or only in
	// part, so its facts are missing (see bundle.Warning.Loss); "" for a
	// problem with one line that the rest of the file survives.
	Loss string `json:"loss,omitempty"`
	// Omitted is set on the warning that closes a file's list when the
	// file drew more than its list keeps: how many were left out. Count
	// warnings with CountWarnings, which counts those too.
	Omitted int `json:"omitted,omitempty"`
}

// CountWarnings is how many warnings ws stands for: each warning once, and
// a closing "N more warnings not shown" as the N it stands for, so that a
// file that drew 5,000 warnings is said to have 5,000, not 101.
func CountWarnings(ws []Warning) int {
	n := len(ws)
	for _, w := range ws {
		if w.Omitted > 0 {
			n += w.Omitted - 1
		}
	}
	return n
}

// LossArtifact is Warning.Loss for a file whose facts are missing in part:
// the analysis that read it is incomplete (bundle.LossArtifact).
const LossArtifact = "artifact"

func (w Warning) Error() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.Path, w.Line, w.Msg)
	}
	return fmt.Sprintf("%s: %s", w.Path, w.Msg)
}

// maxWarnings bounds the warnings kept per file; the rest are counted.
const maxWarnings = 100

// Input streams one file line by line for a parser: CRLF and lone trailing
// CR are stripped, a BOM is dropped, invalid UTF-8 and control characters
// are made visible, and over-long lines are cut with a warning.
type Input struct {
	Path    string
	r       *bufio.Reader
	maxLine int
	line    int
	raw     []byte
	text    string
	hasText bool
	long    []byte
	err     error

	started bool   // a line was read
	section string // the header's command or file, for a section of a file
	artPath string // the path naming a section's content (see SetSection)

	warnings []Warning
	dropped  int
	observe  func(line int, b []byte)
	openDirs []string // see KeepOpenFilesUnder
	openLim  bool
	deps     *model.Model // see Deps
	finish   Finish       // see Defer
	reread   Reread       // see SetReread
	chunks   ChunkSource  // see LendChunks
	spoolMax int          // lsof spool budget in bytes; 0: lsofSpoolMax (tests lower it)
	spoolMem int          // lsof spool bytes kept in memory; 0: lsofSpoolInMemory (tests lower it)
	serial   bool         // parse on this goroutine only (tests compare with the parallel parse)
	capture  bool         // hold warnings in captured (see parseInBatches)
	batchMin int          // lines read before batches; 0: batchParallelAfter (tests lower it)
	batchLen int          // bytes of a batch; 0: batchSize (tests lower it)
	captured []Warning
}

// Finish completes the parse of a file whose parser declared Requires and
// could not decide everything while reading it (Input.Defer). deps holds
// the facts of the required kinds from every file of the bundle; out is
// the model Parse filled, to which Finish adds. It returns warnings about
// the file.
type Finish func(deps, out *model.Model) []Warning

// SetDeps gives the parser the facts of the kinds its Parser.Requires
// names, from the files read before this one. The pipeline calls it; a
// parser run alone gets no Deps and keeps everything.
func (in *Input) SetDeps(m *model.Model) { in.deps = m }

// ParseSerially keeps a parser that splits a large file across cores
// (lsof) on the calling goroutine: the caller already runs one analysis per
// core.
func (in *Input) ParseSerially() { in.serial = true }

// ChunkSource is a reader that can lend the buffers it reads into: a
// parser that cuts a large file into batches (parseInBatches) hands those
// to its workers as they are, instead of copying every byte twice more
// (into the Input's buffer, then into a batch).
type ChunkSource interface {
	// NextChunk returns the next bytes of the content, in a buffer the
	// caller has until it calls release, and io.EOF (or the read error)
	// after the last.
	NextChunk() (b []byte, release func(), err error)
}

// LendChunks tells in that src is the reader under its buffer: once that
// buffer is drained, a parser reading in batches takes src's chunks
// directly. The pipeline calls it for a file it hands over through a pipe;
// src must not be read by anyone else.
func (in *Input) LendChunks(src ChunkSource) { in.chunks = src }

// Reread reads a file of the bundle again from its start, after the walk:
// it calls read with the file's content, and returns read's error, or why
// the file could not be read again (the bundle changed, a limit).
type Reread func(read func(r io.Reader) error) error

// SetReread tells a parser how to read its file again in its deferred
// finish (Defer). The pipeline gives it when reading the bundle again costs
// less than what a parser would otherwise hold for that finish: lsof then
// counts the rows a late guard point might need instead of holding them,
// and reads them again only when one comes. Not given for a section of a
// file.
func (in *Input) SetReread(r Reread) { in.reread = r }

// rereadable returns what SetReread gave, unless in is a section of a
// file.
func (in *Input) rereadable() Reread {
	if in.section != "" {
		return nil
	}
	return in.reread
}

// settings returns a copy of in's settings, without its content or state,
// for reading the file again the same way.
func (in *Input) settings() Input {
	return Input{Path: in.Path, maxLine: in.maxLine, serial: in.serial, batchMin: in.batchMin, batchLen: in.batchLen}
}

// Deps returns what SetDeps gave, or nil.
func (in *Input) Deps() *model.Model { return in.deps }

// Defer records work Parse leaves for when every file of the bundle is
// read: the pipeline calls f after the walk with the facts of all files
// of the required kinds (see Parser.Requires).
func (in *Input) Defer(f Finish) { in.finish = f }

// Deferred returns the work Parse deferred, or nil.
func (in *Input) Deferred() Finish { return in.finish }

// KeepOpenFilesUnder lets the lsof parser keep only the rows whose name is
// one of dirs or lies inside one (whole path components; dirs cleaned),
// counting the others in a LogStats fact instead. Rules only ask lsof which
// descriptors lie inside a guard point (model.OpenFilesUnder), and a busy
// host's lsof holds millions of rows, mostly sockets, pipes and libraries:
// the pipeline calls this with the possible guard points when they are known
// before lsof is read (with "/", every path, when not), so memory follows
// the rows that matter, not the file's size. A nil
// or empty dirs drops every row. Without a call every row is kept. The
// lsof parser adds a LogStats fact of kind "lsof" when it left rows out.
func (in *Input) KeepOpenFilesUnder(dirs []string) {
	in.openDirs, in.openLim = dirs, true
}

// keepOpenFile reports whether a row with this raw NAME cell (lsof's notes
// such as " (deleted)" still on it) may be needed. It errs on the side of
// keeping: a blank after the directory (a note, or a name with a blank) keeps
// the row.
func (in *Input) keepOpenFile(name []byte) bool {
	if !in.openLim {
		return true
	}
	if len(name) == 0 || name[0] != '/' {
		return false // sockets, pipes, anon inodes: never inside a directory
	}
	if cleanMayChange(name) {
		// Rare: compare the name as the model's path index will, notes
		// off and cleaned ("/data/../etc" is not inside /data).
		n := string(name)
		l, _, _, _ := lsofNameNotes(n)
		name = []byte(path.Clean(n[:l]))
	}
	for _, d := range in.openDirs {
		if d == "/" {
			return true
		}
		if len(name) >= len(d) && string(name[:len(d)]) == d &&
			(len(name) == len(d) || name[len(d)] == '/' || name[len(d)] == ' ') {
			return true
		}
	}
	return false
}

// cleanMayChange reports whether name holds "//" or "/.": a rooted path
// without them is clean but for a trailing slash, which the comparison
// with a directory does not mind. A busy host's lsof asks this of millions
// of names: it looks at eight bytes at once, the '/'s of b[i:i+8] against
// the '/'s and '.'s of b[i+1:i+9]. A loop over the bytes took 1.35 times
// as long on names of 9 to 35 bytes, and two substring searches twice as
// long as that loop.
func cleanMayChange(name []byte) bool {
	const slashes, dots = 0x2f2f2f2f2f2f2f2f, 0x2e2e2e2e2e2e2e2e
	if len(name) < 9 {
		for i := 0; i+1 < len(name); i++ {
			if name[i] == '/' && (name[i+1] == '/' || name[i+1] == '.') {
				return true
			}
		}
		return false
	}
	// The last step starts at len-9, over bytes seen before if need be.
	for i := 0; ; i = min(i+8, len(name)-9) {
		w, v := binary.LittleEndian.Uint64(name[i:]), binary.LittleEndian.Uint64(name[i+1:])
		if zeroBytes(w^slashes)&(zeroBytes(v^slashes)|zeroBytes(v^dots)) != 0 {
			return true
		}
		if i == len(name)-9 {
			return false
		}
	}
}

// zeroBytes returns x with the high bit of each zero byte set and every
// other bit clear: exact, unlike the shorter test for "any zero byte",
// since the sum cannot carry from one byte into the next.
func zeroBytes(x uint64) uint64 {
	const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	return ^((x&low7 + low7) | x) & high
}

// SetSection makes in read one section of a file that concatenates
// outputs (a supportconfig or AIX snap file): name is the command or file
// its header names, artifactPath the path that names the content the way a
// file of its own would be named ("proc/mounts", "lsmod_sort"), and
// firstLine the line of the whole file that the section's first line is, so
// that every Source and warning carries the whole file's line numbers. Call
// it before the first Next.
func (in *Input) SetSection(name, artifactPath string, firstLine int) {
	in.section, in.artPath = name, artifactPath
	in.line = max(firstLine, 1) - 1
}

// Section returns the command or file of the section being read, or ""
// when in reads a whole file.
func (in *Input) Section() string { return in.section }

// ArtifactPath is the path that names what in holds: the file's path in the
// bundle, or for a section the path its header names (see SetSection).
// Parsers that take meaning from a file's name (an init script's name, a
// trace's pid) use it rather than Path, which is where facts were read.
func (in *Input) ArtifactPath() string {
	if in.artPath != "" {
		return in.artPath
	}
	return in.Path
}

// Observe calls fn with every line the input yields (its number and raw
// bytes, valid only during the call). The pipeline uses it to match the
// line patterns of rules while a parser reads the file, so each file is read
// once.
func (in *Input) Observe(fn func(line int, b []byte)) { in.observe = fn }

// Drain reads the rest of the file, so observers see every line even when a
// parser stopped early.
func (in *Input) Drain() {
	for in.Next() {
	}
}

// NewInput reads r as the file at path p in the bundle.
func NewInput(p string, r io.Reader) *Input {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Input{Path: p, r: br, maxLine: DefaultMaxLine}
}

// NewInputString is NewInput over a string, for tests.
func NewInputString(p, s string) *Input { return NewInput(p, strings.NewReader(s)) }

// Next advances to the next line; it returns false at the end of the file
// or on a read error (see Err).
func (in *Input) Next() bool {
	if in.err != nil {
		return false
	}
	in.hasText = false
	in.long = in.long[:0]
	truncated := 0
	for {
		chunk, err := in.r.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			room := in.maxLine - len(in.long)
			if room > 0 {
				if len(chunk) > room {
					truncated += len(chunk) - room
					chunk = chunk[:room]
				}
				in.long = append(in.long, chunk...)
			} else {
				truncated += len(chunk)
			}
			continue
		case err == io.EOF:
			if len(chunk) == 0 && len(in.long) == 0 && truncated == 0 {
				in.err = io.EOF
				return false
			}
			in.err = io.EOF
		case err != nil:
			in.err = err
			if len(chunk) == 0 && len(in.long) == 0 {
				return false
			}
		}
		in.line++
		if len(in.long) > 0 || truncated > 0 {
			room := in.maxLine - len(in.long)
			if len(chunk) > room {
				truncated += len(chunk) - room
				chunk = chunk[:room]
			}
			in.long = append(in.long, chunk...)
			chunk = in.long
		}
		chunk = bytes.TrimSuffix(chunk, []byte("\n"))
		chunk = bytes.TrimSuffix(chunk, []byte("\r"))
		if !in.started {
			chunk = bytes.TrimPrefix(chunk, []byte("\xef\xbb\xbf"))
		}
		in.started = true
		in.raw = chunk
		if in.observe != nil {
			in.observe(in.line, chunk)
		}
		if truncated > 0 {
			in.Warnf("line longer than %d bytes: %d bytes cut", in.maxLine, truncated)
		}
		return true
	}
}

// Err returns the read error that ended the file early, if any.
func (in *Input) Err() error {
	if errors.Is(in.err, io.EOF) {
		return nil
	}
	return in.err
}

// Line returns the current 1-based line number.
func (in *Input) Line() int { return in.line }

// Bytes returns the current line as read (line end removed, not cleaned).
// It is only valid until the next call to Next.
func (in *Input) Bytes() []byte { return in.raw }

// Text returns the current line, cleaned (see Clean).
func (in *Input) Text() string {
	if !in.hasText {
		in.text = Clean(in.raw)
		in.hasText = true
	}
	return in.text
}

// Src returns the Source of the current line.
func (in *Input) Src() model.Source {
	return model.Source{Path: in.Path, Line: in.line, Text: in.Text()}
}

// Warnf records a warning at the current line.
func (in *Input) Warnf(format string, args ...any) {
	in.WarnAt(in.line, format, args...)
}

// WarnAt records a warning at a given line (0: the whole file).
func (in *Input) WarnAt(line int, format string, args ...any) {
	if in.capture {
		in.captured = append(in.captured, Warning{Path: in.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
		return
	}
	if len(in.warnings) >= maxWarnings {
		in.dropped++
		return
	}
	in.warnings = append(in.warnings, Warning{Path: in.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Warnings returns the warnings recorded so far, with a last one counting
// those not kept.
func (in *Input) Warnings() []Warning {
	w := in.warnings
	if in.dropped > 0 {
		w = append(w[:len(w):len(w)], Warning{Path: in.Path, Msg: fmt.Sprintf("%d more warnings not shown", in.dropped), Omitted: in.dropped})
	}
	return w
}

// plainText reports whether b holds only printable ASCII, tabs and
// newlines: text that Clean leaves as it is, line by line.
func plainText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f {
			return false
		}
	}
	return true
}

// Clean makes a line safe to store and print: invalid UTF-8 becomes U+FFFD
// and control characters other than tab become visible escapes (\x1b), so
// no escape sequence from a bundle reaches a terminal.
func Clean(b []byte) string {
	simple := true
	for _, c := range b {
		if c < 0x20 && c != '\t' || c >= 0x7f {
			simple = false
			break
		}
	}
	if simple {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			sb.WriteRune(utf8.RuneError)
		case r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}
