package parsers

import "testing"

// TestLogsFuzzRegressions replays inputs that once crashed a parser (found
// by the fuzz targets; the raw inputs are also kept under testdata/fuzz).
func TestLogsFuzzRegressions(t *testing.T) {
	cases := []struct{ parser, path, in string }{
		// A syslog header followed by two spaces: an empty host token
		// indexed at -1.
		{"kernel-log", "var/log/messages", "000000task 0:0blocked for more than\nFeb 00 00:00:00A  "},
		{"kernel-log", "var/log/messages", "Feb 00 00:00:00  "},
	}
	for _, c := range cases {
		m, _ := parseString(t, c.parser, c.path, c.in)
		logCheckFacts(t, c.in, m, true)
	}
}
