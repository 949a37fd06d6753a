package parsers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// kernCorpusLines classifies the lines of a corpus file, independently of
// the parsers: which are headers (never facts), which are the tool's own
// diagnostics (warnings, never facts), and which must each yield a fact.
type kernCorpusLines struct {
	header, diag func(trimmed string) bool
}

var kernCorpusKinds = map[string]struct {
	parser string
	lines  kernCorpusLines
}{
	"lsof": {"lsof", kernCorpusLines{
		header: func(t string) bool { return strings.HasPrefix(t, "COMMAND ") },
		diag: func(t string) bool {
			return strings.HasPrefix(t, "lsof:") || strings.HasPrefix(t, "Output information may be incomplete")
		},
	}},
	"lsmod": {"lsmod", kernCorpusLines{
		header: func(t string) bool { return strings.HasPrefix(t, "Module ") },
		diag:   func(string) bool { return false },
	}},
	"proc_modules": {"proc-modules", kernCorpusLines{
		header: func(string) bool { return false },
		diag:   func(string) bool { return false },
	}},
	"slabinfo": {"slabinfo", kernCorpusLines{
		header: func(t string) bool {
			return strings.HasPrefix(t, "slabinfo - version") || strings.HasPrefix(t, "# name")
		},
		diag: func(string) bool { return false },
	}},
	"slabtop": {"slabtop", kernCorpusLines{
		header: func(t string) bool {
			return strings.HasPrefix(t, "Active / Total") || strings.HasPrefix(t, "Minimum / Average") || strings.HasPrefix(t, "OBJS ACTIVE")
		},
		diag: func(t string) bool { return strings.Contains(t, "Permission denied") },
	}},
	// A pasted transcript: lsmod lines, prompts, an rmmod error and one
	// lsof line. Only the four lsmod lines are module facts.
	"module_unload": {"lsmod", kernCorpusLines{
		header: func(string) bool { return false },
		diag: func(t string) bool {
			return strings.HasPrefix(t, "#") || strings.HasPrefix(t, "rmmod:") || strings.HasPrefix(t, "mmsdrserv ")
		},
	}},
}

// kernFactLines returns the source lines of every fact of the kernel kinds,
// and how many facts there were.
func kernFactLines(m *model.Model) (map[int]int, int) {
	lines := map[int]int{}
	n := 0
	add := func(s model.Source) {
		lines[s.Line]++
		n++
	}
	for _, f := range m.OpenFiles.Facts() {
		add(f.Src)
	}
	for _, f := range m.Fuser {
		add(f.Src)
	}
	for _, f := range m.Modules {
		add(f.Src)
	}
	for _, f := range m.Slabs {
		add(f.Src)
	}
	return lines, n
}

func TestKernelCorpus(t *testing.T) {
	for folder, k := range kernCorpusKinds {
		for _, f := range corpusFiles(t, folder) {
			t.Run(folder+"/"+filepath.Base(f), func(t *testing.T) {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				m, ws := parseString(t, k.parser, f, string(b))
				facts, n := kernFactLines(m)
				warned := map[int]bool{}
				for _, w := range ws {
					warned[w.Line] = true
				}
				want := 0
				for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
					line, tl := i+1, strings.TrimSpace(l)
					switch {
					case tl == "":
					case k.lines.header(tl):
						if facts[line] > 0 {
							t.Errorf("line %d is a header but gave a fact: %q", line, l)
						}
					case k.lines.diag(tl):
						if facts[line] > 0 || !warned[line] {
							t.Errorf("line %d is a diagnostic: want a warning and no fact (facts %d, warned %v): %q", line, facts[line], warned[line], l)
						}
					default:
						want++
						if facts[line] != 1 {
							t.Errorf("line %d: %d facts, want 1: %q", line, facts[line], l)
						}
					}
				}
				if n != want {
					t.Errorf("%d facts, want %d", n, want)
				}
			})
		}
	}
}

// fuser lines carry one fact per PID: count them from the file.
func TestKernelCorpusFuser(t *testing.T) {
	for _, f := range corpusFiles(t, "fuser") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, ws := parseString(t, "fuser", f, string(b))
			if len(ws) != 0 {
				t.Errorf("warnings: %v", ws)
			}
			want := 0
			for _, l := range strings.Split(string(b), "\n") {
				fs := strings.Fields(l)
				switch {
				case len(fs) > 1 && strings.HasSuffix(fs[0], ":"): // NAME: PID...
					want += len(fs) - 1
				case len(fs) == 4 && allDigits([]byte(fs[1])): // -v row
					want++
				}
			}
			if want == 0 || len(m.Fuser) != want {
				t.Errorf("%d hits, want %d", len(m.Fuser), want)
			}
			for _, h := range m.Fuser {
				if h.Path == "" || h.PID <= 0 {
					t.Errorf("hit without path or PID: %+v", h)
				}
			}
		})
	}
}

// The pasted transcript holds one headerless lsof line among lsmod lines
// and prompts: lsof keeps it and warns about every other line.
func TestKernelCorpusTranscriptAsLsof(t *testing.T) {
	for _, f := range corpusFiles(t, "module_unload") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, ws := parseString(t, "lsof", f, string(b))
		if len(m.OpenFiles) != 1 || m.OpenFiles.Fact(0).Name != "/dev/trace0" || m.OpenFiles.Fact(0).PID != 14905 || m.OpenFiles.Fact(0).FD != "3w" {
			t.Fatalf("open files = %+v", m.OpenFiles)
		}
		if lines := strings.Count(strings.TrimSpace(string(b)), "\n") + 1; len(ws) != lines-1 {
			t.Errorf("%d warnings for %d other lines: %v", len(ws), lines-1, ws)
		}
	}
}
