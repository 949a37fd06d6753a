package batch

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/synth"
	"github.com/fsagent/triage/rules"
)

// benchBundles is how many small bundles one benchmark iteration analyzes.
const benchBundles = 200

// benchmarkJobs measures bundles per second over a generated archive of
// small bundles with the shipped rules; compare -jobs 1 and 2 for scaling:
//
//	go test -run XXX -bench BatchJobs -benchtime 3x ./batch/
func benchmarkJobs(b *testing.B, jobs int) {
	root := b.TempDir()
	if err := synth.WriteTicketArchive(root, benchBundles, synth.Spec{LsofLines: 2000, StraceLines: 500, LogLines: 300, SlabSamples: 2}); err != nil {
		b.Fatal(err)
	}
	set, err := rules.LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	inputs, err := Discover([]string{root})
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "r.jsonl")
	// As the command does: with a bundle per core, each is parsed on one
	// goroutine.
	serial := jobs >= runtime.GOMAXPROCS(0)
	opts := Options{Jobs: jobs, Force: true, Analyze: func(ctx context.Context, p string) (*analyze.Result, error) {
		return analyze.Run(ctx, p, analyze.Options{Rules: set, Serial: serial})
	}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), inputs, out, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchBundles*b.N)/b.Elapsed().Seconds(), "bundles/s")
}

func BenchmarkBatchJobs1(b *testing.B) { benchmarkJobs(b, 1) }
func BenchmarkBatchJobs2(b *testing.B) { benchmarkJobs(b, 2) }
