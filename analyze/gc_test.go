package analyze

import "testing"

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
