//go:build unix

package parsers

import (
	"syscall"
	"time"
)

// kernCPUTime is the CPU time (user and system) the process has used, so
// benchmarks can report throughput per CPU second on a shared machine,
// where wall time mostly measures the other jobs.
func kernCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
