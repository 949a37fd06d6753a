package parsers

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// mountWant is what a test expects of one parsed mount.
type mountWant struct {
	idx                         int
	device, path, fstype, label string
	opts                        []string
	line                        int
}

func checkMounts(t *testing.T, got []model.Mount, format string, count int, wants []mountWant) {
	t.Helper()
	if len(got) != count {
		t.Fatalf("got %d mounts, want %d: %+v", len(got), count, got)
	}
	for _, m := range got {
		if m.Format != format {
			t.Errorf("mount %q has format %q, want %q", m.Path, m.Format, format)
		}
	}
	for _, w := range wants {
		m := got[w.idx]
		if m.Device != w.device || m.Path != w.path || m.FSType != w.fstype || m.Label != w.label {
			t.Errorf("mount %d = dev %q path %q type %q label %q; want %q %q %q %q",
				w.idx, m.Device, m.Path, m.FSType, m.Label, w.device, w.path, w.fstype, w.label)
		}
		if w.opts != nil && !reflect.DeepEqual(m.Options, w.opts) {
			t.Errorf("mount %d options = %q, want %q", w.idx, m.Options, w.opts)
		}
		if w.line != 0 && m.Src.Line != w.line {
			t.Errorf("mount %d from line %d, want %d", w.idx, m.Src.Line, w.line)
		}
	}
}

func TestMountParse(t *testing.T) {
	cases := []struct {
		name     string
		content  string
		count    int
		warnings int
		wants    []mountWant
	}{
		{
			name:    "mount -l with label, spaces, ' on ' and ' type ' in the path",
			content: readTestdata(t, "mount", "mount_-l_special.txt"),
			count:   6,
			wants: []mountWant{
				{idx: 3, device: "/dev/mapper/HostVG-Config", path: "/etc/shadow", fstype: "ext4", label: "CONFIG",
					opts: []string{"rw", "noatime", "seclabel", "stripe=256", "data=ordered"}, line: 4},
				{idx: 4, device: "/dev/sr0", path: "/run/media/root/VMware Tools", fstype: "iso9660", label: "VMware Tools"},
				{idx: 5, device: "/dev/sr1", path: "/run/media/Disk on C type NFS", fstype: "iso9660", label: "C type Disk"},
			},
		},
		{
			name:    "KB nested mount example, CRLF, no final newline",
			content: "/dev/hda1 on / type ext3 (rw)\r\n/dev/hda2 on /home type ext3 (rw)\r\n/dev/hda3 on /home/user type ext3 (rw)",
			count:   3,
			wants:   []mountWant{{idx: 2, device: "/dev/hda3", path: "/home/user", fstype: "ext3", opts: []string{"rw"}, line: 3}},
		},
		{
			name:     "fuse subtype, quoted context, junk lines warned",
			content:  "gvfsd-fuse on /run/user/1000/gvfs type fuse.gvfsd-fuse (rw,nosuid)\nmount: permission denied\n\ntmpfs on /x type tmpfs (rw,context=\"a:b:s0:c1,c2\")\n/dev/sda1 on /y (rw)\n",
			count:    2,
			warnings: 2,
			wants: []mountWant{
				{idx: 0, device: "gvfsd-fuse", path: "/run/user/1000/gvfs", fstype: "fuse.gvfsd-fuse"},
				{idx: 1, device: "tmpfs", path: "/x", fstype: "tmpfs", opts: []string{"rw", `context="a:b:s0:c1,c2"`}, line: 4},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, warns := parseString(t, "mount", "sos_commands/filesys/mount_-l", c.content)
			checkMounts(t, m.Mounts, "mount", c.count, c.wants)
			if len(warns) != c.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(warns), c.warnings, warns)
			}
			for _, w := range warns {
				if w.Line == 0 || w.Path != "sos_commands/filesys/mount_-l" {
					t.Errorf("warning without file and line: %+v", w)
				}
			}
		})
	}
}

func TestMountSourceKeepsRawLine(t *testing.T) {
	m, _ := parseString(t, "mount", "mount.out", "proc on /proc type proc (rw)\n\x1b[31mevil on /e type ext4 (rw)\n")
	if len(m.Mounts) != 2 {
		t.Fatalf("got %d mounts", len(m.Mounts))
	}
	if got := m.Mounts[1].Src.Text; got != `\x1b[31mevil on /e type ext4 (rw)` {
		t.Errorf("source text %q: escape not made visible", got)
	}
	if m.Mounts[1].Src.Path != "mount.out" || m.Mounts[1].Src.Line != 2 {
		t.Errorf("source %+v", m.Mounts[1].Src)
	}
}

func FuzzMount(f *testing.F) {
	sysAddSeeds(f, "mount")
	f.Add([]byte("a on b type c (d) [e]\nx on  type y ()\n on / type  (\n"))
	f.Fuzz(func(t *testing.T, data []byte) { sysFuzzOne(t, "mount", data) })
}

// BenchmarkMountParse measures mount(8) parsing throughput on a real sos
// capture repeated to about 1 MB.
func BenchmarkMountParse(b *testing.B) {
	benchParser(b, "mount", "mount", "mount_-l_special.txt")
}

// benchParser runs a parser over a testdata file repeated to ~1 MB.
func benchParser(b *testing.B, parser, kind, file string) {
	one := readTestdata(b, kind, file)
	data := strings.Repeat(one, 1<<20/len(one)+1)
	p := Lookup(parser)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := NewInputString("bench", data)
		p.Parse(in, &model.Model{})
	}
}
