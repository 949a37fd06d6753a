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
	// Compress is "gz", "zst" or "" (plain tar).
	Compress string
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
	return []artifact{
		{"sosreport-synth-1/sos_commands/filesys/mount_-l", s.mount},
		{"sosreport-synth-1/sos_commands/kernel/lsmod", s.lsmod},
		{"sosreport-synth-1/sos_commands/process/lsof_M_-n_-l_-c", s.lsof},
		{"sosreport-synth-1/strace.out", s.strace},
		{"sosreport-synth-1/var/log/messages", s.messages},
		{"sosreport-synth-1/var/log/vormetric/vorvmd_root.log", s.agentLog},
		{"sosreport-synth-1/sos_commands/process/ps_auxwwwm", s.ps},
	}
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
}

func (s Spec) lsmod(w io.Writer) {
	io.WriteString(w, "Module                  Size  Used by\n")
	io.WriteString(w, "secfs2                983040  3\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(w, "mod_%-15d %8d  %d\n", i, 16384+i*512, i%3)
	}
}

func (s Spec) lsof(w io.Writer) {
	io.WriteString(w, "COMMAND     PID   TID TASKCMD               USER   FD      TYPE             DEVICE  SIZE/OFF       NODE NAME\n")
	for i := 0; i < s.LsofLines; i++ {
		c := commands[i%len(commands)]
		pid := 1000 + (i/37)%30000
		switch i % 5 {
		case 0:
			fmt.Fprintf(w, "%-9s %5d                         %4d  cwd       DIR              253,0      4096        128 /var/lib/%s\n", c, pid, i%100, c)
		case 1:
			fmt.Fprintf(w, "%-9s %5d                         %4d  mem       REG              253,0   2156272   %8d /usr/lib64/libc-2.28.so\n", c, pid, i%100, 100000+i%5000)
		case 2:
			fmt.Fprintf(w, "%-9s %5d                         %4d %4du      IPv4          %9d       0t0        TCP 10.0.%d.%d:443->10.1.0.%d:5%04d (ESTABLISHED)\n", c, pid, i%100, i%900, 40000000+i, i%250, i%200, i%250, i%10000)
		case 3:
			fmt.Fprintf(w, "%-9s %5d                         %4d %4dw      REG              253,2  %8d   %8d /var/log/%s/access-%d.log\n", c, pid, i%100, i%900, i*7%99999999, 200000+i%90000, c, i%40)
		default:
			fmt.Fprintf(w, "%-9s %5d                         %4d %4du     unix 0x%016x       0t0   %8d type=STREAM\n", c, pid, i%100, i%900, 0xffff880000000000+uint64(i)*64, 3000000+i)
		}
	}
	if s.GuardBusy {
		io.WriteString(w, "bash       2199                            0  cwd       DIR              253,0      4096   10977282 /secure/data\n")
	}
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
