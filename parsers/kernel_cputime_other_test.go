//go:build !unix

package parsers

import "time"

// kernCPUTime is unknown here: benchmarks then report wall time only.
func kernCPUTime() time.Duration { return 0 }
