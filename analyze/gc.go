package analyze

import (
	"os"
	"runtime/debug"
)

// GCPercent is the collector pace TuneGC sets.
const GCPercent = 400

// MemoryLimit is the soft limit on the runtime's memory TuneGC sets
// alongside: below it the relaxed pace saves CPU; near it the collector
// works harder again, so the heap does not grow to five times a large
// live set. It is the 128 MiB goal of docs/performance.md less what the
// process holds outside the heap's accounting (the executable's pages,
// about 16 MiB resident for `triage --version`) and some room for the
// collector, so the process stays near the goal while its live data
// allows.
//
// 112 MiB was tried: while a busy guard point's facts were held twice
// over (rows and facts, spool frames at three times their size) the
// collector ran back to back under 100 MiB and the higher limit saved
// 2 s of CPU. With those transients gone (docs/performance.md, "What
// changed") both limits cost the same CPU on the busy shapes, measured
// side by side, and 100 MiB keeps the 15 MB lsof and plain bundles 10-20
// MiB lower.
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
