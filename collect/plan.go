package collect

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The plans are plain Go chosen by Options.GOOS, not by build tags, so the
// AIX plan is tested on Linux with a fake runner.

// Bundle paths. They follow the sosreport layout (sos_commands/<plugin>/
// <mangled command>, copied files under their own path) so that the parsers
// identify every file by its path, without sniffing.
const (
	pathUname      = "sos_commands/kernel/uname_-a"
	pathHostname   = "sos_commands/general/hostname"
	pathMount      = "sos_commands/filesys/mount_-l"
	pathLsmod      = "sos_commands/kernel/lsmod"
	pathDmesg      = "sos_commands/kernel/dmesg"
	pathLsof       = "sos_commands/process/lsof_-b_-w_-n_-P"
	pathRPM        = "installed-rpms"
	pathDpkg       = "sos_commands/dpkg/dpkg_-l"
	pathSecfsd     = "sos_commands/vormetric/secfsd_-status_guard"
	pathProcMounts = "proc/mounts"
	pathMountinfo  = "proc/self/mountinfo"
)

// psArgv is the Linux process listing: wchan shows where a blocked task
// sleeps, stat shows D (uninterruptible) tasks.
var psArgv = []string{"ps", "-eo", "pid,ppid,user:32,stat,wchan:32,comm,args"}

// secfsdDirs are where the encryption agent installs secfsd.
var secfsdDirs = []string{
	"/opt/vormetric/DataSecurityExpert/agent/secfs/bin",
	"/opt/vormetric/DataSecurityExpert/agent/vmd/bin",
	"/usr/bin", "/usr/sbin",
}

// Mangle turns a command line into a sosreport file name: the program's
// directory dropped, every run of characters other than letters, digits
// and "_.-/" replaced by "_", "/" by ".", leading and trailing " ._-"
// trimmed, at most 255 bytes.
func Mangle(argv []string) string {
	parts := append([]string{path.Base(argv[0])}, argv[1:]...)
	s := strings.Join(parts, " ")
	var b strings.Builder
	under := false
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' || r == '/'
		if !ok {
			if !under {
				b.WriteByte('_')
				under = true
			}
			continue
		}
		under = false
		if r == '/' {
			r = '.'
		}
		b.WriteRune(r)
	}
	out := strings.Trim(b.String(), " ._-")
	if len(out) > 255 {
		out = out[:255]
	}
	return out
}

// planLinux collects everything a Linux analysis uses.
func (c *collector) planLinux(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.sampleSlabs(ctx) }()
	if c.o.StracePID > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); c.strace(ctx) }()
	}
	max := c.o.MaxFileBytes
	c.command(ctx, pathUname, []string{"uname", "-a"}, cmdOpts{})
	c.command(ctx, pathHostname, []string{"hostname"}, cmdOpts{})
	mountsSpool := c.file(pathProcMounts, "/proc/mounts", whole, max)
	infoSpool := c.file(pathMountinfo, "/proc/self/mountinfo", whole, max)
	c.file("proc/filesystems", "/proc/filesystems", whole, max)
	c.file("proc/modules", "/proc/modules", whole, max)
	c.command(ctx, pathMount, []string{"mount", "-l"}, cmdOpts{})
	c.command(ctx, pathLsmod, []string{"lsmod"}, cmdOpts{})
	psSpool := c.command(ctx, "sos_commands/process/"+Mangle(psArgv), psArgv, cmdOpts{})
	// -b: never call the kernel functions that block on a hung mount
	// (stat, lstat, readlink); -w: no warnings; -n -P: no name lookups.
	c.command(ctx, pathLsof, []string{"lsof", "-b", "-w", "-n", "-P"}, cmdOpts{})

	mounts := parseProcMounts(readSpool(mountsSpool, c.o.MaxFileBytes))
	fuseConn := fuseConnections(readSpool(infoSpool, c.o.MaxFileBytes))
	blocked := blockedWchans(psSpool)
	for _, mt := range mounts {
		if !fuserTarget(mt) {
			continue
		}
		argv := []string{"fuser", "-v", "-m", mt.path}
		p := "sos_commands/filesys/" + Mangle(argv)
		if why := c.mayHang(mt, fuseConn, blocked); why != "" {
			c.add(Record{Path: "", Argv: argv, Started: c.o.Now().UTC(), Skipped: why}, "")
			continue
		}
		c.command(ctx, p, argv, cmdOpts{})
	}
	c.df(ctx, mounts)
	c.command(ctx, pathDmesg, []string{"dmesg"}, cmdOpts{})
	c.file("var/log/messages", "/var/log/messages", tail, c.o.LogTailBytes)
	c.file("var/log/syslog", "/var/log/syslog", tail, c.o.LogTailBytes)
	c.agentLogs(ctx)
	c.glob("/etc/init.d/*", initHeader, 256<<10)
	if _, err := c.lookPath("rpm"); err == nil {
		c.command(ctx, pathRPM, []string{"rpm", "-qa"}, cmdOpts{})
	} else {
		c.command(ctx, pathDpkg, []string{"dpkg", "-l"}, cmdOpts{})
	}
	wg.Wait()
}

// planAIX collects what an AIX analysis uses.
func (c *collector) planAIX(ctx context.Context) {
	if c.o.StracePID > 0 {
		// AIX has truss, not strace; the request is recorded as not possible.
		c.add(Record{Argv: []string{"strace", "-p", strconv.Itoa(c.o.StracePID)}, Started: c.o.Now().UTC(), Skipped: "strace does not exist on AIX (use truss by hand)"}, "")
	}
	c.command(ctx, "general/uname_-a", []string{"uname", "-a"}, cmdOpts{})
	c.command(ctx, "general/hostname", []string{"hostname"}, cmdOpts{})
	c.command(ctx, "general/oslevel_-s", []string{"oslevel", "-s"}, cmdOpts{})
	c.command(ctx, "filesys/mount", []string{"mount"}, cmdOpts{})
	c.command(ctx, "kernel/genkex", []string{"genkex"}, cmdOpts{})
	c.command(ctx, "general/ps_-elf", []string{"ps", "-elf"}, cmdOpts{})
	if _, err := c.lookPath("lsof"); err == nil {
		c.command(ctx, "general/lsof_-b_-w_-n_-P", []string{"lsof", "-b", "-w", "-n", "-P"}, cmdOpts{})
	} else {
		c.add(Record{Argv: []string{"lsof"}, Started: c.o.Now().UTC(), Skipped: "lsof is not installed (optional on AIX)"}, "")
	}
	c.command(ctx, "general/lslpp_-L", []string{"lslpp", "-L"}, cmdOpts{})
	c.command(ctx, "general/errpt", []string{"errpt"}, cmdOpts{})
	c.agentLogs(ctx)
}

// agentLogs copies the encryption agent's logs (the tail of each) and its
// guard-point table.
func (c *collector) agentLogs(ctx context.Context) {
	c.glob("/var/log/vormetric/*.log*", tail, c.o.MaxFileBytes)
	c.file("opt/vormetric/DataSecurityExpert/agent/secfs/tmp/secfs.log",
		"/opt/vormetric/DataSecurityExpert/agent/secfs/tmp/secfs.log", tail, c.o.MaxFileBytes)
	exe := ""
	if p, err := c.lookPath("secfsd"); err == nil {
		exe = p
	} else {
		for _, d := range secfsdDirs {
			if p, err := c.lookPath(d + "/secfsd"); err == nil {
				exe = p
				break
			}
		}
	}
	if exe == "" {
		c.add(Record{Argv: []string{"secfsd", "-status", "guard"}, Started: c.o.Now().UTC(), Skipped: "secfsd not installed (no encryption agent)"}, "")
		return
	}
	c.command(ctx, pathSecfsd, []string{exe, "-status", "guard"}, cmdOpts{})
}

// slabPath names the i-th (1-based) slab sample of a source.
func slabPath(source string, i int) string {
	if source == "slabtop" {
		return fmt.Sprintf("sos_commands/memory/slabtop_-o.%d.out", i)
	}
	return fmt.Sprintf("proc/slabinfo.%d", i)
}

// sampleSlabs takes Samples readings of /proc/slabinfo (or slabtop -o when
// slabinfo cannot be read) Interval apart, as numbered files.
func (c *collector) sampleSlabs(ctx context.Context) {
	source := "slabinfo"
	if f, err := c.o.Root.Open("proc/slabinfo"); err != nil {
		source = "slabtop"
	} else {
		var one [1]byte
		if _, err := f.Read(one[:]); err != nil {
			source = "slabtop"
		}
		f.Close()
	}
	for i := 1; i <= c.o.Samples; i++ {
		if i > 1 {
			t := time.NewTimer(c.o.Interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if source == "slabtop" {
			c.command(ctx, slabPath(source, i), []string{"slabtop", "-o"}, cmdOpts{})
		} else {
			c.file(slabPath(source, i), "/proc/slabinfo", whole, c.o.MaxFileBytes)
		}
	}
}

// strace traces the requested process for the requested time.
func (c *collector) strace(ctx context.Context) {
	pid := strconv.Itoa(c.o.StracePID)
	argv := []string{"strace", "-f", "-tt", "-T", "-p", pid}
	c.command(ctx, "sos_commands/strace/"+Mangle(argv)+".out", argv,
		cmdOpts{timeout: c.o.StraceDuration, interrupt: true})
}

// df collects disk usage only for filesystems that cannot hang it: FUSE,
// the agent's filesystems, network filesystems and guard points are
// excluded by type, and when a guard point has an ordinary type df is
// skipped altogether.
func (c *collector) df(ctx context.Context, mounts []procMount) {
	exclude := map[string]bool{"autofs": true}
	for _, mt := range mounts {
		switch {
		case isFUSE(mt.fstype), agentFS[mt.fstype], networkFS(mt.fstype):
			exclude[mt.fstype] = true
		case selfMount(mt):
			c.add(Record{Argv: []string{"df", "-al"}, Started: c.o.Now().UTC(),
				Skipped: "a guard point has type " + mt.fstype + ", which df cannot exclude safely"}, "")
			return
		}
	}
	var types []string
	for t := range exclude {
		types = append(types, t)
	}
	sort.Strings(types)
	argv := []string{"df", "-al"}
	for _, t := range types {
		argv = append(argv, "-x", t)
	}
	c.command(ctx, "sos_commands/filesys/df_-al", argv, cmdOpts{})
}

// procMount is one line of /proc/mounts, unescaped.
type procMount struct {
	device, path, fstype string
}

var octal = regexp.MustCompile(`\\[0-7]{3}`)

// unescapeMount decodes the \040-style escapes of kernel mount tables.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return octal.ReplaceAllStringFunc(s, func(e string) string {
		n, err := strconv.ParseUint(e[1:], 8, 8)
		if err != nil {
			return e
		}
		return string(rune(n))
	})
}

func parseProcMounts(s string) []procMount {
	var out []procMount
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		out = append(out, procMount{device: unescapeMount(f[0]), path: unescapeMount(f[1]), fstype: f[2]})
	}
	return out
}

// agentFS are the encryption agent's filesystem types.
var agentFS = map[string]bool{"secfs": true, "secfs2": true}

func isFUSE(t string) bool {
	return t == "fuse" || t == "fuseblk" || strings.HasPrefix(t, "fuse.")
}

func networkFS(t string) bool {
	switch {
	case strings.HasPrefix(t, "nfs"), t == "cifs", strings.HasPrefix(t, "smb"),
		t == "ncpfs", t == "afs", strings.HasPrefix(t, "ceph"), t == "9p", t == "gfs2", t == "ocfs2", t == "nss":
		return true
	}
	return false
}

// selfMount is a mount whose source is its own mount point: how the
// encryption agent's guard points look in the mount table.
func selfMount(mt procMount) bool {
	return strings.HasPrefix(mt.device, "/") && path.Clean(mt.device) == path.Clean(mt.path) && mt.path != "/"
}

// fuserTarget says whether fuser -m should be asked about a mount: the
// guard points and FUSE mounts, never the agent's private .sec mount.
func fuserTarget(mt procMount) bool {
	if strings.Contains(mt.path, "/agent/secfs/.sec") {
		return false
	}
	return isFUSE(mt.fstype) || agentFS[mt.fstype] || selfMount(mt)
}

// fuseConnections maps FUSE mount points to their connection number (the
// minor device number in mountinfo), which names their directory under
// /sys/fs/fuse/connections.
func fuseConnections(mountinfo string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if len(f) < 5 || sep < 0 || sep+1 >= len(f) || !isFUSE(f[sep+1]) {
			continue
		}
		if _, minor, ok := strings.Cut(f[2], ":"); ok {
			out[unescapeMount(f[4])] = minor
		}
	}
	return out
}

// blockedWchans lists the wait channels of tasks in uninterruptible sleep
// (state D) in the spooled ps output.
func blockedWchans(psSpool string) []string {
	var out []string
	scanSpool(psSpool, func(i int, l string) {
		f := strings.Fields(l)
		if i > 0 && len(f) >= 5 && strings.HasPrefix(f[3], "D") {
			out = append(out, f[4])
		}
	})
	return out
}

// mayHang returns why asking fuser about a mount could hang the collector
// (fuser stats the mount point), or "" when it looks safe. Only files that
// cannot block are read: the FUSE control filesystem and the ps output.
func (c *collector) mayHang(mt procMount, conns map[string]string, blocked []string) string {
	if isFUSE(mt.fstype) {
		if n, ok := conns[mt.path]; ok {
			b, err := fs.ReadFile(c.o.Root, "sys/fs/fuse/connections/"+n+"/waiting")
			if err == nil {
				if w, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && w > 0 {
					return fmt.Sprintf("FUSE connection %s has %d requests waiting: the daemon may be hung", n, w)
				}
				return ""
			}
		}
		for _, w := range blocked {
			if strings.HasPrefix(w, "fuse") || strings.Contains(w, "request_wait_answer") {
				return "tasks are blocked in FUSE (" + w + ") and the connection state is unknown"
			}
		}
		return ""
	}
	for _, w := range blocked {
		if strings.Contains(w, "secfs") || strings.Contains(w, "vor") {
			return "tasks are blocked in the encryption agent (" + w + ")"
		}
	}
	return ""
}
