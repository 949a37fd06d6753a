package analyze

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// GCPercent is the collector pace TuneGC sets.
const GCPercent = 400

// The soft memory limit TuneGC sets follows the live heap, checked after
// every collection: LimitFloor while the live heap leaves at least
// LimitSlack of it free, else the live heap plus LimitRoom, up to
// LimitCeiling.
//
// What an analysis keeps alive ranges from 25 MB (a plain bundle of any
// size: line batches in flight, decoder windows; the model holds what
// rules ask for) to 60 MB (250,000 lsof rows inside a guard point). One
// fixed limit fits only one end: at 100 MiB the heap of the 15 MB lsof
// (32 MB live) grew to the limit and the process to 100 MB; at 46 MiB the
// busy shapes would collect back to back. 46 MiB, with the executable's
// resident pages, puts the 15 MB lsof at 59-61 MiB; 48 MiB put it at
// 60-63. With the floor, the collector runs once per
// LimitFloor - live bytes allocated, which costs little while the live
// heap is small; a large live heap gets LimitRoom to grow into before the
// next cycle, as the fixed 100 MiB gave it. The ceiling keeps the process
// under the 128 MB of docs/performance.md with the executable's own pages
// (about 17 MB resident for `triage --version`).
const (
	LimitFloor   = 46 << 20
	LimitSlack   = 10 << 20
	LimitRoom    = 32 << 20
	LimitCeiling = 104 << 20
)

// TuneGC paces the garbage collector for an analyzer process; the command
// calls it once at start. The parsers allocate steadily while the model
// keeps little, so with Go's default pace (GOGC=100) the collector ran
// every few megabytes, took a third of the CPU and occupied the second
// core (`triage batch --jobs 2` gained only 1.4x over one job); at 400 the
// heap may grow to five times the live data, and the soft limit (see
// LimitFloor) bounds that growth. A GOGC or GOMEMLIMIT set by the user
// wins.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(LimitFloor)
		followLiveHeap()
	}
}

// limitFor is the soft limit for a live heap of that many bytes.
func limitFor(live uint64) int64 {
	l := int64(min(live, LimitCeiling))
	if l <= LimitFloor-LimitSlack {
		return LimitFloor
	}
	return min(l+LimitRoom, LimitCeiling)
}

// followLiveHeap sets the soft limit from the live heap after every
// collection, for the life of the process: a finalizer runs once per
// cycle, on the runtime's finalizer goroutine, and arms the next one.
func followLiveHeap() {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var last uint64
	var arm func()
	arm = func() {
		// Large enough not to be a tiny allocation, which may share a
		// block with others and never be finalized.
		s := new([16]uint64)
		runtime.SetFinalizer(s, func(*[16]uint64) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				// The smaller of the last two cycles: a large list made
				// while a cycle runs counts as live in that cycle only
				// (the 15 MB lsof's 12 MB of rows showed as 46 MB live
				// for one cycle, 30 MB the next).
				live := sample[0].Value.Uint64()
				debug.SetMemoryLimit(limitFor(min(live, last)))
				last = live
			}
			arm()
		})
	}
	arm()
}
