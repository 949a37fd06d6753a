package parsers

import "testing"

func TestFindmntParse(t *testing.T) {
	cases := []struct {
		name, file     string
		count          int
		warnings       int
		wants          []mountWant
		root, propIdx1 string // Root and Propagation of mount 1
	}{
		{
			name: "ASCII tree (sos, C locale) with bind subdirs", file: "findmnt_tree_ascii.txt", count: 7,
			wants: []mountWant{
				{idx: 0, device: "/dev/vda2", path: "/", fstype: "ext4", opts: []string{"rw", "relatime"}, line: 2},
				{idx: 3, device: "tmpfs", path: "/run/snapd/ns", fstype: "tmpfs"},
				{idx: 4, device: "nsfs", path: "/run/snapd/ns/vault.mnt", fstype: "nsfs", opts: []string{"rw"}},
			},
		},
		{
			name: "UTF-8 tree, overflowing target, space in target", file: "findmnt_tree_utf8.txt", count: 6,
			wants: []mountWant{
				{idx: 2, device: "systemd-1", path: "/proc/sys/fs/binfmt_misc", fstype: "autofs"},
				{idx: 3, device: "/opt/app/data", path: "/opt/app/data", fstype: "secfs2"},
				{idx: 4, device: "/dev/sdb1", path: "/opt/app/data/nested mnt", fstype: "xfs"},
				{idx: 5, device: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", path: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", fstype: "secfs2"},
			},
		},
		{
			name: "-lo+PROPAGATION", file: "findmnt_-lo_propagation.txt", count: 9, propIdx1: "shared",
			wants: []mountWant{{idx: 5, device: "tmpfs", path: "/run/netns", fstype: "tmpfs", line: 7}},
			root:  "",
		},
		{
			name: "-l list with \\x20 escape", file: "findmnt_-l.txt", count: 3,
			wants: []mountWant{
				{idx: 1, device: "gvfsd-fuse", path: "/run/user/1000/gvfs", fstype: "fuse.gvfsd-fuse"},
				{idx: 2, device: "/dev/sdc1", path: "/srv/space dir", fstype: "xfs"},
			},
		},
		{
			name: "-P pairs", file: "findmnt_-P.txt", count: 2,
			wants: []mountWant{{idx: 1, device: "srv:/export", path: "/mnt/my share", fstype: "nfs4", opts: []string{"rw", "vers=4.2"}, line: 2}},
		},
		{
			name: "-J JSON", file: "findmnt_-J.txt", count: 2,
			wants: []mountWant{{idx: 1, device: "/dev/sda3", path: "/home/a b", fstype: "xfs", opts: []string{"rw", "relatime"}, line: 10}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "findmnt", "sos_commands/filesys/findmnt", readTestdata(t, "mount", c.file))
			checkMounts(t, m.Mounts, "findmnt", c.count, c.wants)
			if len(warns) != c.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(warns), c.warnings, warns)
			}
			if c.propIdx1 != "" && m.Mounts[1].Propagation != c.propIdx1 {
				t.Errorf("propagation %q, want %q", m.Mounts[1].Propagation, c.propIdx1)
			}
		})
	}
	m, _ := parseString(t, "findmnt", "findmnt", readTestdata(t, "mount", "findmnt_tree_ascii.txt"))
	if got := m.Mounts[0].Root; got != "/var/snap/lxd/common/lxd/storage-pools/default/containers/juju-04f1e3-0-lxd-5/rootfs" {
		t.Errorf("bind root of / = %q", got)
	}
	if got := m.Mounts[4].Root; got != "mnt:[4026533039]" {
		t.Errorf("nsfs root = %q", got)
	}
}

func TestFindmntNoHeaderAndBlankCell(t *testing.T) {
	// -n: default columns; a row with an empty SOURCE is cut by header offsets.
	m, warns := parseString(t, "findmnt", "findmnt", "/ /dev/sda1 ext4 rw\n/x\n")
	if len(m.Mounts) != 1 || m.Mounts[0].Device != "/dev/sda1" || len(warns) != 1 {
		t.Errorf("mounts %+v warnings %v", m.Mounts, warns)
	}
	m, warns = parseString(t, "findmnt", "findmnt", "TARGET SOURCE FSTYPE OPTIONS\n/a            xfs    rw\n")
	if len(m.Mounts) != 1 || m.Mounts[0].Path != "/a" || m.Mounts[0].FSType != "xfs" || m.Mounts[0].Device != "" || len(warns) != 0 {
		t.Errorf("mounts %+v warnings %v", m.Mounts, warns)
	}
}

func FuzzFindmnt(f *testing.F) {
	sysAddSeeds(f, "mount")
	f.Add([]byte("TARGET SOURCE\n├─\n\"target\": \"x\"\nTARGET=\"/\" X=\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "findmnt", data) })
}

// BenchmarkFindmntParse measures findmnt tree parsing throughput.
func BenchmarkFindmntParse(b *testing.B) {
	benchParser(b, "findmnt", "mount", "findmnt_tree_utf8.txt")
}
