package analyze

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fsagent/triage/internal/archivetest"
	"github.com/fsagent/triage/internal/synth"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/rules"
)

const retainLsof = `COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME
bash     2199 root  cwd    DIR  253,0     4096 10977282 /secure/data
sshd      901 root  txt    REG  253,0   916432   393240 /usr/sbin/sshd
sshd      901 root    3u  IPv4  41234      0t0      TCP *:ssh (LISTEN)
oracle   3301 oracle  4u   REG  253,2    81920   131074 /secure/db/users01.dbf
oracle   3301 oracle  5u  unix 0xffff8d72b9861400 0t0 88123 @/tmp/.X11-unix/X0 type=STREAM
oracle   3301 oracle  6u  unix 0xffff8d72b9861800 0t0 88124 /secure/run/ora.sock type=STREAM
oracle   3302 oracle  7r  FIFO   0,13      0t0   55101 pipe
java     4410 app     8u  netlink          0t0   77001 ROUTE
java     4410 app     9r   REG  253,0     1024   200001 /archive/x.dat
java     4410 app    10r   REG  253,0     1024   200002 /secure/../etc/passwd
`

const retainMount = `/dev/sdb1 on /secure type ext4 (rw,relatime)
/secure on /secure type secfs2 (rw,relatime)
`

// retainStatus names a guard point the mount table does not show: the
// agent's own table is authoritative, so /archive is one.
const retainStatus = "GuardPoint  Policy   Type      ConfigState  Status   Reason\n" +
	"----------  ------   ----      -----------  ------   ------\n" +
	"/secure     pol1     local     guarded      guarded  N/A\n" +
	"/archive    pol2     local     guarded      guarded  N/A\n"

// orderOutcome is what must not depend on the order of a bundle's files.
type orderOutcome struct {
	names    []string // kept open files
	stats    model.LogStats
	tallies  []model.OpenFileTally
	findings []rules.Finding
	warnings []string
}

// runOrdered analyzes a tar holding the files in the given order with the
// shipped rules.
func runOrdered(t *testing.T, files [][2]string) orderOutcome {
	t.Helper()
	var entries []archivetest.Entry
	for _, f := range files {
		entries = append(entries, archivetest.Entry{Name: f[0], Body: f[1]})
	}
	p := archivetest.Write(t, "bundle.tar", archivetest.Tar(t, entries...))
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), p, Options{Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	var o orderOutcome
	for _, f := range res.Model.OpenFiles.Facts() {
		o.names = append(o.names, fmt.Sprintf("%d %s", f.Src.Line, f.Name))
	}
	for _, s := range res.Model.LogStats {
		if s.Kind == "lsof" {
			o.stats = s
		}
	}
	o.stats.KeptUnder = nil // the split between known and late directories differs by design
	o.tallies = res.Model.OpenFileTallies
	for _, f := range res.Findings {
		if f.RuleID == "gde.guardpoint-busy" {
			o.findings = append(o.findings, f)
		}
	}
	for _, a := range res.Inventory {
		for _, w := range a.Warnings {
			o.warnings = append(o.warnings, a.Path+": "+w.Msg)
		}
	}
	return o
}

// TestLsofOrderDoesNotMatter: lsof's facts, counts and the busy guard point
// findings are the same whether the mount table and the agent status come
// before or after lsof in the archive, and only rows inside a possible
// guard point are kept, the others counted (by type for those naming no
// path).
func TestLsofOrderDoesNotMatter(t *testing.T) {
	const (
		mount  = "sos_commands/filesys/mount_-l"
		lsof   = "sos_commands/process/lsof_M_-n_-l_-c"
		status = "secfsd-status.out"
	)
	groups := []struct {
		name      string
		orders    [][][2]string
		wantNames []string
		wantGP    []string // subjects of the busy findings
		unkept    int
	}{
		{name: "mount table", orders: [][][2]string{
			{{mount, retainMount}, {lsof, retainLsof}},
			{{lsof, retainLsof}, {mount, retainMount}},
		}, wantNames: []string{"2 /secure/data", "5 /secure/db/users01.dbf", "7 /secure/run/ora.sock type=STREAM"},
			wantGP: []string{"/secure"}, unkept: 7},
		{name: "agent status naming a guard point the mount table lacks", orders: [][][2]string{
			{{status, retainStatus}, {mount, retainMount}, {lsof, retainLsof}},
			{{mount, retainMount}, {lsof, retainLsof}, {status, retainStatus}},
			{{lsof, retainLsof}, {status, retainStatus}, {mount, retainMount}},
		}, wantNames: []string{"2 /secure/data", "5 /secure/db/users01.dbf", "7 /secure/run/ora.sock type=STREAM", "10 /archive/x.dat"},
			wantGP: []string{"/archive", "/secure"}, unkept: 6},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			first := runOrdered(t, g.orders[0])
			if !reflect.DeepEqual(first.names, g.wantNames) {
				t.Fatalf("open files %q, want %q", first.names, g.wantNames)
			}
			if first.stats.Lines != 11 || first.stats.Kept != len(g.wantNames) || first.stats.Unkept != g.unkept || first.stats.Lost != 0 {
				t.Fatalf("lsof stats %+v, want kept %d unkept %d of 11 lines", first.stats, len(g.wantNames), g.unkept)
			}
			var subjects []string
			for _, f := range first.findings {
				subjects = append(subjects, f.Subject)
			}
			if !reflect.DeepEqual(subjects, g.wantGP) {
				t.Fatalf("busy guard points %q, want %q", subjects, g.wantGP)
			}
			for _, f := range first.findings {
				if f.Subject == "/secure" && !strings.Contains(f.Message, "2 process") {
					t.Fatalf("finding on /secure does not count 2 processes: %s", f.Message)
				}
			}
			types := map[string]int{}
			for _, tl := range first.tallies {
				types[tl.Type] = tl.Rows
				if tl.Type == "IPv4" && (tl.Listening != 1 || tl.Processes != 1 || tl.Src.Line != 4) {
					t.Fatalf("IPv4 tally %+v, want one listening row of one process from line 4", tl)
				}
			}
			if want := map[string]int{"IPv4": 1, "unix": 1, "FIFO": 1, "netlink": 1}; !reflect.DeepEqual(types, want) {
				t.Fatalf("tallies %v, want %v", types, want)
			}
			if len(first.warnings) != 0 {
				t.Fatalf("warnings: %q", first.warnings)
			}
			for _, order := range g.orders[1:] {
				got := runOrdered(t, order)
				if !reflect.DeepEqual(got, first) {
					t.Errorf("order %s:\n got %+v\nwant %+v", names(order), got, first)
				}
			}
		})
	}
}

func names(files [][2]string) string {
	var s []string
	for _, f := range files {
		s = append(s, f[0])
	}
	return strings.Join(s, ", ")
}

// TestSynthShapes runs the harness's hard shapes, scaled down: whatever
// the order of lsof, mount table and agent status, the open files inside
// /secure are exactly the rows and processes the shape put there.
func TestSynthShapes(t *testing.T) {
	for _, shape := range []string{"busy", "lsof-first", "status-late", "mounts"} {
		t.Run(shape, func(t *testing.T) {
			spec, err := synth.Shape(shape, 2<<20)
			if err != nil {
				t.Fatal(err)
			}
			if spec.GuardRows > 0 {
				spec.GuardRows, spec.GuardPids = 3000, 700
			}
			// A tar.gz holds the rows a late guard point may need as it
			// goes; a plain tar and a tar.zst are read again instead
			// (bundle.Rereadable). Both give the same facts.
			var first *model.Model
			for _, comp := range []string{"gz", "zst", ""} {
				spec.Compress = comp
				p := filepath.Join(t.TempDir(), "bundle.tar."+comp)
				if err := synth.WriteFile(p, spec); err != nil {
					t.Fatal(err)
				}
				m, err := LoadModel(context.Background(), p, nil)
				if err != nil {
					t.Fatal(err)
				}
				open := m.OpenFilesUnder("/secure")
				pids := map[int]bool{}
				for _, f := range open {
					pids[f.PID] = true
				}
				if len(open) != spec.BusyRows() || len(pids) != spec.BusyProcesses() {
					t.Fatalf("%s: /secure: %d rows of %d processes, want %d of %d", comp, len(open), len(pids), spec.BusyRows(), spec.BusyProcesses())
				}
				if archive := len(m.OpenFilesUnder("/archive")); spec.StatusLate && archive != spec.GuardRows-spec.BusyRows()+1 {
					t.Fatalf("%s: /archive: %d rows, want %d", comp, archive, spec.GuardRows-spec.BusyRows()+1)
				}
				if spec.GuardPoints > 0 {
					if n := len(m.OpenFilesUnder("/gp/07")); n == 0 {
						t.Fatalf("%s: no rows inside the guard point /gp/07", comp)
					}
				}
				if first == nil {
					first = m
					continue
				}
				if !reflect.DeepEqual(m.OpenFiles.Facts(), first.OpenFiles.Facts()) || !reflect.DeepEqual(m.LogStats, first.LogStats) {
					t.Fatalf("%s: %d open files, stats %+v; gz: %d, %+v", comp, len(m.OpenFiles), m.LogStats, len(first.OpenFiles), first.LogStats)
				}
			}
		})
	}
}

// TestSynthShapesSerial: files large enough to go through a pipe and be
// parsed in batches on every core, from chunks the pipe lends, give the
// model and warnings of a parse on one goroutine.
func TestSynthShapesSerial(t *testing.T) {
	for _, shape := range []string{"plain", "status-late"} {
		spec, err := synth.Shape(shape, 24<<20)
		if err != nil {
			t.Fatal(err)
		}
		if spec.GuardRows > 0 {
			spec.GuardRows, spec.GuardPids = 20000, 3000
		}
		spec.Compress = "zst"
		p := filepath.Join(t.TempDir(), "bundle.tar.zst")
		if err := synth.WriteFile(p, spec); err != nil {
			t.Fatal(err)
		}
		var res [2]*Result
		for i, serial := range []bool{true, false} {
			if res[i], err = Run(context.Background(), p, Options{Serial: serial}); err != nil {
				t.Fatal(err)
			}
		}
		if len(res[1].Model.Syscalls) == 0 || len(res[1].Model.OpenFiles) == 0 {
			t.Fatalf("%s: %d calls, %d open files", shape, len(res[1].Model.Syscalls), len(res[1].Model.OpenFiles))
		}
		if !reflect.DeepEqual(res[0].Model, res[1].Model) {
			t.Errorf("%s: the model differs from the serial parse", shape)
		}
		for i := range res[0].Inventory {
			if a, b := res[0].Inventory[i], res[1].Inventory[i]; !reflect.DeepEqual(a.Warnings, b.Warnings) || a.Facts != b.Facts {
				t.Errorf("%s: %s: %d facts, warnings %v; serially %d, %v", shape, a.Path, b.Facts, b.Warnings, a.Facts, a.Warnings)
			}
		}
	}
}
