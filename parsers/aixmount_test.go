package parsers

import (
	"reflect"
	"testing"
)

func TestAIXMountParse(t *testing.T) {
	m, warns := parseString(t, "aix-mount", "mount.out", readTestdata(t, "mount", "aix_mount.txt"))
	checkMounts(t, m.Mounts, "aix-mount", 6, []mountWant{
		{idx: 0, device: "/dev/hd4", path: "/", fstype: "jfs2", opts: []string{"rw", "log=/dev/hd8"}, line: 3},
		{idx: 3, device: "/dev/livedump", path: "/var/adm/ras/livedump", fstype: "jfs2"},
		{idx: 5, device: "/opt/app/data", path: "/opt/app/data", fstype: "secfs", opts: []string{"rw"}},
	})
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	nfs := m.Mounts[4]
	if nfs.Node != "nfssrv01" || nfs.Device != "/export/data" || nfs.Path != "/mnt/data" || nfs.FSType != "nfs3" || nfs.Options != nil || nfs.Date != "Jul 08 14:21" {
		t.Errorf("remote row = %+v", nfs)
	}

	cases := []struct {
		name, content string
		count, warns  int
		opts          []string
	}{
		{"no date", "  node  mounted  mounted over  vfs  date  options\n---- ----\n  /dev/hd1 /home jfs2 rw\n", 0, 1, nil},
		{"too many fields", "  a b c d e Jul 07 10:02 rw\n", 0, 1, nil},
		{"single-digit day", "         /dev/hd3  /tmp  jfs2  Jul 7 9:05 rw,log=/dev/hd8\n", 1, 0, []string{"rw", "log=/dev/hd8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "aix-mount", "mount.out", c.content)
			if len(m.Mounts) != c.count || len(warns) != c.warns {
				t.Fatalf("mounts %+v warnings %v", m.Mounts, warns)
			}
			if c.count > 0 && !reflect.DeepEqual(m.Mounts[0].Options, c.opts) {
				t.Errorf("options %q", m.Mounts[0].Options)
			}
		})
	}
}

func FuzzAIXMount(f *testing.F) {
	sysAddSeeds(f, "mount")
	f.Add([]byte("a b c d Jan 1 1:00\nx Jan 1 1:00 y\n"))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "aix-mount", data) })
}
