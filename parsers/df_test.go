package parsers

import (
	"testing"

	"github.com/fsagent/triage/model"
)

func TestDFParse(t *testing.T) {
	type want struct {
		idx                                 int
		fs, on, size, used, avail, pct, typ string
		line, endLine                       int
	}
	cases := []struct {
		name, file      string
		count, warnings int
		wants           []want
	}{
		{
			name: "df with wrapped sources (Thales docs layout)", file: "df.txt", count: 5,
			wants: []want{
				{idx: 0, fs: "/dev/mapper/VolGroup00-LogVol00", on: "/", size: "40123784", used: "11352236", avail: "26733380", pct: "30%", line: 2, endLine: 3},
				{idx: 3, fs: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", on: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", size: "40123784", pct: "30%", line: 6, endLine: 7},
				{idx: 4, fs: "/opt/apps/apps1/tmp", on: "/opt/apps/apps1/tmp", line: 9},
			},
		},
		{
			name: "df -al with dashes and a mount point with spaces", file: "df_-al.txt", count: 5,
			wants: []want{
				{idx: 0, fs: "sysfs", on: "/sys", size: "0", pct: "-"},
				{idx: 4, fs: "/dev/sr0", on: "/media/cdrom VMware Tools", pct: "100%"},
			},
		},
		{
			name: "df -h", file: "df_-h.txt", count: 3,
			wants: []want{{idx: 2, fs: "/opt/app/data", on: "/opt/app/data", size: "468G", used: "123G", avail: "322G", pct: "28%"}},
		},
		{
			name: "AIX df", file: "aix_df.txt", count: 4,
			wants: []want{
				{idx: 1, fs: "/dev/hd2", on: "/usr", size: "12582912", avail: "3003056", pct: "77%"},
				{idx: 2, fs: "/proc", on: "/proc", size: "-"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "df", "sos_commands/filesys/df_-al_-x_autofs", readTestdata(t, "df", c.file))
			if len(m.DF) != c.count {
				t.Fatalf("got %d entries, want %d: %+v", len(m.DF), c.count, m.DF)
			}
			if len(warns) != c.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(warns), c.warnings, warns)
			}
			for _, w := range c.wants {
				e := m.DF[w.idx]
				if e.Filesystem != w.fs || e.MountedOn != w.on {
					t.Errorf("entry %d = %q on %q, want %q on %q", w.idx, e.Filesystem, e.MountedOn, w.fs, w.on)
				}
				for _, p := range []struct{ got, want, what string }{
					{e.Size, w.size, "size"}, {e.Used, w.used, "used"}, {e.Avail, w.avail, "avail"}, {e.UsePct, w.pct, "use%"}, {e.FSType, w.typ, "type"},
				} {
					if p.want != "" && p.got != p.want {
						t.Errorf("entry %d %s = %q, want %q", w.idx, p.what, p.got, p.want)
					}
				}
				if w.line != 0 && (e.Src.Line != w.line || e.Src.EndLine != w.endLine) {
					t.Errorf("entry %d lines %d-%d, want %d-%d", w.idx, e.Src.Line, e.Src.EndLine, w.line, w.endLine)
				}
			}
		})
	}
}

func TestDFMalformed(t *testing.T) {
	cases := []struct {
		name, content string
		count, warns  int
	}{
		{"df -T with wrapped source", "Filesystem     Type 1K-blocks Used Available Use% Mounted on\n/dev/mapper/very-long-name\n               xfs    100   10   90  10% /data\n", 1, 0},
		{"row before header", "/dev/sda1 100 10 90 10% /\n", 1, 1},
		{"short row and dangling source", "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/sda1 100\n/dev/orphan\n", 0, 2},
		{"figures with no mount point at the end", "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/x\n1 2 3 4%\n", 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "df", "df.out", c.content)
			if len(m.DF) != c.count || len(warns) != c.warns {
				t.Errorf("entries %+v warnings %v", m.DF, warns)
			}
		})
	}
	m, _ := parseString(t, "df", "df.out", "Filesystem     Type 1K-blocks Used Available Use% Mounted on\n/dev/mapper/very-long-name\n               xfs    100   10   90  10% /data\n")
	if want := (model.DFEntry{Filesystem: "/dev/mapper/very-long-name", FSType: "xfs", Size: "100", Used: "10", Avail: "90", UsePct: "10%", MountedOn: "/data"}); len(m.DF) == 1 {
		got := m.DF[0]
		got.Src = model.Source{}
		if got != want {
			t.Errorf("df -T entry = %+v, want %+v", got, want)
		}
	}
}

func FuzzDF(f *testing.F) {
	sysAddSeeds(f, "df")
	f.Add([]byte("Filesystem Type Mounted on\n/x\n/y\n- - -\n"))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "df", data) })
}
