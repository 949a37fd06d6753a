// Command gen writes a deterministic synthetic bundle of realistic shape for
// benchmarks and the performance harness:
//
//	go run ./testdata/gen -size 1GiB -compress gz -out /tmp/bundle-1g.tar.gz
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fsagent/triage/internal/synth"
)

func main() {
	size := flag.String("size", "100MiB", "uncompressed size: a number with B, KiB, MiB or GiB")
	compress := flag.String("compress", "gz", "gz, zst, or none")
	out := flag.String("out", "", "file to write (required)")
	flag.Parse()
	n, err := synth.ParseSize(*size)
	if err != nil || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -size 1GiB -compress gz|zst|none -out FILE")
		os.Exit(2)
	}
	spec := synth.SizedSpec(n)
	if *compress != "none" {
		spec.Compress = *compress
	}
	if err := synth.WriteFile(*out, spec); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
