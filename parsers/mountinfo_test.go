package parsers

import "testing"

func TestMountinfoParse(t *testing.T) {
	m, warns := parseString(t, "mountinfo", "proc/self/mountinfo", readTestdata(t, "mount", "mountinfo_shared.txt"))
	checkMounts(t, m.Mounts, "mountinfo", 5, []mountWant{
		{idx: 0, device: "/dev/mapper/rootvg-lvlocroot", path: "/", fstype: "xfs",
			opts: []string{"rw", "relatime", "attr2", "inode64", "noquota"}, line: 1},
		{idx: 2, device: "/dev/mapper/vgdata-lvdata", path: "/data", fstype: "ext4"},
	})
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	mt := m.Mounts[1]
	if mt.ID != 47 || mt.ParentID != 39 || mt.MajMin != "8:1" || mt.Root != "/" || mt.Propagation != "shared:30" {
		t.Errorf("mount 1 ids = %d %d %q %q %q", mt.ID, mt.ParentID, mt.MajMin, mt.Root, mt.Propagation)
	}

	cases := []struct {
		name, content     string
		count, warnings   int
		wants             []mountWant
		root, propagation string
	}{
		{
			name:        "bind root, escapes, several optional fields",
			content:     `88 25 0:21 /netns /run/netns\040x rw,nosuid shared:5 master:1 - tmpfs tmpfs rw,seclabel` + "\n",
			count:       1,
			wants:       []mountWant{{idx: 0, device: "tmpfs", path: "/run/netns x", fstype: "tmpfs", opts: []string{"rw", "nosuid", "seclabel"}}},
			root:        "/netns",
			propagation: "shared:5 master:1",
		},
		{
			name:     "no optional fields, truncated super options, junk",
			content:  "21 1 253:1 / / rw,relatime - ext4 /dev/mapper/vgsys-root rw,barrier=1\n58 21 0:22 / /au rw - autofs\nnot mountinfo\n",
			count:    2,
			warnings: 2,
			wants:    []mountWant{{idx: 1, device: "", path: "/au", fstype: "autofs", line: 2}},
			root:     "/",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "mountinfo", "proc/1/mountinfo", c.content)
			checkMounts(t, m.Mounts, "mountinfo", c.count, c.wants)
			if len(warns) != c.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(warns), c.warnings, warns)
			}
			if m.Mounts[0].Root != c.root || m.Mounts[0].Propagation != c.propagation {
				t.Errorf("root %q propagation %q, want %q %q", m.Mounts[0].Root, m.Mounts[0].Propagation, c.root, c.propagation)
			}
		})
	}
}

func FuzzMountinfo(f *testing.F) {
	sysAddSeeds(f, "mount")
	f.Add([]byte("1 2 3:4 / / rw - - - -\n1 2 3:4 / / rw -\n"))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "mountinfo", data) })
}
