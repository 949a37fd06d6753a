package parsers

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Large line-oriented files (strace, kernel and agent logs) are parsed on
// every core: once a file passes batchParallelAfter lines, the goroutine
// reading it only cuts the rest into batches of whole lines, workers parse
// the batches, and each result is joined on the reading goroutine in file
// order. A worker does not know the state the lines before its batch left
// (a split call waiting for its other half, a multi-line record still open,
// how much of a per-file budget is spent), so a parser's worker records
// what depends on that state as operations its join replays, in order, on
// the parser that read everything before; when a batch's result could
// differ from a serial parse in a way the join cannot replay, the join parses
// the batch's lines again on that parser (batchLines.lines). Either way the
// facts, counts and warnings are those of a serial parse, in the same order.
//
// A file the pipeline hands over through a pipe (Input.LendChunks) is not
// copied into batches: a batch refers to the lines where they lie in the
// pipe's chunks, which go back to the pipe once every batch in them is
// joined; only a line that straddles two chunks is copied (takeLent).

// batchParallelAfter is the line after which a file is parsed in batches:
// small files, the most common, never start a goroutine.
const batchParallelAfter = 20000

// batchSize is the size of one batch of lines.
const batchSize = 1 << 20

// batchCutSlack is how far past batchSize a batch may grow while waiting
// for a line its parser prefers to start a batch at (see parseInBatches).
const batchCutSlack = 256 << 10

// batchLines is a run of consecutive whole lines of a file.
type batchLines struct {
	buf []byte // lines copied
	// lent are chunks of the file its reader lent (ChunkSource), which
	// spans may lie in; owners are the same, to give them back once the
	// batch is joined.
	lent   [][]byte
	owners []*lentChunk
	spans  []batchLine
	size   int // bytes of the lines, copied or lent
	first  int // number of the first line
	count  int // lines
	// reads are the warnings reading gave (a line cut to the maximum
	// length), each before line at of the batch (0-based).
	reads []batchReadWarning
	// long is the size of the buffer of the reader: a line of a run
	// longer than that is cut as Input.Next cuts it (cutLong).
	long int
}

// batchLine is where one line lies, its end of line removed, or (lines >
// 0) a run of that many lines as read, each ending with its end of line,
// for the worker to split: in batchLines.buf, or in lent[chunk] when
// chunk >= 0.
type batchLine struct{ start, end, lines, chunk int32 }

// lentChunk is a chunk of a file lent by its reader, given back once the
// loop reading it and every batch with lines in it are done with it.
type lentChunk struct {
	b       []byte
	release func()
	refs    int // only the reading goroutine counts
}

func (c *lentChunk) unref() {
	if c.refs--; c.refs == 0 {
		c.release()
	}
}

// in returns the index of c in lb.lent, adding it.
func (lb *batchLines) in(c *lentChunk) int32 {
	if n := len(lb.owners); n > 0 && lb.owners[n-1] == c {
		return int32(n - 1) // chunks are read in order
	}
	c.refs++
	lb.owners, lb.lent = append(lb.owners, c), append(lb.lent, c.b)
	return int32(len(lb.owners) - 1)
}

// giveBack gives back the chunks lb refers to.
func (lb *batchLines) giveBack() {
	for _, c := range lb.owners {
		c.unref()
	}
	clear(lb.owners)
	clear(lb.lent)
	lb.owners, lb.lent = lb.owners[:0], lb.lent[:0]
}

// cutLong returns the line raw (its end of line included) as Input.Next
// returns it from a reader whose buffer holds size bytes: without its end
// of line, and when longer than the buffer, cut to maxLine bytes, with
// the number of bytes cut.
func cutLong(raw []byte, size, maxLine int) (line []byte, cut int) {
	if len(raw) > size && len(raw) > maxLine {
		raw, cut = raw[:maxLine], len(raw)-maxLine
	}
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	return bytes.TrimSuffix(raw, []byte("\r")), cut
}

// longLineWarning is the warning Input.Next gives for a line it cut.
func (in *Input) longLineWarning(line, cut int) Warning {
	return Warning{Path: in.Path, Line: line, Msg: fmt.Sprintf("line longer than %d bytes: %d bytes cut", in.maxLine, cut)}
}

// batchReadWarning is a warning reading gave before line at of a batch.
type batchReadWarning struct {
	at int
	w  Warning
}

// lines calls fn with each line of the batch, with in set to that line:
// in.Line, in.Bytes, in.Text and in.Warnf work as they do in a serial
// parse, and the warnings reading gave for a line are added to in before fn
// sees it. The state of in is restored afterwards, so the reading goroutine
// may do this on the Input it reads (a join parsing a batch again).
func (lb *batchLines) lines(in *Input, fn func(b []byte)) {
	raw, line, hasText, text := in.raw, in.line, in.hasText, in.text
	i, r := 0, 0
	emit := func(b []byte) {
		in.raw, in.line, in.hasText = b, lb.first+i, false
		for r < len(lb.reads) && lb.reads[r].at == i {
			in.addWarning(lb.reads[r].w)
			r++
		}
		fn(b)
		i++
	}
	for _, l := range lb.spans {
		buf := lb.buf
		if l.chunk >= 0 {
			buf = lb.lent[l.chunk]
		}
		if l.lines == 0 {
			emit(buf[l.start:l.end:l.end])
			continue
		}
		for run := buf[l.start:l.end]; len(run) > 0; {
			e := bytes.IndexByte(run, '\n')
			b := run[:e:e]
			if e > 0 && b[e-1] == '\r' {
				b = b[: e-1 : e-1]
			}
			if e >= lb.long && lb.long > 0 {
				// Longer than the reader's buffer: cut as Next cuts it.
				var cut int
				if b, cut = cutLong(run[:e+1], lb.long, in.maxLine); cut > 0 {
					in.addWarning(in.longLineWarning(lb.first+i, cut))
				}
				b = b[:len(b):len(b)]
			}
			emit(b)
			run = run[e+1:]
		}
	}
	in.raw, in.line, in.hasText, in.text = raw, line, hasText, text
}

// at makes in stand at one line for fn (a join replaying an operation a
// worker recorded at that line), then restores it.
func (in *Input) at(line int, b []byte, fn func()) {
	raw, l, hasText, text := in.raw, in.line, in.hasText, in.text
	in.raw, in.line, in.hasText = b, line, false
	fn()
	in.raw, in.line, in.hasText, in.text = raw, l, hasText, text
}

// addWarning records a warning made elsewhere (by a worker), within the
// file's bound.
func (in *Input) addWarning(w Warning) {
	if len(in.warnings) >= maxWarnings {
		in.dropped++
		return
	}
	w.Path = in.Path
	in.warnings = append(in.warnings, w)
}

// readLines hands each line of in to line; once the file turns out large
// (parallelAt), it calls batches, which parses the rest of the file in
// batches (parseInBatches) and so leaves nothing for the loop to read. The
// line-oriented parsers share this loop so they switch at the same point.
func readLines(in *Input, line func([]byte), batches func()) {
	for n := 1; in.Next(); n++ {
		line(in.Bytes())
		if in.parallelAt(n) {
			batches()
		}
	}
}

// parallelAt reports whether the n-th line read is the one after which
// the rest of in is parsed in batches: never on one CPU, where batches
// would only add copies, nor when the caller runs one analysis per core
// (Input.ParseSerially).
func (in *Input) parallelAt(n int) bool {
	at := batchParallelAfter
	if in.batchMin > 0 {
		at = in.batchMin
	}
	return n == at && !in.serial && (runtime.GOMAXPROCS(0) > 1 || in.batchMin > 0) // tests set batchMin to parse in batches anywhere
}

// batchInput returns the Input a worker parses a batch of in's file with:
// it holds the worker's warnings until the join.
func batchInput(in *Input) *Input {
	return &Input{Path: in.Path, maxLine: in.maxLine, section: in.section, artPath: in.artPath}
}

// emitted counts the warnings an Input was given, kept or not.
func (in *Input) emitted() int { return len(in.warnings) + in.dropped }

// warnReplay hands a worker's warnings to the reading Input in the order
// they were made, interleaved with the worker's operations: each operation
// records how many warnings came before it (Input.emitted).
type warnReplay struct {
	from *Input
	next int
}

// upTo adds the worker's warnings before the n-th to in. A warning the
// worker could not keep was also beyond the bound of in, which holds at
// least as many: it is counted there too.
func (r *warnReplay) upTo(in *Input, n int) {
	for ; r.next < n; r.next++ {
		if r.next < len(r.from.warnings) {
			in.addWarning(r.from.warnings[r.next])
		} else {
			in.dropped++
		}
	}
}

// batchJob is one batch on its way through a worker.
type batchJob[R any] struct {
	lines    batchLines
	res      R
	panicked string
	done     chan struct{}
}

// batchHooks are what a parser may ask of parseInBatches beyond parsing
// and joining.
type batchHooks struct {
	// cut, when not nil, tells whether a batch may start at a line: a full
	// batch waits for such a line, at most batchCutSlack bytes more (a
	// parser whose records span lines prefers to start batches at a
	// record's first line; its join must still be right wherever a batch
	// starts).
	cut func(b []byte) bool
	// barrier, when not nil, tells whether a line changes how the lines
	// after it are parsed (lsof's header: the columns). Such a line goes
	// to no batch: every batch before it is joined, then atBarrier is
	// called with it on the calling goroutine, in made to stand at it, and
	// only then are the lines after it cut. A worker may therefore read
	// what atBarrier sets: no worker runs while it does.
	barrier   func(b []byte) bool
	atBarrier func(b []byte)
	// barrierMark, when not empty, is a string every barrier line holds
	// (lsof's "COMMAND"): lines before its next occurrence are taken as
	// one run, without asking barrier of each.
	barrierMark []byte
}

// parseInBatches reads the rest of in (from the line after the current
// one), cutting it into batches of whole lines. parse runs on worker
// goroutines, one per core, and returns what a batch gave; join runs on the
// calling goroutine with each batch and its result, in file order.
//
// A panic in parse is raised again by the join, on the calling goroutine,
// where the pipeline turns a parser's panic into a warning on the file.
func parseInBatches[R any](in *Input, parse func(lb *batchLines) R, join func(lb *batchLines, r R), hooks batchHooks) {
	cut := hooks.cut
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batchJob[R])
	defer close(work)
	for range workers {
		go func() {
			for j := range work {
				j.run(parse)
			}
		}()
	}
	var queue []*batchJob[R] // sent, in file order
	// Line buffers are reused once their batch is joined: what a parser
	// keeps is copied out of them. So are the chunks lent.
	var free []*batchJob[R]
	joinNext := func() {
		j := queue[0]
		queue = queue[1:]
		<-j.done
		if j.panicked != "" {
			panic(j.panicked)
		}
		join(&j.lines, j.res)
		j.lines.giveBack()
		var zero R
		j.res = zero
		free = append(free, j)
	}
	size, slack := batchSize, batchCutSlack
	if in.batchLen > 0 {
		size, slack = in.batchLen, in.batchLen/4
	}
	if cut == nil {
		slack = 0 // no line is waited for
	}
	bufSize := in.r.Size()
	var cur *batchJob[R]
	send := func() {
		if cur == nil || len(cur.lines.spans) == 0 {
			return
		}
		if len(queue) == 2*workers {
			joinNext()
		}
		queue = append(queue, cur)
		work <- cur
		cur = nil
	}
	// barrier handles a barrier line (see batchHooks); reads are the
	// warnings reading gave for it.
	barrier := func(b []byte, reads []Warning) {
		send()
		for len(queue) > 0 {
			joinNext()
		}
		for _, w := range reads {
			in.addWarning(w)
		}
		hooks.atBarrier(b)
	}
	// begin starts a batch whose first line is the line numbered first,
	// unless one is being filled.
	begin := func(first int) {
		if cur != nil {
			return
		}
		if n := len(free); n > 0 {
			cur, free = free[n-1], free[:n-1]
			cur.lines.buf, cur.lines.spans, cur.lines.reads = cur.lines.buf[:0], cur.lines.spans[:0], cur.lines.reads[:0]
		} else {
			cur = &batchJob[R]{}
		}
		cur.lines.first, cur.lines.count, cur.lines.size, cur.lines.long = first, 0, 0, bufSize
		cur.done, cur.panicked = make(chan struct{}), ""
	}
	// span adds b, lines as read or one line (lines == 0), to the batch
	// being filled: where it lies in the chunk c, or copied when c is nil.
	span := func(b []byte, lines int, c *lentChunk) {
		lb := &cur.lines
		if c != nil {
			start := cap(c.b) - cap(b) // b is a part of c.b
			lb.spans = append(lb.spans, batchLine{int32(start), int32(start + len(b)), int32(lines), lb.in(c)})
		} else {
			if lb.buf == nil {
				// Lines are copied whole batches at a time, unless the
				// reader lends its chunks: then only the lines that
				// straddle two are.
				n := size + slack + 64<<10
				if in.chunks != nil {
					n = 64 << 10
				}
				lb.buf = make([]byte, 0, n)
			}
			start := len(lb.buf)
			lb.buf = append(lb.buf, b...)
			lb.spans = append(lb.spans, batchLine{int32(start), int32(len(lb.buf)), int32(lines), -1})
		}
		lb.size += len(b)
	}
	// add adds the current line (without its end of line) to the batch
	// being filled, first sending that batch when it is full.
	add := func(b []byte, c *lentChunk) {
		if cur != nil && cur.lines.size >= size &&
			(cut == nil || cut(b) || cur.lines.size >= size+slack) {
			send()
		}
		begin(in.Line())
		span(b, 0, c)
		cur.lines.count++
	}
	// addRun adds n whole lines as read, ends of line included, when no
	// line needs looking at here (no cut, no barrier): the worker splits
	// them, and this goroutine only counts them.
	addRun := func(b []byte, n int, c *lentChunk) {
		if cur != nil && cur.lines.size >= size {
			send()
		}
		begin(in.line + 1)
		span(b, n, c)
		cur.lines.count += n
		in.line += n
	}
	perLine := cut != nil || hooks.barrier != nil
	// take adds whole, whole lines ending with their end of line, to the
	// batches: where they lie in the chunk c, or copied when c is nil.
	take := func(whole []byte, c *lentChunk) {
		defer func() { in.raw, in.hasText = nil, false }()
		if !perLine {
			addRun(whole, bytes.Count(whole, []byte{'\n'}), c)
			return
		} else if hooks.barrier == nil {
			// Only cut looks at lines, and only at those that begin once
			// the batch is full: the lines before them go as one run, as
			// above.
			room := size
			if cur != nil {
				room -= cur.lines.size
			}
			if run := lineRunBefore(whole, room); len(run) > 0 {
				addRun(run, bytes.Count(run, []byte{'\n'}), c)
				whole = whole[len(run):]
			}
		}
		for len(whole) > 0 {
			if cut == nil && len(hooks.barrierMark) > 0 {
				end := len(whole)
				if i := bytes.Index(whole, hooks.barrierMark); i >= 0 {
					end = bytes.LastIndexByte(whole[:i], '\n') + 1
				}
				if end > 0 {
					addRun(whole[:end], bytes.Count(whole[:end], []byte{'\n'}), c)
					whole = whole[end:]
					continue
				}
			}
			e := bytes.IndexByte(whole, '\n')
			b, long := cutLong(whole[:e+1], bufSize, in.maxLine)
			in.line++
			var reads []Warning
			if long > 0 {
				reads = []Warning{in.longLineWarning(in.line, long)}
			}
			if hooks.barrier != nil && hooks.barrier(b) {
				in.raw, in.hasText = b, false
				barrier(b, reads)
			} else {
				add(b, c)
				for _, w := range reads {
					cur.lines.reads = append(cur.lines.reads, batchReadWarning{at: cur.lines.count - 1, w: w})
				}
			}
			whole = whole[e+1:]
		}
	}
	if in.chunks != nil && in.observe == nil && in.err == nil {
		in.r = takeLent(in, bufSize, take)
	}
	for {
		// Whole lines are taken from the reader's buffer as they are,
		// without a call of Next each. Next reads the rest: a line longer
		// than the buffer, a last line with no end of line, and every line
		// when someone observes them (rule line patterns) or reading
		// failed.
		if in.observe == nil && in.err == nil {
			data, err := in.r.Peek(in.r.Size())
			if k := bytes.LastIndexByte(data, '\n'); k >= 0 {
				take(data[:k+1], nil)
				_, _ = in.r.Discard(k + 1)
				continue
			}
			if len(data) == 0 && err != nil {
				in.err = err
				break
			}
		}
		// Reading's own warnings (an over-long line) belong before the
		// line they are about, in the batch: the join adds them in order.
		in.capture = true
		ok := in.Next()
		in.capture = false
		if !ok {
			break
		}
		if hooks.barrier != nil && hooks.barrier(in.Bytes()) {
			barrier(in.Bytes(), in.captured)
			in.captured = in.captured[:0]
			continue
		}
		add(in.Bytes(), nil)
		for _, w := range in.captured {
			cur.lines.reads = append(cur.lines.reads, batchReadWarning{at: cur.lines.count - 1, w: w})
		}
		in.captured = in.captured[:0]
	}
	send()
	for len(queue) > 0 {
		joinNext()
	}
}

// takeLent hands the lines of in to take in the chunks its reader lends
// (Input.LendChunks): first those its buffer holds, copied, then each
// chunk as it is, but for the line begun in one chunk and ended in the
// next, copied. It stops at the end of the file, at a read error, or at a
// line longer than the buffer (bufSize), and returns a reader of what it
// did not take, for Input.Next to read as it reads any file (a last line
// with no end of line, the error, the long line and the rest).
func takeLent(in *Input, bufSize int, take func(whole []byte, c *lentChunk)) *bufio.Reader {
	var part []byte // the line begun and not ended, copied
	// takeFrom takes the whole lines of data, and keeps the rest in part.
	takeFrom := func(data []byte, c *lentChunk) {
		k := bytes.LastIndexByte(data, '\n')
		if k >= 0 {
			take(data[:k+1], c)
		}
		part = append(part, data[k+1:]...)
	}
	if n := in.r.Buffered(); n > 0 {
		data, _ := in.r.Peek(n)
		takeFrom(data, nil)
		_, _ = in.r.Discard(n)
	}
	src := in.chunks
	var err error
	for err == nil && len(part) <= bufSize {
		var b []byte
		var release func()
		b, release, err = src.NextChunk()
		if len(b) == 0 {
			if release != nil {
				release()
			}
			continue
		}
		c := &lentChunk{b: b, release: release, refs: 1} // this loop's
		if len(part) > 0 {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				part = append(part, b...)
				c.unref()
				continue
			}
			part = append(part, b[:i+1]...)
			take(part, nil)
			part, b = part[:0], b[i+1:]
		}
		takeFrom(b, c)
		c.unref()
	}
	var rest io.Reader = bytes.NewReader(part)
	switch {
	case err == nil:
		rest = io.MultiReader(rest, &chunkReader{src: src})
	case err != io.EOF:
		rest = io.MultiReader(rest, errReader{err})
	}
	return bufio.NewReaderSize(rest, bufSize)
}

// chunkReader reads a ChunkSource as an io.Reader.
type chunkReader struct {
	src     ChunkSource
	b       []byte
	release func()
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.b) == 0 {
		if r.release != nil {
			r.release()
			r.release = nil
		}
		b, release, err := r.src.NextChunk()
		r.b, r.release = b, release
		if len(b) == 0 && err != nil {
			return 0, err
		}
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// errReader fails with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// lineRunBefore returns the whole lines at the start of whole (whole lines,
// each ending with '\n') that begin before offset room: those a batch with
// room bytes left before it is full takes without looking at them.
func lineRunBefore(whole []byte, room int) []byte {
	if room <= 0 {
		return nil
	}
	if room >= len(whole) {
		return whole
	}
	// The line holding byte room-1 is the last to begin before room.
	return whole[:room+bytes.IndexByte(whole[room-1:], '\n')]
}

// run parses the batch on a worker.
func (j *batchJob[R]) run(parse func(lb *batchLines) R) {
	defer close(j.done)
	defer func() {
		if r := recover(); r != nil {
			j.panicked = fmt.Sprintf("%v (batch from line %d)", r, j.lines.first)
		}
	}()
	j.res = parse(&j.lines)
}

// budgetsSpent tells workers which per-file budgets (calls or events kept
// per reason or kind) the batches joined so far have spent. Every batch a
// worker parses comes after those, so what it finds for a spent budget is
// only counted: without this, each batch would build the facts of its own
// budget's worth of calls for the join to throw away.
type budgetsSpent struct{ m sync.Map }

// newBudgetsSpent starts with the budgets the lines read before the
// batches spent: kept counts what was kept per key, of at most max.
func newBudgetsSpent(kept map[string]int, max int) *budgetsSpent {
	b := &budgetsSpent{}
	for k, n := range kept {
		if n >= max {
			b.mark(k)
		}
	}
	return b
}

// spent reports whether the budget named key was spent (nil: none was).
func (b *budgetsSpent) spent(key string) bool {
	if b == nil {
		return false
	}
	_, ok := b.m.Load(key)
	return ok
}

// mark records that the budget named key was spent; the join calls it.
func (b *budgetsSpent) mark(key string) {
	if b != nil && !b.spent(key) {
		b.m.Store(key, true)
	}
}
