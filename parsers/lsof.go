package parsers

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
)

// The lsof parser reads the default columnar output of lsof (Linux and AIX)
// with or without its header, and -F field output. Open files under a guard
// point are the first thing support asks about when an agent cannot unload,
// and sosreports hold multi-megabyte lsof captures, so the row path avoids
// regexps and allocates nothing beyond the fact's own line.

func init() {
	Register(&Parser{
		Name: "lsof",
		Kind: KindLsof,
		Doc:  "lsof open-file listings: default columns (with or without header, TID/TASKCMD), AIX, -F fields",
		Paths: []string{
			"sos_commands/process/lsof_*", "sos_commands/filesys/lsof_*",
			"insights_commands/lsof*", "lsof", "lsof.out", "lsof.txt",
			"lsof-*", "lsof_*", "lsof*.out", "lsof*.txt", "lsof*.log",
		},
		Sniff: sniffLsof,
		Parse: parseLsof,
		// Rules ask lsof which descriptors lie inside a guard point, and
		// a busy host's lsof holds millions of rows, mostly sockets,
		// pipes and libraries: with the guard points known, only the rows
		// inside them are kept (see lsofspool.go for the ones named later).
		Requires: []Kind{KindMount, KindDF, KindAgentStatus},
	})
}

// Column ids of an lsof header.
const (
	lsofCommand = iota
	lsofPID
	lsofTID
	lsofTaskCmd
	lsofUser
	lsofFD
	lsofType
	lsofDevice
	lsofSize
	lsofNode
	lsofName
	lsofOther // a column this parser does not keep (PPID, PGID, ...)
	lsofNCols
)

// lsofLabels maps header labels to column ids.
var lsofLabels = map[string]int{
	"COMMAND": lsofCommand, "PID": lsofPID, "TID": lsofTID, "TASKCMD": lsofTaskCmd,
	"USER": lsofUser, "FD": lsofFD, "TYPE": lsofType, "DEVICE": lsofDevice,
	"SIZE/OFF": lsofSize, "SIZE": lsofSize, "OFFSET": lsofSize, "NODE": lsofNode, "NAME": lsofName,
}

// lsofCol is one header label, its offsets relative to the start of COMMAND.
type lsofCol struct {
	id         int
	start, end int
	left       bool // left-aligned values (COMMAND, TASKCMD); others end where the label ends
}

// lsofHeader is the column layout announced by a header line.
type lsofHeader struct {
	cols      []lsofCol // without NAME
	nameStart int
	indent    int // blanks before COMMAND on the header line
}

// parseLsofHeader recognises a header line, also when a collector left a
// run of blanks in front of it.
func parseLsofHeader(b []byte) (*lsofHeader, bool) {
	t, indent := trimBlank(b)
	if !bytes.HasPrefix(t, []byte("COMMAND")) {
		return nil, false
	}
	h := &lsofHeader{indent: indent, nameStart: -1}
	var seen [lsofNCols]bool
	for _, sp := range appendFields(nil, t, 32) {
		id, ok := lsofLabels[string(t[sp.start:sp.end])]
		if !ok {
			id = lsofOther
		}
		if h.nameStart >= 0 {
			return nil, false // NAME is always last
		}
		if id != lsofOther && seen[id] {
			return nil, false
		}
		seen[id] = true
		if id == lsofName {
			h.nameStart = sp.start
			continue
		}
		h.cols = append(h.cols, lsofCol{id: id, start: sp.start, end: sp.end, left: id == lsofCommand || id == lsofTaskCmd})
	}
	if !seen[lsofPID] || !seen[lsofFD] || !seen[lsofName] || h.cols[0].id != lsofCommand {
		return nil, false
	}
	return h, true
}

// lsofRow holds the spans of one row's fields; s < 0 means blank.
type lsofRow [lsofNCols]span

func (r *lsofRow) reset() { *r = noLsofRow }

// noLsofRow is a row with every column blank: copied whole, it resets a
// row faster than a loop over its columns (every row of a busy lsof is
// reset).
var noLsofRow = func() (r lsofRow) {
	for i := range r {
		r[i] = span{-1, -1}
	}
	return r
}()

// lsofOptional are the columns lsof may leave blank.
func lsofOptional(id int) bool {
	switch id {
	case lsofTID, lsofTaskCmd, lsofType, lsofDevice, lsofSize, lsofNode, lsofOther:
		return true
	}
	return false
}

// splitAligned splits a row by the header's column positions: every column
// but COMMAND, TASKCMD and NAME is right-aligned to the end of its label,
// so blank cells are told apart exactly. It returns false when the row does
// not line up with the header (hand-edited or re-spaced output).
func (h *lsofHeader) splitAligned(b []byte, r *lsofRow) bool {
	r.reset()
	shift := 0
	if len(b) > 0 && isBlank(b[0]) {
		for shift < len(b) && isBlank(b[shift]) {
			shift++
		}
		if shift != h.indent {
			return false
		}
	}
	ci := 0    // next column that may receive a token
	open := -1 // left-aligned column still absorbing tokens
	i := shift
	for i < len(b) {
		if i = skipBlanks(b, i); i == len(b) {
			break
		}
		s := i
		for i < len(b) && !isBlank(b[i]) {
			i++
		}
		rs, re := s-shift, i-shift
		if rs >= h.nameStart {
			r[lsofName] = span{s, len(b)}
			break
		}
		matched := false
		for j := ci; j < len(h.cols); j++ {
			c := h.cols[j]
			if c.left {
				if rs == c.start {
					if !h.skipOK(ci, j) {
						return false
					}
					r[c.id] = span{s, i}
					open, ci, matched = c.id, j+1, true
				}
			} else if re == c.end || (c.id == lsofFD && re > c.end && re <= c.end+2) {
				// FD's number ends at the label's end; its mode and lock
				// letters stick out past it ("19u", "3uW").
				if !h.skipOK(ci, j) {
					return false
				}
				if c.id != lsofOther {
					r[c.id] = span{s, i}
				}
				open, ci, matched = -1, j+1, true
			}
			if matched {
				break
			}
		}
		if !matched {
			if open < 0 {
				return false
			}
			r[open].end = i // a command or thread name with a blank in it
		}
	}
	if !h.skipOK(ci, len(h.cols)) {
		return false
	}
	return r[lsofCommand].start >= 0 && r[lsofPID].start >= 0 && r[lsofFD].start >= 0
}

// skipOK reports whether the columns from i up to j may all be blank.
func (h *lsofHeader) skipOK(i, j int) bool {
	for ; i < j; i++ {
		if !lsofOptional(h.cols[i].id) {
			return false
		}
	}
	return true
}

// lsofFDWords are the non-numeric descriptor names lsof prints.
var lsofFDWords = map[string]bool{
	"cwd": true, "rtd": true, "txt": true, "mem": true, "mmap": true, "ltx": true,
	"DEL": true, "NOFD": true, "pd": true, "tr": true, "err": true, "jld": true,
	"twd": true, "ctty": true, "fp.": true, "m86": true, "v86": true, "unk": true,
}

// lsofIsFD recognises a descriptor: a name above, Lnn/Rnn/Mxx, or a number
// with its access mode and lock letters ("3u", "14uW", "0r").
func lsofIsFD(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] >= '0' && b[0] <= '9' {
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		rest := b[i:]
		if len(rest) == 0 || len(rest) > 2 {
			return false
		}
		if strings.IndexByte("rwu-", rest[0]) < 0 {
			return false
		}
		return len(rest) == 1 || strings.IndexByte("rRwWuUxXN ", rest[1]) >= 0
	}
	if len(b) >= 2 && (b[0] == 'L' || b[0] == 'R') && allDigits(b[1:]) {
		return true
	}
	if len(b) >= 2 && b[0] == 'M' {
		if _, ok := hex64(b[1:]); ok {
			return true
		}
	}
	return lsofFDWords[string(b)]
}

// lsofNumeric recognises a DEVICE, SIZE/OFF or NODE cell: "253,0", "4096",
// "0t0", "0x1f", "0xffff8d72b9861400".
func lsofNumeric(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if len(b) > 2 && b[0] == '0' && (b[1] == 't' || b[1] == 'x') {
		return allHex(b[2:])
	}
	comma := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
		case c == ',' && !comma:
			comma = true
		default:
			return false
		}
	}
	return b[0] != ','
}

// lsofProtos are the protocol names lsof prints in the NODE column.
var lsofProtos = map[string]bool{"TCP": true, "UDP": true, "UDPLITE": true, "SCTP": true, "RAW": true, "RAW6": true, "ICMP": true, "ICMP6": true, "UDP6": true, "TCP6": true}

// splitLsofTokens splits a row that has no usable header (lsof | grep) or that
// does not line up with it, by the shape of its fields.
func splitLsofTokens(b []byte, toks []span, r *lsofRow) bool {
	r.reset()
	toks = appendFields(toks[:0], b, 16)
	n := len(toks)
	tok := func(i int) []byte { return b[toks[i].start:toks[i].end] }
	pid := -1
	for i := 1; i < n && i <= 4; i++ {
		if allDigits(tok(i)) {
			pid = i
			break
		}
	}
	if pid < 0 {
		return false
	}
	r[lsofCommand] = span{toks[0].start, toks[pid-1].end}
	r[lsofPID] = toks[pid]
	fd := -1
	for i := pid + 2; i < n && i <= pid+5; i++ {
		if lsofIsFD(tok(i)) {
			fd = i
			break
		}
	}
	if fd < 0 {
		return false
	}
	r[lsofUser] = toks[fd-1]
	r[lsofFD] = toks[fd]
	if between := fd - 1 - (pid + 1); between > 0 {
		k := pid + 1
		if allDigits(tok(k)) {
			r[lsofTID] = toks[k]
			k++
		}
		if k < fd-1 {
			r[lsofTaskCmd] = span{toks[k].start, toks[fd-2].end}
		}
	}
	k := fd + 1
	if k < n && string(tok(fd)) != "NOFD" && tok(k)[0] != '/' && !lsofNumeric(tok(k)) {
		r[lsofType] = toks[k]
		k++
	}
	var nums [3]int
	cnt := 0
	for cnt < 3 && k < n {
		t := tok(k)
		if lsofNumeric(t) || (cnt > 0 && lsofProtos[string(t)]) {
			nums[cnt] = k
			cnt++
			k++
			if lsofProtos[string(t)] {
				break
			}
			continue
		}
		break
	}
	// Assign the numeric cells by their shape when some were blank.
	ids := [3]int{lsofDevice, lsofSize, lsofNode}
	switch cnt {
	case 3:
	case 2:
		first, second := tok(nums[0]), tok(nums[1])
		switch {
		case bytes.IndexByte(first, ',') >= 0 || bytes.HasPrefix(first, []byte("0x")):
			ids[0] = lsofDevice
			if bytes.HasPrefix(second, []byte("0t")) || bytes.HasPrefix(second, []byte("0x")) {
				ids[1] = lsofSize
			} else {
				ids[1] = lsofNode
			}
		default:
			ids[0], ids[1] = lsofSize, lsofNode
		}
	case 1:
		t := tok(nums[0])
		switch {
		case bytes.IndexByte(t, ',') >= 0:
			ids[0] = lsofDevice
		case bytes.HasPrefix(t, []byte("0t")):
			ids[0] = lsofSize
		default:
			ids[0] = lsofNode
		}
	}
	for i := 0; i < cnt; i++ {
		r[ids[i]] = toks[nums[i]]
	}
	if k < n {
		r[lsofName] = span{toks[k].start, len(b)}
	}
	return true
}

// lsofState is the parse of one file.
type lsofState struct {
	hdr     *lsofHeader
	row     lsofRow
	layouts lsofLayoutUse // see splitRow
	toks    []span
	text    kernArena
	// Rows are kept compactly while the file is read and become the
	// model's packed rows at its end, in one slice of the right size:
	// building each one twice (in a growing buffer, then in the model)
	// cost more than parsing the line.
	recs kernFacts[lsofRec]
	slow []model.OpenFile // rows whose text cleaning moved their fields
	// fields and fieldsKept describe -F output, whose facts skip recs.
	fields     bool
	fieldsKept int
	// unkept counts the rows left out by Input.KeepOpenFilesUnder.
	unkept int
	// known are the directories kept while reading (Deps' possible guard
	// points); spool holds the rows naming a path outside them for the
	// deferred finish. Both are nil when the parser was given no Deps.
	known []string
	spool *lsofSpool
	// tallies count the rows naming no path that were left out, by type.
	tallies   []model.OpenFileTally
	tallyPids []*pidSet
	tallyAt   map[string]int // index in tallies by Type: a row's lookup stays O(1) however many types a file names
	// countOnly makes parseRow count the rows it would keep (counted)
	// instead of keeping them: the first pass over held rows.
	countOnly bool
	counted   int
	// keptFirst, when not nil, holds the directories of the rows a first
	// read kept already: a second read (keepAgain) counts those rows
	// instead.
	keptFirst *Input
	// squeeze stores kept lines squeezed (model.SqueezeLine): the runs
	// of spaces lsof aligns its columns with were half of a busy guard
	// point's memory. Rows re-read from the spool are not squeezed.
	squeeze bool
	exp     []byte // pack's expansion of a squeezed line
}

// lsofRec is one row kept while the file is read: its line, the header in
// force and the numbers already parsed. Its fields are split again when
// the fact is made (fact): a row then costs 40 bytes beside its text, and
// the rows of a busy guard point (250,000 of them) are held together with
// their facts while those are made, so offsets kept for every field
// (72 bytes a row) were 8 MB of the process's peak; splitting them again
// costs about 0.1 s.
type lsofRec struct {
	text     string
	hdr      *lsofHeader
	line     uint32
	pid, tid uint32
	slow     bool // the fact is st.slow[pid]
	sq       bool // text is squeezed (model.SqueezeLine)
}

func parseLsof(in *Input, out *model.Model) {
	st := &lsofState{toks: make([]span, 0, 16), squeeze: true}
	if deps := in.Deps(); deps != nil && !in.openLim {
		st.known = knowledge.GuardPointCandidates(deps)
		in.KeepOpenFilesUnder(st.known)
		st.spool = &lsofSpool{max: in.spoolMax, mem: in.spoolMem, reread: in.rereadable()}
	}
	defer st.end(in, out)
	st.read(in, func() {
		if st.spool != nil {
			// A file set spans lines and is not spooled: -F output,
			// rare in bundles, keeps every row naming a path when
			// guard points may come later.
			st.spool, st.known = nil, []string{"/"}
			in.KeepOpenFilesUnder(st.known)
		}
		parseLsofFields(in, out, st)
	})
}

// read parses the lines of in into st. When the first line shows -F
// output (a file set per process, then one per descriptor), fields is
// called instead, to read the file from there; a nil fields reads it as
// rows, which then fail to parse.
func (st *lsofState) read(in *Input, fields func()) {
	first := true
	for in.Next() {
		b := in.Bytes()
		if first {
			first = false
			if t, _ := trimBlank(b); fields != nil && len(t) > 1 && t[0] == 'p' && allDigits(t[1:]) {
				fields()
				return
			}
		}
		if h, ok := parseLsofHeader(b); ok {
			st.hdr = h
			if st.spool != nil {
				st.spool.header(in.Line(), b)
			}
			continue
		}
		st.line(in, b)
		if in.Line() == lsofParallelAfter && !in.serial {
			// A large file: the rest is parsed on every core.
			parseLsofParallel(in, st)
			return
		}
	}
}

// line reads one line that is not a header: a row, or a warning.
func (st *lsofState) line(in *Input, b []byte) {
	if st.parseRow(in, b, st.recs.next()) {
		return
	}
	st.recs.drop()
	t, _ := trimBlank(b)
	switch {
	case len(t) == 0:
	case bytes.HasPrefix(t, []byte("lsof:")) || bytes.HasPrefix(t, []byte("Output information may be incomplete")):
		in.Warnf("lsof reported: %s", in.Text())
	default:
		in.Warnf("not an lsof row: %s", quotedExcerpt(in.Text()))
	}
}

// parseRow reads one row into rec (a zeroed slot). A row kept, or
// counted as kept, leaves its split in st.row.
func (st *lsofState) parseRow(in *Input, b []byte, rec *lsofRec) bool {
	// r may be a remembered split (splitRow), only read here; the row's
	// NAME is name.
	r, name, ok := &st.row, span{-1, -1}, false
	if st.hdr != nil {
		r, name, ok = st.splitRow(b)
	}
	if !ok {
		r = &st.row
		ok = splitLsofTokens(b, st.toks, r)
		name = r[lsofName]
	}
	if !ok || r[lsofUser].start < 0 || int64(in.Line()) > 1<<32-1 {
		return false
	}
	pid, okp := atoi64(b[r[lsofPID].start:r[lsofPID].end])
	if !okp || pid > 1<<31 {
		return false
	}
	rec.pid, rec.line = uint32(pid), uint32(in.Line())
	if sp := r[lsofTID]; sp.start >= 0 {
		if tid, ok := atoi64(b[sp.start:sp.end]); ok && tid <= 1<<31 {
			rec.tid = uint32(tid)
		}
	}
	split := name // as split, for st.row
	if name.start >= 0 {
		for name.end > name.start && isBlank(b[name.end-1]) {
			name.end--
		}
	}
	if in.openLim {
		var nb []byte
		if name.start >= 0 {
			nb = b[name.start:name.end]
		}
		if !in.keepOpenFile(nb) {
			// Decided on the raw bytes, before the line is copied: a row
			// left out costs no memory, a spooled one its compressed size.
			st.recs.drop()
			switch {
			case len(nb) > 0 && nb[0] == '/' && st.spool != nil:
				st.spool.row(in.Line(), b)
			case len(nb) == 0 || nb[0] != '/':
				st.unkept++
				st.tally(in, b, r, uint32(pid), nb)
			default:
				st.unkept++
			}
			return true
		}
		if st.keptFirst != nil && st.keptFirst.keepOpenFile(nb) {
			st.recs.drop()
			st.counted++
			return true
		}
	}
	if r != &st.row {
		st.row, r = *r, &st.row
		st.row[lsofName] = split
	}
	if st.countOnly {
		st.recs.drop()
		st.counted++
		return true
	}
	if raw := in.Bytes(); st.squeeze && printableASCII(raw) {
		// Squeezed straight from the input: the line is not copied twice.
		rec.text, rec.sq = st.text.squeeze(raw)
		rec.hdr = st.hdr
		return true
	}
	l := newKernLine(in, &st.text)
	if !l.same {
		// Cleaning changed the line: its fields are cleaned one by one.
		f := model.OpenFile{
			Command: l.str(r[lsofCommand].start, r[lsofCommand].end), PID: int(pid), TID: int(rec.tid),
			User: l.str(r[lsofUser].start, r[lsofUser].end), FD: l.str(r[lsofFD].start, r[lsofFD].end),
			Type: l.str(r[lsofType].start, r[lsofType].end), Device: l.str(r[lsofDevice].start, r[lsofDevice].end),
			SizeOff: l.str(r[lsofSize].start, r[lsofSize].end), Node: l.str(r[lsofNode].start, r[lsofNode].end),
			TaskCmd: l.str(r[lsofTaskCmd].start, r[lsofTaskCmd].end),
			Src:     model.Source{Path: in.Path, Line: in.Line(), Text: l.text},
		}
		if name.start >= 0 {
			f.Name, f.Deleted, f.Error = lsofSplitName(l.str(name.start, name.end))
		}
		rec.slow, rec.pid = true, uint32(len(st.slow))
		st.slow = append(st.slow, f)
		return true
	}
	rec.text, rec.hdr = l.text, st.hdr
	return true
}

// tally counts a row naming no path by its type.
func (st *lsofState) tally(in *Input, b []byte, r *lsofRow, pid uint32, name []byte) {
	var typ []byte
	if sp := r[lsofType]; sp.start >= 0 {
		typ = b[sp.start:sp.end]
	}
	i, ok := st.tallyAt[string(typ)]
	if !ok {
		c := Clean(typ) // differs from typ only for control or non-UTF-8 bytes
		if i, ok = st.tallyAt[c]; !ok {
			i = st.addTally(model.OpenFileTally{Type: c, Src: in.Src()}, newPidSet())
		}
	}
	t := &st.tallies[i]
	t.Rows++
	if bytes.HasSuffix(name, []byte("(LISTEN)")) {
		t.Listening++
	}
	st.tallyPids[i].add(pid)
}

// pidSet is a set of process ids. lsof lists the descriptors of a process
// together, so most rows repeat the pid of the row before them of the same
// type: that one is not looked up again (looking up every row's was 8 % of
// the CPU of a busy host's lsof).
type pidSet struct {
	m    map[uint32]struct{}
	last uint32 // the pid added last, plus 1; 0 before the first
}

func newPidSet() *pidSet { return &pidSet{m: map[uint32]struct{}{}} }

func (s *pidSet) add(pid uint32) {
	if pid+1 != s.last {
		s.m[pid] = struct{}{}
		s.last = pid + 1
	}
}

// addTally appends a tally of a type not seen yet and returns its index.
func (st *lsofState) addTally(t model.OpenFileTally, pids *pidSet) int {
	if st.tallyAt == nil {
		st.tallyAt = map[string]int{}
	}
	st.tallyAt[t.Type] = len(st.tallies)
	st.tallies = append(st.tallies, t)
	st.tallyPids = append(st.tallyPids, pids)
	return len(st.tallies) - 1
}

// end finishes the parse of the file: facts, counts, and the work
// deferred until every guard point is known.
func (st *lsofState) end(in *Input, out *model.Model) {
	st.releaseLayouts()
	kept := st.recs.n + st.fieldsKept
	if st.spool == nil || st.spool.rows == 0 {
		// Nothing held for later: the facts are final. Otherwise they
		// are made once, merged with the rows found later, by finish.
		st.flush(in, out)
		st.spool = nil
	}
	if !in.openLim {
		return
	}
	// Rows left out are counted, so nothing is lost silently.
	if st.spool == nil && st.unkept == 0 {
		return
	}
	for i := range st.tallies {
		st.tallies[i].Processes = len(st.tallyPids[i].m)
	}
	out.OpenFileTallies = append(out.OpenFileTallies, st.tallies...)
	st.tallies, st.tallyPids, st.tallyAt = nil, nil, nil
	out.LogStats = append(out.LogStats, model.LogStats{Kind: string(KindLsof), Lines: in.Line(),
		Kept: kept, Unkept: st.unkept, KeptUnder: append([]string{}, in.openDirs...), Src: model.Source{Path: in.Path}})
	if st.spool != nil {
		in.Defer(st.finish(in, len(out.LogStats)-1))
	}
}

// flush turns the rows read into facts.
func (st *lsofState) flush(in *Input, out *model.Model) {
	emitKept(in.Path, out, st)
}

// fact makes the fact of one row of st, splitting its line again as
// parseRow did.
func (st *lsofState) fact(r *lsofRec, path string) model.OpenFile {
	if r.slow {
		return st.slow[r.pid]
	}
	if r.sq {
		x := *r
		x.text, x.sq = model.ExpandLine(r.text), false
		r = &x
	}
	// The line is only read: the split functions take bytes, and a copy
	// per row is what holding the text as a string avoids.
	b := unsafe.Slice(unsafe.StringData(r.text), len(r.text))
	row := &st.row
	ok := r.hdr != nil && r.hdr.splitAligned(b, row)
	if !ok {
		splitLsofTokens(b, st.toks, row) // succeeds: it did when the row was read
	}
	return st.factOf(r, row, path)
}

// pack makes the row of r, sharing the source record of prev (see
// model.PackOpenFile).
func (st *lsofState) pack(r *lsofRec, path string, prev *model.OpenFileRow) model.OpenFileRow {
	if !r.sq {
		return model.PackOpenFile(st.fact(r, path), prev)
	}
	// The line is expanded into a buffer reused for every row (a fresh
	// string per row was 20 MB of garbage for the 15 MB lsof);
	// PackSqueezed keeps only the squeezed line and spans.
	st.exp = model.AppendExpanded(st.exp[:0], r.text)
	x := *r
	x.text, x.sq = unsafe.String(unsafe.SliceData(st.exp), len(st.exp)), false
	return model.PackSqueezed(st.fact(&x, path), r.text, prev)
}

// printableASCII reports whether b holds only printable ASCII: the lines
// SqueezeLine squeezes.
func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// factOf makes the fact of row r whose fields are at row.
func (st *lsofState) factOf(r *lsofRec, row *lsofRow, path string) model.OpenFile {
	if r.slow {
		return st.slow[r.pid]
	}
	t := r.text
	f := func(id int) string {
		if sp := row[id]; sp.start >= 0 {
			return t[sp.start:sp.end]
		}
		return ""
	}
	o := model.OpenFile{
		Command: f(lsofCommand),
		PID:     int(r.pid),
		TID:     int(r.tid),
		User:    f(lsofUser),
		FD:      f(lsofFD),
		Type:    f(lsofType),
		Device:  f(lsofDevice),
		SizeOff: f(lsofSize),
		Node:    f(lsofNode),
		TaskCmd: f(lsofTaskCmd),
		Src:     model.Source{Path: path, Line: int(r.line), Text: t},
	}
	if name := row[lsofName]; name.start >= 0 {
		for name.end > name.start && isBlank(t[name.end-1]) {
			name.end--
		}
		n, deleted, es, ee := lsofNameNotes(t[name.start:name.end])
		o.Name, o.Deleted, o.Error = t[name.start:name.start+n], deleted, t[name.start+es:name.start+ee]
	}
	return o
}

// emitKept appends the rows st kept to out as packed rows, in line order,
// in one slice of the right size: building the list twice (in a growing
// buffer, then in the model) doubled the peak memory of a busy guard point.
func emitKept(path string, out *model.Model, st *lsofState) {
	n := st.recs.n
	if n == 0 {
		return
	}
	collectBeforeFacts(n)
	base := len(out.OpenFiles)
	out.OpenFiles = slices.Grow(out.OpenFiles, n)[:base+n]
	packKept(path, out.OpenFiles, st, func(k int) int { return base + k })
}

// packKept packs the rows st kept into dst, row k (in line order) at
// dst[at(k)], on every core, and then lets go of them. Packing splits each
// line again: for a busy guard point's 250,000 rows that was 0.15-0.25 s
// on one core after the walk, with the other core idle. Rows packed on one
// worker share their source record where the file and section match, as a
// list packed in one go does; a worker's first row starts a record of its
// own, which only costs the few bytes of one.
func packKept(path string, dst model.OpenFileTable, st *lsofState, at func(int) int) {
	type job struct {
		recs  []lsofRec
		first int // index of recs[0] among st's rows
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	workers := max(1, min(runtime.GOMAXPROCS(0), st.recs.n/packMin))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A worker's own scratch: pack splits into row and toks and
			// expands into exp.
			w := &lsofState{toks: make([]span, 0, 16), slow: st.slow}
			for j := range jobs {
				var prev *model.OpenFileRow
				for i := range j.recs {
					k := at(j.first + i)
					dst[k] = w.pack(&j.recs[i], path, prev)
					prev = &dst[k]
				}
			}
		}()
	}
	first := 0
	for _, ch := range append(st.recs.chunks, st.recs.cur) {
		jobs <- job{ch, first}
		first += len(ch)
	}
	close(jobs)
	wg.Wait()
	st.recs, st.slow = kernFacts[lsofRec]{}, nil
}

// packMin is the fewest kept rows per worker for packKept to use more than
// one: below it a goroutine costs more than it saves.
const packMin = 2048

// collectBeforeFactsAt is the size of a fact list from which making it
// starts with a garbage collection. At 16 MiB the 15 MB lsof of
// docs/performance.md (150,000 rows, a 9.6 MB list) made its list on top
// of 11 MB of garbage and peaked at 60-64 MiB of RSS; at 4 MiB it peaks at
// 59-60 MiB, in the same time (six alternating runs each).
const collectBeforeFactsAt = 4 << 20

// collectBeforeFacts runs the garbage collector before a list of n rows
// is made when that list is large. The list is one allocation (250,000
// rows are 20 MB at once; 60 MB when they were OpenFile structs),
// arriving on top of whatever garbage the heap held under its goal, and
// the process's peak memory was that garbage plus the list (140 MB of
// heap for 111 MB live on the busy shape of docs/performance.md). One
// collection first, about as costly as the collector's next cycle would
// have been, makes the peak the live facts.
func collectBeforeFacts(n int) {
	if n*int(unsafe.Sizeof(model.OpenFileRow{})) >= collectBeforeFactsAt {
		runtime.GC()
	}
}

// lsofSplitName takes lsof's notes off the end of a name: "(deleted)" and the
// errors "(stat: ...)", "(readlink: ...)", "(opendir: ...)".
func lsofSplitName(n string) (name string, deleted bool, errText string) {
	l, deleted, es, ee := lsofNameNotes(n)
	return n[:l], deleted, n[es:ee]
}

// lsofNameNotes is lsofSplitName by offsets: the length of the name proper
// and where the error note lies in n (es == ee when there is none).
func lsofNameNotes(n string) (nameLen int, deleted bool, es, ee int) {
	l := len(n)
	for range 3 {
		m := n[:l]
		switch {
		case strings.HasSuffix(m, " (deleted)"):
			l, deleted = l-len(" (deleted)"), true
		case strings.HasSuffix(m, ")"):
			i := strings.LastIndex(m, " (")
			if i < 0 {
				return l, deleted, es, ee
			}
			note := m[i+2 : l-1]
			c := strings.IndexByte(note, ':')
			if c < 0 {
				return l, deleted, es, ee
			}
			switch note[:c] {
			case "stat", "lstat", "readlink", "opendir", "open", "statfs":
				if es == ee {
					es, ee = i+2, l-1
				}
				l = i
			default:
				return l, deleted, es, ee
			}
		default:
			return l, deleted, es, ee
		}
	}
	return l, deleted, es, ee
}

// parseLsofFields reads -F output: a line per field, the first byte naming
// it. A file set (from "f" to the next "f" or "p") becomes one fact, under
// the process fields last seen. The current line is the first "p" line.
func parseLsofFields(in *Input, out *model.Model, st *lsofState) {
	var proc model.OpenFile // process fields
	var cur model.OpenFile
	have := false
	st.fields = true
	flush := func() {
		if have {
			if !in.openLim || in.keepOpenFile([]byte(cur.Name)) {
				cur.Name, cur.Deleted, cur.Error = lsofSplitName(cur.Name)
				out.OpenFiles.Append(cur)
				st.fieldsKept++
			} else {
				st.unkept++
			}
		}
		have = false
	}
	for {
		b := in.Bytes()
		// With -F0 every field ends in NUL instead of a newline.
		for _, field := range bytes.Split(b, []byte{0}) {
			if len(field) == 0 {
				continue
			}
			v := Clean(field[1:])
			switch field[0] {
			case 'p':
				flush()
				pid, ok := atoi64(field[1:])
				if !ok || pid > 1<<31 {
					in.Warnf("lsof -F: bad process id %s", quotedExcerpt(v))
					pid = 0
				}
				proc = model.OpenFile{PID: int(pid)}
			case 'c':
				proc.Command = v
			case 'L':
				proc.User = v
			case 'u':
				if proc.User == "" {
					proc.User = v
				}
			case 'K':
				if tid, ok := atoi64(field[1:]); ok && tid <= 1<<31 {
					proc.TID = int(tid)
				}
			case 'g', 'R':
			case 'f':
				flush()
				cur = proc
				cur.FD = v
				cur.Src = in.Src()
				have = true
			case 't':
				cur.Type = v
			case 'D':
				cur.Device = v
			case 's', 'o':
				if cur.SizeOff == "" {
					cur.SizeOff = v
				}
			case 'i':
				cur.Node = v
			case 'n':
				cur.Name = v
				if have {
					cur.Src.EndLine = in.Line()
				}
			case 'a', 'l':
				// Mode and lock letters follow a descriptor number, as in
				// the columnar form ("3u", "14uW").
				if m := strings.TrimSpace(v); have && m != "" && allDigits(strings.TrimRight(cur.FD, "rwuRWUxXN-")) {
					cur.FD += m
				}
			case 'k', 'P', 'T', 'S', 'G', 'd', 'C', 'N', 'Z':
			default:
				in.Warnf("lsof -F: unknown field %s", quotedExcerpt(in.Text()))
			}
		}
		if !in.Next() {
			break
		}
	}
	flush()
}

// sniffLsof recognises lsof output: its header, its own diagnostics, or
// headerless rows (lsof | grep) whose descriptor and type columns fit.
func sniffLsof(h *Head) bool {
	rows, tried := 0, 0
	st := &lsofState{toks: make([]span, 0, 16)}
	for i, l := range h.Lines {
		if i >= 50 {
			break
		}
		b := []byte(l)
		t, _ := trimBlank(b)
		if len(t) == 0 {
			continue
		}
		if _, ok := parseLsofHeader(b); ok {
			return true
		}
		if tried == 0 && bytes.HasPrefix(t, []byte("lsof: ")) {
			return true
		}
		if t[0] == '#' || t[0] == '$' {
			continue // a pasted prompt
		}
		tried++
		if splitLsofTokens(b, st.toks, &st.row) && st.row[lsofType].start >= 0 &&
			lsofTypes[string(b[st.row[lsofType].start:st.row[lsofType].end])] {
			rows++
		}
		if tried == 5 {
			break
		}
	}
	return tried > 0 && rows == tried
}

// lsofTypes are the TYPE values that make a headerless line lsof's.
var lsofTypes = map[string]bool{
	"REG": true, "DIR": true, "CHR": true, "BLK": true, "FIFO": true, "LINK": true,
	"unix": true, "IPv4": true, "IPv6": true, "sock": true, "netlink": true,
	"a_inode": true, "inet": true, "pack": true, "unknown": true, "PIPE": true,
	"VREG": true, "VDIR": true, "VCHR": true, "VBLK": true, "VFIFO": true, "VLNK": true, "VSOCK": true,
}
