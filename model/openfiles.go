package model

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"unsafe"
)

// A busy host's lsof holds hundreds of thousands of rows inside one guard
// point, and rules must see every one of them. As OpenFile structs they
// cost 248 bytes a row besides the line itself: 250,000 rows were 62 MB,
// the floor under the memory goals of docs/performance.md. The model
// therefore stores them as OpenFileRow: the line (squeezed, see
// SqueezeLine), the numbers, and where each field lies in the line (every
// column of lsof's output is a piece of its line), 64 bytes beside the
// line.

// OpenFileTable is the lsof rows of a model, in file order. It is a slice,
// so the model's generic merge and counts treat it like any other fact
// list; its elements are read through OpenFileRow's methods, named as
// OpenFile's fields, and rules write .PID and .Name as they would for an
// OpenFile (package rules turns them into calls).
type OpenFileTable []OpenFileRow

// OpenFileRow is one lsof row, stored compactly. The zero value is an
// empty fact. Methods read like OpenFile's fields (OpenFileRowMethod maps
// a field to its method); Fact returns the whole OpenFile.
type OpenFileRow struct {
	text     string       // Src.Text, or its squeezed form: every field lies inside it
	file     *openFileSrc // shared by the rows of one file (and section)
	pid, tid int32
	line     int32
	end      uint16 // 0: no EndLine; else EndLine = line + end - 1
	deleted  bool
	squeezed bool                    // text is the line as SqueezeLine stores it
	spans    [numOpenFields][2]uint8 // start, end in text of each string field
}

// maxRowText is the longest text a row keeps its spans in; a longer line
// (a squeezed lsof row is about 80 bytes) makes the row keep its fact.
const maxRowText = math.MaxUint8

// The string fields of OpenFile a row keeps as spans of its line.
const (
	ofCommand = iota
	ofUser
	ofFD
	ofType
	ofDevice
	ofSizeOff
	ofNode
	ofName
	ofTaskCmd
	ofError
	numOpenFields
)

// openFileSrc is the part of a Source the rows of one file share, and, for
// a row that could not be packed (a field that is not a piece of its line,
// a line longer than maxRowText as stored), the whole fact.
type openFileSrc struct {
	path, section string
	full          *OpenFile
}

// Fact returns the row as an OpenFile.
func (r OpenFileRow) Fact() OpenFile {
	if r.file != nil && r.file.full != nil {
		return *r.file.full
	}
	return OpenFile{
		Command: r.field(ofCommand), PID: int(r.pid), TID: int(r.tid),
		User: r.field(ofUser), FD: r.field(ofFD), Type: r.field(ofType),
		Device: r.field(ofDevice), SizeOff: r.field(ofSizeOff), Node: r.field(ofNode),
		Name: r.field(ofName), Deleted: r.deleted, TaskCmd: r.field(ofTaskCmd),
		Error: r.field(ofError), Src: r.Src(),
	}
}

func (r OpenFileRow) field(i int) string {
	if r.file != nil && r.file.full != nil {
		f := r.file.full
		return [numOpenFields]string{f.Command, f.User, f.FD, f.Type, f.Device, f.SizeOff, f.Node, f.Name, f.TaskCmd, f.Error}[i]
	}
	s := r.spans[i]
	v := r.text[s[0]:s[1]]
	if r.squeezed && hasRun(v) {
		// A field holding a run of spaces (a command name with blanks).
		return ExpandLine(v)
	}
	return v
}

// Command is OpenFile.Command.
func (r OpenFileRow) Command() string { return r.field(ofCommand) }

// PID is OpenFile.PID.
func (r OpenFileRow) PID() int {
	if r.file != nil && r.file.full != nil {
		return r.file.full.PID
	}
	return int(r.pid)
}

// TID is OpenFile.TID.
func (r OpenFileRow) TID() int {
	if r.file != nil && r.file.full != nil {
		return r.file.full.TID
	}
	return int(r.tid)
}

// User is OpenFile.User.
func (r OpenFileRow) User() string { return r.field(ofUser) }

// FD is OpenFile.FD.
func (r OpenFileRow) FD() string { return r.field(ofFD) }

// Type is OpenFile.Type.
func (r OpenFileRow) Type() string { return r.field(ofType) }

// Device is OpenFile.Device.
func (r OpenFileRow) Device() string { return r.field(ofDevice) }

// SizeOff is OpenFile.SizeOff.
func (r OpenFileRow) SizeOff() string { return r.field(ofSizeOff) }

// Node is OpenFile.Node.
func (r OpenFileRow) Node() string { return r.field(ofNode) }

// Name is OpenFile.Name.
func (r OpenFileRow) Name() string { return r.field(ofName) }

// Deleted is OpenFile.Deleted.
func (r OpenFileRow) Deleted() bool {
	if r.file != nil && r.file.full != nil {
		return r.file.full.Deleted
	}
	return r.deleted
}

// TaskCmd is OpenFile.TaskCmd.
func (r OpenFileRow) TaskCmd() string { return r.field(ofTaskCmd) }

// ErrorNote is OpenFile.Error. It is not called Error, which would make a
// row an error value to fmt and errors.As; rules still write .Error.
func (r OpenFileRow) ErrorNote() string { return r.field(ofError) }

// Src is OpenFile.Src.
func (r OpenFileRow) Src() Source {
	if r.file == nil {
		return Source{Line: int(r.line), Text: r.text}
	}
	if r.file.full != nil {
		return r.file.full.Src
	}
	s := Source{Path: r.file.path, Section: r.file.section, Line: int(r.line), Text: r.text}
	if r.squeezed {
		s.Text = ExpandLine(r.text)
	}
	if r.end > 0 {
		s.EndLine = int(r.line) + int(r.end) - 1
	}
	return s
}

// OpenFileRowMethod names the method of OpenFileRow that reads the
// OpenFile field of that name, and reports false for a name that is not a
// field of OpenFile.
func OpenFileRowMethod(field string) (string, bool) {
	switch field {
	case "Command", "PID", "TID", "User", "FD", "Type", "Device", "SizeOff", "Node", "Name", "Deleted", "TaskCmd", "Src":
		return field, true
	case "Error":
		return "ErrorNote", true
	}
	return "", false
}

// Origin is where the row was read (Src without its text, which a
// squeezed row must expand).
func (r OpenFileRow) Origin() (path string, line int) {
	if r.file == nil {
		return "", int(r.line)
	}
	if r.file.full != nil {
		return r.file.full.Src.Path, r.file.full.Src.Line
	}
	return r.file.path, int(r.line)
}

// MarshalJSON writes the row as its OpenFile.
func (r OpenFileRow) MarshalJSON() ([]byte, error) { return json.Marshal(r.Fact()) }

// PackOpenFile stores f as a row. prev, when not nil, is a row packed
// before from the same file: the new row shares its source record.
func PackOpenFile(f OpenFile, prev *OpenFileRow) OpenFileRow {
	file := sourceFor(f.Src, prev)
	if r, sp, ok := pack(&f, file); ok && len(f.Src.Text) <= maxRowText && r.setSpans(&sp) {
		return r
	}
	return spill(f)
}

// sourceFor is the source record of a row read from src: prev's, when
// prev was read from the same file and section.
func sourceFor(src Source, prev *OpenFileRow) *openFileSrc {
	if prev != nil && prev.file != nil && prev.file.full == nil &&
		prev.file.path == src.Path && prev.file.section == src.Section {
		return prev.file
	}
	return &openFileSrc{path: src.Path, section: src.Section}
}

// spill keeps the whole fact, for a row that cannot be packed.
func spill(f OpenFile) OpenFileRow {
	return OpenFileRow{file: &openFileSrc{path: f.Src.Path, section: f.Src.Section, full: &f}}
}

// setSpans stores spans that fit; it reports false for one that does not.
func (r *OpenFileRow) setSpans(sp *[numOpenFields][2]int) bool {
	for i, s := range sp {
		if s[1] > maxRowText {
			return false
		}
		r.spans[i] = [2]uint8{uint8(s[0]), uint8(s[1])}
	}
	return true
}

// PackSqueezed is PackOpenFile for a fact whose line the caller holds
// squeezed (see SqueezeLine): f.Src.Text is ExpandLine(sq), and the row
// keeps sq instead, so the line costs what its squeezed form does. f's
// strings may lie in a buffer the caller reuses: the row keeps none of
// them.
func PackSqueezed(f OpenFile, sq string, prev *OpenFileRow) OpenFileRow {
	file := sourceFor(f.Src, prev)
	r, sp, ok := pack(&f, file)
	if ok && len(sq) <= maxRowText && squeezedSpans(sq, len(f.Src.Text), &sp) && r.setSpans(&sp) {
		r.text, r.squeezed = sq, true
		return r
	}
	if ok && len(f.Src.Text) <= maxRowText {
		r, sp, _ = pack(&f, file)
		if r.setSpans(&sp) {
			r.text = strings.Clone(f.Src.Text)
			return r
		}
	}
	for _, s := range []*string{&f.Command, &f.User, &f.FD, &f.Type, &f.Device, &f.SizeOff, &f.Node, &f.Name, &f.TaskCmd, &f.Error, &f.Src.Text} {
		*s = strings.Clone(*s)
	}
	return spill(f)
}

// squeezedSpans moves spans of the line sq stands for (n bytes long) to
// where they lie in sq. It reports false when a span starts or ends inside
// a run of spaces, which lsof's fields never do.
func squeezedSpans(sq string, n int, sp *[numOpenFields][2]int) bool {
	if n > 4*maxRowText {
		return false
	}
	// at[p] is the index in sq of the line's byte p, -1 inside a run.
	var buf [4*maxRowText + 1]int16
	at := buf[:n+1]
	p := 0
	for i := 0; i < len(sq); i++ {
		w := 1
		if c := sq[i]; c >= runOne {
			w = int(c-runOne) + minRun
		}
		if p+w > n {
			return false
		}
		at[p] = int16(i)
		for k := 1; k < w; k++ {
			at[p+k] = -1
		}
		p += w
	}
	if p != n {
		return false
	}
	at[n] = int16(len(sq))
	for i := range sp {
		if sp[i][0] == sp[i][1] {
			sp[i] = [2]int{}
			continue
		}
		s, e := at[sp[i][0]], at[sp[i][1]]
		if s < 0 || e < 0 {
			return false
		}
		sp[i] = [2]int{int(s), int(e)}
	}
	return true
}

// AppendSqueezed packs f, whose line the caller holds squeezed as sq
// (see PackSqueezed), and adds it at the end.
func (t *OpenFileTable) AppendSqueezed(f OpenFile, sq string) {
	var prev *OpenFileRow
	if n := len(*t); n > 0 {
		prev = &(*t)[n-1]
	}
	*t = append(*t, PackSqueezed(f, sq, prev))
}

// pack makes f's row but for its spans, which it returns apart (where
// each field lies in f's line), when every string field is a piece of the
// line and the numbers fit.
func pack(f *OpenFile, file *openFileSrc) (OpenFileRow, [numOpenFields][2]int, bool) {
	var sp [numOpenFields][2]int
	t := f.Src.Text
	if !fitsInt32(f.PID) || !fitsInt32(f.TID) || !fitsInt32(f.Src.Line) {
		return OpenFileRow{}, sp, false
	}
	r := OpenFileRow{text: t, file: file, pid: int32(f.PID), tid: int32(f.TID), line: int32(f.Src.Line), deleted: f.Deleted}
	if e := f.Src.EndLine; e != 0 {
		d := e - f.Src.Line
		if d < 0 || d >= math.MaxUint16 {
			return OpenFileRow{}, sp, false
		}
		r.end = uint16(d + 1)
	}
	for i, s := range [numOpenFields]string{f.Command, f.User, f.FD, f.Type, f.Device, f.SizeOff, f.Node, f.Name, f.TaskCmd, f.Error} {
		if s == "" {
			continue
		}
		off, ok := pieceOf(s, t)
		if !ok {
			return OpenFileRow{}, sp, false
		}
		sp[i] = [2]int{off, off + len(s)}
	}
	return r, sp, true
}

func fitsInt32(n int) bool { return n >= math.MinInt32 && n <= math.MaxInt32 }

// pieceOf reports where s lies inside t, when s is a substring of t's
// memory (not merely equal to a part of it).
func pieceOf(s, t string) (int, bool) {
	if len(t) == 0 {
		return 0, false
	}
	ps := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	pt := uintptr(unsafe.Pointer(unsafe.StringData(t)))
	if ps < pt || ps+uintptr(len(s)) > pt+uintptr(len(t)) {
		return 0, false
	}
	return int(ps - pt), true
}

// OpenFilesOf packs facts into a table: what tests and callers with
// OpenFile values use.
func OpenFilesOf(facts ...OpenFile) OpenFileTable {
	if facts == nil {
		return nil
	}
	t := make(OpenFileTable, 0, len(facts))
	for _, f := range facts {
		t.Append(f)
	}
	return t
}

// Append packs f and adds it at the end.
func (t *OpenFileTable) Append(f OpenFile) {
	var prev *OpenFileRow
	if n := len(*t); n > 0 {
		prev = &(*t)[n-1]
	}
	*t = append(*t, PackOpenFile(f, prev))
}

// Fact returns row i as an OpenFile.
func (t OpenFileTable) Fact(i int) OpenFile { return t[i].Fact() }

// Facts returns every row as an OpenFile: for small tables (tests, tools).
func (t OpenFileTable) Facts() []OpenFile {
	if t == nil {
		return nil
	}
	out := make([]OpenFile, len(t))
	for i := range t {
		out[i] = t[i].Fact()
	}
	return out
}

// MarshalJSON writes the table as a list of OpenFile, as the model wrote
// before rows were packed, one row at a time.
func (t OpenFileTable) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range t {
		if i > 0 {
			b.WriteByte(',')
		}
		j, err := json.Marshal(t[i].Fact())
		if err != nil {
			return nil, err
		}
		b.Write(j)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// setSection records section in the source of every row.
func (t OpenFileTable) setSection(section string) {
	for i := range t {
		if f := t[i].file; f != nil {
			f.section = section
			if f.full != nil {
				f.full.Src.Section = section
			}
		}
	}
}
