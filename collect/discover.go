package collect

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// discover builds the redactor from what was collected: the host's names
// (hostname, uname, /etc/hostname, network filesystem servers), its human
// users (/etc/passwd and the USER columns of ps and lsof), and the words
// that must survive (loaded modules, filesystem types, init scripts).
func (c *collector) discover() *Redactor {
	r := NewRedactor()
	spool := func(p string) string { return readSpool(c.spoolOf(p), c.o.MaxOutputBytes) }

	// Words the analysis needs.
	for _, p := range []string{"proc/modules", pathLsmod, "kernel/genkex"} {
		for _, l := range lines(spool(p)) {
			if f := strings.Fields(l); len(f) > 0 {
				w := f[0]
				if p == "kernel/genkex" && len(f) > 0 {
					w = f[len(f)-1]
					if i := strings.LastIndexByte(w, '/'); i >= 0 {
						w = w[i+1:]
					}
				}
				r.Protect(w)
			}
		}
	}
	for _, l := range lines(spool("proc/filesystems")) {
		if f := strings.Fields(l); len(f) > 0 {
			r.Protect(f[len(f)-1])
		}
	}
	c.mu.Lock()
	for _, f := range c.files {
		if strings.HasPrefix(f.path, "etc/init.d/") {
			r.Protect(strings.TrimPrefix(f.path, "etc/init.d/"))
		}
	}
	c.mu.Unlock()

	// Host names.
	for _, p := range []string{pathHostname, "general/hostname"} {
		r.AddHost(firstLine(spool(p)))
	}
	for _, p := range []string{pathUname, "general/uname_-a"} {
		if f := strings.Fields(firstLine(spool(p))); len(f) > 1 {
			r.AddHost(f[1])
		}
	}
	for _, p := range []string{"etc/hostname", "proc/sys/kernel/hostname"} {
		if b, err := readCapped(c.o.Root, p, 4096); err == nil {
			r.AddHost(firstLine(string(b)))
		}
	}
	for _, mt := range parseProcMounts(spool(pathProcMounts)) {
		if !networkFS(mt.fstype) {
			continue
		}
		d := strings.TrimPrefix(mt.device, "//")
		if i := strings.IndexAny(d, ":/"); i > 0 {
			r.AddHost(d[:i])
		}
	}

	// Users: the humans of /etc/passwd, then names in USER columns that
	// are not system accounts.
	system := map[string]bool{}
	minUID := 1000
	if c.o.GOOS == "aix" {
		minUID = 200
	}
	if b, err := readCapped(c.o.Root, "etc/passwd", 4<<20); err == nil {
		for _, l := range lines(string(b)) {
			f := strings.Split(l, ":")
			if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "+") {
				continue
			}
			uid, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				continue
			}
			if int(uid) < minUID || uid == 65534 || uid >= 4294967294 {
				system[f[0]] = true
				continue
			}
			r.AddUser(f[0])
		}
	}
	for _, p := range []string{"sos_commands/process/" + Mangle(psArgv), pathLsof, "general/ps_-elf", "general/lsof_-b_-w_-n_-P"} {
		// The USER column is the third on every one of these.
		scanSpool(c.spoolOf(p), func(i int, l string) {
			f := strings.Fields(l)
			if i == 0 || len(f) <= 2 {
				return
			}
			u := strings.TrimSuffix(f[2], "+")
			if !system[u] && validUserName(u) {
				r.AddUser(u)
			}
		})
	}
	return r
}

// validUserName accepts what useradd accepts and rejects numbers.
func validUserName(u string) bool {
	if u == "" || len(u) > 32 {
		return false
	}
	digits := true
	for i := 0; i < len(u); i++ {
		ch := u[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-' || ch == '.'
		if !ok {
			return false
		}
		if ch < '0' || ch > '9' {
			digits = false
		}
	}
	return !digits
}

// scanSpool streams the lines of a spooled output (0-based index).
func scanSpool(p string, fn func(i int, line string)) {
	if p == "" {
		return
	}
	f, err := os.Open(p)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for i := 0; sc.Scan(); i++ {
		fn(i, sc.Text())
	}
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// readCapped reads at most max bytes of a regular file of the root.
func readCapped(root fs.FS, name string, max int64) ([]byte, error) {
	fi, err := fs.Stat(root, name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fs.ErrInvalid
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, 4096)
	var tmp [4096]byte
	for int64(len(buf)) < max {
		n, err := f.Read(tmp[:])
		buf = append(buf, tmp[:n]...)
		if err != nil {
			break
		}
	}
	if int64(len(buf)) > max {
		buf = buf[:max]
	}
	return buf, nil
}
