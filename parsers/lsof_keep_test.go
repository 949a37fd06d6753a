package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/s2"

	"github.com/fsagent/triage/model"
)

// TestLsofKeepOpenFilesUnder checks that a limited input keeps exactly the
// rows inside the given directories (lsof's notes and path cleaning
// considered) and counts the others.
func TestLsofKeepOpenFilesUnder(t *testing.T) {
	const columns = `COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME
bash     2199 root  cwd    DIR  253,0     4096 10977282 /data
bash     2199 root  txt    REG  253,0  1150704  1048600 /usr/bin/bash
oracle   3301 oracle  3u   REG  253,2    81920   131074 /data/db/users01.dbf
oracle   3301 oracle  4u   REG  253,2    81920   131075 /data/db/temp01.dbf (deleted)
oracle   3301 oracle  5u  IPv4  41234      0t0      TCP 10.0.0.1:1521->10.0.0.9:40022 (ESTABLISHED)
oracle   3301 oracle  6u  unix 0xffff8d72b9861400 0t0 88123 type=STREAM
java     4410 app     7r   REG  253,0     1024   200001 /database/x.dat
java     4410 app     8r   REG  253,0     1024   200002 /data/../etc/passwd
java     4410 app     9r   REG  253,0     1024   200003 /data2/y
java     4410 app    10r   DIR  253,0     4096   200004 /data (stat: Permission denied)
`
	const fields = "p2199\ncbash\nfcwd\ntDIR\nn/data/home\nftxt\ntREG\nn/usr/bin/bash\nf3u\ntIPv4\nnlocalhost:22\n"
	tests := []struct {
		name      string
		in        string
		dirs      []string
		limit     bool
		want      []string // kept names
		lines     int
		unkept    int
		wantStats bool
	}{
		{name: "no limit keeps every row", in: columns, want: []string{"/data", "/usr/bin/bash", "/data/db/users01.dbf", "/data/db/temp01.dbf",
			"10.0.0.1:1521->10.0.0.9:40022 (ESTABLISHED)", "type=STREAM", "/database/x.dat", "/data/../etc/passwd", "/data2/y", "/data"}},
		{name: "under /data", in: columns, dirs: []string{"/data"}, limit: true,
			want:  []string{"/data", "/data/db/users01.dbf", "/data/db/temp01.dbf", "/data"},
			lines: 11, unkept: 6, wantStats: true},
		{name: "root keeps every path", in: columns, dirs: []string{"/"}, limit: true,
			want:  []string{"/data", "/usr/bin/bash", "/data/db/users01.dbf", "/data/db/temp01.dbf", "/database/x.dat", "/data/../etc/passwd", "/data2/y", "/data"},
			lines: 11, unkept: 2, wantStats: true},
		{name: "no guard point keeps nothing", in: columns, dirs: nil, limit: true,
			want: nil, lines: 11, unkept: 10, wantStats: true},
		{name: "field output", in: fields, dirs: []string{"/data"}, limit: true,
			want: []string{"/data/home"}, lines: 11, unkept: 2, wantStats: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInputString("lsof.out", tc.in)
			if tc.limit {
				in.KeepOpenFilesUnder(tc.dirs)
			}
			var m model.Model
			parseLsof(in, &m)
			var got []string
			for _, f := range m.OpenFiles.Facts() {
				got = append(got, f.Name)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("kept %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("kept %q, want %q", got, tc.want)
				}
			}
			if !tc.wantStats {
				if len(m.LogStats) != 0 {
					t.Fatalf("unlimited parse added stats %+v", m.LogStats)
				}
				return
			}
			if len(m.LogStats) != 1 {
				t.Fatalf("stats = %+v, want one lsof entry", m.LogStats)
			}
			s := m.LogStats[0]
			if s.Kind != "lsof" || s.Lines != tc.lines || s.Kept != len(tc.want) || s.Unkept != tc.unkept || s.Src.Path != "lsof.out" {
				t.Fatalf("stats = %+v, want lines %d kept %d unkept %d", s, tc.lines, len(tc.want), tc.unkept)
			}
		})
	}
}

// BenchmarkLsofGuarded is BenchmarkLsof as the pipeline runs it: "guard"
// when the mount table came first and only rows inside the guard point are
// kept (3 of 8 rows here), "paths" when it did not and rows naming a path
// are kept (7 of 8); "quiet" when no row lies inside the guard point, as on
// most hosts; "late" when the guard point became known only after lsof
// was read (lsof stored before the mount table): the rows naming a path
// are spooled, and the finish parses them again for the guard point.
func BenchmarkLsofGuarded(b *testing.B) {
	data := genLsof(benchSize())
	for _, bc := range []struct {
		name string
		dirs []string
		late bool // dirs become known after the read
	}{
		{"guard", []string{"/guarded_path"}, false},
		{"paths", []string{"/"}, false},
		{"quiet", []string{"/secure"}, false},
		{"late", []string{"/guarded_path"}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := Lookup("lsof")
			final := &model.Model{}
			for _, d := range bc.dirs {
				final.Mounts = append(final.Mounts, model.Mount{Device: d, Path: d, FSType: "secfs2"})
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := kernCPUTime()
			for i := 0; i < b.N; i++ {
				in := NewInput("sosreport-h/sos_commands/process/lsof_M_-n_-l", bytes.NewReader(data))
				if bc.late {
					in.SetDeps(&model.Model{})
				} else {
					in.KeepOpenFilesUnder(bc.dirs)
				}
				m := &model.Model{}
				p.Parse(in, m)
				ws := in.Warnings()
				if bc.late {
					fin := in.Deferred()
					if fin == nil {
						b.Fatal("nothing deferred")
					}
					ws = append(ws, fin(final, m)...)
				}
				if (len(m.OpenFiles) == 0) != (bc.name == "quiet") || len(m.LogStats) != 1 || m.LogStats[0].Unkept == 0 || len(ws) != 0 {
					b.Fatalf("kept %d, stats %+v, warnings %v", len(m.OpenFiles), m.LogStats, ws)
				}
			}
			b.StopTimer()
			if used := kernCPUTime() - cpu; used > 0 {
				b.ReportMetric(float64(len(data))*float64(b.N)/1e6/used.Seconds(), "MB/cpu-s")
			}
		})
	}
}

// FuzzLsofKeep checks that limiting lsof to a directory never loses a row
// that OpenFilesUnder would return for it, and that every row left out is
// counted.
func FuzzLsofKeep(f *testing.F) {
	f.Add("COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\nbash 1 root cwd DIR 8,1 4096 2 /data\nsh 2 root 3u REG 8,1 0 3 /data//x/../y (deleted)\nsh 2 root 4u IPv4 1 0t0 TCP *:22\n")
	f.Add("p1\ncbash\nfcwd\nn/data/./a\nf3u\nn/database\n")
	f.Add("bash 1 root cwd DIR 8,1 4096 2 /data (stat: Permission denied)\nvi 3 u 5r REG 8,1 1 4 /data/.swp\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, dir := range []string{"/data", "/"} {
			var all, some model.Model
			parseLsof(NewInputString("lsof.out", s), &all)
			in := NewInputString("lsof.out", s)
			in.KeepOpenFilesUnder([]string{dir})
			parseLsof(in, &some)
			want, got := all.OpenFilesUnder(dir), some.OpenFilesUnder(dir)
			if len(got) != len(want) {
				t.Fatalf("under %s: kept %d of the %d rows inside it", dir, len(got), len(want))
			}
			for i := range got {
				if got[i].Src != want[i].Src || got[i].Name != want[i].Name {
					t.Fatalf("under %s: row %d is %+v, want %+v", dir, i, got[i], want[i])
				}
			}
			unkept := 0
			for _, st := range some.LogStats {
				unkept += st.Unkept
			}
			if len(some.OpenFiles)+unkept != len(all.OpenFiles) {
				t.Fatalf("under %s: kept %d + unkept %d != %d rows", dir, len(some.OpenFiles), unkept, len(all.OpenFiles))
			}
			// Read before the guard point was known, then finished.
			var late model.Model
			in = NewInputString("lsof.out", s)
			in.SetDeps(&model.Model{})
			parseLsof(in, &late)
			if fin := in.Deferred(); fin != nil {
				fin(&model.Model{Mounts: []model.Mount{{Device: dir, Path: dir, FSType: "secfs2"}}}, &late)
			}
			if got := late.OpenFilesUnder(dir); len(got) != len(want) {
				t.Fatalf("under %s, known late: kept %d of the %d rows inside it", dir, len(got), len(want))
			} else {
				for i := range got {
					if got[i].Src != want[i].Src || got[i].Name != want[i].Name {
						t.Fatalf("under %s, known late: row %d is %+v, want %+v", dir, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestLsofDeferred: given the guard points known so far, lsof keeps the
// rows inside them, holds the other path rows until every guard point is
// known, then keeps those inside the late ones, in line order; rows beyond
// the memory held for them are counted as lost, with a warning naming the
// line from which rows may be missing.
func TestLsofDeferred(t *testing.T) {
	var b strings.Builder
	b.WriteString("COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	for i := 0; i < 40; i++ {
		dir := [...]string{"/data", "/late", "/usr/lib"}[i%3]
		fmt.Fprintf(&b, "bash     %4d root  cwd    DIR  253,0     4096 10977282 %s/f%d\n", 2000+i, dir, i)
	}
	b.WriteString("sshd      901 root    3u  IPv4  41234      0t0      TCP *:ssh (LISTEN)\n")
	known := &model.Model{Mounts: []model.Mount{{Device: "/data", Path: "/data", FSType: "secfs2"}}}
	final := &model.Model{Mounts: append(known.Mounts, model.Mount{Device: "/late", Path: "/late", FSType: "secfs2"})}
	tests := []struct {
		name     string
		spoolMax int
		kept     int // rows of /data and /late kept
		lost     int
	}{
		{name: "all held", kept: 27},
		// 300 bytes hold the header and four rows: two under /late.
		{name: "budget spent after a few rows", spoolMax: 300, kept: 14 + 2, lost: 26 - 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInputString("lsof.out", b.String())
			in.SetDeps(known)
			in.spoolMax = tc.spoolMax
			var m model.Model
			parseLsof(in, &m)
			if len(m.LogStats) != 1 || m.LogStats[0].Kept != 14 {
				t.Fatalf("stats %+v while reading, want the 14 rows under /data kept", m.LogStats)
			}
			fin := in.Deferred()
			if fin == nil {
				t.Fatal("nothing deferred")
			}
			ws := fin(final, &m)
			last := 0
			for _, f := range m.OpenFiles.Facts() {
				if f.Src.Line <= last || !(strings.HasPrefix(f.Name, "/data/") || strings.HasPrefix(f.Name, "/late/")) {
					t.Fatalf("rows out of order or outside the guard points: %+v", m.OpenFiles)
				}
				last = f.Src.Line
			}
			st := m.LogStats[0]
			if len(m.OpenFiles) != tc.kept || st.Kept != tc.kept || st.Lost != tc.lost || st.Kept+st.Unkept+st.Lost != 41 {
				t.Fatalf("kept %d, stats %+v; want kept %d lost %d of 41 rows", len(m.OpenFiles), st, tc.kept, tc.lost)
			}
			if want := []string{"/data", "/late"}; !slices.Equal(st.KeptUnder, want) {
				t.Fatalf("kept under %q, want %q", st.KeptUnder, want)
			}
			if (len(ws) > 0) != (tc.lost > 0) || tc.lost > 0 && !strings.Contains(ws[0].Msg, "guard point /late became") ||
				tc.lost > 0 && !strings.Contains(ws[0].Msg, fmt.Sprintf("%d rows naming a path from this line on were beyond the %d B", tc.lost, tc.spoolMax)) {
				t.Fatalf("warnings %v", ws)
			}
			if len(m.OpenFileTallies) != 1 || m.OpenFileTallies[0].Listening != 1 {
				t.Fatalf("tallies %+v, want the listening socket", m.OpenFileTallies)
			}
		})
	}
}

// TestLsofParallel: a large lsof parsed in batches on every core gives the
// same facts, counts, tallies, held rows and warnings, in the same order, as
// one parsed on one goroutine, with or without guard points to keep.
func TestLsofParallel(t *testing.T) {
	b := largeLsof()
	known := &model.Model{Mounts: []model.Mount{{Device: "/data", Path: "/data", FSType: "secfs2"}}}
	final := &model.Model{Mounts: append(known.Mounts, model.Mount{Device: "/late", Path: "/late", FSType: "secfs2"})}
	for _, tc := range []struct {
		name     string
		deps     *model.Model
		spoolMem int
		crlf     bool
		chunk    int // the reader lends chunks of this size (LendChunks)
	}{{"alone", nil, 0, false, 0}, {"guard points known in part", known, 0, false, 0}, {"held rows spooled to a file", known, 1, false, 0},
		{"CRLF line ends", known, 0, true, 0}, {"chunks lent", known, 0, false, 4093}, {"chunks lent, CRLF", nil, 0, true, 1<<16 + 5}} {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]model.Model
			var warns [2][]Warning
			for i, serial := range []bool{true, false} {
				text := b.String()
				if tc.crlf {
					text = strings.ReplaceAll(text, "\n", "\r\n")
				}
				in := NewInputString("lsof.out", text)
				if tc.chunk > 0 {
					lender := &stringChunks{s: text, n: tc.chunk}
					in = NewInput("lsof.out", lender)
					in.LendChunks(lender)
				}
				in.serial = serial
				in.spoolMem = tc.spoolMem
				if tc.deps != nil {
					in.SetDeps(tc.deps)
				}
				parseLsof(in, &got[i])
				if fin := in.Deferred(); fin != nil {
					in.warnings = append(in.warnings, fin(final, &got[i])...)
				}
				warns[i] = in.Warnings()
			}
			if len(got[0].OpenFiles) < 1000 {
				t.Fatalf("only %d rows kept", len(got[0].OpenFiles))
			}
			long := 0
			for _, f := range got[1].OpenFiles.Facts() {
				if len(f.Name) > 1<<16 {
					long++
					if want := "/data/" + strings.Repeat("x", 1<<16); !strings.HasPrefix(f.Name, want) || f.FD != "cwd" || f.Node != "10977282" || !strings.HasSuffix(f.Src.Text, f.Name) {
						t.Fatalf("long row: fd %q node %q name %d bytes", f.FD, f.Node, len(f.Name))
					}
				}
			}
			if long != 2 {
				t.Fatalf("%d long rows kept, want 2", long)
			}
			// Rows are packed into place on every core: each is in line
			// order and holds the fields of its own line.
			prev := 0
			for i, f := range got[1].OpenFiles.Facts() {
				if f.Src.Line <= prev || !strings.HasSuffix(strings.TrimRight(f.Src.Text, "\r"), f.Name) ||
					!strings.Contains(f.Src.Text, fmt.Sprintf(" %d ", f.PID)) {
					t.Fatalf("row %d (line %d after %d): pid %d name %q from %q", i, f.Src.Line, prev, f.PID, f.Name, f.Src.Text)
				}
				prev = f.Src.Line
			}
			// The same facts; the rows may be stored differently (batches
			// squeeze their lines, see model.SqueezeLine).
			if a, b := got[0].OpenFiles.Facts(), got[1].OpenFiles.Facts(); !reflect.DeepEqual(a, b) {
				for i := range min(len(a), len(b)) {
					if !reflect.DeepEqual(a[i], b[i]) {
						t.Fatalf("%d and %d rows; row %d differs:\n%+v\n%+v", len(a), len(b), i, a[i], b[i])
					}
				}
				t.Fatalf("%d rows serially, %d in parallel", len(a), len(b))
			}
			if !reflect.DeepEqual(got[0].LogStats, got[1].LogStats) || !reflect.DeepEqual(got[0].OpenFileTallies, got[1].OpenFileTallies) {
				t.Fatalf("stats or tallies differ:\n%+v %+v\n%+v %+v", got[0].LogStats, got[0].OpenFileTallies, got[1].LogStats, got[1].OpenFileTallies)
			}
			if !reflect.DeepEqual(warns[0], warns[1]) || len(warns[0]) == 0 {
				t.Fatalf("warnings differ:\n%v\n%v", warns[0], warns[1])
			}
		})
	}
}

// TestLsofWorkerPanics: a panic on a worker goroutine (a held frame; for a
// batch of rows see TestBatchWorkerPanics) is caught there and handed
// back, never ending the process.
func TestLsofWorkerPanics(t *testing.T) {
	f := s2.Encode(nil, []byte("rec"))
	var buf struct{ dec, raw []byte }
	err := safeFrame(func(int, []byte) error { panic("boom") }, 0, spoolFrame{b: f, n: len(f)}, nil, &buf)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("frame panic not turned into an error: %v", err)
	}
}

// TestLsofTallyByType: rows left out are tallied once per type, a type
// with bytes that Clean escapes included (each such row made a tally of
// its own, and every row then searched them all).
func TestLsofTallyByType(t *testing.T) {
	var b strings.Builder
	b.WriteString("COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	for i := range 5 {
		fmt.Fprintf(&b, "odd     %4d root   3u   \x01x    0,9        0     1234 anon_inode\n", 100+i)
		fmt.Fprintf(&b, "sshd    %4d root   4u   IPv4 41234      0t0      TCP *:22 (LISTEN)\n", 200+i)
	}
	in := NewInputString("lsof.out", b.String())
	in.KeepOpenFilesUnder([]string{"/data"})
	var m model.Model
	Lookup("lsof").Parse(in, &m)
	if len(m.OpenFileTallies) != 2 {
		t.Fatalf("tallies %+v, want one per type", m.OpenFileTallies)
	}
	for _, tl := range m.OpenFileTallies {
		if tl.Rows != 5 || tl.Processes != 5 {
			t.Errorf("tally %+v: want 5 rows of 5 processes", tl)
		}
	}
}

// TestLsofReplayCleanedNames: rows held for a guard point named late are
// kept when their cleaned name lies inside it, though the raw name does not
// start with it, and only then (the replay's first pass skips rows by a
// substring of the guard point before it splits them).
func TestLsofReplayCleanedNames(t *testing.T) {
	var b strings.Builder
	b.WriteString("COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	names := []string{"/x/../srv/late/a", "/srv//late/b", "/srv/./late/c", "/srv/lately/d", "/usr/late/e", "/usr/lib/f", "/srv/late"}
	for i, n := range names {
		fmt.Fprintf(&b, "bash     %4d root  cwd    DIR  253,0     4096 10977282 %s\n", 2000+i, n)
	}
	known := &model.Model{Mounts: []model.Mount{{Device: "/data", Path: "/data", FSType: "secfs2"}}}
	final := &model.Model{Mounts: append(known.Mounts, model.Mount{Device: "/srv/late", Path: "/srv/late", FSType: "secfs2"})}
	in := NewInputString("lsof.out", b.String())
	in.SetDeps(known)
	var m model.Model
	parseLsof(in, &m)
	fin := in.Deferred()
	if fin == nil {
		t.Fatal("nothing deferred")
	}
	if ws := fin(final, &m); len(ws) != 0 {
		t.Fatalf("warnings %v", ws)
	}
	var got []string
	for _, f := range m.OpenFiles.Facts() {
		got = append(got, f.Name)
	}
	if want := []string{"/x/../srv/late/a", "/srv//late/b", "/srv/./late/c", "/srv/late"}; !slices.Equal(got, want) {
		t.Fatalf("kept %q, want %q", got, want)
	}
	if st := m.LogStats[0]; st.Kept != 4 || st.Unkept != 3 {
		t.Fatalf("stats %+v, want 4 kept and 3 left out", st)
	}
}

// TestLsofSpoolToFile: held rows past the in-memory share of the spool go
// to a temporary file that is already unlinked, and are read back whole;
// without a writable temporary directory they stay in memory.
func TestLsofSpoolToFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tmp    string
		onDisk bool
	}{
		{"temporary file", t.TempDir(), true},
		{"no temporary directory", filepath.Join(t.TempDir(), "missing"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TMPDIR", tc.tmp)
			s := &lsofSpool{mem: 1}
			s.header(1, []byte("COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME"))
			const rows = 40000
			for i := range rows {
				dir := [...]string{"/late", "/other"}[i%2]
				s.row(i+2, fmt.Appendf(nil, "bash    %5d root  cwd    DIR  253,0     4096 10977282 %s/f%d", 2000+i%5000, dir, i))
			}
			inFile := 0
			for _, f := range s.frames {
				if f.b == nil {
					inFile++
				}
			}
			if got := inFile > 0; got != tc.onDisk || len(s.frames) < 2 {
				t.Fatalf("%d of %d frames in the file, want some: %v", inFile, len(s.frames), tc.onDisk)
			}
			if ents, _ := os.ReadDir(tc.tmp); len(ents) != 0 {
				t.Errorf("the spool file is visible in the temporary directory: %v", ents)
			}
			disk := s.disk
			facts, unkept, err := s.replay("lsof.out", []string{"/late"}, nil, 0)
			if err != nil || len(facts) != rows/2 || unkept != rows/2 {
				t.Fatalf("replay: %d facts, %d unkept, %v", len(facts), unkept, err)
			}
			for i := range facts {
				if want := fmt.Sprintf("/late/f%d", 2*i); facts[i].Name() != want || facts[i].Src().Line != 2*i+2 {
					t.Fatalf("fact %d: %+v, want %s", i, facts.Fact(i), want)
				}
			}
			disk.close()
			if disk.f != nil {
				t.Error("the spool file is still open")
			}
		})
	}
}

// TestSkipBlanks: eight bytes at a time or one, the first non-blank byte
// is found at every offset, after spaces and tabs, at the end of the line.
func TestSkipBlanks(t *testing.T) {
	for n := 0; n < 40; n++ {
		for _, pad := range []string{" ", "\t", " \t"} {
			blanks := strings.Repeat(pad, n)[:n]
			for _, tail := range []string{"", "x", "x y", "\x80"} {
				b := []byte("ab" + blanks + tail)
				want := 2 + n
				if got := skipBlanks(b, 2); got != want {
					t.Fatalf("skipBlanks(%q, 2) = %d, want %d", b, got, want)
				}
			}
		}
	}
	if got := skipBlanks([]byte("abc"), 1); got != 1 {
		t.Fatalf("a non-blank start moved to %d", got)
	}
}

// largeLsof is an lsof parsed in batches: rows under /data, /late,
// /usr/lib and /data2, listening sockets, lsof's warnings, a second
// header, rows longer than 64 KiB and rows with control bytes.
func largeLsof() *strings.Builder {
	var b strings.Builder
	b.WriteString("COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	for i := 0; i < 3*lsofParallelAfter; i++ {
		switch {
		case i == 2*lsofParallelAfter:
			b.WriteString("COMMAND     PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n") // a second capture
		case i == 5 || i == lsofParallelAfter+5:
			// Longer than 16-bit offsets reach (rows once kept them).
			fmt.Fprintf(&b, "bash    %5d root  cwd    DIR  253,0     4096 10977282 /data/%s%d\n", 2000+i, strings.Repeat("x", 1<<16), i)
		case i%1001 == 0:
			b.WriteString("lsof: WARNING: can't stat() fuse.gvfsd-fuse file system /run/user/1000/gvfs\n")
		case i%777 == 0:
			fmt.Fprintf(&b, "ba\x1bsh    %5d root  cwd    DIR  253,0     4096 10977282 /data/esc%d\n", 2000+i%5000, i)
		case i%3 == 0:
			fmt.Fprintf(&b, "sshd    %5d root    3u  IPv4  41234      0t0      TCP *:%d (LISTEN)\n", 900+i%300, i%65000)
		default:
			dir := [...]string{"/data", "/late", "/usr/lib", "/data2"}[i%4]
			fmt.Fprintf(&b, "bash    %5d root  cwd    DIR  253,0     4096 10977282 %s/f%d\n", 2000+i%5000, dir, i)
		}
	}
	return &b
}

// TestLsofReread: when the file can be read again (Input.SetReread), the
// rows a late guard point may need are only counted while reading, and the
// deferred finish reads the file again: the facts, counts, tallies and
// warnings are those of holding the rows (the spool) within no budget,
// serially and in batches, whatever the spool's budget. A file that
// changed, or cannot be read again, keeps no row of the late guard point
// and says so.
func TestLsofReread(t *testing.T) {
	text := largeLsof().String()
	changed := strings.Replace(text, "/data/f4\n", "/usr/lib/f4\n", 1)
	if changed == text {
		t.Fatal("the change did not apply")
	}
	known := &model.Model{Mounts: []model.Mount{{Device: "/data", Path: "/data", FSType: "secfs2"}}}
	final := &model.Model{Mounts: append(known.Mounts, model.Mount{Device: "/late", Path: "/late", FSType: "secfs2"})}
	type result struct {
		m     *model.Model
		warns []Warning
		reads int
	}
	parse := func(serial bool, spoolMax int, reread func(read func(io.Reader) error) error) result {
		r := result{m: &model.Model{}}
		in := NewInputString("lsof.out", text)
		in.serial, in.spoolMax = serial, spoolMax
		in.SetDeps(known)
		if reread != nil {
			in.SetReread(func(read func(io.Reader) error) error { r.reads++; return reread(read) })
		}
		parseLsof(in, r.m)
		if fin := in.Deferred(); fin != nil {
			in.warnings = append(in.warnings, fin(final, r.m)...)
		}
		r.warns = in.Warnings()
		return r
	}
	readText := func(s string) func(read func(io.Reader) error) error {
		return func(read func(io.Reader) error) error { return read(strings.NewReader(s)) }
	}
	for _, serial := range []bool{true, false} {
		// Held within no budget, the rows are those a read knowing every
		// guard point keeps; read again, they are, whatever the budget.
		full := parse(serial, 0, nil)
		if late := len(full.m.OpenFilesUnder("/late")); late < 500 {
			t.Fatalf("serial %v: %d rows under /late held", serial, late)
		}
		for _, spoolMax := range []int{0, 200 << 10} {
			if spoolMax > 0 {
				if held := parse(serial, spoolMax, nil); held.m.LogStats[0].Lost == 0 {
					t.Fatalf("serial %v: the budget of %d B lost no held row", serial, spoolMax)
				}
			}
			again := parse(serial, spoolMax, readText(text))
			if again.reads != 1 {
				t.Fatalf("serial %v: read again %d times, want once", serial, again.reads)
			}
			if !reflect.DeepEqual(full.m.OpenFiles.Facts(), again.m.OpenFiles.Facts()) ||
				!reflect.DeepEqual(full.m.LogStats, again.m.LogStats) || !reflect.DeepEqual(full.m.OpenFileTallies, again.m.OpenFileTallies) {
				t.Fatalf("serial %v, budget %d: read again: %d rows, %+v; held: %d rows, %+v", serial, spoolMax,
					len(again.m.OpenFiles), again.m.LogStats, len(full.m.OpenFiles), full.m.LogStats)
			}
			if !reflect.DeepEqual(full.warns, again.warns) {
				t.Fatalf("serial %v, budget %d: warnings differ:\n%v\n%v", serial, spoolMax, full.warns, again.warns)
			}
		}
		// No late guard point: the file is not read again.
		var m model.Model
		in := NewInputString("lsof.out", text)
		in.serial = serial
		in.SetDeps(known)
		in.SetReread(func(func(io.Reader) error) error { t.Fatal("read again with no late guard point"); return nil })
		parseLsof(in, &m)
		in.Deferred()(known, &m)

		for name, reread := range map[string]func(read func(io.Reader) error) error{
			"changed since it was read": readText(changed),
			"cut short":                 readText(text[:len(text)/2]),
			"the bundle is gone":        func(func(io.Reader) error) error { return errors.New("the bundle is gone") },
		} {
			r := parse(serial, 0, reread)
			st := r.m.LogStats[0]
			if late := len(r.m.OpenFilesUnder("/late")); late != 0 || st.Kept != len(r.m.OpenFiles) || st.Kept+st.Unkept+st.Lost != countRows(t, text) {
				t.Fatalf("%s: %d rows under /late kept, stats %+v", name, late, st)
			}
			last := r.warns[len(r.warns)-1]
			if last.Loss != LossArtifact || !strings.Contains(last.Msg, "reading this file again for guard points /late failed") ||
				name != "cut short" && !strings.Contains(last.Msg, name) {
				t.Fatalf("%s: last warning %+v", name, last)
			}
		}
	}
}

// countRows counts the rows of an lsof (lines that are neither a header nor
// lsof's own warning).
func countRows(t *testing.T, text string) int {
	t.Helper()
	n := 0
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !strings.HasPrefix(l, "COMMAND ") && !strings.HasPrefix(l, "lsof:") {
			n++
		}
	}
	return n
}

// TestLsofRereadNested: a guard point known while reading that lies inside
// one that came late keeps its rows once, read again or held.
func TestLsofRereadNested(t *testing.T) {
	var b strings.Builder
	b.WriteString("COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	for i := range 3000 {
		dir := [...]string{"/data/inner", "/data", "/usr/lib"}[i%3]
		fmt.Fprintf(&b, "bash     %4d root  cwd    DIR  253,0     4096 10977282 %s/f%d\n", 2000+i%900, dir, i)
	}
	text := b.String()
	known := &model.Model{Mounts: []model.Mount{{Device: "/data/inner", Path: "/data/inner", FSType: "secfs2"}}}
	final := &model.Model{Mounts: append(known.Mounts, model.Mount{Device: "/data", Path: "/data", FSType: "secfs2"})}
	var got [2]*model.Model
	for i, reread := range []bool{false, true} {
		in := NewInputString("lsof.out", text)
		in.SetDeps(known)
		if reread {
			in.SetReread(func(read func(io.Reader) error) error { return read(strings.NewReader(text)) })
		}
		got[i] = &model.Model{}
		parseLsof(in, got[i])
		if ws := in.Deferred()(final, got[i]); len(ws) > 0 {
			t.Fatalf("reread %v: %v", reread, ws)
		}
	}
	if n := len(got[1].OpenFilesUnder("/data")); n != 2000 || len(got[1].OpenFiles) != 2000 {
		t.Fatalf("%d rows under /data of %d kept, want 2000", n, len(got[1].OpenFiles))
	}
	if !reflect.DeepEqual(got[0].OpenFiles.Facts(), got[1].OpenFiles.Facts()) || !reflect.DeepEqual(got[0].LogStats, got[1].LogStats) {
		t.Fatalf("read again: %+v; held: %+v", got[1].LogStats, got[0].LogStats)
	}
}
