package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/synth"
)

// BenchmarkVerdict measures what judging a result costs next to analyzing
// the bundle it came from (the baseline, in the same run): a synthetic
// bundle, and a directory of 5000 small unrecognized files, so that the
// inventory is long and coverage matches every rule's line globs against
// it. Compare ns/op of the sub-benchmarks.
func BenchmarkVerdict(b *testing.B) {
	set := shipped(b)
	dir := b.TempDir()
	big := filepath.Join(dir, "big.tar.gz")
	if err := synth.WriteFile(big, synth.Spec{LsofLines: 200_000, StraceLines: 20_000, LogLines: 20_000, SlabSamples: 4}); err != nil {
		b.Fatal(err)
	}
	many := filepath.Join(dir, "many")
	for i := 0; i < 5000; i++ {
		p := filepath.Join(many, "d"+string(rune('a'+i%26)), "f"+strconv.Itoa(i)+".txt")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, bundlePath := range []string{big, many} {
		res, err := Run(context.Background(), bundlePath, Options{Rules: set, Limits: bundle.Limits{}})
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(bundlePath)
		b.Run(name+"/analyze", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Run(context.Background(), bundlePath, Options{Rules: set}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/judge", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res.judge(set)
			}
		})
	}
}
