package parsers

import (
	"math/rand/v2"
	"strings"
	"testing"
)

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

// TestPairScanAgainstContains: on lines built from pieces of the phrases,
// at every offset and in both cases, the scan finds exactly the phrases
// strings.Contains finds (after lower-casing, when folding).
func TestPairScanAgainstContains(t *testing.T) {
	for _, x := range []*pairScan{agentAnchorScan, klogPhraseScan, newPairScan([]string{"abcd", "bcdab", "dddd"}, false)} {
		var pieces []string
		for _, p := range x.phrases {
			for i := 0; i < len(p); i++ {
				pieces = append(pieces, p[:i], p[i:], strings.ToUpper(p[i:]))
			}
		}
		pieces = append(pieces, " ", "x", "Tt", "\xff")
		r := rand.New(rand.NewPCG(1, 2))
		found := 0
		for range 200000 {
			var b strings.Builder
			for range 1 + r.IntN(6) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			line := b.String()
			var want uint32
			for k, p := range x.phrases {
				l := line
				if x.fold {
					l = strings.ToLower(line)
				}
				if strings.Contains(l, p) {
					want |= 1 << k
				}
			}
			if got := x.scan([]byte(line)); got != want {
				t.Fatalf("scan(%q) = %b, want %b (phrases %q)", line, got, want, x.phrases)
			}
			if want != 0 {
				found++
			}
		}
		if found < 1000 {
			t.Fatalf("only %d lines held a phrase", found)
		}
	}
}

// BenchmarkPairScan scans lines shaped like a busy host's agent log
// messages and kernel log lines, which hold none of the phrases: the scan
// of every byte is the cost.
func BenchmarkPairScan(b *testing.B) {
	for _, c := range []struct {
		name string
		x    *pairScan
		line string
	}{
		{"agent", agentAnchorScan, "[AUDIT] Policy[web-policy] User[app0,uid=1000] Process[/usr/bin/java] Action[read_file] Res[/secure/data/f0] Effect[PERMIT Code (1M)]"},
		{"kernel", klogPhraseScan, "Nov 22 00:00:00 synth-host systemd[1]: Started Session 0 of user app0 (unit session-0.scope, pid 20000)."},
	} {
		b.Run(c.name, func(b *testing.B) {
			line := []byte(c.line)
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if c.x.scan(line) != 0 {
					b.Fatal("a phrase found")
				}
			}
		})
	}
}
