//go:build !aix

package main

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/fsagent/triage/batch"
)

// newProgress returns the batch progress bar for a terminal.
func newProgress() batch.Progress { return &barProgress{} }

// barProgress draws one bar on stderr: done/total, rate, ETA and failures.
type barProgress struct {
	p      *mpb.Progress
	bar    *mpb.Bar
	failed atomic.Int64
}

func (b *barProgress) Start(total int) {
	b.p = mpb.New(mpb.WithOutput(os.Stderr), mpb.WithWidth(40))
	b.bar = b.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.CountersNoUnit("%d/%d bundles"), decor.Any(func(decor.Statistics) string {
			if n := b.failed.Load(); n > 0 {
				return fmt.Sprintf(" · %d failed", n)
			}
			return ""
		})),
		mpb.AppendDecorators(decor.AverageSpeed(0, " %.1f/s"), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)))
}

func (b *barProgress) Done(rec batch.Record) {
	if rec.Status != batch.StatusOK {
		b.failed.Add(1)
	}
	b.bar.Increment()
}

func (b *barProgress) Finish() {
	b.bar.SetTotal(-1, true)
	b.p.Wait()
}
