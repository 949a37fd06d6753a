// Package synth generates deterministic synthetic support bundles of
// realistic shape and any size, for benchmarks, batch tests and the
// performance harness. Artifacts are generated as streams: a 4 GiB bundle
// never sits in memory.
package synth

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Spec sizes the artifacts of one bundle.
type Spec struct {
	LsofLines   int // lines of lsof output
	StraceLines int // lines of strace -f -tt -T output
	LogLines    int // lines of /var/log/messages and of the agent log, each
	SlabSamples int // slabinfo samples (each ~200 caches)
	// GuardBusy puts a shell inside the guard point /secure, so that
	// gde.guardpoint-busy fires.
	GuardBusy bool
	// GuardRows more lsof rows lie inside /secure (a busy database host:
	// data files held by GuardPids distinct processes), spread evenly
	// through the file; with StatusLate every fifth of them lies inside
	// /archive instead.
	GuardRows, GuardPids int
	// LsofFirst stores lsof before the mount table: collectors walk their
	// directories in any order, so parsers must not depend on it.
	LsofFirst bool
	// StatusLate adds the agent's guard point table after lsof, naming
	// /secure and /archive; /archive is no mount, so only the late table
	// makes it a guard point.
	StatusLate bool
	// Mounts adds that many mounts to the table, GuardPoints of them
	// guard points (secfs2 over a device mount), each of those with a
	// mount nested inside it and a few lsof rows inside it.
	Mounts, GuardPoints int
	// Compress is "gz", "zst" or "" (plain tar).
	Compress string
}

// Shapes are the named bundle shapes of the performance harness.
var Shapes = []string{"plain", "busy", "lsof-first", "status-late", "mounts", "lsof15"}

// Shape returns the spec of a named shape of about total bytes
// uncompressed (lsof15 has its own size): "plain" is SizedSpec; "busy"
// adds 250,000 lsof rows inside the guard point from 60,000 processes;
// "lsof-first" is busy with lsof stored before the mount table;
// "status-late" is busy with the agent's guard point table after lsof;
// "mounts" has 5,000 mounts, 50 guard points and nested mounts; "lsof15" is
// a 15 MB lsof with 150,000 rows inside the guard point from 800 processes.
func Shape(name string, total int64) (Spec, error) {
	s := SizedSpec(total)
	busy := func() {
		s.GuardRows, s.GuardPids = 250_000, 60_000
		s.LsofLines = max(0, s.LsofLines-s.GuardRows)
	}
	switch name {
	case "plain":
	case "busy":
		busy()
	case "lsof-first":
		busy()
		s.LsofFirst = true
	case "status-late":
		busy()
		s.StatusLate = true
	case "mounts":
		s.Mounts, s.GuardPoints = 5000, 50
	case "lsof15":
		s = Spec{GuardRows: 150_000, GuardPids: 800, StraceLines: 2000, LogLines: 2000, SlabSamples: 2, GuardBusy: true}
	default:
		return s, fmt.Errorf("unknown shape %q (want one of %s)", name, strings.Join(Shapes, ", "))
	}
	return s, nil
}

// BusyProcesses is the number of distinct processes holding files inside
// /secure, as gde.guardpoint-busy must count them.
func (s Spec) BusyProcesses() int {
	pids := map[int]bool{}
	if s.GuardBusy {
		pids[2199] = true // the shell
	}
	for j := 0; j < s.GuardRows; j++ {
		if dir, pid := s.guardRowOf(j); dir == "/secure/oradata" {
			pids[pid] = true
		}
	}
	return len(pids)
}

// guardRowOf is the directory and process of the j-th row inside a guard
// point.
func (s Spec) guardRowOf(j int) (dir string, pid int) {
	dir = "/secure/oradata"
	if s.StatusLate && j%5 == 0 {
		dir = "/archive/oradata"
	}
	return dir, 30000 + j%max(1, s.GuardPids)
}

// BusyRows is the number of lsof rows inside /secure.
func (s Spec) BusyRows() int {
	n := s.GuardRows
	if s.StatusLate {
		n -= (n + 4) / 5
	}
	if s.GuardBusy {
		n++
	}
	return n
}

// SizedSpec returns a spec whose uncompressed bundle is about total bytes,
// split across artifacts the way busy hosts' bundles are: mostly lsof,
// strace and logs.
func SizedSpec(total int64) Spec {
	const lsofLine, straceLine, logLine = 100, 110, 120
	return Spec{
		LsofLines:   int(total * 35 / 100 / lsofLine),
		StraceLines: int(total * 35 / 100 / straceLine),
		LogLines:    int(total * 14 / 100 / logLine),
		SlabSamples: 5,
		GuardBusy:   true,
	}
}

type artifact struct {
	name string
	gen  func(w io.Writer)
}

func (s Spec) artifacts() []artifact {
	mount := artifact{"sosreport-synth-1/sos_commands/filesys/mount_-l", s.mount}
	lsof := artifact{"sosreport-synth-1/sos_commands/process/lsof_M_-n_-l_-c", s.lsof}
	arts := []artifact{mount, {"sosreport-synth-1/sos_commands/kernel/lsmod", s.lsmod}, lsof}
	if s.LsofFirst {
		arts = []artifact{lsof, {"sosreport-synth-1/sos_commands/kernel/lsmod", s.lsmod}, mount}
	}
	if s.StatusLate {
		arts = append(arts, artifact{"sosreport-synth-1/sos_commands/vormetric/secfsd_-status_guard", s.status})
	}
	return append(arts,
		artifact{"sosreport-synth-1/strace.out", s.strace},
		artifact{"sosreport-synth-1/var/log/messages", s.messages},
		artifact{"sosreport-synth-1/var/log/vormetric/vorvmd_root.log", s.agentLog},
		artifact{"sosreport-synth-1/sos_commands/process/ps_auxwwwm", s.ps},
	)
}

func (s Spec) status(w io.Writer) {
	io.WriteString(w, "GuardPoint  Policy   Type      ConfigState  Status   Reason\n")
	io.WriteString(w, "----------  ------   ----      -----------  ------   ------\n")
	io.WriteString(w, "/secure     db-pol   local     guarded      guarded  N/A\n")
	io.WriteString(w, "/archive    db-pol   local     guarded      guarded  N/A\n")
}

// WriteBundle writes one bundle as a tar stream, compressed as the spec says.
func WriteBundle(w io.Writer, s Spec) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var out io.Writer = bw
	var closer io.Closer
	switch s.Compress {
	case "gz":
		gz, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
		out, closer = gz, gz
	case "zst":
		zw, err := zstd.NewWriter(bw, zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			return err
		}
		out, closer = zw, zw
	case "":
	default:
		return fmt.Errorf("synth: unknown compression %q", s.Compress)
	}
	tw := tar.NewWriter(out)
	arts := s.artifacts()
	for i := 1; i <= s.SlabSamples; i++ {
		n := i
		arts = append(arts, artifact{fmt.Sprintf("sosreport-synth-1/slabinfo-%d.txt", n), func(w io.Writer) { s.slabinfo(w, n) }})
	}
	for _, a := range arts {
		var c countWriter
		a.gen(&c)
		if err := tw.WriteHeader(&tar.Header{Name: a.name, Mode: 0o644, Size: c.n, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		ew := &errWriter{w: tw}
		a.gen(ew)
		if ew.err != nil {
			return ew.err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if closer != nil {
		if err := closer.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteFile writes one bundle to a file.
func WriteFile(path string, s Spec) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteBundle(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteTicketArchive lays out n tickets as root/CASE-NNNN/bundle.tar.gz; every
// third ticket has a shell inside the guard point.
func WriteTicketArchive(root string, n int, s Spec) error {
	s.Compress = "gz"
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, fmt.Sprintf("CASE-%04d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		s.GuardBusy = i%3 == 0
		if err := WriteFile(filepath.Join(dir, "bundle.tar.gz"), s); err != nil {
			return err
		}
	}
	return nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return len(b), nil
	}
	_, e.err = e.w.Write(b)
	return len(b), nil
}

var commands = []string{"httpd", "java", "postgres", "sshd", "rsyslogd", "python3", "nginx", "mysqld"}

func (s Spec) mount(w io.Writer) {
	io.WriteString(w, "/dev/mapper/rhel-root on / type xfs (rw,relatime,seclabel,attr2,inode64,noquota)\n")
	io.WriteString(w, "proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\n")
	io.WriteString(w, "/dev/sdb1 on /secure type ext4 (rw,relatime)\n")
	io.WriteString(w, "/secure on /secure type secfs2 (rw,relatime)\n")
	io.WriteString(w, "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec on /opt/vormetric/DataSecurityExpert/agent/secfs/.sec type secfs2 (rw,relatime)\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(w, "tmpfs on /run/user/%d type tmpfs (rw,nosuid,nodev,relatime,size=1638400k,mode=700,uid=%d)\n", 1000+i, 1000+i)
	}
	every := 0
	if s.GuardPoints > 0 {
		every = max(1, s.Mounts/s.GuardPoints)
	}
	for i, g := 0, 0; i < s.Mounts; i++ {
		if every > 0 && i%every == 0 && g < s.GuardPoints {
			fmt.Fprintf(w, "/dev/mapper/vg%02d-gp on /gp/%02d type xfs (rw,relatime,attr2,inode64,noquota)\n", g, g)
			fmt.Fprintf(w, "/gp/%02d on /gp/%02d type secfs2 (rw,relatime)\n", g, g)
			fmt.Fprintf(w, "/dev/sdz%d on /gp/%02d/nested type ext4 (rw,relatime)\n", g, g)
			g++
			i += 2
			continue
		}
		fmt.Fprintf(w, "/dev/mapper/vg-vol%d on /srv/vol/%d type xfs (rw,relatime,attr2,inode64,noquota)\n", i, i)
	}
}

func (s Spec) lsmod(w io.Writer) {
	io.WriteString(w, "Module                  Size  Used by\n")
	io.WriteString(w, "secfs2                983040  3\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(w, "mod_%-15d %8d  %d\n", i, 16384+i*512, i%3)
	}
}

// lsofHeader is the header of the generated lsof; rows line up with it as
// lsof's own output does (every column but COMMAND, TASKCMD and NAME ends
// where its label ends).
const lsofHeader = "COMMAND     PID   TID TASKCMD               USER   FD      TYPE             DEVICE  SIZE/OFF       NODE NAME"

// lsofCols are the label ends of the right-aligned columns PID, USER, FD,
// TYPE, DEVICE, SIZE/OFF and NODE, and where NAME starts.
var lsofCols = func() (c [8]int) {
	for i, l := range []string{" PID", " USER", " FD", " TYPE", " DEVICE", " SIZE/OFF", " NODE"} {
		c[i] = strings.Index(lsofHeader, l) + len(l)
	}
	c[7] = strings.Index(lsofHeader, " NAME") + 1
	return c
}()

// lsofRow writes one row aligned with lsofHeader, reusing buf. The FD
// column's number ends at the label's end and its mode letter sticks out,
// as in lsof.
func lsofRow(w io.Writer, buf []byte, cmd string, pid int, user, fd, typ, dev, size, node, name string) []byte {
	b := append(buf[:0], cmd...)
	to := func(end int, v string) {
		for n := max(1, end-len(b)-len(v)); n > 0; n-- {
			b = append(b, ' ')
		}
		b = append(b, v...)
	}
	to(lsofCols[0], strconv.Itoa(pid))
	to(lsofCols[1], user)
	fdEnd := lsofCols[2]
	if l := fd[len(fd)-1]; (l < '0' || l > '9') && fd[0] >= '0' && fd[0] <= '9' {
		fdEnd++ // "3u": the mode letter sticks out
	}
	to(fdEnd, fd)
	to(lsofCols[3], typ)
	to(lsofCols[4], dev)
	to(lsofCols[5], size)
	to(lsofCols[6], node)
	to(lsofCols[7]+len(name), name)
	b = append(b, '\n')
	w.Write(b)
	return b
}

func (s Spec) lsof(w io.Writer) {
	io.WriteString(w, lsofHeader+"\n")
	var buf []byte
	itoa := strconv.Itoa
	total := s.LsofLines + s.GuardRows
	guard, gp := 0, 0
	for i := 0; i < total; i++ {
		// Guard rows are spread evenly through the file.
		if s.GuardRows > 0 && int64(guard)*int64(total) <= int64(i)*int64(s.GuardRows) && guard < s.GuardRows {
			buf = s.guardRow(w, buf, guard)
			guard++
			continue
		}
		if s.GuardPoints > 0 && i%97 == 0 && gp < 10*s.GuardPoints {
			buf = lsofRow(w, buf, "postgres", 20000+gp%9000, "26", itoa(gp%900)+"u", "REG", "253,3", "16384", itoa(700000+gp),
				fmt.Sprintf("/gp/%02d/base/%d", gp%s.GuardPoints, gp))
			gp++
			continue
		}
		c := commands[i%len(commands)]
		pid := 1000 + (i/37)%30000
		user := itoa(i % 100)
		switch i % 5 {
		case 0:
			buf = lsofRow(w, buf, c, pid, user, "cwd", "DIR", "253,0", "4096", "128", "/var/lib/"+c)
		case 1:
			buf = lsofRow(w, buf, c, pid, user, "mem", "REG", "253,0", "2156272", itoa(100000+i%5000), "/usr/lib64/libc-2.28.so")
		case 2:
			buf = lsofRow(w, buf, c, pid, user, itoa(i%900)+"u", "IPv4", itoa(40000000+i), "0t0", "TCP",
				fmt.Sprintf("10.0.%d.%d:443->10.1.0.%d:5%04d (ESTABLISHED)", i%250, i%200, i%250, i%10000))
		case 3:
			buf = lsofRow(w, buf, c, pid, user, itoa(i%900)+"w", "REG", "253,2", itoa(i*7%99999999), itoa(200000+i%90000),
				"/var/log/"+c+"/access-"+itoa(i%40)+".log")
		default:
			buf = lsofRow(w, buf, c, pid, user, itoa(i%900)+"u", "unix", fmt.Sprintf("0x%016x", 0xffff880000000000+uint64(i)*64), "0t0",
				itoa(3000000+i), "type=STREAM")
		}
	}
	if s.GuardBusy {
		lsofRow(w, buf, "bash", 2199, "0", "cwd", "DIR", "253,0", "4096", "10977282", "/secure/data")
	}
}

// guardRow writes the j-th row inside a guard point: a database process
// holding one of its data files.
func (s Spec) guardRow(w io.Writer, buf []byte, j int) []byte {
	dir, pid := s.guardRowOf(j)
	return lsofRow(w, buf, "oracle", pid, strconv.Itoa(1000+j%50), strconv.Itoa(10+j%900)+"u", "REG", "253,2",
		strconv.Itoa(8192*(j%1000)), strconv.Itoa(500000+j), dir+"/users"+strconv.Itoa(j%40)+"_"+strconv.Itoa(j%997)+".dbf")
}

func (s Spec) strace(w io.Writer) {
	for i := 0; i < s.StraceLines; i++ {
		pid := 4900 + i%17
		sec := i / 1000
		ts := fmt.Sprintf("09:%02d:%02d.%06d", (sec/60)%60, sec%60, (i*37)%1000000)
		switch i % 6 {
		case 0:
			fmt.Fprintf(w, "%d  %s openat(AT_FDCWD, \"/var/lib/app/data-%d.db\", O_RDONLY|O_CLOEXEC) = %d <0.000021>\n", pid, ts, i%500, 3+i%60)
		case 1:
			fmt.Fprintf(w, "%d  %s read(%d, \"\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"..., 832) = 832 <0.000009>\n", pid, ts, 3+i%60)
		case 2:
			fmt.Fprintf(w, "%d  %s stat(\"/etc/app/conf.d/%d.conf\", 0x7ffd4b1c8e40) = -1 ENOENT (No such file or directory) <0.000011>\n", pid, ts, i%300)
		case 3:
			fmt.Fprintf(w, "%d  %s futex(0x7f3a9c0008c8, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>\n", pid, ts)
		case 4:
			fmt.Fprintf(w, "%d  %s <... futex resumed>) = 0 <0.000500>\n", 4900+(i-1)%17, ts) // the pid of the line before
		default:
			fmt.Fprintf(w, "%d  %s close(%d)                = 0 <0.000004>\n", pid, ts, 3+i%60)
		}
	}
}

func (s Spec) messages(w io.Writer) {
	for i := 0; i < s.LogLines; i++ {
		sec := i / 20
		fmt.Fprintf(w, "Nov 22 %02d:%02d:%02d synth-host systemd[1]: Started Session %d of user app%d (unit session-%d.scope, pid %d).\n",
			(sec/3600)%24, (sec/60)%60, sec%60, i, i%50, i, 20000+i%40000)
	}
}

func (s Spec) agentLog(w io.Writer) {
	for i := 0; i < s.LogLines; i++ {
		sec := i / 10
		fmt.Fprintf(w, "2026-11-22 %02d:%02d:%02d.%03d [CGP] [INFO] [%d] [CGP2603I] [AUDIT] Policy[web-policy] User[app%d,uid=%d] Process[/usr/bin/java] Action[read_file] Res[/secure/data/f%d] Effect[PERMIT Code (1M)]\n",
			(sec/3600)%24, (sec/60)%60, sec%60, i%1000, 3100+i%7, i%50, 1000+i%50, i%9000)
	}
}

func (s Spec) ps(w io.Writer) {
	io.WriteString(w, "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
	for i := 0; i < 400; i++ {
		c := commands[i%len(commands)]
		fmt.Fprintf(w, "root       %5d  0.0  0.1 %6d %5d ?        Ss   Nov21   0:00 /usr/sbin/%s -D\n", 1000+i, 100000+i, 5000+i, c)
	}
}

func (s Spec) slabinfo(w io.Writer, sample int) {
	io.WriteString(w, "slabinfo - version: 2.1\n")
	io.WriteString(w, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n")
	for c := 0; c < 200; c++ {
		active := 10000 + c*13 + (sample*7+c)%50
		fmt.Fprintf(w, "cache_%-12d %6d %6d    256   16    1 : tunables    0    0    0 : slabdata  %5d  %5d      0\n", c, active, active+100, active/16, active/16)
	}
}

// ParseSize reads a size such as "100MiB", "1GiB", "4096KiB" or "512".
func ParseSize(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("bad size %q: want a number with B, KiB, MiB or GiB", s)
			}
			return int64(v * float64(u.mult)), nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q: want a number with B, KiB, MiB or GiB", s)
	}
	return n, nil
}
