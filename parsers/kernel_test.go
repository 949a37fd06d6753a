package parsers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fsagent/triage/model"
)

// kernWarnText joins the warning messages for matching in tests.
func kernWarnText(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestLsofVariants(t *testing.T) {
	type want struct {
		i int // index of the fact
		f model.OpenFile
	}
	cases := []struct {
		file     string
		n        int      // facts
		warnings []string // substrings, one per expected warning, in order
		checks   []want
	}{
		{file: "seed_grep.txt", n: 1, checks: []want{
			{0, model.OpenFile{Command: "bash", PID: 2199, User: "root", FD: "cwd", Type: "DIR", Device: "253,0", SizeOff: "4096", Node: "10977282", Name: "/guarded_path"}},
		}},
		{file: "linux_tid_taskcmd.txt", n: 10,
			warnings: []string{":1: lsof reported: lsof: avoiding stat(/guarded_path)", ":2: lsof reported: lsof: WARNING: can't stat()", ":3: lsof reported:       Output information"},
			checks: []want{
				{0, model.OpenFile{Command: "bash", PID: 2199, User: "root", FD: "cwd", Type: "DIR", Device: "253,0", SizeOff: "4096", Node: "10977282", Name: "/guarded_path"}},
				{1, model.OpenFile{Command: "vmd", PID: 3101, User: "root", FD: "txt", Type: "REG", Device: "253,1", SizeOff: "1620224", Node: "3303", Name: "/opt/vormetric/DataSecurityExpert/agent/vmd/bin/vmd", Deleted: true}},
				{2, model.OpenFile{Command: "vmd", PID: 3101, TID: 3105, TaskCmd: "JS Helper", User: "root", FD: "5w", Type: "REG", Device: "253,0", SizeOff: "102400", Node: "10977290", Name: "/guarded_path/My Documents/report q3.xlsx"}},
				{3, model.OpenFile{Command: "vmd", PID: 3101, TID: 3106, TaskCmd: "vmd-worker", User: "root", FD: "6uW", Type: "REG", Device: "253,0", SizeOff: "0", Node: "10977291", Name: "/guarded_path/.lock"}},
				{4, model.OpenFile{Command: "runsvdir", PID: 35171, User: "0", FD: "mem", Type: "REG", Device: "0,66", Node: "520109", Name: "/guarded_path/lib/libc-2.28.so", Error: "stat: No such file or directory"}},
				{5, model.OpenFile{Command: "systemd", PID: 1, User: "root", FD: "DEL", Type: "REG", Device: "253,1", Node: "3881", Name: "/usr/lib/x86_64-linux-gnu/libuuid.so.1.3.0"}},
				{6, model.OpenFile{Command: "systemd", PID: 1, User: "root", FD: "19u", Type: "unix", Device: "0xffff8d72b9861400", SizeOff: "0t0", Node: "13897", Name: "/run/systemd/private type=STREAM"}},
				{7, model.OpenFile{Command: "systemd", PID: 1, User: "root", FD: "15u", Type: "netlink", SizeOff: "0t0", Node: "13893", Name: "KOBJECT_UEVENT"}},
				{8, model.OpenFile{Command: "kthreadd", PID: 2, User: "root", FD: "txt", Type: "unknown", Name: "/proc/2/exe"}},
				{9, model.OpenFile{Command: "sshd", PID: 855, User: "root", FD: "3u", Type: "IPv4", Device: "24082", SizeOff: "0t0", Node: "TCP", Name: "*:22 (LISTEN)"}},
			}},
		{file: "sos_indented_header.txt", n: 3, checks: []want{
			{0, model.OpenFile{Command: "systemd", PID: 1, User: "0", FD: "cwd", Type: "DIR", Device: "252,1", SizeOff: "4096", Node: "2", Name: "/"}},
			{1, model.OpenFile{Command: "agetty", PID: 738, User: "0", FD: "txt", Type: "REG", Device: "252,1", SizeOff: "69000", Node: "2584", Name: "/usr/sbin/agetty", Deleted: true}},
			{2, model.OpenFile{Command: "kube-prox", PID: 77707, TID: 77722, TaskCmd: "kube-prox", User: "0", FD: "6u", Type: "IPv6", Device: "232591", SizeOff: "0t0", Node: "TCP", Name: "*:10256 (LISTEN)"}},
		}},
		{file: "aix.txt", n: 4, warnings: []string{":1: lsof reported: lsof: WARNING: compiled for AIX"}, checks: []want{
			{3, model.OpenFile{Command: "db2sysc", PID: 7209010, User: "db2i", FD: "12u", Type: "VREG", Device: "40,9", SizeOff: "1048576", Node: "33", Name: "/guarded_path/db2/SQL00001.LOG"}},
		}},
		{file: "misaligned.txt", n: 2, checks: []want{
			{0, model.OpenFile{Command: "neutron-n", PID: 975, User: "root", FD: "5u", Type: "IPv4", Device: "6482691", SizeOff: "0t0", Node: "TCP", Name: "*:http (LISTEN)"}},
			{1, model.OpenFile{Command: "Web Conte", PID: 4410, User: "alice", FD: "cwd", Type: "DIR", Device: "253,2", SizeOff: "4096", Node: "131", Name: "/home/alice"}},
		}},
		{file: "fields.txt", n: 3, checks: []want{
			{0, model.OpenFile{Command: "bash", PID: 2199, User: "root", FD: "cwd", Type: "DIR", Device: "0xfd00", SizeOff: "4096", Node: "10977282", Name: "/guarded_path"}},
			{1, model.OpenFile{Command: "bash", PID: 2199, User: "root", FD: "3r", Type: "REG", Device: "0xfd00", SizeOff: "10240", Node: "10977299", Name: "/guarded_path/old.log", Deleted: true}},
			{2, model.OpenFile{Command: "vmd", PID: 3101, User: "root", FD: "txt", Type: "REG", Name: "/opt/vormetric/bin/vmd"}},
		}},
		{file: "crlf_invalid_utf8.txt", n: 2, checks: []want{
			{0, model.OpenFile{Command: "bash", PID: 2199, User: "0", FD: "cwd", Type: "DIR", Device: "253,0", SizeOff: "4096", Node: "10977282", Name: "/guarded_path/caf\uFFFD \\x1b[31mred"}},
			{1, model.OpenFile{Command: "bash", PID: 2199, User: "0", FD: "3r", Type: "REG", Device: "253,0", SizeOff: "4096", Node: "10977283", Name: "/guarded_path/plain"}},
		}},
		{file: "noise.txt", n: 2, warnings: []string{":3: not an lsof row", ":4: not an lsof row"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := "sosreport-h/sos_commands/process/" + c.file
			m, ws := parseString(t, "lsof", p, readTestdata(t, "lsof", c.file))
			if len(m.OpenFiles) != c.n {
				t.Fatalf("got %d open files, want %d: %+v", len(m.OpenFiles), c.n, m.OpenFiles)
			}
			if len(ws) != len(c.warnings) {
				t.Fatalf("got warnings:\n%swant %d", kernWarnText(ws), len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(ws[i].Error(), w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, ws[i].Error(), w)
				}
			}
			for _, ck := range c.checks {
				got := m.OpenFiles.Fact(ck.i)
				if got.Src.Path != p || got.Src.Line == 0 || got.Src.Text == "" {
					t.Errorf("fact %d: bad source %+v", ck.i, got.Src)
				}
				got.Src = model.Source{}
				if !reflect.DeepEqual(got, ck.f) {
					t.Errorf("fact %d:\n got %+v\nwant %+v", ck.i, got, ck.f)
				}
			}
		})
	}
}

// The position-exact split must handle every row of real headed captures;
// only a row that does not line up may fall back to the shape heuristics.
func TestLsofAlignedSplitHandlesRealRows(t *testing.T) {
	files := append(corpusFiles(t, "lsof"), filepath.Join("testdata", "lsof", "linux_tid_taskcmd.txt"), filepath.Join("testdata", "lsof", "sos_indented_header.txt"))
	checked := 0
	for _, f := range files {
		if strings.Contains(f, "netns_i") {
			continue // hand-edited upstream: its columns do not line up
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var h *lsofHeader
		var r lsofRow
		for i, l := range strings.Split(string(b), "\n") {
			if hh, ok := parseLsofHeader([]byte(l)); ok {
				h = hh
				continue
			}
			if h == nil || strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "lsof") || strings.HasPrefix(l, " ") {
				continue
			}
			checked++
			if !h.splitAligned([]byte(l), &r) {
				t.Errorf("%s:%d: row does not split by the header: %q", f, i+1, l)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d rows checked", checked)
	}
}

func TestLsofSplitName(t *testing.T) {
	cases := []struct{ in, name, err string }{
		{"/usr/sbin/agetty (deleted)", "/usr/sbin/agetty", ""},
		{"/ (deleted)", "/", ""},
		{"/x (stat: Resource temporarily unavailable)", "/x", "stat: Resource temporarily unavailable"},
		{"/proc/1/fd (opendir: Permission denied)", "/proc/1/fd", "opendir: Permission denied"},
		{"/a b (deleted) (readlink: Permission denied)", "/a b", "readlink: Permission denied"},
		{"*:22 (LISTEN)", "*:22 (LISTEN)", ""},
		{"/odd (note: kept)", "/odd (note: kept)", ""},
	}
	for _, c := range cases {
		n, del, e := lsofSplitName(c.in)
		if n != c.name || e != c.err || del != strings.Contains(c.in, "(deleted)") {
			t.Errorf("lsofSplitName(%q) = %q, %v, %q; want %q, %q", c.in, n, del, e, c.name, c.err)
		}
	}
}

func TestFuserVariants(t *testing.T) {
	cases := []struct {
		file     string
		want     []model.FuserHit // without Src
		warnings []string
	}{
		{"seed_combined.txt", []model.FuserHit{{Path: "/guarded_path", PID: 2199, Access: "c"}}, nil},
		{"psmisc_combined_multi.txt", []model.FuserHit{
			{Path: "/mnt", PID: 1011, Access: "c"}, {Path: "/mnt", PID: 2345}, {Path: "/mnt", PID: 2346, Access: "m"},
			{Path: "/guarded path/data", PID: 4001, Access: "F"}, {Path: "/guarded path/data", PID: 4002, Access: "e"},
		}, nil},
		{"stdout_only.txt", []model.FuserHit{{Path: "/guarded_path", PID: 1011}, {Path: "/guarded_path", PID: 2345}, {Path: "/guarded_path", PID: 2346}}, nil},
		{"stdout_only_noname.txt", []model.FuserHit{{PID: 1011}, {PID: 2345}}, []string{"without the name"}},
		{"psmisc_verbose_m.txt", []model.FuserHit{
			{Path: "/guarded_path", User: "root", Kernel: "mount", Command: "/guarded_path"},
			{Path: "/guarded_path", PID: 2199, Access: "c", User: "root", Command: "bash"},
			{Path: "/guarded_path", PID: 4410, Access: "F", User: "oracle", Command: "ora_dbw0_ORCL"},
			{Path: "/guarded_path", PID: 4411, Access: "rce", User: "oracle", Command: "oracle"},
			{Path: "/dev/fuse", User: "root", Kernel: "mount", Command: "/dev/fuse"},
		}, []string{":7: not a fuser line: \"Cannot open /proc/net/unix: Permission denied\""}},
		{"user_u.txt", []model.FuserHit{{Path: "/guarded_path", PID: 2199, Access: "c", User: "root"}, {Path: "/guarded_path", PID: 3012, Access: "e", User: "oracle"}}, nil},
		{"aix_c_u.txt", []model.FuserHit{{Path: "/home", PID: 6357110, Access: "c", User: "root"}, {Path: "/home", PID: 7209010, User: "db2inst1"}, {Path: "/home", PID: 7340102, Access: "s"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			m, ws := parseString(t, "fuser", "bundle/"+c.file, readTestdata(t, "fuser", c.file))
			var got []model.FuserHit
			for _, h := range m.Fuser {
				if h.Src.Line == 0 || h.Src.Text == "" {
					t.Errorf("hit without source: %+v", h)
				}
				h.Src = model.Source{}
				got = append(got, h)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
			if len(ws) != len(c.warnings) {
				t.Fatalf("warnings:\n%swant %d", kernWarnText(ws), len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(ws[i].Error(), w) {
					t.Errorf("warning %q does not contain %q", ws[i].Error(), w)
				}
			}
		})
	}
}

func TestModulesVariants(t *testing.T) {
	type mod struct {
		Name      string
		Size      int64
		Ref       int
		UsedBy    []string
		Permanent bool
		State     string
		Taint     string
		Path      string
		Order     int
	}
	cases := []struct {
		parser, file string
		want         []mod
		warnings     []string
	}{
		{"lsmod", "lsmod.txt", []mod{
			{"lshook", 61440, 2, nil, false, "", "", "", 8},
			{"nf_conntrack_netlink", 45056, 0, nil, false, "", "", "", 7},
			{"secfs2", 753664, 5, nil, false, "", "", "", 6},
			{"fuse", 167936, 3, nil, false, "", "", "", 5},
			{"adminfs", 28672, 1, []string{"lshook"}, false, "", "", "", 4},
			{"ipv6", 557056, -1, nil, false, "", "", "", 3},
			{"crc32c_intel", 24576, 0, nil, true, "", "", "", 2},
			{"xfs", 1478656, 2, nil, false, "", "", "", 1},
			{"libcrc32c", 16384, 2, []string{"xfs", "nf_conntrack"}, true, "", "", "", 0},
		}, nil},
		{"proc-modules", "proc_modules.txt", []mod{
			{"lshook", 61440, 2, nil, false, "Live", "POE", "", 4},
			{"secfs2", 753664, 5, nil, false, "Unloading", "OE", "", 3},
			{"fuse", 167936, 3, nil, false, "Live", "", "", 2},
			{"nf_conntrack", 139264, 2, []string{"nf_conntrack_netlink", "xt_conntrack"}, false, "Live", "", "", 1},
			{"crc32c_intel", 24576, 0, nil, true, "Live", "", "", 0},
		}, []string{":6: not a module line: \"bad line here\""}},
		{"genkex", "genkex.txt", []mod{
			{"nails_hook", 0xd000, -1, nil, false, "", "", "/usr/lib/drivers/nails_hook", 3},
			{"secfs2", 0x2b000, -1, nil, false, "", "", "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec/mod/secfs2", 2},
			{"smt_loadpin", 0x3000, -1, nil, false, "", "", "/usr/lib/drivers/smt_loadpin", 1},
			{"bpf", 0xd000, -1, nil, false, "", "", "/usr/lib/drivers/bpf", 0},
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			m, ws := parseString(t, c.parser, "host/"+c.file, readTestdata(t, "modules", c.file))
			var got []mod
			for _, x := range m.Modules {
				if x.Src.Line == 0 || x.Src.Text == "" {
					t.Errorf("module without source: %+v", x)
				}
				got = append(got, mod{x.Name, x.Size, x.RefCount, x.UsedBy, x.Permanent, x.State, x.Taint, x.Path, x.LoadOrder})
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
			if len(ws) != len(c.warnings) {
				t.Fatalf("warnings:\n%swant %d", kernWarnText(ws), len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(ws[i].Error(), w) {
					t.Errorf("warning %q does not contain %q", ws[i].Error(), w)
				}
			}
		})
	}
}

// ModulesLoadedAfter must see the modules listed above the agent's in
// lsmod (loaded later) and none of those below it.
func TestModulesLoadOrderFeedsModulesLoadedAfter(t *testing.T) {
	for _, c := range []struct{ parser, file, agent string }{
		{"lsmod", "lsmod.txt", "secfs2"},
		{"proc-modules", "proc_modules.txt", "secfs2"},
		{"genkex", "genkex.txt", "secfs2"},
	} {
		m, _ := parseString(t, c.parser, c.file, readTestdata(t, "modules", c.file))
		var names []string
		for _, x := range m.ModulesLoadedAfter(c.agent) {
			names = append(names, x.Name)
		}
		want := map[string][]string{
			"lsmod.txt":        {"lshook", "nf_conntrack_netlink"},
			"proc_modules.txt": {"lshook"},
			"genkex.txt":       {"nails_hook"},
		}[c.file]
		if !reflect.DeepEqual(names, want) {
			t.Errorf("%s: ModulesLoadedAfter(%s) = %v, want %v", c.file, c.agent, names, want)
		}
	}
}

func TestSlabVariants(t *testing.T) {
	type s struct {
		Series         string
		Sample         int64 // int64 so a date-stamped sample number compiles on 32-bit too
		Cache          string
		Active, N, Obj int64
	}
	cases := []struct {
		parser, path, file string
		want               []s
		warnings           []string
	}{
		{"slabtop", "b/slabtop-2.out", "slabtop-2.out", []s{
			{"b/slabtop", 2, "buffer_head", 542130, 592605, 102},
			{"b/slabtop", 2, "names_cache", 280000, 280064, 4096},
			{"b/slabtop", 2, "dentry", 98000, 98040, 195},
		}, nil},
		{"slabinfo", "b/proc/slabinfo", "slabinfo.txt", []s{
			{"b/proc/slabinfo", 1, "names_cache", 128, 128, 4096},
			{"b/proc/slabinfo", 1, "fuse_inode", 39, 39, 832},
			{"b/proc/slabinfo", 1, "kmalloc-64", 5632, 5632, 64},
			{"b/proc/slabinfo", 1, "sw_flow", 0, 0, 1256},
		}, []string{":6: slab cache sw_flow: unexpected columns (18 fields)"}},
		{"slabinfo", "b/slabinfo.20240101-1200", "slabinfo.txt", []s{
			{"b/slabinfo", 202401011200, "names_cache", 128, 128, 4096},
			{"b/slabinfo", 202401011200, "fuse_inode", 39, 39, 832},
			{"b/slabinfo", 202401011200, "kmalloc-64", 5632, 5632, 64},
			{"b/slabinfo", 202401011200, "sw_flow", 0, 0, 1256},
		}, []string{"unexpected columns"}},
		{"slabinfo", "b/slabinfo-3.txt", "slabinfo_repeated.txt", []s{
			{"b/slabinfo-3.txt", 1, "names_cache", 128, 128, 4096},
			{"b/slabinfo-3.txt", 1, "dentry", 98000, 98100, 192},
			{"b/slabinfo-3.txt", 2, "names_cache", 9000, 9000, 4096},
			{"b/slabinfo-3.txt", 2, "dentry", 97500, 98100, 192},
			{"b/slabinfo-3.txt", 3, "names_cache", 61000, 61000, 4096},
			{"b/slabinfo-3.txt", 3, "dentry", 98200, 98300, 192},
		}, []string{":1: not a slab cache line", ":6: not a slab cache line", ":11: not a slab cache line"}},
		{"slabtop", "b/sos_commands/memory/slabtop_-o", "slabtop_permission_denied.txt", nil,
			[]string{":1: slab capture failed: \"fopen /proc/slabinfo: Permission denied\""}},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			m, ws := parseString(t, c.parser, c.path, readTestdata(t, "slab", c.file))
			var got []s
			for _, x := range m.Slabs {
				if x.Src.Line == 0 || x.Src.Text == "" {
					t.Errorf("sample without source: %+v", x)
				}
				got = append(got, s{x.Series, int64(x.Sample), x.Cache, x.ActiveObjs, x.NumObjs, x.ObjSize})
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
			if len(ws) != len(c.warnings) {
				t.Fatalf("warnings:\n%swant %d", kernWarnText(ws), len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(ws[i].Error(), w) {
					t.Errorf("warning %q does not contain %q", ws[i].Error(), w)
				}
			}
		})
	}
}

// Three numbered slabtop files form one series in which names_cache grows
// at every sample and dentry only fluctuates.
func TestSlabSeriesAcrossNumberedFiles(t *testing.T) {
	all := &model.Model{}
	for _, f := range []string{"slabtop-3.out", "slabtop-1.out", "slabtop-2.out"} { // bundle order is not time order
		m, ws := parseString(t, "slabtop", "sosreport-x/"+f, readTestdata(t, "slab", f))
		if len(ws) != 0 {
			t.Fatalf("%s: %v", f, ws)
		}
		all.Merge(m)
	}
	g := all.SlabGrowth("names_cache")
	if g.Series != "sosreport-x/slabtop" || len(g.Samples) != 3 || !g.Monotonic || g.First != 160000 || g.Last != 480000 || g.DeltaBytes != 320000*4096 {
		t.Errorf("names_cache growth = %+v", g)
	}
	if d := all.SlabGrowth("dentry"); d.Monotonic || len(d.Samples) != 3 {
		t.Errorf("dentry = %+v, want three samples, not monotonic", d)
	}
	m, _ := parseString(t, "slabinfo", "b/slabinfo.txt", readTestdata(t, "slab", "slabinfo_repeated.txt"))
	if g := m.SlabGrowth("names_cache"); !g.Monotonic || g.Delta != 61000-128 {
		t.Errorf("blocks in one file: names_cache = %+v", g)
	}
}

func TestKernSeries(t *testing.T) {
	cases := []struct {
		path, series string
		n            int64
		ok           bool
	}{
		{"slabtop-1.out", "slabtop", 1, true},
		{"a/b/slabtop.2", "a/b/slabtop", 2, true},
		{"slabinfo.20240101-1200", "slabinfo", 202401011200, true},
		{"slabinfo_20240101.txt", "slabinfo", 20240101, true},
		{"slabtop3.txt", "slabtop", 3, true},
		{"sos_commands/memory/slabtop_-o", "", 0, false},
		{"proc/slabinfo", "", 0, false},
		{"insights_proc_slabinfo_v21.txt", "", 0, false},
		{"2024.txt", "", 0, false},
	}
	for _, c := range cases {
		s, n, ok := kernSeries(c.path)
		if s != c.series || n != c.n || ok != c.ok {
			t.Errorf("kernSeries(%q) = %q, %d, %v; want %q, %d, %v", c.path, s, n, ok, c.series, c.n, c.ok)
		}
	}
}

func TestKernelIdentify(t *testing.T) {
	cases := []struct {
		path, content string
		kind          Kind
		parser, by    string
	}{
		// Real sos and insights paths (shared/corpus/PROVENANCE.md, FORMATS.md §16).
		{"sosreport-h/sos_commands/filesys/lsof_-b_M_-n_-l_-P", "", "lsof", "lsof", ByPath},
		{"sosreport-h/sos_commands/process/lsof_M_-n_-l_-c", "", "lsof", "lsof", ByPath},
		{"sosreport-h/sos_commands/process/lsof_M_-n_-l", "", "lsof", "lsof", ByPath},
		{"sosreport-h/sos_commands/process/lsof_-b_M_-n_-l", "", "lsof", "lsof", ByPath},
		{"sosreport-h/lsof", "", "lsof", "lsof", ByPath},
		{"insights/insights_commands/lsof", "", "lsof", "lsof", ByPath},
		{"collect/lsof-guard.out", "", "lsof", "lsof", ByPath},
		{"sosreport-h/sos_commands/kernel/lsmod", "Module                  Size  Used by\n", "modules", "lsmod", ByPath},
		{"sosreport-h/lsmod", "", "modules", "lsmod", ByPath},
		{"sosreport-h/proc/modules", "fuse 167936 3 - Live 0x0000000000000000\n", "modules", "proc-modules", ByPath},
		{"snap/kernel/genkex.out", "", "modules", "genkex", ByPath},
		{"sosreport-h/proc/slabinfo", "", "slab", "slabinfo", ByPath},
		{"sosreport-h/sos_commands/memory/slabtop_-o", "", "slab", "slabtop", ByPath},
		{"collect/slabtop-1.out", "", "slab", "slabtop", ByPath},
		{"collect/slabtop.2", "", "slab", "slabtop", ByPath},
		{"collect/slabinfo.20240101-1200", "", "slab", "slabinfo", ByPath},
		{"collect/fuser_guarded.txt", "", "fuser", "fuser", ByPath},
		{"collect/fuser-vm.out", "", "fuser", "fuser", ByPath},
		// Unhelpful names: content decides.
		{"case123/output1.txt", readTestdata(t, "lsof", "seed_grep.txt"), "lsof", "lsof", ByContent},
		{"case123/output2.txt", readTestdata(t, "lsof", "sos_indented_header.txt"), "lsof", "lsof", ByContent},
		{"case123/output3.txt", readTestdata(t, "fuser", "seed_combined.txt"), "fuser", "fuser", ByContent},
		{"case123/output4.txt", readTestdata(t, "fuser", "psmisc_verbose_m.txt"), "fuser", "fuser", ByContent},
		{"case123/output5.txt", readTestdata(t, "modules", "lsmod.txt"), "modules", "lsmod", ByContent},
		{"case123/output6.txt", readTestdata(t, "modules", "proc_modules.txt"), "modules", "proc-modules", ByContent},
		{"snap/kernel/kernel.snap", "some heading\n" + readTestdata(t, "modules", "genkex.txt"), "modules", "genkex", ByContent},
		{"case123/output8.txt", readTestdata(t, "slab", "slabtop-1.out"), "slab", "slabtop", ByContent},
		{"case123/output9.txt", readTestdata(t, "slab", "slabinfo.txt"), "slab", "slabinfo", ByContent},
	}
	for _, c := range cases {
		var head *Head
		if c.content != "" {
			head = NewHead([]byte(c.content))
		}
		id := Identify(c.path, head)
		name := ""
		if id.Parser != nil {
			name = id.Parser.Name
		}
		if id.Kind != c.kind || name != c.parser || id.By != c.by {
			t.Errorf("Identify(%q) = %s/%s by %s; want %s/%s by %s", c.path, id.Kind, name, id.By, c.kind, c.parser, c.by)
		}
	}
	// Other text must not be taken for these formats.
	for _, other := range []string{
		"Filesystem     1K-blocks    Used Available Use% Mounted on\n/dev/sda1 100 50 50 50% /\n",
		"USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         1  0.0  0.1 171820 11456 ?        Ss   Nov20   0:05 /sbin/init\n",
		"/dev/sda1: UUID=\"1234\" TYPE=\"ext4\"\n",
		"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n",
	} {
		id := Identify("case/other.txt", NewHead([]byte(other)))
		switch id.Kind {
		case "lsof", "fuser", "modules", "slab":
			t.Errorf("%q identified as %s", other, id.Kind)
		}
	}
}

// Regression (FuzzFuser): a warning quoting a long line must not cut a
// character in two.
func TestKernShortKeepsUTF8(t *testing.T) {
	s := quotedExcerpt(strings.Repeat("0", 34) + strings.Repeat("\uFFFD", 40))
	if !utf8.ValidString(s) || !strings.HasSuffix(s, `..."`) {
		t.Errorf("quotedExcerpt = %q", s)
	}
}

// Regression (FuzzModules): a malformed taint field is quoted in a warning
// as clean text, never as raw bytes.
func TestModulesBadTaintWarningIsClean(t *testing.T) {
	m, ws := parseString(t, "proc-modules", "proc/modules", "0 0 0 0 Live 0x \xd5\n")
	if len(m.Modules) != 1 || len(ws) != 1 || !utf8.ValidString(ws[0].Msg) || !strings.Contains(ws[0].Msg, "unexpected taint field") {
		t.Fatalf("modules %+v, warnings %v", m.Modules, ws)
	}
}
