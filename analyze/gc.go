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
// process holds outside the Go runtime's accounting (the executable's
// pages, about 16 MiB of resident memory for `triage --version`), so the
// process stays near the goal while its live data allows.
//
// It was 100 MiB. A busy guard point's facts (250,000 lsof rows are about
// 88 MB live: a 248-byte model.OpenFile and its line each) then left the
// collector 10 MB or less of room, and it ran back to back through the
// end of the walk and rule evaluation: 2 s of CPU on the 512 MiB busy
// shapes, more than the rules themselves. Bundles whose live data is
// small (plain hosts) grow to the limit before a cycle either way, so
// their peak follows it: 112 MB with 100 MiB, about 124 MB now.
const MemoryLimit = 112 << 20

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
