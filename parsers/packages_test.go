package parsers

import (
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

func TestPackagesParse(t *testing.T) {
	cases := []struct {
		name, parser, path, file string
		count, warnings          int
		wants                    map[int]model.Package // Src ignored
	}{
		{
			name: "rpm -qa", parser: "rpm", path: "rpm-qa.txt", file: "rpm-qa.txt", count: 5,
			wants: map[int]model.Package{
				0: {Name: "kernel", Version: "3.10.0-1160.el7", Arch: "x86_64", Manager: "rpm"},
				2: {Name: "python-chardet", Version: "2.2.1-3.el7", Arch: "noarch", Manager: "rpm"},
				3: {Name: "gpg-pubkey", Version: "f4a80eb5-53a7ff4b", Manager: "rpm"},
				4: {Name: "vee-fs", Version: "6.1.2-132.el7", Arch: "x86_64", Manager: "rpm"},
			},
		},
		{
			name: "sos installed-rpms with an insights JSON line", parser: "rpm", path: "installed-rpms", file: "installed-rpms.txt", count: 4,
			wants: map[int]model.Package{
				0: {Name: "NetworkManager", Version: "1.18.8-2.el7_9", Arch: "x86_64", Manager: "rpm"},
				3: {Name: "kmod-vormetric", Version: "7.1.0-112", Arch: "x86_64", Manager: "rpm"},
			},
		},
		{
			name: "dpkg -l: removed packages kept with their state, not installed", parser: "dpkg", path: "sos_commands/dpkg/dpkg_-l", file: "dpkg-l.txt", count: 4,
			wants: map[int]model.Package{
				0: {Name: "auditd", Version: "1:2.8.5-2ubuntu6", Arch: "amd64", Manager: "dpkg", State: "ii"},
				2: {Name: "old-agent", Version: "1.0-1", Arch: "amd64", Manager: "dpkg", State: "rc", NotInstalled: true},
				3: {Name: "libc6", Version: "2.31-0ubuntu9.9", Arch: "amd64", Manager: "dpkg", State: "ii"},
			},
		},
		{
			name: "AIX lslpp -L with wrapped descriptions", parser: "lslpp", path: "lslpp-L.out", file: "lslpp-L.txt", count: 3,
			wants: map[int]model.Package{
				0: {Name: "ICU4C.rte", Version: "7.2.0.0", Manager: "lslpp", State: "C"},
				2: {Name: "bash", Version: "5.0.18-1", Manager: "lslpp", State: "C"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, c.parser, c.path, readTestdata(t, "packages", c.file))
			if len(m.Packages) != c.count {
				t.Fatalf("got %d packages, want %d: %+v", len(m.Packages), c.count, m.Packages)
			}
			if len(warns) != c.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(warns), c.warnings, warns)
			}
			for i, w := range c.wants {
				got := m.Packages[i]
				if got.Src.Line == 0 || got.Src.Path != c.path {
					t.Errorf("package %d source %+v", i, got.Src)
				}
				got.Src = model.Source{}
				if got != w {
					t.Errorf("package %d = %+v, want %+v", i, got, w)
				}
			}
		})
	}
	m, _ := parseString(t, "lslpp", "lslpp-L.out", readTestdata(t, "packages", "lslpp-L.txt"))
	if s := m.Packages[0].Src; s.Line != 3 || s.EndLine != 4 {
		t.Errorf("wrapped description lines %d-%d, want 3-4", s.Line, s.EndLine)
	}
}

func TestPackagesMalformed(t *testing.T) {
	cases := []struct {
		name, parser, content string
		count, warns          int
	}{
		{"rpm verify output", "rpm", "S.5....T.  c /etc/secfs.conf\nbash-4.2-1.x86_64\n", 1, 1},
		{"rpm bad json", "rpm", "{\"name\": \n", 0, 1},
		{"dpkg junk row", "dpkg", "||/ Name Version Description\n+++-==\nii  only\nii  fuse 2.9 Filesystem in Userspace\n", 1, 1},
		{"lslpp junk before rows", "lslpp", "lslpp: 0504-132  Fileset x not installed.\n", 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, c.parser, "pkgs", c.content)
			if len(m.Packages) != c.count || len(warns) != c.warns {
				t.Errorf("packages %+v warnings %v", m.Packages, warns)
			}
		})
	}
}

func FuzzRPM(f *testing.F) {
	sysAddSeeds(f, "packages")
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "rpm", data) })
}

func FuzzDpkg(f *testing.F) {
	sysAddSeeds(f, "packages")
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "dpkg", data) })
}

func FuzzLslpp(f *testing.F) {
	sysAddSeeds(f, "packages")
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "lslpp", data) })
}

// TestRPMJSONWarnings checks that a JSON row names its real problem, at its
// line: a syntax error, or a missing name (the message once read
// "without a name: <nil>").
func TestRPMJSONWarnings(t *testing.T) {
	cases := []struct{ content, want string }{
		{"{\"name\": \"a\", \"version\": \"1\"}\n{\"version\": \"2\"}\n", `line without a name: "{\"version\": \"2\"}"`},
		{"{\"name\": \"a\", \"version\": \"1\"}\n{\"name\": \n", "JSON package line: unexpected end of JSON input"},
	}
	for _, c := range cases {
		_, warns := parseString(t, "rpm", "rpm-qa", c.content)
		if len(warns) != 1 || warns[0].Line != 2 || !strings.Contains(warns[0].Msg, c.want) || strings.Contains(warns[0].Msg, "<nil>") {
			t.Errorf("%q: warnings %v, want one at line 2 containing %q", c.content, warns, c.want)
		}
	}
}

// TestCollectorPackageForms reads the package lists of the collectors that
// concatenate outputs: AIX snap's lslpp -lc (colon form, a fileset once per
// object repository) and supportconfig's rpm.txt table (NAME, a
// distribution of several words, VERSION-RELEASE).
func TestCollectorPackageForms(t *testing.T) {
	cases := []struct {
		name, parser, content string
		want                  []model.Package
		warns                 int
	}{
		{"lslpp -lc", "lslpp", "#Path:Fileset:Level:PTF Id:State:Type:Description:EFIX Locked\n" +
			"/usr/lib/objrepos:bos.rte:7.2.5.200::COMMITTED:I:Base Operating System Runtime:\n" +
			"/usr/lib/objrepos:vee-fs:7.5.0.59::APPLIED:I:Transparent Encryption Agent:\n" +
			"/etc/objrepos:bos.rte:7.2.5.200::COMMITTED:I:Base Operating System Runtime:\n" +
			"/usr/lib/objrepos:broken\n",
			[]model.Package{{Name: "bos.rte", Version: "7.2.5.200", State: "C", Manager: "lslpp"}, {Name: "vee-fs", Version: "7.5.0.59", State: "A", Manager: "lslpp"}}, 1},
		{"supportconfig rpm table", "rpm", "NAME                                DISTRIBUTION                        VERSION\n" +
			"bash                                SUSE Linux Enterprise 15            4.4-150400.27.3.2\n" +
			"vee-fs                              (none)                              7.5.0.59-1\n" +
			"short\n",
			[]model.Package{{Name: "bash", Version: "4.4-150400.27.3.2", Manager: "rpm"}, {Name: "vee-fs", Version: "7.5.0.59-1", Manager: "rpm"}}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, c.parser, "pkgs", c.content)
			if len(warns) != c.warns {
				t.Errorf("warnings %v, want %d", warns, c.warns)
			}
			if len(m.Packages) != len(c.want) {
				t.Fatalf("packages %+v, want %+v", m.Packages, c.want)
			}
			for i, w := range c.want {
				g := m.Packages[i]
				g.Src = model.Source{}
				if g != w {
					t.Errorf("package %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}
