package batch

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// afterFuncCtx is a long-lived parent context that counts the children
// still registered on it: the context package registers a child through
// AfterFunc (a Done channel of its own keeps it from taking the cancelCtx
// shortcut) and calls the returned stop when the child is cancelled.
type afterFuncCtx struct {
	context.Context
	done chan struct{} // never closed: the parent outlives the run
	mu   sync.Mutex
	live int
}

func (c *afterFuncCtx) Done() <-chan struct{} { return c.done }

func (c *afterFuncCtx) AfterFunc(f func()) func() bool {
	c.mu.Lock()
	c.live++
	c.mu.Unlock()
	_ = f // the parent never ends, so f is never due
	var once sync.Once
	return func() bool {
		stopped := false
		once.Do(func() { c.mu.Lock(); c.live--; c.mu.Unlock(); stopped = true })
		return stopped
	}
}

// A run of many bundles under a long-lived parent (the CLI's signal
// context) must not leave one child context per bundle registered on it.
func TestRunReleasesEveryBundleContext(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Minute} {
		root := makeArchive(t, 12, nil)
		inputs, err := Discover([]string{root})
		if err != nil {
			t.Fatal(err)
		}
		parent := &afterFuncCtx{Context: context.Background(), done: make(chan struct{})}
		out := filepath.Join(t.TempDir(), "results.jsonl")
		if _, err := Run(parent, inputs, out, Options{Jobs: 2, Timeout: timeout, Analyze: fakeAnalyze}); err != nil {
			t.Fatal(err)
		}
		parent.mu.Lock()
		live := parent.live
		parent.mu.Unlock()
		if live != 0 {
			t.Errorf("timeout %s: %d bundle contexts still registered on the parent after the run", timeout, live)
		}
	}
}
