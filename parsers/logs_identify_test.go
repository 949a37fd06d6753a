package parsers

import (
	"testing"
)

// TestLogsIdentify checks that the trace, log and init script parsers are
// chosen by real bundle paths (sosreport layout, hotsos fixtures, the
// agent's own directories) and, under an unhelpful name, by content.
func TestLogsIdentify(t *testing.T) {
	dmesg := readTestdata(t, "kernel-log", "dmesg_stamped.txt")
	messages := readTestdata(t, "kernel-log", "messages_syslog.txt")
	strace := readTestdata(t, "strace", "shadowfs_mount_f_tt.out")
	agent := readTestdata(t, "agent-log", "vorvmd_root.log")
	stop := readTestdata(t, "agent-log", "secfs-stop.out")
	initd := readTestdata(t, "init-script", "nails")
	cases := []struct {
		path, content, parser, by string
	}{
		// sos paths (FORMATS.md §15, §16) and hotsos fixture paths (PROVENANCE.md).
		{"sosreport-node1-2022-02-14-abcd/sos_commands/kernel/dmesg", dmesg, "kernel-log", ByPath},
		{"tests/unit/fake_data_root/kubernetes/sos_commands/kernel/dmesg", dmesg, "kernel-log", ByPath},
		{"sosreport-node1/sos_commands/kernel/dmesg_-T", readTestdata(t, "kernel-log", "dmesg_T.txt"), "kernel-log", ByPath},
		{"sosreport-node1/sos_commands/general/dmesg", dmesg, "kernel-log", ByPath},
		{"sosreport-node1/var/log/dmesg", dmesg, "kernel-log", ByPath},
		{"sosreport-node1/var/log/messages", messages, "kernel-log", ByPath},
		{"sosreport-node1/var/log/messages-20220213", messages, "kernel-log", ByPath},
		{"sosreport-node1/var/log/kern.log", messages, "kernel-log", ByPath},
		{"sosreport-node1/var/log/kern.log.1", messages, "kernel-log", ByPath},
		{"sosreport-node1/var/log/syslog", messages, "kernel-log", ByPath},
		{"sosreport-node1/sos_commands/logs/journalctl_--no-pager_--catalog_--boot", readTestdata(t, "kernel-log", "journalctl_short-iso"), "kernel-log", ByPath},
		{"bundle/dmesg.out", dmesg, "kernel-log", ByPath},
		{"bundle/messages", messages, "kernel-log", ByPath},

		{"case123/strace.out", strace, "strace", ByPath},
		{"case123/strace-mount.out", strace, "strace", ByPath},
		{"case123/strace.out.4920", strace, "strace", ByPath},
		{"case123/strace.log.4920", strace, "strace", ByPath},
		{"case123/mount.strace", strace, "strace", ByPath},

		{"sosreport-h/var/log/vormetric/vorvmd_root.log", agent, "agent-log", ByPath},
		{"sosreport-h/var/log/vormetric/vorvmd_root.log.3", agent, "agent-log", ByPath},
		{"sosreport-h/var/log/vormetric/secfsd.log", agent, "agent-log", ByPath},
		{"opt/vormetric/DataSecurityExpert/agent/secfs/tmp/secfs.log", readTestdata(t, "agent-log", "secfs.log"), "agent-log", ByPath},
		{"vorvmd_root.log", agent, "agent-log", ByPath},
		{"secfs-stop.out", stop, "agent-log", ByPath},

		{"sosreport-h/etc/init.d/nails", initd, "init-script", ByPath},
		{"tests/unit/fake_data_root/kubernetes/etc/init.d/cryptdisks-early", initd, "init-script", ByPath},
		{"sosreport-h/etc/rc.d/init.d/novell-ncs", readTestdata(t, "init-script", "novell-ncs"), "init-script", ByPath},
		{"sosreport-h/etc/init.d/functions", readTestdata(t, "init-script", "functions"), "init-script", ByPath},

		// Unhelpful names: content decides.
		{"upload/file1.txt", dmesg, "kernel-log", ByContent},
		{"upload/file2.txt", messages, "kernel-log", ByContent},
		{"upload/file3.txt", readTestdata(t, "kernel-log", "kern_rfc3339.log"), "kernel-log", ByContent},
		{"upload/file4.txt", strace, "strace", ByContent},
		{"upload/file5.txt", readTestdata(t, "strace", "threads_pid_bracket_T.out"), "strace", ByContent},
		{"upload/file6.txt", readTestdata(t, "strace", "relative_r_T_old_resumed.strace"), "strace", ByContent},
		{"upload/file7.txt", agent, "agent-log", ByContent},
		{"upload/file8.txt", stop, "agent-log", ByContent},
		{"upload/file9.txt", readTestdata(t, "agent-log", "secfs.log"), "agent-log", ByContent},
		{"upload/file10.txt", readTestdata(t, "agent-log", "rfc5424_forward.log"), "agent-log", ByContent},
		{"upload/file11.txt", initd, "init-script", ByContent},
		{"upload/file12.txt", readTestdata(t, "init-script", "novell-ncs"), "init-script", ByContent},
	}
	for _, c := range cases {
		id := Identify(c.path, NewHead([]byte(c.content)))
		name := ""
		if id.Parser != nil {
			name = id.Parser.Name
		}
		if name != c.parser || id.By != c.by {
			t.Errorf("%s: parser %q by %s, want %q by %s", c.path, name, id.By, c.parser, c.by)
		}
	}
}

// TestLogsSniffRejects checks that the sniffers do not claim what is not
// theirs.
func TestLogsSniffRejects(t *testing.T) {
	notOurs := map[string]string{
		"mount":        "/dev/sda1 on / type ext4 (rw,relatime)\nproc on /proc type proc (rw)\n",
		"shell":        "#!/bin/sh\nstart() {\n  echo start\n}\nstop() {\n  echo stop\n}\n",
		"lsmod":        "Module                  Size  Used by\nfuse                  139264  3\n",
		"plain syslog": "Apr  1 23:30:01 h systemd: Started Session 12.\nApr  1 23:30:02 h sshd[1]: Accepted key\n",
		"prose":        "The agent could not be stopped.\nPlease check the logs.\n",
	}
	sniffers := map[string]func(*Head) bool{
		"strace": sniffStrace, "kernel-log": sniffKernelLog, "agent-log": sniffAgentLog, "init-script": sniffInitScript,
	}
	for what, content := range notOurs {
		for name, sniff := range sniffers {
			if sniff(NewHead([]byte(content))) {
				t.Errorf("%s claims %s", name, what)
			}
		}
	}
}
