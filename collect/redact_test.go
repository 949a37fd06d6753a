package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRedactorLine(t *testing.T) {
	r := NewRedactor()
	r.AddHost("db01.corp.example.com")
	r.AddUser("alice")
	r.AddUser("bob")
	r.AddUser("root")  // protected: not masked
	r.AddUser("7")     // numeric: not masked
	r.AddHost("nails") // protected
	for _, tc := range []struct{ in, want string }{
		{"Mar  5 10:00:00 db01 sshd[1]: from 10.1.2.3 port 22", "Mar  5 10:00:00 host-1 sshd[1]: from 192.0.2.1 port 22"},
		{"DB01.corp.example.com db01.CORP.example.com", "host-1 host-1"},
		{"TCP 10.1.2.3:22->172.16.5.4:51234 (ESTABLISHED)", "TCP 192.0.2.1:22->192.0.2.2:51234 (ESTABLISHED)"},
		{"inet 10.1.2.3/24 brd 10.1.2.255", "inet 192.0.2.1/24 brd 192.0.2.3"},
		{"lo 127.0.0.1 any 0.0.0.0 mask 255.255.255.0", "lo 127.0.0.1 any 0.0.0.0 mask 255.255.255.0"},
		{"nails-1.6.0.2-1.x86_64 v1.2.3.4 2.6.32.59-0.7-default 1.2.3.4.5", "nails-1.6.0.2-1.x86_64 v1.2.3.4 2.6.32.59-0.7-default 1.2.3.4.5"},
		{"link/ether 00:0C:29:3e:5b:7a brd ff:ff:ff:ff:ff:ff", "link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff"},
		{"hw 00-0c-29-3e-5b-7a", "hw 02-00-00-00-00-01"},
		{"inet6 2a00:1450:4001:80b::200e/64 scope global", "inet6 2001:db8::1/64 scope global"},
		{"[2a00:1450:4001:080b:0000:0000:0000:200e]:443 ::1 :: fe80::1%eth0", "[2001:db8::1]:443 ::1 :: 2001:db8::2%eth0"},
		{"addr fe80::1: up", "addr 2001:db8::2: up"},
		{"10:02:11 12:34:56.789 std::vector deadbeef::", "10:02:11 12:34:56.789 std::vector deadbeef::"},
		{"/home/alice/secure pol_alice alice-old malice alice2 bob@10.1.2.3", "/home/user-1/secure pol_user-1 user-1-old malice alice2 user-2@192.0.2.1"},
		{"root 7 nails /usr/bin", "root 7 nails /usr/bin"},
		{"server dsm.corp.example.com, domain corp.example.com, DSM.corp.example.com.", "server host-2, domain domain-1, host-2."},
		{"x.notcorp.example.com corp.example.community", "x.notcorp.example.com corp.example.community"},
	} {
		if got := r.Line(tc.in); got != tc.want {
			t.Errorf("Line(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if r.AddUser("carol") {
		t.Errorf("a name added after the first Line was accepted")
	}
	s := r.Summary()
	got := map[string]KindCount{}
	for _, k := range s.Kinds {
		got[k.Kind] = k
	}
	if got[KindHostname].Distinct != 3 || got[KindUser].Distinct != 2 || got[KindIPv4].Distinct != 3 ||
		got[KindIPv6].Distinct != 2 || got[KindMAC].Distinct != 1 || s.NamesNotMasked != 3 {
		t.Errorf("summary %+v", s)
	}
}

func TestIPv4Tokens(t *testing.T) {
	for n, want := range map[int]string{1: "192.0.2.1", 254: "192.0.2.254", 255: "198.51.100.1", 763: "10.255.0.1", 1017: "10.255.1.1"} {
		if got := ipv4Token(n); got != want {
			t.Errorf("ipv4Token(%d) = %s, want %s", n, got, want)
		}
	}
}

// planted are the secrets of testdata/fakehost that must not survive
// --redact, anywhere in the bundle (file names included).
var planted = []string{
	"db01", "corp.example.com", "filer01", "dsm.corp",
	"10.20.30.40", "10.20.30.1", "10.20.30.50", "10.20.30.60", "172.16.5.4", "172.16.5.9",
	"2a00:1450:4001:80b::200e", "2001:470:1f0b::5", "2001:470:1f0b::77",
	"00:0c:29:3e:5b:7a", "52:54:00:12:34:56",
	"alice", "bob", "carol",
}

func TestRedactedBundleHasNoPlantedSecret(t *testing.T) {
	o, _ := fakeOptions(t, "fakehost", "linux")
	_, _, plain := collectTo(t, o)
	// The secrets are really in the unredacted bundle, so their absence
	// below means something.
	for _, s := range planted {
		found := false
		for _, b := range plain {
			found = found || bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(s)))
		}
		if !found {
			t.Errorf("planted %q is not in the unredacted bundle", s)
		}
	}

	o.Redact = true
	_, m, files := collectTo(t, o)
	if !m.Redacted || strings.Contains(m.Root, "db01") {
		t.Errorf("manifest: redacted %v, root %q", m.Redacted, m.Root)
	}
	for p, b := range files {
		low := strings.ToLower(p + "\n" + string(b))
		for _, s := range planted {
			if strings.Contains(low, strings.ToLower(s)) {
				t.Errorf("%s: planted %q survived redaction", p, s)
			}
		}
	}
	// Consistent tokens: the guard point has one name everywhere, and
	// what the analyzer needs is intact.
	for p, want := range map[string][]string{
		pathProcMounts: {"/home/user-1/secure /home/user-1/secure secfs2", "host-2:/export/archive", "sshfs#user-2@192.0.2."},
		pathMount:      {"/home/user-1/secure on /home/user-1/secure type secfs2"},
		pathLsof:       {"user-1    3r      REG   0,41    12345  1048600 /home/user-1/secure/reports/q1.csv", "sshd      4100               root"},
		"sos_commands/filesys/fuser_-v_-m_.home.user-1.secure": {"/home/user-1/secure:  root     kernel mount /home/user-1/secure", "4242 ..c.. bash"},
		pathSecfsd:                          {"/home/user-1/secure  pol_user-1"},
		pathRPM:                             {"nails-1.6.0.2-1.x86_64", "vee-fs-7.3.0-123"},
		pathUname:                           {"Linux host-1 3.10.0-1160.el7.x86_64"},
		"proc/modules":                      {"secfs2 1283418 2", "dlp_hook"},
		"var/log/messages":                  {"host-1 kernel: INFO: task bash:4242 blocked for more than 120 seconds.", "for user-1 from 192.0.2.", "for user-3 from"},
		"var/log/vormetric/vorvmd_root.log": {"host-1 (192.0.2.", "server host-", "Guard point /home/user-1/secure"},
		"etc/init.d/nails":                  {"# Provides:          nails"},
	} {
		for _, w := range want {
			if !strings.Contains(string(files[p]), w) {
				t.Errorf("%s: want %q in\n%s", p, w, files[p])
			}
		}
	}
	var sum Summary
	if err := json.Unmarshal(files[RedactionName], &sum); err != nil {
		t.Fatalf("redaction.json: %v", err)
	}
	for _, k := range sum.Kinds {
		if k.Distinct == 0 || k.Replacements < k.Distinct {
			t.Errorf("redaction.json: kind %s: %+v", k.Kind, k)
		}
	}
	if len(sum.Kinds) != 5 {
		t.Errorf("redaction.json kinds: %+v", sum.Kinds)
	}
	// Nothing that looks like an original value: only tokens and counts.
	if regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|alice|db01`).Match(files[RedactionName]) {
		t.Errorf("redaction.json holds an original value:\n%s", files[RedactionName])
	}
}

// BenchmarkRedactCopy measures redaction throughput over a mix of log and
// lsof lines, with a realistic number of registered names.
func BenchmarkRedactCopy(b *testing.B) {
	r := NewRedactor()
	r.AddHost("db01.corp.example.com")
	for i := 0; i < 50; i++ {
		r.AddUser(fmt.Sprintf("user%03dx", i))
	}
	r.AddUser("alice")
	var sb strings.Builder
	for sb.Len() < 4<<20 {
		sb.WriteString("Mar  5 10:00:00 db01 sshd[4100]: Accepted publickey for alice from 172.16.5.4 port 51234 ssh2\n")
		sb.WriteString("sshd      4100               root    3u     IPv4  31337      0t0      TCP 10.20.30.40:22->172.16.5.4:51234 (ESTABLISHED)\n")
		sb.WriteString("bash      4242              alice  cwd       DIR   0,41     4096  1048577 /home/alice/secure/reports\n")
		sb.WriteString("[ 1920.259590] INFO: task bash:4242 blocked for more than 120 seconds.\n")
	}
	src := filepath.Join(b.TempDir(), "in")
	os.WriteFile(src, []byte(sb.String()), 0o600)
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.Copy(io.Discard, src); err != nil {
			b.Fatal(err)
		}
	}
}

// Redaction never changes data that is not an identifier: a host named
// "vm" and a user named "task" leave slab caches, module names and lsof
// columns that merely contain those words intact, while whole tokens are
// still masked.
func TestRedactWholeHostTokensOnly(t *testing.T) {
	r := NewRedactor()
	r.AddHost("vm")
	r.AddUser("task")
	for _, tc := range []struct{ what, in, want string }{
		{"slabinfo", "vm_area_struct     12345  13000    200   20    1 : tunables    0    0    0 : slabdata    650    650      0",
			"vm_area_struct     12345  13000    200   20    1 : tunables    0    0    0 : slabdata    650    650      0"},
		{"slabinfo", "task_struct          812    850   7616    4    8 : tunables    0    0    0 : slabdata    213    213      0",
			"task_struct          812    850   7616    4    8 : tunables    0    0    0 : slabdata    213    213      0"},
		{"slabtop", "  2100   2050  97%    0.19K    100       21       400K vm_area_struct",
			"  2100   2050  97%    0.19K    100       21       400K vm_area_struct"},
		{"lsmod", "vmw_vmci               86016  1 vmw_vsock_vmci_transport", "vmw_vmci               86016  1 vmw_vsock_vmci_transport"},
		{"/proc/modules", "vm_memctl 16384 0 - Live 0x0000000000000000", "vm_memctl 16384 0 - Live 0x0000000000000000"},
		{"lsof", "qemu-kvm 4242 task  mem REG 253,0 1000 42 /usr/lib64/vm_helper.so",
			"qemu-kvm 4242 user-1  mem REG 253,0 1000 42 /usr/lib64/vm_helper.so"},
		{"lsof network name", "sshd 99 root 3u IPv4 1 0t0 TCP vm:22->10.1.2.3:5000 (ESTABLISHED)",
			"sshd 99 root 3u IPv4 1 0t0 TCP host-1:22->192.0.2.1:5000 (ESTABLISHED)"},
		{"uname", "Linux vm 5.14.0 #1 SMP x86_64 GNU/Linux", "Linux host-1 5.14.0 #1 SMP x86_64 GNU/Linux"},
		{"kernel log", "Mar  5 10:00:00 vm kernel: task_struct leak", "Mar  5 10:00:00 host-1 kernel: task_struct leak"},
		{"glued user", "policy pol_task /home/task", "policy pol_user-1 /home/user-1"},
	} {
		if got := r.Line(tc.in); got != tc.want {
			t.Errorf("%s: Line(%q)\n got %q\nwant %q", tc.what, tc.in, got, tc.want)
		}
	}
}
