package parsers

import (
	"strconv"
	"testing"
)

// TestAtoi: atoi and atoi64 read a run of digits up to their length limits
// as strconv does, and refuse an empty run, a sign, any other byte and a
// run too long, for strings and byte slices alike.
func TestAtoi(t *testing.T) {
	for _, s := range []string{"", "0", "7", "00042", "123456789", "1234567890", "999999999999999999",
		"1000000000000000000", "-1", "+1", "12a", "a12", " 1", "1 ", "1.5", "\xff", "９"} {
		want, err := strconv.ParseInt(s, 10, 64)
		plain := err == nil && s[0] >= '0' && s[0] <= '9' // no sign
		ok9, ok18 := plain && len(s) <= 9, plain && len(s) <= 18
		if n, ok := atoi(s); ok != ok9 || ok && int64(n) != want {
			t.Errorf("atoi(%q) = %d, %v; want %d, %v", s, n, ok, want, ok9)
		}
		if n, ok := atoi([]byte(s)); ok != ok9 || ok && int64(n) != want {
			t.Errorf("atoi([]byte(%q)) = %d, %v; want %d, %v", s, n, ok, want, ok9)
		}
		if n, ok := atoi64(s); ok != ok18 || ok && n != want {
			t.Errorf("atoi64(%q) = %d, %v; want %d, %v", s, n, ok, want, ok18)
		}
		if n, ok := atoi64([]byte(s)); ok != ok18 || ok && n != want {
			t.Errorf("atoi64([]byte(%q)) = %d, %v; want %d, %v", s, n, ok, want, ok18)
		}
	}
}

// TestHasMonthPrefix: exactly the twelve abbreviations, in their case,
// begin a date; every other three bytes, those that share a month's low
// bits included ("nov", "N/V"), do not.
func TestHasMonthPrefix(t *testing.T) {
	want := map[string]bool{}
	for _, m := range months {
		want[m] = true
	}
	for a := range 256 {
		for _, bc := range [][2]byte{{'o', 'v'}, {'O', 'V'}, {'/', 'V'}, {'e', 'c'}, {'a', 'n'}, {'u', 'n'}, {'u', 'l'}, {'a', 'y'}, {'e', 'p'}} {
			for _, swap := range []bool{false, true} {
				s := string([]byte{byte(a), bc[0], bc[1]})
				if swap {
					s = string([]byte{bc[0], byte(a), bc[1]})
				}
				if got := hasMonthPrefix(s + " 1"); got != want[s] {
					t.Errorf("hasMonthPrefix(%q) = %v", s+" 1", got)
				}
				if got := isMonth([]byte(s)); got != want[s] {
					t.Errorf("isMonth(%q) = %v", s, got)
				}
			}
		}
	}
	for _, m := range months {
		if !hasMonthPrefix(m) || hasMonthPrefix(m[:2]) {
			t.Errorf("%q", m)
		}
	}
}
