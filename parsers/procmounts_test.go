package parsers

import "testing"

func TestProcMountsParse(t *testing.T) {
	cases := []struct {
		name     string
		content  string
		count    int
		warnings int
		wants    []mountWant
	}{
		{
			name:    "octal escape in mount point",
			content: readTestdata(t, "mount", "proc_mounts_octal.txt"),
			count:   4,
			wants:   []mountWant{{idx: 3, device: "dev/sr0", path: "/run/media/root/VMware Tools", fstype: "iso9660", line: 4}},
		},
		{
			name:    "quoted SELinux context with commas",
			content: readTestdata(t, "mount", "proc_mounts_context.txt"),
			count:   5,
			wants: []mountWant{{idx: 1, device: "tmpfs", path: "/var/lib/containers/storage/overlay-containers/ff7e79fc09c/userdata/shm", fstype: "tmpfs",
				opts: []string{"rw", "nosuid", "nodev", "noexec", "relatime", `context="system_u:object_r:container_file_t:s0:c184,c371"`, "size=64000k"}}},
		},
		{
			name:     "truncated last line kept with a warning, garbage warned",
			content:  "rootfs / rootfs rw 0 0\n/etc/auto.misc /misc autofs rw,fd=7,pgrp=1936\ngarbage\na b c d e f g h\n",
			count:    2,
			warnings: 3,
			wants:    []mountWant{{idx: 1, device: "/etc/auto.misc", path: "/misc", fstype: "autofs", line: 2}},
		},
		{
			name:    "tab and backslash escapes",
			content: `/dev/sdb1 /mnt/a\011b\134c xfs rw 0 0` + "\n",
			count:   1,
			wants:   []mountWant{{idx: 0, device: "/dev/sdb1", path: "/mnt/a\tb\\c", fstype: "xfs"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "proc-mounts", "proc/mounts", c.content)
			checkMounts(t, m.Mounts, "proc-mounts", c.count, c.wants)
			if len(warns) != c.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(warns), c.warnings, warns)
			}
		})
	}
}

func FuzzProcMounts(f *testing.F) {
	sysAddSeeds(f, "mount")
	f.Add([]byte(`a\040b /c\ d e 0 0` + "\n\\\\\\0 / x y 0 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "proc-mounts", data) })
}
