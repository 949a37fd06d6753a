package parsers

import "testing"

// TestPairScan: a phrase is found at an even or odd offset, at the start
// and at the very end of a line, in either case when folding, and a
// phrase cut short by the end of the line is not.
func TestPairScan(t *testing.T) {
	folded := newPairScan([]string{"unload", "stop", "guard"}, true)
	exact := newPairScan([]string{"in use", "Tainted"}, false)
	for _, c := range []struct {
		x    *pairScan
		line string
		want uint32
	}{
		{folded, "unload", 1},
		{folded, "xunload", 1},
		{folded, "xx STOP", 2},
		{folded, "x Stop and Guard", 2 | 4},
		{folded, "unloa", 0},
		{folded, "sto", 0},
		{exact, "module is in use", 1},
		{exact, "module is in usE", 0},
		{exact, "Tainted: P", 2},
		{exact, "tainted", 0},
		{exact, "", 0},
	} {
		if got := c.x.scan([]byte(c.line)); got != c.want {
			t.Errorf("scan(%q) = %b, want %b", c.line, got, c.want)
		}
	}
}
