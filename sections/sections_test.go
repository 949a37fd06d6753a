package sections

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// got is one section as Split delivered it.
type got struct {
	Section
	body string
}

func split(t *testing.T, f Format, in string) []got {
	t.Helper()
	var out []got
	err := Split(strings.NewReader(in), f, func(s Section, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("reading section %q: %v", s.Name, err)
		}
		out = append(out, got{s, string(b)})
		return nil
	})
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	return out
}

const scc = `#==[ Command ]======================================#
# /usr/bin/mount
/dev/sda2 on / type btrfs (rw,relatime)
/dev/sdb1 on /data type secfs2 (rw)

#==[ Configuration File ]===========================#
# /proc/mounts
/dev/sda2 / btrfs rw 0 0

#==[ Log File ]=====================================#
# /var/log/messages - Last 500 Lines
2024-03-05T10:00:00 host kernel: hello

#==[ Configuration File ]===========================#
# /etc/foo.conf - File not found

#==[ Note ]=========================================#
# Module Information for secfs2

#==[ Command ]======================================#
# /sbin/lsmod | sort
`

func TestSplitSupportconfig(t *testing.T) {
	secs := split(t, Supportconfig, scc)
	want := []struct {
		banner, name, note, path string
		line, body               int
		bodyPrefix               string
	}{
		{"Command", "/usr/bin/mount", "", "mount", 1, 3, "/dev/sda2 on / type btrfs"},
		{"Configuration File", "/proc/mounts", "", "proc/mounts", 6, 8, "/dev/sda2 / btrfs"},
		{"Log File", "/var/log/messages", "Last 500 Lines", "var/log/messages", 10, 12, "2024-03-05T10:00:00"},
		{"Configuration File", "/etc/foo.conf", "File not found", "etc/foo.conf", 14, 16, "\n"},
		{"Note", "Module Information for secfs2", "", "Module_Information_for_secfs2", 17, 19, "\n"},
		{"Command", "/sbin/lsmod | sort", "", "lsmod_sort", 20, 22, ""},
	}
	if len(secs) != len(want) {
		t.Fatalf("got %d sections, want %d: %+v", len(secs), len(want), secs)
	}
	for i, w := range want {
		s := secs[i]
		if s.Banner != w.banner || s.Name != w.name || s.Note != w.note || s.Path() != w.path || s.Line != w.line || s.Body != w.body {
			t.Errorf("section %d = %+v path %q, want %+v", i, s.Section, s.Path(), w)
		}
		if !strings.HasPrefix(s.body, w.bodyPrefix) {
			t.Errorf("section %d body %q, want prefix %q", i, s.body, w.bodyPrefix)
		}
		if strings.Contains(s.body, "#==[") {
			t.Errorf("section %d body holds a header: %q", i, s.body)
		}
	}
	// Line numbers: the body's lines are the file's lines from Body on.
	lines := strings.Split(scc, "\n")
	if lines[secs[0].Body-1] != "/dev/sda2 on / type btrfs (rw,relatime)" {
		t.Errorf("body line %d of the file is %q", secs[0].Body, lines[secs[0].Body-1])
	}
}

const snap = `some preamble line
.....
.....    df -k
.....

Filesystem    1024-blocks      Free %Used    Iused %Iused Mounted on
/dev/hd4           524288    311260   41%     6012     8% /
.....
.....    genkex
.....
Text address     Size File
.....
.....    oslevel -s
.....
.....
.....    lslpp -lc
.....
#Package Name:Fileset:Level
.....
not a header: dots then text
`

func TestSplitSnap(t *testing.T) {
	secs := split(t, Snap, snap)
	want := []struct{ name, path, bodyPrefix string }{
		{"", "", "some preamble line\n"},
		{"df -k", "df_-k", "\nFilesystem"},
		{"genkex", "genkex", "Text address"},
		{"oslevel -s", "oslevel_-s", ""},
		{"lslpp -lc", "lslpp_-lc", "#Package Name"},
	}
	if len(secs) != len(want) {
		t.Fatalf("got %d sections, want %d: %+v", len(secs), len(want), secs)
	}
	for i, w := range want {
		if secs[i].Name != w.name || secs[i].Path() != w.path || !strings.HasPrefix(secs[i].body, w.bodyPrefix) {
			t.Errorf("section %d = %q path %q body %q; want %q %q prefix %q", i, secs[i].Name, secs[i].Path(), secs[i].body, w.name, w.path, w.bodyPrefix)
		}
	}
	if secs[0].Line != 1 || secs[1].Line != 2 || secs[1].Body != 5 {
		t.Errorf("lines: preamble %d, df header %d body %d; want 1, 2, 5", secs[0].Line, secs[1].Line, secs[1].Body)
	}
	if last := secs[4].body; !strings.Contains(last, ".....\nnot a header: dots then text\n") {
		t.Errorf("a line of dots not followed by a command must stay output: %q", last)
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Format
	}{
		{"supportconfig", scc, Supportconfig},
		{"supportconfig after blank lines", "\n\n" + scc, Supportconfig},
		{"snap with preamble", snap, Snap},
		{"snap at start", ".....\n.....    mount\n.....\n", Snap},
		{"mount output", "/dev/sda1 on / type ext4 (rw)\n", ""},
		{"banner later in the file", "hello\n" + scc, ""},
		{"dots alone", ".....\n.....\n", ""},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Detect(strings.Split(c.in, "\n")); got != c.want {
				t.Errorf("Detect = %q, want %q", got, c.want)
			}
		})
	}
}

func TestNamePath(t *testing.T) {
	cases := []struct {
		name    string
		command bool
		want    string
	}{
		{"/usr/bin/mount", true, "mount"},
		{"/bin/df -Th", true, "df_-Th"},
		{"/proc/slabinfo", false, "proc/slabinfo"},
		{"cat /proc/slabinfo", true, "proc/slabinfo"},
		{"/etc/init.d/../init.d/nails", false, "etc/init.d/nails"},
		{"/../../etc/passwd", false, "etc/passwd"},
		{"/usr/bin/lsof -b -n -l +fg -P", true, "lsof_-b_-n_-l_fg_-P"},
		// A command's arguments keep no "/": only the program loses its
		// directory, the rest is mangled.
		{"grep -i err /var/log/messages", false, "grep_-i_err_var_log_messages"},
		{"", true, ""},
		{"   ", false, ""},
		{"/var/opt/novell/ncs/POOL1.load", false, "var/opt/novell/ncs/POOL1.load"},
	}
	for _, c := range cases {
		if got := NamePath(c.name, c.command); got != c.want {
			t.Errorf("NamePath(%q, %v) = %q, want %q", c.name, c.command, got, c.want)
		}
	}
	if got := NamePath(strings.Repeat("a ", 1000), true); len(got) > maxPathLen {
		t.Errorf("NamePath of a long command is %d bytes, over %d", len(got), maxPathLen)
	}
}

// TestSplitHostile covers the damaged shapes: a header with no body and no
// name, a header as the last line without a line end, CRLF line ends, a
// line longer than the buffer that starts like a header, and a read error.
func TestSplitHostile(t *testing.T) {
	t.Run("banner as last line", func(t *testing.T) {
		secs := split(t, Supportconfig, "#==[ Command ]===#\n# /bin/mount\nx\n#==[ Command ]===#")
		if len(secs) != 2 || secs[1].Name != "" || secs[1].body != "" || secs[1].Line != 4 {
			t.Fatalf("got %+v", secs)
		}
	})
	t.Run("banners back to back", func(t *testing.T) {
		secs := split(t, Supportconfig, "#==[ Command ]===#\n#==[ Note ]===#\n# hi\n")
		if len(secs) != 2 || secs[0].Name != "" || secs[0].body != "" || secs[1].Name != "hi" {
			t.Fatalf("got %+v", secs)
		}
	})
	t.Run("snap header as last lines", func(t *testing.T) {
		secs := split(t, Snap, ".....\n.....    df -k")
		if len(secs) != 1 || secs[0].Name != "df -k" || secs[0].body != "" {
			t.Fatalf("got %+v", secs)
		}
	})
	t.Run("crlf", func(t *testing.T) {
		secs := split(t, Supportconfig, "#==[ Command ]===#\r\n# /bin/mount\r\na\r\n#==[ Command ]===#\r\n# /bin/df\r\nb\r\n")
		if len(secs) != 2 || secs[0].Name != "/bin/mount" || secs[1].Name != "/bin/df" || secs[1].body != "b\r\n" {
			t.Fatalf("got %+v", secs)
		}
	})
	t.Run("long line that starts like a banner", func(t *testing.T) {
		long := "#==[ Command ]" + strings.Repeat("=", 200<<10) + "#\n"
		secs := split(t, Supportconfig, "#==[ Command ]===#\n# /bin/x\n"+long+"tail\n")
		if len(secs) != 1 || secs[0].body != long+"tail\n" {
			t.Fatalf("got %d sections", len(secs))
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		r := io.MultiReader(strings.NewReader("#==[ Command ]===#\n# /bin/x\nrow\n"), errReader{boom})
		var n int
		err := Split(r, Supportconfig, func(s Section, b io.Reader) error {
			n++
			_, err := io.ReadAll(b)
			return err
		})
		if !errors.Is(err, boom) || n != 1 {
			t.Fatalf("Split = %v after %d sections, want the read error after 1", err, n)
		}
	})
	t.Run("fn error", func(t *testing.T) {
		stop := errors.New("stop")
		err := Split(strings.NewReader(scc), Supportconfig, func(Section, io.Reader) error { return stop })
		if !errors.Is(err, stop) {
			t.Fatalf("Split = %v, want fn's error", err)
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestSplitTooMany(t *testing.T) {
	var b strings.Builder
	for i := 0; i < MaxSections+5; i++ {
		fmt.Fprintf(&b, "#==[ Command ]===#\n# cmd%d\nout\n", i)
	}
	n, last := 0, ""
	err := Split(strings.NewReader(b.String()), Supportconfig, func(s Section, r io.Reader) error {
		n++
		body, _ := io.ReadAll(r)
		last = string(body)
		return nil
	})
	if !errors.Is(err, ErrTooMany) {
		t.Fatalf("Split = %v, want ErrTooMany", err)
	}
	if n != MaxSections {
		t.Fatalf("got %d sections, want %d", n, MaxSections)
	}
	if strings.Count(last, "#==[") != 5 {
		t.Fatalf("the headers past the limit must be read as output of the last section; last body holds %d", strings.Count(last, "#==["))
	}
}

// hugeReader yields n bytes of one section's output: long lines of 'x'.
type hugeReader struct{ left, off int64 }

// hugeLine is one line of the huge section: 1 MiB, longer than any buffer.
var hugeLine = append(bytes.Repeat([]byte("x"), 1<<20-1), '\n')

func (h *hugeReader) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), h.left)], hugeLine[h.off%int64(len(hugeLine)):])
	h.off += int64(n)
	h.left -= int64(n)
	return n, nil
}

// TestSplitHugeSection streams a 1 GiB section through Split and checks
// that memory stays flat: the section is never held.
func TestSplitHugeSection(t *testing.T) {
	const size = 1 << 30
	head := strings.NewReader("#==[ Log File ]===#\n# /var/log/messages\n")
	tail := strings.NewReader("\n#==[ Command ]===#\n# /bin/mount\n/dev/a on / type ext4 (rw)\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var sizes []int64
	var names []string
	err := Split(io.MultiReader(head, &hugeReader{left: size}, tail), Supportconfig, func(s Section, r io.Reader) error {
		n, err := io.CopyBuffer(io.Discard, r, make([]byte, 32<<10))
		sizes = append(sizes, n)
		names = append(names, s.Name)
		return err
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 2 || sizes[0] != size+1 || names[1] != "/bin/mount" {
		t.Fatalf("sections %v of sizes %v", names, sizes)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Fatalf("splitting a 1 GiB section allocated %d MiB; it must stream", grew>>20)
	}
}

func TestSplitEmpty(t *testing.T) {
	if secs := split(t, Supportconfig, ""); len(secs) != 0 {
		t.Fatalf("an empty file gave %d sections", len(secs))
	}
	if secs := split(t, Snap, "text only\n"); len(secs) != 1 || secs[0].Name != "" || !bytes.Equal([]byte(secs[0].body), []byte("text only\n")) {
		t.Fatalf("got %+v", secs)
	}
}
