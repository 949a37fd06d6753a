package parsers

import "testing"

// TestSystemIdentify checks that real collector paths and, for unhelpful
// names, file contents reach the right system parser.
func TestSystemIdentify(t *testing.T) {
	mountL := "proc on /proc type proc (rw,nosuid)\n/dev/vda1 on / type ext4 (rw,relatime) [cloudimg-rootfs]\n"
	procMounts := "proc /proc proc rw,relatime 0 0\n/dev/sda1 /boot ext4 rw 0 0\n"
	mountinfo := "21 1 253:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	findmnt := "TARGET SOURCE FSTYPE OPTIONS\n/ /dev/sda1 ext4 rw\n"
	aix := readTestdata(t, "mount", "aix_mount.txt")
	df := "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/sda1 100 10 90 10% /\n"
	status := readTestdata(t, "agent-status", "secfsd_status_guard.txt")
	fss := "nodev\tsysfs\nnodev\tproc\n\text4\n"
	psAux := "USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\nroot 1 0 0 1 1 ? Ss Jan21 0:01 /sbin/init\n"
	rpm := "bash-4.2.46-34.el7.x86_64\nkernel-3.10.0-1160.el7.x86_64\n"
	dpkg := readTestdata(t, "packages", "dpkg-l.txt")
	lslpp := readTestdata(t, "packages", "lslpp-L.txt")
	uname := "Linux h 5.4.0-42-generic #46-Ubuntu SMP Fri Jul 10 00:24:02 UTC 2020 x86_64 x86_64 x86_64 GNU/Linux\n"

	cases := []struct {
		path, content string
		kind          Kind
		parser, by    string
	}{
		// sos layout (FORMATS.md §16, PROVENANCE.md paths)
		{"sosreport-h-1/sos_commands/filesys/mount_-l", mountL, "mount", "mount", ByPath},
		{"sosreport-h-1/mount", mountL, "mount", "mount", ByPath},
		{"sosreport-h-1/sos_commands/filesys/findmnt", findmnt, "mount", "findmnt", ByPath},
		{"sosreport-h-1/proc/mounts", procMounts, "mount", "proc-mounts", ByPath},
		{"sosreport-h-1/proc/self/mounts", procMounts, "mount", "proc-mounts", ByPath},
		{"sosreport-h-1/etc/mtab", procMounts, "mount", "proc-mounts", ByPath},
		{"sosreport-h-1/proc/self/mountinfo", mountinfo, "mount", "mountinfo", ByPath},
		{"sosreport-h-1/proc/1/mountinfo", mountinfo, "mount", "mountinfo", ByPath},
		{"sosreport-h-1/sos_commands/filesys/df_-al_-x_autofs", df, "df", "df", ByPath},
		{"sosreport-h-1/df", df, "df", "df", ByPath},
		{"sosreport-h-1/proc/filesystems", fss, "filesystems", "proc-filesystems", ByPath},
		{"sosreport-h-1/sos_commands/process/ps_auxwwwm", psAux, "processes", "ps", ByPath},
		{"sosreport-h-1/sos_commands/process/ps_alxwww", psAux, "processes", "ps", ByPath},
		{"sosreport-h-1/sos_commands/process/ps_-elfL", psAux, "processes", "ps", ByPath},
		{"sosreport-h-1/ps", psAux, "processes", "ps", ByPath},
		{"sosreport-h-1/installed-rpms", rpm, "packages", "rpm", ByPath},
		{"sosreport-h-1/sos_commands/rpm/package-data", rpm, "packages", "rpm", ByPath},
		{"sosreport-h-1/sos_commands/dpkg/dpkg_-l", dpkg, "packages", "dpkg", ByPath},
		{"sosreport-h-1/uname", uname, "host", "uname", ByPath},
		{"sosreport-h-1/sos_commands/kernel/uname_-a", uname, "host", "uname", ByPath},
		{"sosreport-h-1/hostname", "h\n", "host", "hostname", ByPath},
		{"sosreport-h-1/sos_commands/general/hostname", "h\n", "host", "hostname", ByPath},
		{"insights-h/insights_commands/mount", mountL, "mount", "mount", ByPath},
		{"insights-h/insights_commands/findmnt_-lo_PROPAGATION", findmnt, "mount", "findmnt", ByPath},
		// flat collector names
		{"case123/mount.out", mountL, "mount", "mount", ByPath},
		{"case123/mount.txt", mountL, "mount", "mount", ByPath},
		{"case123/mounts.txt", procMounts, "mount", "proc-mounts", ByContent},
		{"case123/mount.out", aix, "mount", "aix-mount", ByContent},
		{"case123/mount", aix, "mount", "aix-mount", ByContent},
		{"case123/df.out", df, "df", "df", ByPath},
		{"case123/df-h.out", df, "df", "df", ByPath},
		{"case123/ps.out", psAux, "processes", "ps", ByPath},
		{"case123/ps-aux.txt", psAux, "processes", "ps", ByPath},
		{"case123/rpm-qa.txt", rpm, "packages", "rpm", ByPath},
		{"case123/dpkg-l.txt", dpkg, "packages", "dpkg", ByPath},
		{"case123/lslpp-L.out", lslpp, "packages", "lslpp", ByPath},
		{"case123/uname.out", uname, "host", "uname", ByPath},
		{"case123/hostname.out", "h\n", "host", "hostname", ByPath},
		{"case123/secfsd-status.out", status, "agent-status", "secfsd-status", ByPath},
		{"case123/secfsd_status_guard.txt", status, "agent-status", "secfsd-status", ByPath},
		{"case123/guardpoints.txt", status, "agent-status", "secfsd-status", ByPath},
		{"snap/general/oslevel.out", "7200-05-03-2148\n", "host", "oslevel", ByPath},
		// unhelpful names: content decides
		{"case123/output1.log", mountL, "mount", "mount", ByContent},
		{"case123/output2.log", procMounts, "mount", "proc-mounts", ByContent},
		{"case123/output3.log", mountinfo, "mount", "mountinfo", ByContent},
		{"case123/output4.log", findmnt, "mount", "findmnt", ByContent},
		{"snap/filesys/filesys.snap", aix, "mount", "aix-mount", ByContent},
		{"case123/output6.log", df, "df", "df", ByContent},
		{"case123/output7.log", status, "agent-status", "secfsd-status", ByContent},
		{"case123/output8.log", fss, "filesystems", "proc-filesystems", ByContent},
		{"case123/output9.log", psAux, "processes", "ps", ByContent},
		{"case123/output10.log", rpm, "packages", "rpm", ByContent},
		{"case123/output11.log", dpkg, "packages", "dpkg", ByContent},
		{"case123/output12.log", lslpp, "packages", "lslpp", ByContent},
		{"case123/output13.log", uname, "host", "uname", ByContent},
		{"case123/output14.log", "7.2.0.0\n", "host", "oslevel", ByContent},
	}
	for _, c := range cases {
		id := Identify(c.path, NewHead([]byte(c.content)))
		name := ""
		if id.Parser != nil {
			name = id.Parser.Name
		}
		if id.Kind != c.kind || name != c.parser || id.By != c.by {
			t.Errorf("Identify(%q) = %s/%s by %s, want %s/%s by %s", c.path, id.Kind, name, id.By, c.kind, c.parser, c.by)
		}
	}
}

// TestSystemSniffersReject checks that the sniffers do not claim plain text.
func TestSystemSniffersReject(t *testing.T) {
	texts := []string{
		"hello world\nthis is a log line\n",
		"localhost\n",
		"2026-01-01 12:00:00 [VMD] [INFO] [123] [VMD1234I] started\n",
		"# /etc/fstab\nUUID=abc / ext4 defaults 0 1\n",
		"Module                  Size  Used by\nfuse 16384 3\n",
	}
	for _, name := range []string{"mount", "proc-mounts", "mountinfo", "findmnt", "aix-mount", "df", "secfsd-status", "proc-filesystems", "ps", "rpm", "dpkg", "lslpp", "uname", "oslevel"} {
		p := Lookup(name)
		if p == nil || p.Sniff == nil {
			t.Fatalf("parser %s missing or without a sniffer", name)
		}
		for _, s := range texts {
			if p.Sniff(NewHead([]byte(s))) {
				t.Errorf("%s sniffer claims %q", name, s)
			}
		}
	}
}
