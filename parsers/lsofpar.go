package parsers

import (
	"fmt"
	"runtime"
)

// A busy host's lsof holds millions of rows, and on a bundle that
// decompresses fast (zstd) parsing them on one core made lsof the length
// of the whole analysis. Rows are independent once the header is known, so
// past lsofParallelAfter lines the reading goroutine only cuts the file
// into batches of whole lines, workers on every core parse them, and the
// results are joined in file order: the same facts, counts, held rows and
// warnings as a serial parse, in the same order.

// lsofParallelAfter is the line after which a file is parsed in batches:
// small files, the most common, never start a goroutine.
const lsofParallelAfter = 20000

// lsofBatchSize is the size of one batch of lines.
const lsofBatchSize = 1 << 20

// lsofBatch is a run of consecutive lines and, once a worker is done, what
// parsing them gave.
type lsofBatch struct {
	buf   []byte
	ends  []int32 // end of each line in buf
	first int     // number of the first line
	hdr   *lsofHeader
	// hdrRaw and hdrLine are the header line in force, which starts the
	// frame of rows the batch holds for later.
	hdrRaw  []byte
	hdrLine int

	st       *lsofState
	spool    lsofSpool // the rows held for later, records only
	warns    []Warning
	dropped  int
	panicked string
	done     chan struct{}
}

// parse runs on a worker. A panic is handed to the joining goroutine,
// where the pipeline turns a parser's panic into a warning on the file.
func (bt *lsofBatch) parse(path string, dirs []string, lim, hold bool) {
	defer close(bt.done)
	defer func() {
		if r := recover(); r != nil {
			bt.panicked = fmt.Sprintf("%v (lines from %d)", r, bt.first)
		}
	}()
	in := &Input{Path: path, maxLine: DefaultMaxLine}
	if lim {
		in.KeepOpenFilesUnder(dirs)
	}
	st := &lsofState{toks: make([]span, 0, 16), hdr: bt.hdr}
	if hold {
		st.spool = &bt.spool
		bt.spool.collect = true
		// Room for every line as a record (its bytes and two varints) and
		// the header: growing the buffer by doubling was 0.2 s of copies
		// on the busy shape. The buffer is reused by later batches.
		if need := len(bt.buf) + 6*len(bt.ends) + len(bt.hdrRaw) + 16; cap(bt.spool.cur) < need {
			bt.spool.cur = make([]byte, 0, need)
		}
		if len(bt.hdrRaw) > 0 {
			bt.spool.record(bt.hdrLine, true, bt.hdrRaw)
		}
	}
	start := 0
	for i, end := range bt.ends {
		b := bt.buf[start:end]
		start = int(end)
		in.raw, in.line, in.hasText = b, bt.first+i, false
		st.line(in, b)
	}
	if hold {
		bt.spool.pack()
	}
	st.spool = nil
	bt.st, bt.warns, bt.dropped = st, in.warnings, in.dropped
}

// parseLsofParallel parses the rest of in (from the line after the current
// one) in batches on every core, joining the results into st.
func parseLsofParallel(in *Input, st *lsofState) {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *lsofBatch)
	defer close(work)
	dirs := append([]string(nil), in.openDirs...)
	lim, hold := in.openLim, st.spool != nil
	for range workers {
		go func() {
			for bt := range work {
				bt.parse(in.Path, dirs, lim, hold)
			}
		}()
	}
	var queue []*lsofBatch // sent, in file order
	// Line buffers are reused once their batch is joined: every fact
	// copies what it keeps, and a new megabyte per batch was most of what
	// a large lsof allocated.
	var free []*lsofBatch
	join := func() {
		bt := queue[0]
		queue = queue[1:]
		<-bt.done
		if bt.panicked != "" {
			panic(bt.panicked)
		}
		st.join(in, bt)
		free = append(free, &lsofBatch{buf: bt.buf[:0], ends: bt.ends[:0], hdrRaw: bt.hdrRaw[:0], spool: lsofSpool{cur: bt.spool.cur[:0]}})
	}
	var cur *lsofBatch
	send := func() {
		if cur == nil || len(cur.ends) == 0 {
			return
		}
		if len(queue) == 2*workers {
			join()
		}
		queue = append(queue, cur)
		work <- cur
		cur = nil
	}
	for in.Next() {
		b := in.Bytes()
		if h, ok := parseLsofHeader(b); ok {
			// Rows before a new header are joined before it is recorded,
			// so the held rows stay in file order.
			send()
			for len(queue) > 0 {
				join()
			}
			st.hdr = h
			if st.spool != nil {
				st.spool.header(in.Line(), b)
			}
			continue
		}
		if cur == nil {
			if n := len(free); n > 0 {
				cur, free = free[n-1], free[:n-1]
			} else {
				cur = &lsofBatch{buf: make([]byte, 0, lsofBatchSize+64<<10)}
			}
			cur.first, cur.hdr, cur.done = in.Line(), st.hdr, make(chan struct{})
			if st.spool != nil && st.spool.hdr != nil {
				cur.hdrRaw, cur.hdrLine = append(cur.hdrRaw[:0], st.spool.hdr...), st.spool.hdrLine
			}
		}
		cur.buf = append(cur.buf, b...)
		cur.ends = append(cur.ends, int32(len(cur.buf)))
		if len(cur.buf) >= lsofBatchSize {
			send()
		}
	}
	send()
	for len(queue) > 0 {
		join()
	}
}

// join adds the results of one batch, the next in file order, to st.
func (st *lsofState) join(in *Input, bt *lsofBatch) {
	o := bt.st
	// Rows kept are copied into st's chunks and their text into st's
	// arena: a batch's own storage starts small and doubles, so keeping
	// it would leave up to half of every batch's last chunk and block
	// empty (a busy guard point spread through the file cost twice its
	// rows). The facts of rows whose text cleaning moved their fields are
	// renumbered into st.slow.
	if o.recs.n > 0 {
		off := uint32(len(st.slow))
		st.slow = append(st.slow, o.slow...)
		for _, ch := range append(o.recs.chunks, o.recs.cur) {
			for i := range ch {
				r := st.recs.next()
				*r = ch[i]
				if r.slow {
					r.pid += off
				} else {
					r.text = st.text.strOf(r.text)
				}
			}
		}
		o.recs = kernFacts[lsofRec]{}
	}
	st.unkept += o.unkept
	st.counted += o.counted
	for i, t := range o.tallies {
		j, ok := st.tallyAt[t.Type]
		if !ok {
			st.addTally(t, o.tallyPids[i])
			continue
		}
		st.tallies[j].Rows += t.Rows
		st.tallies[j].Listening += t.Listening
		for pid := range o.tallyPids[i] {
			st.tallyPids[j][pid] = struct{}{}
		}
	}
	if st.spool != nil && bt.spool.rows > 0 {
		st.spool.appendFrame(&bt.spool)
	}
	for _, w := range bt.warns {
		in.WarnAt(w.Line, "%s", w.Msg)
	}
	in.dropped += bt.dropped
}
