package analyze

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// GCPercent is the collector pace TuneGC sets when the user set a
// GOMEMLIMIT of their own (otherwise the soft limit alone paces it).
const GCPercent = 400

// The soft memory limit TuneGC sets follows the live heap, checked after
// every collection: LimitFloor while the live heap leaves at least
// LimitSlack of it free (raised when the runtime's own memory would leave
// the heap less than LimitMinRoom to grow), else the live heap plus
// LimitRoom, up to LimitCeiling.
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
// core (`triage batch --jobs 2` gained only 1.4x over one job). The soft
// limit (see LimitFloor) alone now paces it: GOGC is off, so the heap
// grows to the limit and is collected there, which with a small live heap
// is half as often as GOGC=400 (a batch of 1,000 small bundles: 101
// collections against 197). A GOGC or GOMEMLIMIT set by the user wins; with
// only GOMEMLIMIT set GOGC is GCPercent, so the heap stays bounded.
//
// The returned func stops the limit from following the live heap, for a
// command that paces the collector its own way (`triage serve`).
func TuneGC() (stop func()) {
	gogc, limit := os.Getenv("GOGC") == "", os.Getenv("GOMEMLIMIT") == ""
	switch {
	case gogc && limit:
		debug.SetGCPercent(-1)
	case gogc:
		debug.SetGCPercent(GCPercent)
	}
	if !limit {
		return func() {}
	}
	debug.SetMemoryLimit(LimitFloor)
	f := &follower{}
	f.arm()
	return f.stop
}

// LimitMinRoom is the least heap growth the floor leaves between two
// collections. The soft limit counts the runtime's own memory too (span
// and GC metadata, stacks, the unused tails of the heap's spans: about
// 10-12 MB here), so a live heap just under the floor's slack left the
// heap almost no room: with 33-36 MB live, the status-late shape of
// docs/performance.md collected every 1-2 MB, 40 times in a third of a
// second, and the collector took a tenth of the run's CPU.
const LimitMinRoom = 8 << 20

// limitFor is the soft limit for a live heap of that many bytes, when the
// runtime holds nonHeap bytes beside the heap.
func limitFor(live, nonHeap uint64) int64 {
	l := int64(min(live, LimitCeiling))
	if l <= LimitFloor-LimitSlack {
		return min(max(LimitFloor, l+int64(min(nonHeap, LimitCeiling))+LimitMinRoom), LimitCeiling)
	}
	return min(l+LimitRoom, LimitCeiling)
}

// follower sets the soft limit from the live heap after every collection
// until stopped: a finalizer runs once per cycle, on the runtime's
// finalizer goroutine, and arms the next one.
type follower struct {
	mu      sync.Mutex // held while the limit is set, so stop is final
	stopped bool
	last    uint64 // live heap after the cycle before
	sample  []metrics.Sample
}

// followed are the metrics the follower reads: the live heap, and what
// the soft limit counts beside the heap's objects. As the runtime counts
// it, that is all mapped memory less the objects and the free or returned
// heap: the unused tails of the heap's spans count against the limit as
// metadata and stacks do.
var followed = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

func (f *follower) arm() {
	// Large enough not to be a tiny allocation, which may share a block
	// with others and never be finalized.
	s := new([16]uint64)
	runtime.SetFinalizer(s, func(*[16]uint64) { f.cycle() })
}

func (f *follower) cycle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	if f.sample == nil {
		f.sample = make([]metrics.Sample, len(followed))
		for i, name := range followed {
			f.sample[i].Name = name
		}
	}
	metrics.Read(f.sample)
	var v [5]uint64
	for i, s := range f.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	if f.sample[0].Value.Kind() == metrics.KindUint64 {
		live := v[0]
		var nonHeap uint64
		if heap := v[2] + v[3] + v[4]; v[1] > heap {
			nonHeap = v[1] - heap
		}
		// The smaller of the last two cycles: a large list made while a
		// cycle runs counts as live in that cycle only (the 15 MB lsof's
		// 12 MB of rows showed as 46 MB live for one cycle, 30 MB the
		// next).
		debug.SetMemoryLimit(limitFor(min(live, f.last), nonHeap))
		f.last = live
	}
	f.arm()
}

// stop ends the following; the limit is not set again once it returns.
func (f *follower) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
}
