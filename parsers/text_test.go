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
