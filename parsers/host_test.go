package parsers

import (
	"testing"

	"github.com/fsagent/triage/model"
)

func TestHostParse(t *testing.T) {
	cases := []struct {
		name, parser, path, content string
		want                        model.Host // Sources checked by count
		sources, warns              int
	}{
		{"uname -a Linux", "uname", "sos_commands/kernel/uname_-a", readTestdata(t, "host", "uname_-a_linux.txt"),
			model.Host{OS: "Linux", Hostname: "node-1.example.com", Kernel: "3.10.0-1160.el7.x86_64", Arch: "x86_64"}, 1, 0},
		{"uname -a AIX", "uname", "uname.out", readTestdata(t, "host", "uname_-a_aix.txt"),
			model.Host{OS: "AIX", Hostname: "aixhost01", Kernel: "7.2"}, 1, 0},
		{"uname -a without GNU/Linux (busybox)", "uname", "uname", "Linux box 5.10.0 #1 SMP aarch64\n",
			model.Host{OS: "Linux", Hostname: "box", Kernel: "5.10.0", Arch: "aarch64"}, 1, 0},
		{"uname -r", "uname", "uname", "5.4.0-42-generic\n", model.Host{OS: "Linux", Kernel: "5.4.0-42-generic"}, 1, 0},
		{"uname junk", "uname", "uname", "command not found\n", model.Host{}, 0, 1},
		{"hostname", "hostname", "sos_commands/general/hostname", readTestdata(t, "host", "hostname.txt"),
			model.Host{Hostname: "node-1.example.com"}, 1, 0},
		{"hostname twice and bad", "hostname", "hostname", "a\nb\n", model.Host{Hostname: "a"}, 1, 1},
		{"hostname with spaces", "hostname", "hostname", "not a name\n", model.Host{}, 0, 1},
		{"oslevel -s", "oslevel", "general/oslevel.out", readTestdata(t, "host", "oslevel_-s.txt"),
			model.Host{OS: "AIX", OSVersion: "7200-05-03-2148"}, 1, 0},
		{"oslevel", "oslevel", "oslevel", "7.2.0.0\n", model.Host{OS: "AIX", OSVersion: "7.2.0.0"}, 1, 0},
		{"oslevel junk", "oslevel", "oslevel", "7.2\n", model.Host{}, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, c.parser, c.path, c.content)
			got := m.Host
			if len(got.Sources) != c.sources || len(warns) != c.warns {
				t.Fatalf("sources %+v warnings %v", got.Sources, warns)
			}
			for _, s := range got.Sources {
				if s.Path != c.path || s.Line == 0 || s.Text == "" {
					t.Errorf("source %+v", s)
				}
			}
			got.Sources = nil
			if got.Hostname != c.want.Hostname || got.OS != c.want.OS || got.Kernel != c.want.Kernel || got.Arch != c.want.Arch || got.OSVersion != c.want.OSVersion {
				t.Errorf("host = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestHostMergeAcrossFiles(t *testing.T) {
	all := &model.Model{}
	for _, f := range []struct{ parser, path, content string }{
		{"hostname", "hostname", "short\n"},
		{"uname", "uname", "Linux node-1 4.18.0 #1 SMP x86_64 GNU/Linux\n"},
	} {
		m, _ := parseString(t, f.parser, f.path, f.content)
		all.Merge(m)
	}
	if all.Host.Hostname != "short" || all.Host.Kernel != "4.18.0" || len(all.Host.Sources) != 2 {
		t.Errorf("merged host %+v", all.Host)
	}
}

func FuzzHost(f *testing.F) {
	sysAddSeeds(f, "host")
	f.Fuzz(func(t *testing.T, data []byte) {
		sysFuzzOne(t, "uname", data)
		sysFuzzOne(t, "hostname", data)
		sysFuzzOne(t, "oslevel", data)
		sysFuzzOne(t, "date", data)
		sysFuzzOne(t, "collect-manifest", data)
	})
}

// TestUnameMachineFirst: uname -a ends with machine, processor and
// hardware platform; the machine is the first of them ("i686 i686 i386").
func TestUnameMachineFirst(t *testing.T) {
	for line, want := range map[string]string{
		"Linux mymachine 2.6.18-194.e15PAE #1 SMP Fri Apr 2 15:37:44 EDT 2010 i686 i686 i386 GNU/Linux":        "i686",
		"Linux db01 3.10.0-1160.el7.x86_64 #1 SMP Mon Oct 19 16:18:59 UTC 2020 x86_64 x86_64 x86_64 GNU/Linux": "x86_64",
		"Linux h 4.19.0-17-amd64 #1 SMP Debian 4.19.194-3 (2021-07-18) x86_64 GNU/Linux":                       "x86_64",
		"Linux h 5.15.0 #1 SMP x86_64 unknown unknown GNU/Linux":                                               "x86_64",
	} {
		h, ok := splitUname(line)
		if !ok || h.Arch != want {
			t.Errorf("splitUname(%q) arch %q, want %q", line, h.Arch, want)
		}
	}
}
