package parsers

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
	"github.com/klauspost/compress/zstd"
)

// When lsof is read before the bundle's last mount table, df or agent
// status, a guard point may become known only after its rows went by. The
// rows naming a path outside the guard points known so far are therefore
// kept as raw lines, compressed, until the pipeline calls the deferred
// finish with every guard point of the bundle; only when a new guard point
// appeared are they parsed again, and only the rows inside it are kept.
// Memory follows the compressed size of those rows (a busy host's lsof
// repeats the same libraries for every process and compresses 10-30x),
// bounded by lsofSpoolMax; rows beyond it are counted as lost, never
// dropped silently.

// lsofSpoolFrame is the uncompressed size of one spool frame. Frames are
// compressed and later decoded and parsed independently, on every core.
const lsofSpoolFrame = 4 << 20

// lsofSpoolMax bounds the compressed bytes one lsof file may spool.
const lsofSpoolMax = 64 << 20

// lsofSpool holds raw lsof lines as records: uvarint(line<<1 | header),
// uvarint(length), the bytes. Every frame starts with the header line last
// seen, so it parses on its own.
type lsofSpool struct {
	cur     []byte   // the frame being filled, uncompressed
	frames  [][]byte // full frames, zstd-compressed
	packed  int      // compressed bytes in frames
	hdr     []byte   // the last header line and its number
	hdrLine int
	max     int // bytes it may hold; 0 means lsofSpoolMax
	rows    int // rows spooled
	lost    int // rows naming a path not spooled: lsofSpoolMax reached
	// firstLost is the line of the first lost row.
	firstLost int
}

var lsofEncoders = sync.Pool{New: func() any {
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
	if err != nil {
		panic(err) // only for invalid options
	}
	return e
}}

var lsofDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(2*lsofSpoolFrame))
	if err != nil {
		panic(err)
	}
	return d
}}

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
	s.record(line, true, b)
}

// row spools one row, or counts it lost once the budget is spent.
func (s *lsofSpool) row(line int, b []byte) {
	if limit := cmp.Or(s.max, lsofSpoolMax); s.packed+len(s.cur) >= limit {
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
	if len(s.cur) >= lsofSpoolFrame {
		s.seal()
		if s.hdr != nil {
			s.record(s.hdrLine, true, s.hdr)
		}
	}
}

// seal compresses the frame being filled.
func (s *lsofSpool) seal() {
	if len(s.cur) == 0 {
		return
	}
	e := lsofEncoders.Get().(*zstd.Encoder)
	f := e.EncodeAll(s.cur, make([]byte, 0, len(s.cur)/8))
	lsofEncoders.Put(e)
	s.frames = append(s.frames, f)
	s.packed += len(f)
	s.cur = s.cur[:0]
}

// lsofReplay is one spool frame parsed again: the rows inside the new
// directories, as facts in line order, and how many rows were not.
type lsofReplay struct {
	facts  []model.OpenFile
	unkept int
	err    error
}

// replay parses every spooled row again, keeping those inside dirs, on all
// cores; the result is in line order.
func (s *lsofSpool) replay(path string, dirs []string) ([]model.OpenFile, int, error) {
	frames := make([][]byte, 0, len(s.frames)+1)
	frames = append(frames, s.frames...)
	last := len(s.cur) > 0
	if last {
		frames = append(frames, s.cur)
	}
	out := make([]lsofReplay, len(frames))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(len(frames), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				raw := frames[i]
				if !last || i < len(frames)-1 {
					d := lsofDecoders.Get().(*zstd.Decoder)
					var err error
					raw, err = d.DecodeAll(raw, make([]byte, 0, lsofSpoolFrame+64<<10))
					lsofDecoders.Put(d)
					if err != nil {
						out[i].err = err
						continue
					}
				}
				out[i] = replayFrame(path, raw, dirs)
			}
		}()
	}
	for i := range frames {
		work <- i
	}
	close(work)
	wg.Wait()
	n, unkept := 0, 0
	for _, r := range out {
		if r.err != nil {
			return nil, 0, r.err
		}
		n += len(r.facts)
		unkept += r.unkept
	}
	facts := make([]model.OpenFile, 0, n)
	for i := range out {
		facts = append(facts, out[i].facts...)
		out[i].facts = nil
	}
	return facts, unkept, nil
}

// replayFrame parses the records of one decoded frame.
func replayFrame(path string, raw []byte, dirs []string) (r lsofReplay) {
	in := &Input{Path: path, maxLine: DefaultMaxLine}
	in.KeepOpenFilesUnder(dirs)
	st := &lsofState{toks: make([]span, 0, 16)}
	for len(raw) > 0 {
		v, n := binary.Uvarint(raw)
		if n <= 0 {
			r.err = fmt.Errorf("lsof spool: bad record")
			return r
		}
		raw = raw[n:]
		l, n := binary.Uvarint(raw)
		if n <= 0 || uint64(len(raw)-n) < l {
			r.err = fmt.Errorf("lsof spool: bad record")
			return r
		}
		b := raw[n : n+int(l)]
		raw = raw[n+int(l):]
		if v&1 == 1 {
			st.hdr, _ = parseLsofHeader(b)
			continue
		}
		in.raw, in.line, in.hasText = b, int(v>>1), false
		if !st.parseRow(in, b, st.recs.next()) {
			st.recs.drop() // cannot happen: the row parsed the first time
		}
	}
	m := &model.Model{}
	st.flush(in, m)
	return lsofReplay{facts: m.OpenFiles, unkept: st.unkept}
}

// finish is the deferred work of a file read with Deps: with every guard
// point of the bundle known, it keeps the spooled rows inside the ones
// that were not known while the file was read.
func (st *lsofState) finish(path string, stat int) Finish {
	return func(deps, out *model.Model) []Warning {
		s := st.spool
		st.spool = nil
		var fresh []string
		for _, d := range knowledge.GuardPointCandidates(deps) {
			if !withinAny(d, st.known) {
				fresh = append(fresh, d)
			}
		}
		ls := &out.LogStats[stat]
		ls.KeptUnder = append(ls.KeptUnder, fresh...)
		if len(fresh) == 0 || s.rows == 0 {
			ls.Unkept += s.rows
			ls.Lost += s.lost
			return nil
		}
		facts, unkept, err := s.replay(path, fresh)
		if err != nil {
			ls.Unkept += s.rows
			ls.Lost += s.lost
			return []Warning{{Path: path, Msg: fmt.Sprintf("re-reading the rows held for guard points %s failed: %v; open files inside them are not reported", strings.Join(fresh, ", "), err), Loss: LossArtifact}}
		}
		ls.Kept += len(facts)
		ls.Unkept += unkept
		ls.Lost += s.lost
		out.OpenFiles = mergeByLine(out.OpenFiles, facts)
		if s.lost > 0 {
			return []Warning{{Path: path, Line: s.firstLost, Msg: fmt.Sprintf(
				"guard point(s) %s became known only after this file was read; %d rows naming a path from this line on were beyond the %d MiB that may be held for them and were not kept, so open files inside those guard points may be missing (put the mount table and agent status before lsof in the bundle)",
				strings.Join(fresh, ", "), s.lost, cmp.Or(s.max, lsofSpoolMax)>>20), Loss: LossArtifact}}
		}
		return nil
	}
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

// mergeByLine merges two lists of facts of one file, each in line order.
func mergeByLine(a, b []model.OpenFile) []model.OpenFile {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]model.OpenFile, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if b[j].Src.Line < a[i].Src.Line {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
