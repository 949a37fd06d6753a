package parsers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// sysFuzzOne runs a parser over arbitrary bytes and checks the invariants
// every system parser keeps: no panic, and every fact's source is a line of
// the input with that line's cleaned text.
func sysFuzzOne(t *testing.T, parserName string, data []byte) {
	p := Lookup(parserName)
	if p == nil {
		t.Fatalf("no parser %q", parserName)
	}
	in := NewInputString("fuzz/input", string(data))
	m := &model.Model{}
	p.Parse(in, m)
	lines := in.Line()
	check := func(kind string, s model.Source) {
		if s.Path != "fuzz/input" || s.Line < 1 || s.Line > lines {
			t.Fatalf("%s fact with source %+v outside the %d lines of the input", kind, s, lines)
		}
		if s.EndLine != 0 && (s.EndLine < s.Line || s.EndLine > lines) {
			t.Fatalf("%s fact with end line %d outside %d..%d", kind, s.EndLine, s.Line, lines)
		}
	}
	for _, x := range m.Mounts {
		check("mount", x.Src)
		if x.Path == "" || x.Format == "" {
			t.Fatalf("mount without path or format: %+v", x)
		}
	}
	for _, x := range m.DF {
		check("df", x.Src)
	}
	for _, x := range m.AgentStatus {
		check("agent-status", x.Src)
	}
	for _, x := range m.Filesystems {
		check("filesystem", x.Src)
		if x.Name == "" {
			t.Fatalf("filesystem without a name: %+v", x)
		}
	}
	for _, x := range m.Processes {
		check("process", x.Src)
	}
	for _, x := range m.Packages {
		check("package", x.Src)
		if x.Name == "" {
			t.Fatalf("package without a name: %+v", x)
		}
	}
	for _, s := range m.Host.Sources {
		check("host", s)
	}
	for _, w := range in.Warnings() {
		if w.Line > lines {
			t.Fatalf("warning at line %d past the %d lines: %v", w.Line, lines, w)
		}
	}
}

// sysAddSeeds adds every file of testdata/<kind>/ as a fuzz seed.
func sysAddSeeds(f *testing.F, kind string) {
	entries, err := os.ReadDir(filepath.Join("testdata", kind))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add([]byte(readTestdata(f, kind, e.Name())))
	}
	f.Add([]byte(""))
	f.Add([]byte("\x00\xff\r\n\r\n \t"))
}

func TestSysUnescapeOctal(t *testing.T) {
	cases := []struct{ in, want string }{
		{`/run/media/root/VMware\040Tools`, "/run/media/root/VMware Tools"},
		{`a\011b\012c\134d`, "a\tb\nc\\d"},
		{`no escapes`, "no escapes"},
		{`bad\09x`, `bad\09x`},
		{`short\04`, `short\04`},
		{`trailing\`, `trailing\`},
		{`\777`, `\777`}, // 511: not a byte
	}
	for _, c := range cases {
		if got := unescapeOctal(c.in); got != c.want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSysSplitOptions(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"rw,relatime", []string{"rw", "relatime"}},
		{`rw,context="system_u:object_r:container_file_t:s0:c184,c371",size=64000k`,
			[]string{"rw", `context="system_u:object_r:container_file_t:s0:c184,c371"`, "size=64000k"}},
		{"", nil},
		{"a,,b,", []string{"a", "b"}},
		{`x="unterminated,y`, []string{`x="unterminated,y`}},
	}
	for _, c := range cases {
		if got := splitMountOptions(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitMountOptions(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSysUnescapeHex(t *testing.T) {
	for in, want := range map[string]string{
		`/srv/space\x20dir`: "/srv/space dir",
		`plain`:             "plain",
		`\x2`:               `\x2`,
		`\xzz`:              `\xzz`,
	} {
		if got := unescapeHex(in); got != want {
			t.Errorf("unescapeHex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSysSpans(t *testing.T) {
	s := "  a bb\t ccc  "
	var got []string
	for _, sp := range fields(s) {
		got = append(got, s[sp.start:sp.end])
	}
	if strings.Join(got, "|") != "a|bb|ccc" {
		t.Errorf("fields = %q", got)
	}
}
