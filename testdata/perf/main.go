// Command perf is the performance harness: it generates synthetic bundles,
// then times `triage analyze` against plain decompression of the same file
// in the same run, and reports the ratio and triage's peak memory.
//
//	go run ./testdata/perf -sizes 100MiB,1GiB -compress gz
//
// Ratios, not seconds, are the figures to compare: the machines are shared
// and noisy, so each measurement is the best of -runs runs.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsagent/triage/internal/synth"
)

func main() {
	sizes := flag.String("sizes", "100MiB,1GiB", "bundle sizes (uncompressed), comma-separated")
	compress := flag.String("compress", "gz", "compressions to test, comma-separated: gz, zst")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "triage-perf"), "where bundles and the binary go (bundles are reused)")
	runs := flag.Int("runs", 3, "runs per measurement; the best counts")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fail(err)
	}
	bin := filepath.Join(*dir, "triage")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/triage").CombinedOutput(); err != nil {
		fail(fmt.Errorf("building triage: %v\n%s", err, out))
	}
	fmt.Printf("%-8s %-4s %10s %12s %12s %7s %10s\n", "size", "comp", "bytes", "baseline s", "triage s", "ratio", "peak RSS")
	for _, sz := range strings.Split(*sizes, ",") {
		n, err := synth.ParseSize(sz)
		if err != nil {
			fail(err)
		}
		for _, c := range strings.Split(*compress, ",") {
			path := filepath.Join(*dir, fmt.Sprintf("bundle-%s.tar.%s", sz, c))
			if _, err := os.Stat(path); err != nil {
				spec := synth.SizedSpec(n)
				spec.Compress = c
				fmt.Fprintf(os.Stderr, "generating %s ...\n", path)
				if err := synth.WriteFile(path, spec); err != nil {
					fail(err)
				}
			}
			st, _ := os.Stat(path)
			base := baseline(c, path)
			bt, _ := best(*runs, base)
			tt, rss := best(*runs, exec.Command(bin, "analyze", path, "--format", "json", "--out", os.DevNull))
			fmt.Printf("%-8s %-4s %10d %12.2f %12.2f %6.2fx %7.0f MB\n", sz, c, st.Size(), bt.Seconds(), tt.Seconds(), tt.Seconds()/bt.Seconds(), float64(rss)/1024)
		}
	}
}

// baseline is the command that only decompresses the bundle.
func baseline(c, path string) *exec.Cmd {
	switch c {
	case "zst":
		return exec.Command("zstd", "-dc", path)
	default:
		return exec.Command("gzip", "-dc", path)
	}
}

// best runs a command n times with stdout discarded and returns its best
// wall time and its largest peak RSS in KiB.
func best(n int, proto *exec.Cmd) (time.Duration, int64) {
	var bestT time.Duration
	var maxRSS int64
	for i := 0; i < n; i++ {
		cmd := exec.Command(proto.Path, proto.Args[1:]...)
		cmd.Stderr = os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			// analyze exits 1 only with --fail-on; anything else is a failure.
			fail(fmt.Errorf("%s: %v", strings.Join(proto.Args, " "), err))
		}
		d := time.Since(start)
		if bestT == 0 || d < bestT {
			bestT = d
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss
		}
	}
	return bestT, maxRSS
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "perf:", err)
	os.Exit(1)
}
