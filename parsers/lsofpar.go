package parsers

import "runtime"

// A busy host's lsof holds millions of rows, and on a bundle that
// decompresses fast (zstd) parsing them on one core made lsof the length
// of the whole analysis. Rows are independent once the header is known, so
// past lsofParallelAfter lines the file is parsed in batches on every core
// (parseInBatches, batch.go) and the results are joined in file order: the
// same facts, counts, held rows and warnings as a serial parse, in the
// same order.

// lsofParallelAfter is the line after which a file is parsed in batches:
// small files, the most common, never start a goroutine.
const lsofParallelAfter = 20000

// lsofBatch is what a worker gave for one batch of lines.
type lsofBatch struct {
	st    *lsofState
	spool lsofSpool // the rows held for later, records only
	in    *Input    // the worker's warnings
}

// parseLsofParallel parses the rest of in (from the line after the current
// one) in batches on every core (parseInBatches), joining the results into
// st. A header is a barrier: the rows before it are joined before it is
// recorded, so the held rows stay in file order, and the batches after it
// are parsed with its columns.
func parseLsofParallel(in *Input, st *lsofState) {
	dirs := append([]string(nil), in.openDirs...)
	lim, hold := in.openLim, st.spool != nil
	// The record buffers of batches' held rows are reused once their batch
	// is joined.
	recBufs := make(chan []byte, 4*runtime.GOMAXPROCS(0))
	parse := func(lb *batchLines) *lsofBatch {
		bt := &lsofBatch{in: batchInput(in)}
		if lim {
			bt.in.KeepOpenFilesUnder(dirs)
		}
		// The header in force (st.hdr, st.spool.hdr) changes only at a
		// barrier, while no worker runs.
		ws := &lsofState{toks: make([]span, 0, 16), hdr: st.hdr, squeeze: st.squeeze, countOnly: st.countOnly, keptFirst: st.keptFirst, layouts: lsofLayoutUse{eager: true}}
		if hold && st.spool.reread != nil {
			// Rows are only counted (see lsofSpool.reread).
			ws.spool = &bt.spool
			bt.spool.reread = st.spool.reread
		} else if hold {
			ws.spool = &bt.spool
			bt.spool.collect = true
			select {
			case b := <-recBufs:
				bt.spool.cur = b
			default:
			}
			// Room for every line as a record (its bytes and two varints)
			// and the header: growing the buffer by doubling was 0.2 s of
			// copies on the busy shape.
			if need := lb.size + 6*len(lb.spans) + len(st.spool.hdr) + 16; cap(bt.spool.cur) < need {
				bt.spool.cur = make([]byte, 0, need)
			}
			if st.spool.hdr != nil {
				// The batch's frame of held rows starts with it, so it
				// parses on its own.
				bt.spool.record(st.spool.hdrLine, true, st.spool.hdr)
			}
		}
		lb.lines(bt.in, func(b []byte) { ws.line(bt.in, b) })
		ws.releaseLayouts()
		if hold {
			bt.spool.pack()
		}
		ws.spool = nil
		bt.st = ws
		return bt
	}
	join := func(_ *batchLines, bt *lsofBatch) {
		st.join(in, bt)
		if bt.spool.cur != nil {
			select {
			case recBufs <- bt.spool.cur[:0]:
			default:
			}
		}
	}
	parseInBatches(in, parse, join, batchHooks{
		barrier:     func(b []byte) bool { _, ok := parseLsofHeader(b); return ok },
		barrierMark: []byte("COMMAND"),
		atBarrier: func(b []byte) {
			st.hdr, _ = parseLsofHeader(b)
			if st.spool != nil {
				st.spool.header(in.Line(), b)
			}
		},
	})
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
					r.text = st.text.strOf(r.text) // squeezed by the worker when r.sq
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
		into := st.tallyPids[j].m
		for pid := range o.tallyPids[i].m {
			into[pid] = struct{}{}
		}
	}
	if st.spool != nil && bt.spool.rows > 0 {
		st.spool.appendFrame(&bt.spool)
	}
	rp := warnReplay{from: bt.in}
	rp.upTo(in, bt.in.emitted())
}
