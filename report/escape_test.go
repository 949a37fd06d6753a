package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/fsagent/triage/rules"
)

func TestSafeText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain /data/app", "plain /data/app"},
		{"clear \x1b[2J screen", `clear \x1b[2J screen`},
		{"title \x1b]0;x\x07", `title \x1b]0;x\x07`},
		{"two\nlines\tand tab", `two\nlines\tand tab`},
		{"cr\r", `cr\r`},
		{"bidi \u202etxt.exe", `bidi \u202etxt.exe`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"del \x7f", `del \x7f`},
		{"accents ünïcödé ok", "accents ünïcödé ok"},
	}
	for _, c := range cases {
		if got := safeText(c.in); got != c.want {
			t.Errorf("safeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := safeBlock("a\n\tb\x1b"); got != "a\n\tb\\x1b" {
		t.Errorf("safeBlock kept or lost the wrong characters: %q", got)
	}
}

// TestTextNoTerminalEscapes: without colour the text report holds no
// escape byte at all; with colour, only the SGR sequences it writes itself.
func TestTextNoTerminalEscapes(t *testing.T) {
	plain := render(t, "txt", busyHost())
	if i := bytes.IndexByte(plain, 0x1b); i >= 0 {
		t.Fatalf("plain text report holds an ESC byte at %d: %q", i, plain[max(0, i-20):min(len(plain), i+20)])
	}
	colored := render(t, "color.txt", busyHost())
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	if rest := sgr.ReplaceAll(colored, nil); bytes.IndexByte(rest, 0x1b) >= 0 {
		t.Fatalf("coloured text report holds an escape other than SGR: %q", rest[bytes.IndexByte(rest, 0x1b):][:20])
	}
	if !sgr.Match(colored) {
		t.Fatal("coloured text report has no colour")
	}
	for _, s := range []string{`\x1b[2J`, `\u202etxt.exe`} {
		if !bytes.Contains(plain, []byte(s)) {
			t.Errorf("hostile evidence %q should be shown escaped, not dropped", s)
		}
	}
}

// TestNothingDropped: every warning, rule error and evidence line of the
// result appears in every human format.
func TestNothingDropped(t *testing.T) {
	r := busyHost()
	var want []string
	for _, w := range allWarnings(r) {
		want = append(want, strings.Fields(safeText(w.Msg))[0])
		want = append(want, safeText(w.Path))
	}
	for _, e := range r.Errors {
		want = append(want, e.RuleID, e.Msg)
	}
	var locs []string
	evidenceLines := 0
	for _, f := range r.Findings {
		want = append(want, f.RuleID)
		for _, s := range evidence(f) {
			locs = append(locs, location(s))
			evidenceLines++
		}
	}
	for _, ext := range []string{"txt", "md", "html", "json"} {
		out := string(render(t, ext, r))
		check := want
		if ext != "json" {
			check = append(check, locs...)
		}
		for _, w := range check {
			if !strings.Contains(out, w) {
				t.Errorf("%s report lacks %q", ext, w)
			}
		}
	}
	d := NewDocument(r)
	n := 0
	for _, f := range d.Findings {
		n += len(f.Evidence)
	}
	if n != evidenceLines || len(d.Warnings) != len(r.Warnings) || len(d.Errors) != len(r.Errors) || d.Summary.Warnings != 4 {
		t.Errorf("JSON document lost items: %d evidence lines (want %d), %+v", n, evidenceLines, d.Summary)
	}
}

func TestNoFindingsMessage(t *testing.T) {
	for _, ext := range []string{"txt", "md", "html"} {
		out := string(render(t, ext, quietHost()))
		if !strings.Contains(out, "No known problems found") {
			t.Errorf("%s report of a quiet bundle does not say no known problems were found", ext)
		}
		if strings.Contains(string(render(t, ext, busyHost())), "No known problems found") {
			t.Errorf("%s report of a bundle with findings says no problems were found", ext)
		}
	}
}

func TestFindingsSortedBySeverity(t *testing.T) {
	out := string(render(t, "txt", busyHost()))
	last := -1
	for _, id := range []string{"[1] CRITICAL", "[2] HIGH", "[3] MEDIUM", "[4] LOW"} {
		i := strings.Index(out, id)
		if i < 0 || i < last {
			t.Fatalf("finding %q missing or out of order", id)
		}
		last = i
	}
}

// TestMarkdownTableCellsHold: pipes from the bundle cannot add cells to a
// row of the summary table, and no backtick run can close a fence.
func TestMarkdownTableCellsHold(t *testing.T) {
	r := busyHost()
	r.Findings = append(r.Findings, rules.Finding{RuleID: "x.pipe", Severity: rules.Info,
		Title: "a | b | c", Subject: "/mnt/a|b`|`c", Message: "m",
		Evidence: r.Findings[2].Evidence})
	out := string(render(t, "md", r))
	cellSep := regexp.MustCompile(`(^|[^\\])\|`)
	inTable := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| # |") {
			inTable = true
		}
		if inTable && !strings.HasPrefix(line, "|") {
			inTable = false
		}
		if inTable {
			// A row starts and ends with a pipe and has 4 between: 6 in all.
			if n := len(cellSep.FindAllString(line, -1)); n != 6 && !strings.HasPrefix(line, "|---") {
				t.Errorf("table row has %d cell separators, want 6: %s", n, line)
			}
		}
	}
	// The nested-mount evidence holds a run of four backticks: its fence
	// must be at least five long.
	if !strings.Contains(out, "`````text\n") {
		t.Errorf("evidence with a run of four backticks is not fenced by five:\n%s", out)
	}
	if strings.Contains(out, "<script>") && !strings.Contains(out, "```") {
		t.Error("raw <script> outside a code block")
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "<script>") && !strings.Contains(line, "  ") {
			t.Errorf("raw <script> in Markdown prose: %q", line)
		}
	}
}

func TestMdCode(t *testing.T) {
	cases := []struct{ in, want string }{
		{"gde.busy", "`gde.busy`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"a``b```c", "````a``b```c````"},
	}
	for _, c := range cases {
		if got := mdCode(c.in); got != c.want {
			t.Errorf("mdCode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestHTMLFetchesNothing: the page loads nothing from anywhere (no script,
// stylesheet, image, frame or object with a source) and links only to
// http(s) references and its own anchors.
func TestHTMLFetchesNothing(t *testing.T) {
	for _, fx := range fixtures {
		out := string(render(t, "html", fx.res()))
		lower := strings.ToLower(out)
		for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", " src=", "srcset=", "xlink:href"} {
			if strings.Contains(lower, bad) {
				t.Errorf("%s: HTML report contains %q", fx.name, bad)
			}
		}
		hrefs := regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1)
		for _, h := range hrefs {
			if !strings.HasPrefix(h[1], "#") && !strings.HasPrefix(h[1], "https://") && !strings.HasPrefix(h[1], "http://") {
				t.Errorf("%s: unexpected link %q", fx.name, h[1])
			}
		}
		if fx.name == "busy-host" && len(hrefs) == 0 {
			t.Error("busy-host: the reference URL is not a link")
		}
		if strings.Contains(lower, "javascript:") && strings.Contains(lower, `href="javascript`) {
			t.Errorf("%s: javascript: URL became a link", fx.name)
		}
	}
}

func TestHTMLEscapesHostileText(t *testing.T) {
	out := string(render(t, "html", busyHost()))
	if strings.Contains(out, hostileScript) {
		t.Fatal("a <script> from a log line reached the HTML unescaped")
	}
	if !strings.Contains(out, "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;") {
		t.Error("the hostile log line is not shown as escaped text")
	}
	if strings.Contains(out, "<b>bold</b>") {
		t.Error("markup in a file name reached the HTML unescaped")
	}
	for _, want := range []string{`class="slab-chart"`, `class="mount-tree"`, `class="event-timeline"`, "<details", "names_cache"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}

func TestEventTimes(t *testing.T) {
	cases := []struct {
		in    string
		clock string
		ok    bool
	}{
		{"2024-03-05 10:01:02", clockWall, true},
		{"2024-03-05T10:01:02.123Z", clockWall, true},
		{"[  123.456789]", clockUptime, true},
		{"Mar  5 10:01:02", clockNoYear, true},
		{"Tue Mar  5 10:01:02 2024", clockWall, true},
		{"soon", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		_, clock, ok := parseEventTime(c.in)
		if ok != c.ok || clock != c.clock {
			t.Errorf("parseEventTime(%q) = %q, %v; want %q, %v", c.in, clock, ok, c.clock, c.ok)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"Mar 21 09:14:01", "09:14:01"},
		{"2024-03-05 10:01:02", "10:01:02"},
		{"Tue Mar  5 23:59:59 1500", "23:59:59"},
		{"[  123.456789]", "123.5 s"},
	} {
		v, clock, _ := parseEventTime(c.in)
		if got := formatClock(v, clock, 0); got != c.want {
			t.Errorf("formatClock(parseEventTime(%q)) = %q, want %q", c.in, got, c.want)
		}
	}
	r := busyHost()
	tl := timelineOf(r.Model)
	if tl == nil || !strings.HasPrefix(tl.Axis, "time") || len(tl.Marks) != len(r.Model.Events) {
		t.Fatalf("timeline of 5 dated events: %+v", tl)
	}
	if tl.Marks[0].X >= tl.Marks[len(tl.Marks)-1].X {
		t.Error("the first event is not left of the last")
	}
	r.Model.Events[0].Time = "[ 12.5]"
	if tl := timelineOf(r.Model); !strings.HasPrefix(tl.Axis, "order") {
		t.Errorf("mixed clocks must fall back to log order, got axis %q", tl.Axis)
	}
}

func TestMountTreeMarksGuardPoints(t *testing.T) {
	mt := mountTreeOf(busyHost().Model)
	classes := map[string]string{}
	for _, r := range mt.Rows {
		classes[r.Path] = r.Class
	}
	want := map[string]string{"/": "", "/data": "gp", "/data/backup": "inside", "/data/archive|old`x`": "inside", "/home": ""}
	for p, c := range want {
		if got, ok := classes[p]; !ok || got != c {
			t.Errorf("mount %s: class %q (present %v), want %q", p, got, ok, c)
		}
	}
	if len(mt.Guards) != 1 || len(mt.Guards[0].Inside) != 2 {
		t.Errorf("guard points = %+v, want /data with 2 mounts inside", mt.Guards)
	}
}

func TestSlabChartRanksByGrowth(t *testing.T) {
	charts, _ := slabCharts(busyHost().Model)
	if len(charts) != 1 {
		t.Fatalf("want one chart for the one series, got %d", len(charts))
	}
	c := charts[0]
	if c.Growing != 2 || len(c.Lines) != 2 || c.Lines[0].Cache != "names_cache" {
		t.Fatalf("want names_cache first of the 2 growing caches (kmalloc-32 shrank), got %+v", c.Lines)
	}
	if got := len(c.Lines[0].Dots); got != 4 {
		t.Errorf("names_cache has %d points, want 4", got)
	}
	// Higher values are drawn higher (smaller y).
	d := c.Lines[0].Dots
	if d[0].Y <= d[3].Y {
		t.Errorf("a growing cache is not drawn rising: %+v", d)
	}
}

func TestTextWrap(t *testing.T) {
	got := wrap("one two three four five six seven eight nine ten eleven twelve thirteen\n  indented command stays whole even when it is long", 24)
	for _, l := range got[:len(got)-1] {
		if len([]rune(l)) > 24 {
			t.Errorf("line longer than 24: %q", l)
		}
	}
	if last := got[len(got)-1]; !strings.HasPrefix(last, "  indented") {
		t.Errorf("indented line was reflowed: %q", got)
	}
}

func TestMdProse(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Run `fuser -vm /data` now", "Run `fuser -vm /data` now"},
		{"fuser -vm <guard point>", `fuser -vm \<guard point\>`},
		{"match fuse* and nfs* types", `match fuse\* and nfs\* types`},
		{"keep `a<b*c` but escape <x>", "keep `a<b*c` but escape \\<x\\>"},
		{"unclosed ` tick <y>", "unclosed \\` tick \\<y\\>"},
		{"step one\n# /etc/init.d/secfs stop", "step one  \n\\# /etc/init.d/secfs stop"},
	}
	for _, c := range cases {
		if got := mdProse(c.in); got != c.want {
			t.Errorf("mdProse(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
