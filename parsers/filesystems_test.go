package parsers

import "testing"

func TestFilesystemsParse(t *testing.T) {
	m, warns := parseString(t, "proc-filesystems", "proc/filesystems", readTestdata(t, "filesystems", "proc_filesystems.txt"))
	if len(m.Filesystems) != 34 || len(warns) != 0 {
		t.Fatalf("got %d filesystems, warnings %v", len(m.Filesystems), warns)
	}
	byName := map[string]bool{}
	for _, f := range m.Filesystems {
		byName[f.Name] = f.NoDev
	}
	for name, nodev := range map[string]bool{"fuse": true, "fusectl": true, "ext4": false, "fuseblk": false, "overlay": true} {
		got, ok := byName[name]
		if !ok || got != nodev {
			t.Errorf("%s: present %v nodev %v, want nodev %v", name, ok, got, nodev)
		}
	}
	if !m.FilesystemRegistered("fuse") || m.FilesystemRegistered("secfs2") {
		t.Error("FilesystemRegistered disagrees with the parsed list")
	}
	m, warns = parseString(t, "proc-filesystems", "proc/filesystems", "nodev\tsecfs2\r\next4\nnodev\nnodev a b\n")
	if len(m.Filesystems) != 2 || len(warns) != 2 || !m.Filesystems[0].NoDev || m.Filesystems[1].Name != "ext4" {
		t.Errorf("filesystems %+v warnings %v", m.Filesystems, warns)
	}
}

func FuzzFilesystems(f *testing.F) {
	sysAddSeeds(f, "filesystems")
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "proc-filesystems", data) })
}
