//go:build aix

package main

import (
	"fmt"
	"os"

	"github.com/fsagent/triage/batch"
)

// newProgress returns a line-per-tenth progress report: the progress-bar
// library cannot drive an AIX terminal.
func newProgress() batch.Progress { return &lineProgress{} }

type lineProgress struct{ total, done, failed int }

func (p *lineProgress) Start(total int) { p.total = total }

func (p *lineProgress) Done(rec batch.Record) {
	p.done++
	if rec.Status != batch.StatusOK {
		p.failed++
	}
	if p.total > 0 && (p.done*10/p.total != (p.done-1)*10/p.total || p.done == p.total) {
		fmt.Fprintf(os.Stderr, "%d/%d bundles (%d failed)\n", p.done, p.total, p.failed)
	}
}

func (p *lineProgress) Finish() {}
