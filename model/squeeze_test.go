package model

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestSqueezeLine(t *testing.T) {
	for _, c := range []struct {
		line     string
		squeezed bool
	}{
		{"oracle    30000                             1000   10u      REG              253,2         0     500000 /secure/oradata/users0_0.dbf", true},
		{"a  b", true},
		{"  leading and trailing  ", true},
		{strings.Repeat(" ", 300) + "x" + strings.Repeat(" ", maxRun) + "y", true},
		{"single spaces only", false},
		{"", false},
		{"caf\xc3\xa9  two", false}, // UTF-8
		{"tab\t  here", false},
		{"del\x7f  x", false},
	} {
		sq, ok := SqueezeLine(nil, c.line)
		if ok != c.squeezed {
			t.Errorf("%q: squeezed %v, want %v", c.line, ok, c.squeezed)
			continue
		}
		if !ok {
			if len(sq) != 0 {
				t.Errorf("%q: not squeezed but wrote %q", c.line, sq)
			}
			continue
		}
		if len(sq) >= len(c.line) {
			t.Errorf("%q: squeezed to %d bytes from %d", c.line, len(sq), len(c.line))
		}
		if got := ExpandLine(string(sq)); got != c.line {
			t.Errorf("ExpandLine(SqueezeLine(%q)) = %q", c.line, got)
		}
	}
	// Every span of random lines of letters and space runs.
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var b strings.Builder
		for b.Len() < 200 {
			if r.IntN(2) == 0 {
				b.WriteString(strings.Repeat(" ", 1+r.IntN(140)))
			} else {
				b.WriteString(strings.Repeat(string(rune('a'+r.IntN(26))), 1+r.IntN(5)))
			}
		}
		line := b.String()
		sq, ok := SqueezeLine([]byte("prefix kept"), line)
		if !ok || !strings.HasPrefix(string(sq), "prefix kept") {
			t.Fatalf("%q not squeezed after the prefix", line)
		}
		s := string(sq[len("prefix kept"):])
		if ExpandLine(s) != line || expandedLen(s) != len(line) {
			t.Fatalf("round trip of %q", line)
		}
		// Spans of the words of the line move to where they lie in s.
		var sp [numOpenFields][2]int
		words := 0
		for k := 0; k < len(line) && words < numOpenFields; {
			if line[k] == ' ' {
				k++
				continue
			}
			e := k + strings.IndexByte(line[k:]+" ", ' ')
			sp[words] = [2]int{k, e}
			words++
			k = e
		}
		want := sp
		if !squeezedSpans(s, len(line), &sp) {
			t.Fatalf("spans of %q not moved", line)
		}
		for w := range words {
			if got := ExpandLine(s[sp[w][0]:sp[w][1]]); got != line[want[w][0]:want[w][1]] {
				t.Fatalf("word %d of %q: %q", w, line, got)
			}
		}
		// A span that starts inside a run of spaces cannot be moved.
		if k := strings.Index(line, "   "); k >= 0 {
			bad := [numOpenFields][2]int{{k + 1, k + 2}}
			if squeezedSpans(s, len(line), &bad) {
				t.Fatalf("a span inside a run of %q was moved", line)
			}
		}
	}
}

// A row packed with its line squeezed reads exactly as the fact it was
// made from, and costs the squeezed line.
func TestPackSqueezed(t *testing.T) {
	line := "oracle    30000                             1000   10u      REG              253,2         0     500000 /secure/oradata/users0_0.dbf (deleted)"
	f := lsofLine(line, 30000, Source{Path: "lsof", Section: "lsof -n", Line: 9})
	f.Name, f.Deleted = strings.TrimSuffix(f.Name, " (deleted)"), true
	f.Name = line[strings.Index(line, "/secure") : strings.Index(line, "/secure")+len("/secure/oradata/users0_0.dbf")]
	sq, ok := SqueezeLine(nil, line)
	if !ok {
		t.Fatal("not squeezed")
	}
	var tab OpenFileTable
	tab.AppendSqueezed(f, string(sq))
	tab.AppendSqueezed(f, string(sq))
	r := tab[1]
	if !r.squeezed || len(r.text) != len(sq) || tab[0].file != tab[1].file {
		t.Fatalf("row not squeezed or not sharing its source: %+v", r)
	}
	if got := r.Fact(); !reflect.DeepEqual(got, f) {
		t.Fatalf("Fact() = %+v\nwant %+v", got, f)
	}
	if r.Name() != f.Name || r.Command() != "oracle" || r.FD() != "10u" || r.Src() != f.Src || r.PID() != 30000 {
		t.Errorf("accessors: %q %q %q %+v", r.Name(), r.Command(), r.FD(), r.Src())
	}
	if p, l := r.Origin(); p != "lsof" || l != 9 {
		t.Errorf("Origin() = %s:%d", p, l)
	}
	a, _ := json.Marshal([]OpenFile{f, f})
	b, _ := json.Marshal(tab)
	if string(a) != string(b) {
		t.Errorf("JSON\n%s\nwant\n%s", b, a)
	}
	// A fact that does not pack keeps its whole self, not the squeezed line.
	odd := f
	odd.Command = "elsewhere"
	if r := PackSqueezed(odd, string(sq), nil); r.squeezed || r.Fact() != odd {
		t.Errorf("an unpackable fact: %+v", r.Fact())
	}
}

// BenchmarkSqueezeLine squeezes lsof rows as lsof aligns them, the lines
// a busy guard point keeps.
func BenchmarkSqueezeLine(b *testing.B) {
	lines := []string{
		"oracle    30000                             1000   10u      REG              253,2         0     500000 /secure/oradata/users0_0.dbf",
		"ora_pmon_ 4242 4243 oracle  mem       REG              253,0    2156592   1048602 /usr/lib64/libc-2.28.so",
		"java      7001 7010 appsvc   45u     IPv4             987654        0t0       TCP 10.1.2.3:8443->10.9.8.7:51234 (ESTABLISHED)",
	}
	n := 0
	for _, l := range lines {
		n += len(l)
	}
	b.SetBytes(int64(n))
	var dst []byte
	for range b.N {
		for _, l := range lines {
			var ok bool
			if dst, ok = SqueezeLine(dst[:0], l); !ok {
				b.Fatal(l)
			}
		}
	}
}

// FuzzSqueezeLine: a squeezed line expands back to itself and is shorter;
// a line that is not squeezed holds a byte outside printable ASCII or no
// run of spaces, and leaves what dst held as it was.
func FuzzSqueezeLine(f *testing.F) {
	f.Add("oracle    30000   1000   10u  REG   253,2   0   500000 /secure/a.dbf")
	f.Add("a  b")
	f.Add("caf\xc3\xa9  two")
	f.Add(strings.Repeat(" ", 300))
	f.Fuzz(func(t *testing.T, line string) {
		sq, ok := SqueezeLine([]byte("kept"), line)
		if string(sq[:4]) != "kept" {
			t.Fatalf("%q: the bytes dst held became %q", line, sq[:4])
		}
		printable, runs := true, strings.Contains(line, "  ")
		for i := 0; i < len(line); i++ {
			if line[i] < 0x20 || line[i] > 0x7e {
				printable = false
			}
		}
		if ok != (printable && runs) {
			t.Fatalf("%q: squeezed %v, printable %v, runs %v", line, ok, printable, runs)
		}
		if !ok {
			if len(sq) != 4 {
				t.Fatalf("%q: not squeezed but wrote %q", line, sq[4:])
			}
			return
		}
		s := string(sq[4:])
		if len(s) >= len(line) || ExpandLine(s) != line || expandedLen(s) != len(line) {
			t.Fatalf("%q: squeezed to %q, which expands to %q", line, s, ExpandLine(s))
		}
	})
}
