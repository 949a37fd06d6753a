package analyze

import (
	"os"
	"runtime/debug"
)

// GCPercent is the collector pace TuneGC sets.
const GCPercent = 400

// MemoryLimit is the soft heap limit TuneGC sets alongside: below it the
// relaxed pace saves CPU; near it the collector works harder again, so a
// bundle whose kept facts are large (250,000 lsof rows inside a busy guard
// point are about 90 MB of facts) does not grow the heap to five times its
// live size. Set so the process stays near the 128 MB goal of
// docs/performance.md; the runtime bounds the collector's CPU when the
// live heap exceeds it.
const MemoryLimit = 100 << 20

// TuneGC paces the garbage collector for an analyzer process; the command
// calls it once at start. What the model keeps is bounded (see
// docs/performance.md), so the live heap stays at a few megabytes while the
// parsers allocate steadily; with Go's default pace (GOGC=100) the
// collector then ran every few megabytes, took a third of the CPU and
// occupied the second core, so `triage batch --jobs 2` gained only 1.4x over
// one job. At 400 the heap may grow to five times the live data, which
// measured 45 MB peak RSS on the 1 GiB bundle. A GOGC or GOMEMLIMIT set by
// the user wins.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
