package analyze

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// The soft limit stays at the floor while the live heap leaves its slack
// free and the floor leaves LimitMinRoom beside the runtime's own memory,
// then leaves LimitRoom above the live heap, up to the ceiling.
func TestLimitFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, nonHeap uint64
		want          int64
	}{
		{0, 0, LimitFloor},
		{10 * mib, 10 * mib, LimitFloor},
		{LimitFloor - LimitSlack, 0, LimitFloor},
		// 33 MiB live beside 10 MiB of the runtime's: the floor would
		// leave 3 MiB to allocate before the next collection.
		{33 * mib, 10 * mib, 33*mib + 10*mib + LimitMinRoom},
		{LimitFloor - LimitSlack, 10 * mib, LimitFloor - LimitSlack + 10*mib + LimitMinRoom},
		{LimitFloor - LimitSlack, 500 * mib, LimitCeiling},
		{LimitFloor - LimitSlack + 1, 10 * mib, LimitFloor - LimitSlack + 1 + LimitRoom},
		{60 * mib, 10 * mib, 60*mib + LimitRoom},
		{LimitCeiling - LimitRoom, 0, LimitCeiling},
		{500 * mib, 0, LimitCeiling},
	} {
		if got := limitFor(c.live, c.nonHeap); got != c.want {
			t.Errorf("limitFor(%d MiB, %d MiB) = %d MiB, want %d MiB", c.live/mib, c.nonHeap/mib, got/mib, c.want/mib)
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
