package parsers

import "testing"

func TestPSParse(t *testing.T) {
	type want struct {
		idx, pid, ppid           int
		user, state, wchan, comm string
		args                     string
	}
	cases := []struct {
		name, file      string
		count, warnings int
		wants           []want
	}{
		{
			name: "ps aux", file: "ps_aux.txt", count: 6,
			wants: []want{
				{idx: 1, pid: 2, user: "root", state: "S", comm: "kthreadd", args: "[kthreadd]"},
				{idx: 3, pid: 2199, user: "root", state: "Ss+", comm: "bash", args: "-bash"},
				{idx: 4, pid: 3012, state: "D", comm: "shadowfs", args: "/opt/shadowfs/bin/shadowfs -f /media/nss/DST"},
				{idx: 5, pid: 3050, comm: "sshd", args: "sshd: root@pts/0"},
			},
		},
		{
			name: "ps -ef", file: "ps_-ef.txt", count: 4,
			wants: []want{{idx: 3, pid: 7345, ppid: 1, user: "root", comm: "secfsd", args: "/opt/vormetric/DataSecurityExpert/agent/secfs/bin/secfsd"}},
		},
		{
			name: "AIX ps -ef with two-word STIME", file: "aix_ps_-ef.txt", count: 3,
			wants: []want{
				{idx: 1, pid: 3277030, ppid: 1, user: "root", comm: "syncd", args: "/usr/sbin/syncd 60"},
				{idx: 2, pid: 4325690, ppid: 3277030, comm: "ksh", args: "-ksh"},
			},
		},
		{
			name: "ps -eo pid,ppid,user,stat,wchan,comm,args", file: "ps_-eo.txt", count: 4,
			wants: []want{
				{idx: 1, pid: 3012, ppid: 1, user: "root", state: "D", wchan: "fuse_r", comm: "shadowfs", args: "/opt/shadowfs/bin/shadowfs -f /media/nss/DST"},
				{idx: 2, pid: 3100, state: "Sl", comm: "Web Content", args: "/usr/lib/firefox/firefox -contentproc"},
				{idx: 3, pid: 3200, ppid: 3012, wchan: "rwsem_", comm: "umount", args: "umount /media/nss/DST"},
			},
		},
		{
			name: "sos ps auxwwwm: thread rows fold into their process", file: "ps_auxwwwm.txt", count: 2,
			wants: []want{
				{idx: 0, pid: 1, state: "Ss", comm: "init"},
				{idx: 1, pid: 900, state: "D", comm: "containerd"},
			},
		},
		{
			name: "sos ps alxwww", file: "ps_alxwww.txt", count: 3,
			wants: []want{{idx: 2, pid: 3012, ppid: 1, user: "0", state: "D", wchan: "fuse_r", comm: "shadowfs"}},
		},
		{
			name: "sos ps -elfL: one process per PID", file: "ps_-elfL.txt", count: 2,
			wants: []want{{idx: 1, pid: 900, ppid: 1, user: "root", state: "D", comm: "containerd"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "ps", "sos_commands/process/ps_auxwwwm", readTestdata(t, "processes", c.file))
			if len(m.Processes) != c.count {
				t.Fatalf("got %d processes, want %d: %+v", len(m.Processes), c.count, m.Processes)
			}
			if len(warns) != c.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(warns), c.warnings, warns)
			}
			for _, w := range c.wants {
				p := m.Processes[w.idx]
				if p.PID != w.pid || p.Command != w.comm {
					t.Errorf("process %d = pid %d command %q, want %d %q", w.idx, p.PID, p.Command, w.pid, w.comm)
				}
				for _, f := range []struct{ got, want, what string }{
					{p.User, w.user, "user"}, {p.State, w.state, "state"}, {p.WChan, w.wchan, "wchan"}, {p.Args, w.args, "args"},
				} {
					if f.want != "" && f.got != f.want {
						t.Errorf("process %d %s = %q, want %q", w.idx, f.what, f.got, f.want)
					}
				}
				if w.ppid != 0 && p.PPID != w.ppid {
					t.Errorf("process %d ppid = %d, want %d", w.idx, p.PPID, w.ppid)
				}
				if p.Src.Line < 2 {
					t.Errorf("process %d source line %d", w.idx, p.Src.Line)
				}
			}
		})
	}
}

func TestPSMalformed(t *testing.T) {
	cases := []struct {
		name, content string
		count, warns  int
	}{
		{"no header", "root 1 0.0 0.1 1 1 ? Ss Jan21 0:41 /sbin/init\n", 0, 1},
		{"non-numeric pid and short row", "PID TTY TIME CMD\nabc pts/0 0:00 bash\n12\n 34 pts/1 00:00:00 vim file\n", 1, 2},
		{"thread row first", "USER PID STAT COMMAND\nroot - S -\n", 0, 1},
		{"forest", "PID COMMAND\n 10 /usr/sbin/sshd\n 11  \\_ sshd: root\n 12      \\_ -bash\n", 3, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "ps", "ps.out", c.content)
			if len(m.Processes) != c.count || len(warns) != c.warns {
				t.Errorf("processes %+v warnings %v", m.Processes, warns)
			}
		})
	}
	m, _ := parseString(t, "ps", "ps.out", "PID COMMAND\n 11  \\_ sshd: root\n")
	if len(m.Processes) != 1 || m.Processes[0].Command != "sshd" || m.Processes[0].Args != "sshd: root" {
		t.Errorf("forest row = %+v", m.Processes)
	}
}

func FuzzPS(f *testing.F) {
	sysAddSeeds(f, "processes")
	f.Add([]byte("PID STIME COMMAND COMMAND\n1 Jan 2 x y\n- - -\n"))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "ps", data) })
}

// BenchmarkPSParse measures ps parsing throughput.
func BenchmarkPSParse(b *testing.B) { benchParser(b, "ps", "processes", "ps_aux.txt") }
