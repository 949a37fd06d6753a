package analyze

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// The soft limit stays at the floor while the live heap leaves its slack
// free, then leaves LimitRoom above the live heap, up to the ceiling.
func TestLimitFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, LimitFloor},
		{10 * mib, LimitFloor},
		{LimitFloor - LimitSlack, LimitFloor},
		{LimitFloor - LimitSlack + 1, LimitFloor - LimitSlack + 1 + LimitRoom},
		{60 * mib, 60*mib + LimitRoom},
		{LimitCeiling - LimitRoom, LimitCeiling},
		{500 * mib, LimitCeiling},
	} {
		if got := limitFor(c.live); got != c.want {
			t.Errorf("limitFor(%d MiB) = %d MiB, want %d MiB", c.live/mib, got/mib, c.want/mib)
		}
	}
	if LimitFloor-LimitSlack+LimitRoom > LimitCeiling || LimitFloor > LimitCeiling {
		t.Error("the limits overlap")
	}
}

// A stopped follower no longer sets the limit after a collection.
func TestFollowerStops(t *testing.T) {
	const mark = 1 << 40
	old := debug.SetMemoryLimit(mark)
	defer debug.SetMemoryLimit(old)
	f := &follower{}
	f.cycle() // a collection: sets the limit from the live heap
	if got := debug.SetMemoryLimit(-1); got == mark || got < LimitFloor || got > LimitCeiling {
		t.Fatalf("after a cycle the limit is %d", got)
	}
	f.stop()
	debug.SetMemoryLimit(mark)
	f.cycle()
	runtime.GC()
	if got := debug.SetMemoryLimit(-1); got != mark {
		t.Fatalf("a stopped follower set the limit to %d", got)
	}
}
