package collect

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Redactor masks host names, IPv4 and IPv6 addresses, MAC addresses and
// user names in collected text before it leaves the host. The same value
// always gets the same token (host-1, 192.0.2.1, 2001:db8::1,
// 02:00:00:00:00:01, user-1), so the relations the analyzer needs survive:
// a guard point under /home/alice is /home/user-1 in the mount table, in
// lsof and in fuser alike. Module names, filesystem types, pids and
// product words are never masked.
//
// Names must be registered (AddHost, AddUser) before the first Line; IP
// and MAC addresses are found by their shape.
type Redactor struct {
	mu      sync.Mutex
	hosts   map[string]string // lower-case original -> token
	users   map[string]string
	ips     map[string]string
	macs    map[string]string
	protect map[string]bool
	counts  map[string]int
	ignored int // names not masked: too short, numeric or protected

	nHost, nUser int
	nDomain      int
	nV4, nV6     int
	domains      map[string]bool // DNS domains of the host's own names
	domainList   []string
	hostLens     []int // distinct name lengths, longest first
	userLens     []int
	compiled     bool
}

// The kinds of value masked, as redaction.json names them.
const (
	KindHostname = "hostname"
	KindUser     = "user"
	KindIPv4     = "ipv4"
	KindIPv6     = "ipv6"
	KindMAC      = "mac"
)

// protectedWords are never masked even when a host or user has that name:
// the analyzer needs them (products, modules, services) or they are
// system directories and accounts whose names reveal nothing.
var protectedWords = []string{
	"root", "daemon", "bin", "sys", "adm", "sync", "games", "man", "lp", "mail", "news", "uucp",
	"nuucp", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody", "nogroup", "nfsnobody",
	"messagebus", "sshd", "syslog", "ntp", "chrony", "polkitd", "dbus", "rpc", "rpcuser", "postfix",
	"guest", "invscout", "snapp", "ipsec", "pconsole", "esaadmin", "srvproxy", "sshd",
	"secfs", "secfs2", "secfsd", "vmd", "vorvmd", "vormetric", "agent", "nails", "lshook",
	"linuxshield", "mcafee", "adminfs", "shadowfs", "auditd", "audit", "novell", "ncs", "novell-ncs",
	"nss", "ncp", "fuse", "fusectl", "kernel", "localhost", "localdomain", "linux", "aix", "unix",
	"dev", "proc", "usr", "sbin", "lib", "lib64", "etc", "var", "opt", "home", "tmp", "run", "mnt",
	"media", "srv", "boot", "log", "init.d", "sos_commands", "none", "tmpfs", "user", "host",
}

// NewRedactor returns a redactor with the built-in protected words.
func NewRedactor() *Redactor {
	r := &Redactor{
		hosts: map[string]string{}, users: map[string]string{}, ips: map[string]string{},
		macs: map[string]string{}, protect: map[string]bool{}, counts: map[string]int{},
		domains: map[string]bool{},
	}
	r.Protect(protectedWords...)
	return r
}

// Protect keeps words from ever being masked as names (module names,
// filesystem types, init script names seen on the host).
func (r *Redactor) Protect(words ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range words {
		if w != "" {
			r.protect[strings.ToLower(w)] = true
		}
	}
}

// maskable says whether a name may be masked without damaging the analysis
// or the text: long enough, not all digits, not protected.
func (r *Redactor) maskable(name string) bool {
	if len(name) < 2 || r.protect[strings.ToLower(name)] {
		return false
	}
	digits := true
	for _, ch := range name {
		if ch < '0' || ch > '9' {
			digits = false
			break
		}
	}
	return !digits
}

// AddHost registers a host name; a fully qualified name registers its
// first label too, with the same token, and its domain: any other name in
// that domain (the management server, a file server) is masked as a host
// of its own. It reports whether the name will be masked.
func (r *Redactor) AddHost(name string) bool {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	if name == "" || strings.ContainsAny(name, " \t/:") {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return false // an address: masked by its shape
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.compiled {
		return false
	}
	short, domain, _ := strings.Cut(name, ".")
	if strings.Contains(domain, ".") {
		// "example.com" but not a bare "com" or "local".
		r.domains[strings.ToLower(domain)] = true
	}
	key := strings.ToLower(name)
	if tok, ok := r.hosts[key]; ok {
		if r.maskable(short) {
			r.hosts[strings.ToLower(short)] = tok
		}
		return true
	}
	if tok, ok := r.hosts[strings.ToLower(short)]; ok && r.maskable(name) {
		r.hosts[key] = tok
		return true
	}
	if !r.maskable(name) || !r.maskable(short) && short == name {
		r.ignored++
		return false
	}
	r.nHost++
	tok := fmt.Sprintf("host-%d", r.nHost)
	r.hosts[key] = tok
	if r.maskable(short) {
		r.hosts[strings.ToLower(short)] = tok
	}
	return true
}

// AddUser registers a user name. It reports whether it will be masked.
func (r *Redactor) AddUser(name string) bool {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \t/:") {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.compiled {
		return false
	}
	if _, ok := r.users[name]; ok {
		return true
	}
	if !r.maskable(name) {
		r.ignored++
		return false
	}
	r.nUser++
	r.users[name] = fmt.Sprintf("user-%d", r.nUser)
	return true
}

func (r *Redactor) compile() {
	if r.compiled {
		return
	}
	r.compiled = true
	r.hostLens = lengths(r.hosts)
	for d := range r.domains {
		r.domainList = append(r.domainList, d)
	}
	sort.Strings(r.domainList)
	r.userLens = lengths(r.users)
}

// lengths lists the distinct key lengths of a map, longest first.
func lengths(m map[string]string) []int {
	seen := map[int]bool{}
	var out []int
	for k := range m {
		if !seen[len(k)] {
			seen[len(k)] = true
			out = append(out, len(k))
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

var (
	reIPv4 = regexp.MustCompile(`[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}`)
	reIPv6 = regexp.MustCompile(`(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]*`)
	reMAC  = regexp.MustCompile(`[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}`)
)

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-'
}

// replaceBounded replaces every match of re in s that is not glued to the
// surrounding text (badBefore and badAfter report whether a neighbouring
// byte continues the same word) with what repl returns; repl returns ""
// to keep the match. One pass over the line: matches do not overlap.
func replaceBounded(s string, re *regexp.Regexp, badBefore, badAfter func(s string, i int) bool, repl func(string) string) string {
	locs := re.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		start, end := loc[0], loc[1]
		if end == start || (start > 0 && badBefore(s, start-1)) || (end < len(s) && badAfter(s, end)) {
			continue
		}
		tok := repl(s[start:end])
		if tok == "" {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(tok)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Line masks one line (or any text without structure).
func (r *Redactor) Line(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.compile()
	colons := strings.Count(s, ":")
	if colons >= 5 || strings.Count(s, "-") >= 5 {
		s = replaceBounded(s, reMAC, macNeighbour, macNeighbour, r.mac)
	}
	if colons >= 7 || strings.Contains(s, "::") {
		s = replaceBounded(s, reIPv6, v6Before, v6After, r.ipv6)
	}
	if strings.Count(s, ".") >= 3 {
		s = replaceBounded(s, reIPv4, v4Before, v4After, r.ipv4)
	}
	return r.names(s)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// names masks host names, names in the host's domains and user names.
// A name starts where a word starts and ends where a word ends; at each
// word start the longest registered name wins.
func (r *Redactor) names(s string) string {
	if len(r.hosts) == 0 && len(r.users) == 0 && len(r.domains) == 0 {
		return s
	}
	low := asciiLower(s)
	var b strings.Builder
	b.Grow(len(s) + 16)
	last := 0
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) || i > 0 && isAlnum(s[i-1]) {
			continue
		}
		tok, n := r.nameAt(s, low, i)
		if n == 0 {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(tok)
		last = i + n
		i = last - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// nameAt returns the token for a name starting at i and its length, or 0.
//
// A host name is masked only as a whole token: not glued to a letter, a
// digit or "_" on either side, so the host "vm" leaves the slab cache
// vm_area_struct and the module vmw_vmci alone. A user name may follow a
// "_" (a policy named pol_alice) but not precede one, so the user "task"
// leaves task_struct alone.
func (r *Redactor) nameAt(s, low string, i int) (string, int) {
	ends := func(L int) bool {
		return i+L <= len(s) && (i+L == len(s) || !isAlnum(s[i+L]) && s[i+L] != '_')
	}
	hostStart := i == 0 || s[i-1] != '_'
	for _, L := range r.hostLens {
		if hostStart && ends(L) {
			if tok, ok := r.hosts[low[i:i+L]]; ok {
				r.counts[KindHostname]++
				return tok, L
			}
		}
	}
	if len(r.domainList) > 0 {
		j := i
		for j < len(s) && (isAlnum(s[j]) || s[j] == '.' || s[j] == '-') {
			j++
		}
		run := strings.TrimRight(low[i:j], ".-")
		for _, d := range r.domainList {
			if run == d || strings.HasSuffix(run, "."+d) {
				return r.domainName(run), len(run)
			}
		}
	}
	for _, L := range r.userLens {
		if ends(L) {
			if tok, ok := r.users[s[i:i+L]]; ok {
				r.counts[KindUser]++
				return tok, L
			}
		}
	}
	return "", 0
}

// asciiLower lower-cases ASCII letters only, so byte offsets do not move.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// domainName masks a name in one of the host's domains: the domain alone
// becomes domain-N, a name in it a host token of its own.
func (r *Redactor) domainName(m string) string {
	key := strings.ToLower(m)
	if tok, ok := r.hosts[key]; ok {
		r.counts[KindHostname]++
		return tok
	}
	if r.domains[key] {
		r.nDomain++
		tok := fmt.Sprintf("domain-%d", r.nDomain)
		r.hosts[key] = tok
		r.counts[KindHostname]++
		return tok
	}
	r.nHost++
	tok := fmt.Sprintf("host-%d", r.nHost)
	r.hosts[key] = tok
	r.counts[KindHostname]++
	return tok
}

func macNeighbour(s string, i int) bool {
	c := s[i]
	return isWordByte(c) || c == ':'
}

func v6Before(s string, i int) bool { c := s[i]; return isWordByte(c) || c == ':' || c == '.' }
func v6After(s string, i int) bool  { c := s[i]; return isWordByte(c) || c == ':' }

// An IPv4 address is not part of a version string: nothing word-like or a
// dot before it, and no further ".N" or "-N" after it.
func v4Before(s string, i int) bool { c := s[i]; return isWordByte(c) || c == '.' }
func v4After(s string, i int) bool {
	c := s[i]
	if c == '.' || c == '-' {
		return i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'
	}
	return isWordByte(c)
}

func (r *Redactor) mac(m string) string {
	sep := m[2]
	for i := 2; i < len(m); i += 3 {
		if m[i] != sep {
			return ""
		}
	}
	key := strings.ToLower(strings.ReplaceAll(m, "-", ":"))
	if key == "00:00:00:00:00:00" || key == "ff:ff:ff:ff:ff:ff" {
		return ""
	}
	tok, ok := r.macs[key]
	if !ok {
		n := len(r.macs) + 1
		tok = fmt.Sprintf("02:00:00:%02x:%02x:%02x", n>>16&0xff, n>>8&0xff, n&0xff)
		r.macs[key] = tok
	}
	r.counts[KindMAC]++
	if sep == '-' {
		return strings.ReplaceAll(tok, ":", "-")
	}
	return tok
}

func (r *Redactor) ipv6(m string) string {
	cand := strings.TrimRight(m, ":.")
	if len(cand) < len(m) {
		// The trailing colon belongs to the text ("addr fe80::1: up"); only
		// a complete address is replaced, the rest is put back.
		if tok := r.ipv6(cand); tok != "" {
			return tok + m[len(cand):]
		}
		return ""
	}
	if strings.Count(cand, ":") < 7 && !strings.Contains(cand, "::") {
		return ""
	}
	a, err := netip.ParseAddr(cand)
	if err != nil || !a.Is6() || a.IsLoopback() || a.IsUnspecified() {
		return ""
	}
	key := a.String()
	tok, ok := r.ips[key]
	if !ok {
		r.nV6++
		tok = fmt.Sprintf("2001:db8::%x", r.nV6)
		r.ips[key] = tok
	}
	r.counts[KindIPv6]++
	return tok
}

func (r *Redactor) ipv4(m string) string {
	a, err := netip.ParseAddr(m)
	if err != nil || !a.Is4() {
		return ""
	}
	b := a.As4()
	if b[0] == 127 || b[0] == 0 || b[0] == 255 {
		// Loopback, unspecified, broadcast and netmasks say nothing.
		return ""
	}
	key := a.String()
	tok, ok := r.ips[key]
	if !ok {
		r.nV4++
		tok = ipv4Token(r.nV4)
		r.ips[key] = tok
	}
	r.counts[KindIPv4]++
	return tok
}

// ipv4Token is the n-th (1-based) replacement address: the documentation
// ranges of RFC 5737 first, then 10.255.x.y.
func ipv4Token(n int) string {
	nets := []string{"192.0.2", "198.51.100", "203.0.113"}
	if i := (n - 1) / 254; i < len(nets) {
		return fmt.Sprintf("%s.%d", nets[i], (n-1)%254+1)
	}
	n -= 254 * len(nets)
	return fmt.Sprintf("10.255.%d.%d", (n-1)/254%256, (n-1)%254+1)
}

// Text masks every line of s.
func (r *Redactor) Text(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		body := strings.TrimSuffix(l, "\n")
		lines[i] = r.Line(body) + l[len(body):]
	}
	return strings.Join(lines, "")
}

// Path masks a path inside the bundle (a fuser output named after a mount
// point under a user's home).
func (r *Redactor) Path(p string) string { return r.Line(p) }

// Copy streams the file at src through the redactor into w, line by line;
// a line longer than 1 MiB is masked in 1 MiB pieces.
func (r *Redactor) Copy(w io.Writer, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			body := chunk
			nl := len(body) > 0 && body[len(body)-1] == '\n'
			if nl {
				body = body[:len(body)-1]
			}
			if _, werr := bw.WriteString(r.Line(string(body))); werr != nil {
				return werr
			}
			if nl {
				bw.WriteByte('\n')
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			return err
		}
	}
	return bw.Flush()
}

// KindCount is how many distinct values of one kind were masked and how
// many replacements were made.
type KindCount struct {
	Kind         string `json:"kind"`
	Distinct     int    `json:"distinct"`
	Replacements int    `json:"replacements"`
}

// Summary is redaction.json: what was masked, never the original values.
type Summary struct {
	Kinds []KindCount `json:"kinds"`
	// NamesNotMasked counts registered names left alone because they were
	// too short, numeric, or words the analysis needs.
	NamesNotMasked int    `json:"names_not_masked"`
	Note           string `json:"note"`
}

// Summary reports the counts so far.
func (r *Redactor) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	distinctTokens := func(m map[string]string) int {
		seen := map[string]bool{}
		for _, t := range m {
			seen[t] = true
		}
		return len(seen)
	}
	s := Summary{NamesNotMasked: r.ignored,
		Note: "host names, user names, IPv4/IPv6 and MAC addresses were replaced by consistent tokens; loopback, unspecified and broadcast addresses were kept"}
	s.Kinds = []KindCount{
		{KindHostname, distinctTokens(r.hosts), r.counts[KindHostname]},
		{KindUser, len(r.users), r.counts[KindUser]},
		{KindIPv4, r.nV4, r.counts[KindIPv4]},
		{KindIPv6, r.nV6, r.counts[KindIPv6]},
		{KindMAC, len(r.macs), r.counts[KindMAC]},
	}
	return s
}
