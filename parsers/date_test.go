package parsers

import "testing"

func TestDateGivesCollectionTime(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Fri Nov 20 02:10:00 UTC 2026\n", "2026-11-20T02:10:00Z"},
		{"Fri Nov  6 02:10:00 UTC 2026\n", "2026-11-06T02:10:00Z"},
		{"Fri Nov 20 02:10:00 +0100 2026\r\n", "2026-11-20T01:10:00Z"},
		{"2026-11-20T02:10:00.5+02:00\n", "2026-11-20T00:10:00Z"},
		{"\n2026-11-20 02:10:00\n", "2026-11-20T02:10:00Z"},
	}
	for _, c := range cases {
		m, w := parseString(t, "date", "sos_commands/date/date", c.in)
		if m.Host.CollectedAt != c.want || len(w) != 0 {
			t.Errorf("%q: CollectedAt %q (warnings %v), want %q", c.in, m.Host.CollectedAt, w, c.want)
		}
	}
	m, w := parseString(t, "date", "date", "date: command not found\n")
	if m.Host.CollectedAt != "" || len(w) != 1 || w[0].Line != 1 {
		t.Fatalf("an error capture must warn, not set a time: %+v %v", m.Host, w)
	}
	if id := Identify("sosreport-h-1/sos_commands/date/date", nil); id.Parser == nil || id.Parser.Name != "date" {
		t.Fatalf("sos date file identified as %+v", id)
	}
}
