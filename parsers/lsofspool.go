package parsers

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
	"github.com/klauspost/compress/s2"
)

// When lsof is read before the bundle's last mount table, df or agent
// status, a guard point may become known only after its rows went by. The
// rows naming a path outside the guard points known so far are therefore
// kept as raw lines, compressed, until the pipeline calls the deferred
// finish with every guard point of the bundle; only when a new guard point
// appeared are they parsed again, and only the rows inside it are kept.
// The compressed rows (a busy host's lsof repeats the same libraries for
// every process; s2 compresses it 4-6x) stay in memory up to
// lsofSpoolInMemory and go to an unlinked temporary file beyond it, so
// the process's memory does not follow the bundle's size (a 4 GiB bundle
// spooled 64 MiB, and with that much live heap the garbage collector ran
// a thousand times). The spool is bounded by lsofSpoolMax in memory and
// lsofSpoolDiskMax with its file; rows beyond are counted as lost, never
// dropped silently.
//
// When the bundle is cheap to read again (Input.SetReread: a directory, a
// plain tar, zstd or lz4), those rows are only counted while the file is
// read; only when a guard point came late does the finish read the file
// again and keep the rows inside it (keepAgain). Holding them was 15 % of
// the CPU of a 1 GiB zstd bundle in which no guard point ever came late.

// lsofSpoolFrame is the uncompressed size of one spool frame. Frames are
// compressed and later decoded and parsed independently, on every core;
// every worker holds one decoded frame while the facts are made, and
// 4 MiB frames were 8 MB of the lsof-first shape's peak.
const lsofSpoolFrame = 1 << 20

// lsofSpoolMax bounds the compressed bytes one lsof file may spool in
// memory, and lsofSpoolDiskMax those it may spool in all once frames go to
// the temporary file (a 4 GiB bundle holds about 240 MiB).
const (
	lsofSpoolMax     = 64 << 20
	lsofSpoolDiskMax = 512 << 20
)

// lsofSpoolInMemory is how many compressed bytes of one file's spool stay
// in memory; the frames after them are written to a temporary file (a
// small lsof never touches the disk). Without a usable temporary
// directory every frame stays in memory, as before.
const lsofSpoolInMemory = 1 << 20

// lsofSpool holds raw lsof lines as records: uvarint(line<<1 | header),
// uvarint(length), the bytes. Every frame starts with the header line last
// seen, so it parses on its own.
type lsofSpool struct {
	cur     []byte       // the frame being filled, uncompressed
	frames  []spoolFrame // full frames, s2-compressed
	packed  int          // compressed bytes in frames
	disk    *spoolFile   // where frames beyond lsofSpoolInMemory go; nil until then
	hdr     []byte       // the last header line and its number
	hdrLine int
	max     int // bytes it may hold; 0 means lsofSpoolMax, or lsofSpoolDiskMax with a file
	mem     int // bytes it keeps in memory; 0 means lsofSpoolInMemory
	rows    int // rows spooled
	// collect makes a batch's spool (see lsofpar.go) only record rows,
	// without a budget, and pack them into one frame on the worker; the
	// frame joins the file's spool in order. firstRow is the line of its
	// first row.
	collect  bool
	firstRow int
	curRows  int // rows in cur
	lost     int // rows naming a path not spooled: lsofSpoolMax reached
	// firstLost is the line of the first lost row.
	firstLost int
	// reread, when not nil, reads the file again (Input.SetReread): the
	// spool then only counts the rows it would hold, and the deferred
	// finish reads the file again when a guard point came late
	// (keepAgain).
	reread Reread
}

// The spool's frames are s2 blocks. zstd at its fastest level compressed
// synthetic lsof 28x against s2's 6x, but cost three times the CPU (0.6 s
// for the held rows of a 1 GiB bundle, against 0.2 s) and kept 10 MB of
// encoder state alive; since frames beyond lsofSpoolInMemory go to a
// file, the ratio matters less than the CPU.

// spoolOut is an s2 output buffer for a frame, reused.
var spoolOut = sync.Pool{New: func() any { return new([]byte) }}

// maxSpoolFrame is the largest decoded frame: a frame, its last row and
// the header it starts with.
const maxSpoolFrame = lsofSpoolFrame + 2*DefaultMaxLine + 1<<16

func (s *lsofSpool) record(line int, header bool, b []byte) {
	v := uint64(line) << 1
	if header {
		v |= 1
	}
	s.cur = binary.AppendUvarint(s.cur, v)
	s.cur = binary.AppendUvarint(s.cur, uint64(len(b)))
	s.cur = append(s.cur, b...)
}

// header notes a header line: later rows are split by its columns.
func (s *lsofSpool) header(line int, b []byte) {
	s.hdr, s.hdrLine = append(s.hdr[:0], b...), line
	if s.reread == nil {
		s.record(line, true, b)
	}
}

// row spools one row, or counts it lost once the budget is spent.
func (s *lsofSpool) row(line int, b []byte) {
	if s.reread != nil {
		s.rows++
		return
	}
	if s.collect {
		if s.rows == 0 {
			s.firstRow = line
		}
		s.record(line, false, b)
		s.rows++
		return
	}
	if s.full() {
		if s.lost == 0 {
			s.firstLost = line
		}
		s.lost++
		return
	}
	if s.cur == nil {
		s.cur = make([]byte, 0, 64<<10)
	}
	s.record(line, false, b)
	s.rows++
	s.curRows++
	s.frameDone()
}

// full reports whether the budget is spent.
func (s *lsofSpool) full() bool {
	return s.packed+len(s.cur) >= s.budget()
}

// budget is the bytes the spool may hold: more once frames go to its file.
func (s *lsofSpool) budget() int {
	if s.max > 0 {
		return s.max
	}
	if s.disk != nil && s.disk.f != nil && s.disk.err == nil {
		return lsofSpoolDiskMax
	}
	return lsofSpoolMax
}

// frameDone seals the frame being filled once it is large enough, and
// starts the next one with the header.
func (s *lsofSpool) frameDone() {
	if len(s.cur) >= lsofSpoolFrame {
		s.seal()
		if s.hdr != nil {
			s.record(s.hdrLine, true, s.hdr)
		}
	}
}

// pack compresses the rows a batch held into one frame, on the worker
// that parsed the batch (compressing them on the goroutine that joins the
// batches made it the slowest step of a busy lsof). The batch's records
// start with the header in force (parseLsofParallel), so the frame parses
// on its own.
func (s *lsofSpool) pack() {
	if s.rows > 0 {
		s.seal()
	}
	s.cur = s.cur[:0] // for the next batch (lsofBatch)
}

// appendFrame adds the frame a batch packed, the next in file order.
func (s *lsofSpool) appendFrame(o *lsofSpool) {
	if s.full() {
		if s.lost == 0 {
			s.firstLost = o.firstRow
		}
		s.lost += o.rows
		return
	}
	if s.curRows > 0 {
		s.seal() // rows read before, serially: they come first
	} else {
		s.cur = s.cur[:0] // header lines alone: the batch's frame has its own
	}
	for _, f := range o.frames {
		s.keep(f.b, false)
	}
	o.frames = nil
	s.rows += o.rows
}

// seal compresses the frame being filled.
func (s *lsofSpool) seal() {
	if len(s.cur) == 0 {
		return
	}
	// Compressed into a reused buffer, then kept at its size: a frame
	// allocated at a guessed size (an eighth of the input) held three
	// times its bytes, the spool's largest cost while the bundle was read.
	out := spoolOut.Get().(*[]byte)
	*out = s2.Encode((*out)[:cap(*out)], s.cur)
	s.keep(*out, true)
	spoolOut.Put(out)
	s.cur, s.curRows = s.cur[:0], 0
}

// replay parses the held rows again and appends room empty facts and then
// the facts of the rows inside dirs to dst, in line order, returning how
// many rows were not kept. It makes two passes over the frames, each on
// every core: the first counts the rows to keep, so that dst grows once and
// the second writes each frame's facts straight into their place (building
// them per frame and then copying them, or growing dst twice, doubled the
// peak memory). Each frame is let go once its facts are written.
func (s *lsofSpool) replay(path string, dirs []string, dst model.OpenFileTable, room int) (model.OpenFileTable, int, error) {
	s.seal() // the frame being filled, so its buffer goes now
	frames, disk := s.frames, s.disk
	s.frames, s.cur = nil, nil
	counts, unk := make([]int, len(frames)), make([]int, len(frames))
	keep := make([][]int32, len(frames))
	bufs := newFrameBufs()
	err := eachFrame(frames, disk, bufs, func(i int, raw []byte) error {
		st, k, err := replayFrame(path, raw, dirs, true, nil, nil)
		if err == nil {
			counts[i], unk[i], keep[i] = st.counted, st.unkept, k
		}
		return err
	})
	if err != nil {
		return dst, 0, err
	}
	offs := make([]int, len(frames))
	n := len(dst) + room
	for i, c := range counts {
		offs[i] = n
		n += c
	}
	collectBeforeFacts(n - len(dst))
	dst = slices.Grow(dst, n-len(dst))[:n]
	err = eachFrame(frames, disk, bufs, func(i int, raw []byte) error {
		frames[i].b = nil // decoded already: the compressed copy may go
		_, _, err := replayFrame(path, raw, dirs, false, dst[offs[i]:offs[i]+counts[i]], keep[i])
		keep[i] = nil
		return err
	})
	unkept := 0
	for _, u := range unk {
		unkept += u
	}
	return dst, unkept, err
}

// spoolFrame is one compressed frame: in memory, or at off in the spool's
// file.
type spoolFrame struct {
	b   []byte
	off int64
	n   int
}

// keep adds a compressed frame: in memory while the spool is small, else
// in its file. clone says f is a buffer its caller reuses.
func (s *lsofSpool) keep(f []byte, clone bool) {
	if s.packed+len(f) > cmp.Or(s.mem, lsofSpoolInMemory) && s.disk == nil {
		s.disk = openSpoolFile()
	}
	if s.disk != nil && s.disk.f != nil {
		if off, err := s.disk.write(f); err == nil {
			s.frames = append(s.frames, spoolFrame{off: off, n: len(f)})
			s.packed += len(f)
			return
		}
		// A full disk: this frame and the next stay in memory.
	}
	if clone {
		// At its size: a frame allocated at a guessed size (an eighth of
		// the input) held three times its bytes.
		f = bytes.Clone(f)
	}
	s.frames = append(s.frames, spoolFrame{b: f, n: len(f)})
	s.packed += len(f)
}

// spoolFile is the temporary file frames beyond lsofSpoolInMemory go to.
// It is removed as soon as it is made (where the system allows), so it
// never outlives the process, and closed when the spool is done, or when
// it is collected if the spool was abandoned.
type spoolFile struct {
	f    *os.File // nil: no temporary file could be made, or closed
	name string   // to remove on close, where an open file cannot be removed
	size int64
	err  error // the first write error; frames then stay in memory
}

// openSpoolFile makes the spool's file; when the temporary directory is
// not writable it returns a spoolFile whose frames all stay in memory.
func openSpoolFile() *spoolFile {
	f, err := os.CreateTemp("", "triage-lsof-spool-*")
	if err != nil {
		return &spoolFile{}
	}
	sf := &spoolFile{f: f}
	if os.Remove(f.Name()) != nil {
		sf.name = f.Name()
	}
	runtime.AddCleanup(sf, func(c spoolFile) { c.close() }, *sf)
	return sf
}

func (sf *spoolFile) write(b []byte) (int64, error) {
	if sf.err != nil {
		return 0, sf.err
	}
	off := sf.size
	if _, err := sf.f.WriteAt(b, off); err != nil {
		sf.err = err
		return 0, err
	}
	sf.size += int64(len(b))
	return off, nil
}

// close lets the file go. Closing twice is harmless.
func (sf *spoolFile) close() {
	if sf == nil || sf.f == nil {
		return
	}
	sf.f.Close()
	if sf.name != "" {
		os.Remove(sf.name)
	}
	sf.f = nil
}

// frameBufs are the buffers of eachFrame's workers, one pair each (the
// decoded frame, and the compressed one read from the spool's file), kept
// from one pass over the frames to the next: a buffer grown by the
// decoder doubles past the frame size, and a fresh pair per pass was
// 16 MB of the replay's peak.
type frameBufs []struct{ dec, raw []byte }

func newFrameBufs() frameBufs {
	return make(frameBufs, runtime.GOMAXPROCS(0))
}

// eachFrame calls fn with every frame, decoded, on every core.
func eachFrame(frames []spoolFrame, disk *spoolFile, bufs frameBufs, fn func(i int, raw []byte) error) error {
	errs := make([]error, len(frames))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := range min(len(frames), len(bufs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := &bufs[w]
			if buf.dec == nil {
				buf.dec = make([]byte, 0, lsofSpoolFrame+64<<10) // a frame and its last row, usually
			}
			for i := range work {
				errs[i] = safeFrame(fn, i, frames[i], disk, buf)
			}
		}()
	}
	for i := range frames {
		work <- i
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// safeFrame reads and decodes one frame and calls fn with it; a panic
// becomes an error, so a worker never takes the process down.
func safeFrame(fn func(i int, raw []byte) error, i int, f spoolFrame, disk *spoolFile, buf *struct{ dec, raw []byte }) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	raw := f.b
	if raw == nil && f.n > 0 {
		if disk == nil || disk.f == nil {
			return errors.New("lsof spool: a frame is neither in memory nor on disk")
		}
		buf.raw = slices.Grow(buf.raw[:0], f.n)[:f.n]
		if _, err := disk.f.ReadAt(buf.raw, f.off); err != nil {
			return fmt.Errorf("lsof spool: reading the temporary file: %w", err)
		}
		raw = buf.raw
	}
	n, err := s2.DecodedLen(raw)
	if err != nil {
		return fmt.Errorf("lsof spool: %w", err)
	}
	if n > maxSpoolFrame {
		return fmt.Errorf("lsof spool: a frame of %d bytes", n)
	}
	buf.dec, err = s2.Decode(buf.dec[:cap(buf.dec)], raw)
	if err != nil {
		return fmt.Errorf("lsof spool: %w", err)
	}
	return fn(i, buf.dec)
}

// replayFrame parses the records of one decoded frame: with count, it only
// counts the rows inside dirs, and returns their places among the frame's
// rows; otherwise it parses only the rows at those places (keep) and
// writes their facts into dst, which has room for exactly those. A late
// guard point usually holds a small part of the rows held, so the second
// pass skips most of them.
func replayFrame(path string, raw []byte, dirs []string, count bool, dst model.OpenFileTable, keep []int32) (*lsofState, []int32, error) {
	in := &Input{Path: path, maxLine: DefaultMaxLine}
	in.KeepOpenFilesUnder(dirs)
	// Kept rows are squeezed as the first read squeezes them: a late
	// guard point's rows are most of the lsof-first shape's memory.
	st := &lsofState{toks: make([]span, 0, 16), countOnly: count, squeeze: !count, layouts: lsofLayoutUse{eager: true}}
	defer st.releaseLayouts()
	k := 0
	var kept []int32
	row := int32(-1)
	// On the first pass, a row whose line holds the last component of no
	// dir cannot lie inside one (cleaning a path only drops segments, and
	// the dirs are clean), so it is counted out without being split: most
	// rows held name other paths, and splitting every one was most of the
	// replay's cost.
	var bases [][]byte
	for _, d := range dirs {
		if count && d != "/" && d != "" {
			bases = append(bases, []byte(d[strings.LastIndexByte(d, '/')+1:]))
		} else {
			bases = nil
			break
		}
	}
	for len(raw) > 0 {
		v, n := binary.Uvarint(raw)
		if n <= 0 {
			return nil, nil, errors.New("lsof spool: bad record")
		}
		raw = raw[n:]
		l, n := binary.Uvarint(raw)
		if n <= 0 || uint64(len(raw)-n) < l {
			return nil, nil, errors.New("lsof spool: bad record")
		}
		b := raw[n : n+int(l)]
		raw = raw[n+int(l):]
		if v&1 == 1 {
			st.hdr, _ = parseLsofHeader(b)
			continue
		}
		row++
		if !count && (len(keep) == 0 || keep[0] != row) {
			continue // left out on the first pass
		}
		if bases != nil && !containsAny(b, bases) {
			st.unkept++
			continue
		}
		in.raw, in.line, in.hasText = b, int(v>>1), false
		rec := st.recs.next()
		before := st.counted
		if !st.parseRow(in, b, rec) {
			st.recs.drop() // cannot happen: the row parsed the first time
			continue
		}
		if count {
			if st.counted > before {
				kept = append(kept, row)
			}
			continue
		}
		keep = keep[1:]
		if st.recs.n == 0 {
			return nil, nil, errors.New("lsof spool: a row was kept on the first pass only")
		}
		if k == len(dst) {
			return nil, nil, errors.New("lsof spool: a row was kept on the second pass only")
		}
		if rec.sq {
			// st.row holds the split of b, the line rec.text squeezes: the
			// fact is read from b and the row keeps the squeezed copy, as
			// st.pack would after expanding the line and splitting it
			// again (a tenth of the lsof-first shape's replay).
			x := *rec
			x.text, x.sq = unsafe.String(unsafe.SliceData(b), len(b)), false
			dst[k] = model.PackSqueezed(st.factOf(&x, &st.row, path), rec.text, prevRow(dst, k))
		} else {
			dst[k] = model.PackOpenFile(st.factOf(rec, &st.row, path), prevRow(dst, k)) // the row just split
		}
		k++
		st.recs.drop()
		st.slow = st.slow[:0]
	}
	if !count && k != len(dst) {
		return nil, nil, errors.New("lsof spool: a row was kept on the first pass only")
	}
	return st, kept, nil
}

// mergeKept merges the rows st kept while reading (compact, in line order)
// into facts, whose elements from a on are the rows found later, in line
// order, and whose first a elements are room for st's rows. The later rows
// move down first, each to its final place, leaving room at the places of
// st's rows; writing from the front never overtakes the later rows still to
// be moved. st's rows are then packed into the room on every core.
func mergeKept(path string, facts model.OpenFileTable, a int, st *lsofState) {
	room := make([]int32, 0, a) // where st's rows go, in line order
	k, ib := 0, a
	for _, ch := range append(st.recs.chunks, st.recs.cur) {
		for i := range ch {
			for ib < len(facts) && facts[ib].Src().Line < int(ch[i].line) {
				facts[k] = facts[ib]
				k, ib = k+1, ib+1
			}
			room = append(room, int32(k))
			k++
		}
	}
	// The later rows left are in place: k == ib.
	packKept(path, facts, st, func(i int) int { return int(room[i]) })
}

// finish is the deferred work of a file read with Deps: with every guard
// point of the bundle known, it keeps the spooled rows inside the ones
// that were not known while the file was read.
func (st *lsofState) finish(in *Input, stat int) Finish {
	path, again := in.Path, in.settings()
	return func(deps, out *model.Model) []Warning {
		s := st.spool
		st.spool = nil
		defer s.disk.close()
		var fresh []string
		for _, d := range knowledge.GuardPointCandidates(deps) {
			if !withinAny(d, st.known) {
				fresh = append(fresh, d)
			}
		}
		ls := &out.LogStats[stat]
		ls.KeptUnder = append(ls.KeptUnder, fresh...)
		ls.Lost += s.lost
		if len(fresh) == 0 {
			ls.Unkept += s.rows
			emitKept(path, out, st)
			return nil
		}
		if s.reread != nil {
			late, err := st.keepAgain(again, ls.Lines, s, fresh)
			if err != nil {
				ls.Unkept += s.rows
				emitKept(path, out, st)
				return []Warning{{Path: path, Msg: fmt.Sprintf("reading this file again for guard points %s failed: %v; open files inside them are not reported", strings.Join(fresh, ", "), err), Loss: LossArtifact}}
			}
			ls.Kept += late.recs.n
			ls.Unkept += s.rows - late.recs.n
			// The rows read first go into room before the late ones, in
			// line order (mergeKept).
			base, a := len(out.OpenFiles), st.recs.n
			out.OpenFiles = slices.Grow(out.OpenFiles, a+late.recs.n)[:base+a]
			emitKept(path, out, late)
			mergeKept(path, out.OpenFiles[base:], a, st)
			return nil
		}
		base, a := len(out.OpenFiles), st.recs.n
		facts, unkept, err := s.replay(path, fresh, out.OpenFiles, a)
		if err != nil {
			ls.Unkept += s.rows
			out.OpenFiles = out.OpenFiles[:base]
			emitKept(path, out, st)
			return []Warning{{Path: path, Msg: fmt.Sprintf("re-reading the rows held for guard points %s failed: %v; open files inside them are not reported", strings.Join(fresh, ", "), err), Loss: LossArtifact}}
		}
		ls.Unkept += unkept
		ls.Kept += s.rows - unkept
		mergeKept(path, facts[base:], a, st)
		out.OpenFiles = facts
		if s.lost > 0 {
			noun := "guard point"
			if len(fresh) > 1 {
				noun = "guard points"
			}
			return []Warning{{Path: path, Line: s.firstLost, Msg: fmt.Sprintf(
				"%s %s became known only after this file was read; %s naming a path from this line on were beyond the %s that may be held for them and were not kept, so open files inside those guard points may be missing (put the mount table and agent status before lsof in the bundle)",
				noun, strings.Join(fresh, ", "), wording.Plural(s.lost, "row", "rows"),
				wording.Bytes(int64(s.budget()))), Loss: LossArtifact}}
		}
		return nil
	}
}

// prevRow is the row before dst[k], whose source record the row written
// at k may share, or nil at the start.
func prevRow(dst model.OpenFileTable, k int) *model.OpenFileRow {
	if k == 0 {
		return nil
	}
	return &dst[k-1]
}

// withinAny reports whether p lies inside one of the cleaned dirs.
func withinAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if model.Within(p, d) {
			return true
		}
	}
	return false
}

// containsAny reports whether b holds one of subs.
func containsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// keepAgain reads the file again (lsofSpool.reread) and keeps the rows
// inside fresh, the guard points that came late, which the first read
// only counted (first): as it would have kept them had it known them,
// with no budget but the one of every kept row. Rows inside the guard
// points it knew are counted again, not kept. The file must be the one
// read first: the same lines and rows, as many inside the guard points
// known then; anything else is an error, and nothing read again is used.
func (st *lsofState) keepAgain(set Input, lines int, first *lsofSpool, fresh []string) (*lsofState, error) {
	var late *lsofState
	err := first.reread(func(r io.Reader) error {
		in := NewInput(set.Path, r)
		in.maxLine, in.serial, in.batchMin, in.batchLen = set.maxLine, set.serial, set.batchMin, set.batchLen
		in.KeepOpenFilesUnder(append(slices.Clip(st.known), fresh...))
		kept := &Input{}
		kept.KeepOpenFilesUnder(st.known)
		a := &lsofState{toks: make([]span, 0, 16), squeeze: true, keptFirst: kept}
		a.read(in, nil)
		a.releaseLayouts()
		if err := in.Err(); err != nil {
			return err
		}
		if in.Line() != lines || a.counted != st.recs.n || a.recs.n+a.counted+a.unkept != st.recs.n+first.rows+st.unkept {
			return fmt.Errorf("the file changed since it was read (%d lines, %d rows, %d of them inside the guard points known then; against %d, %d and %d)",
				in.Line(), a.recs.n+a.counted+a.unkept, a.counted, lines, st.recs.n+first.rows+st.unkept, st.recs.n)
		}
		late = a
		return nil
	})
	if err == nil && late == nil {
		err = errors.New("the file was not found again")
	}
	return late, err
}
