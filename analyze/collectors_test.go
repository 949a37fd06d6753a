package analyze_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

// collectorScenarios are the scenario bundles that hold a collector's own
// layout, kept as readable trees, with the archives the collector writes:
// supportconfig's scc_<host>_<date>_<time>.txz (and the older nts_*.tbz),
// AIX snap's snap.pax.Z.
var collectorScenarios = []struct {
	dir      string
	archives map[string]string // file name -> archivetest format, or "snap.pax.Z"
}{
	{"gde-busy-nested-scc", map[string]string{"scc_dbhost11_241105_1342.txz": "tar.xz", "nts_dbhost11_241105_1342.tbz": "tar.bz2"}},
	{"av-oes-scc", map[string]string{"nts_oesnode6_110322_1405.tbz": "tar.bz2", "scc_oesnode6_110322_1405.txz": "tar.xz"}},
	{"gde-nested-chaining-snap", map[string]string{"snap.pax.Z": "snap.pax.Z"}},
}

// outcome is what must not depend on the archive format: each finding
// (rule, subject, message, evidence places) and each artifact and section
// with its kind.
func outcome(t *testing.T, res *analyze.Result) []string {
	t.Helper()
	var out []string
	for _, f := range res.Findings {
		var ev []string
		for _, e := range f.Evidence {
			ev = append(ev, fmt.Sprintf("%s:%d", e.Path, e.Line))
		}
		out = append(out, fmt.Sprintf("finding %s %s: %s [%s]", f.RuleID, f.Subject, f.Message, strings.Join(ev, " ")))
	}
	for _, a := range res.Inventory {
		out = append(out, fmt.Sprintf("artifact %s %s facts=%d", a.Path, a.Kind, a.Facts))
		for _, s := range a.Sections {
			out = append(out, fmt.Sprintf("  section %s:%d %q %s facts=%d warnings=%d", s.Path, s.Line, s.Section, s.Kind, s.Facts, len(s.Warnings)))
		}
	}
	sort.Strings(out)
	return out
}

// TestCollectorArchives builds each collector scenario in the collector's
// own archive formats and checks that the findings, evidence lines and
// sections are those of the tree: what a customer uploads is what the
// scenario proves.
func TestCollectorArchives(t *testing.T) {
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range collectorScenarios {
		dir := filepath.Join("..", "testdata", "bundles", sc.dir)
		want, err := analyze.Run(context.Background(), dir, analyze.Options{Rules: set})
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Findings) == 0 {
			t.Fatalf("%s: no finding on the tree; the scenario proves nothing", sc.dir)
		}
		wantOut := outcome(t, want)
		for _, a := range want.Inventory {
			sum := 0
			for _, sec := range a.Sections {
				sum += sec.Facts
			}
			if a.Sections != nil && sum != a.Facts {
				t.Errorf("%s: its sections hold %d facts, the file %d", a.Path, sum, a.Facts)
			}
		}
		for name, format := range sc.archives {
			t.Run(sc.dir+"/"+name, func(t *testing.T) {
				var data []byte
				if format == "snap.pax.Z" {
					data = archivetest.SnapPaxZ(t, dir)
				} else {
					data = archivetest.Build(t, dir, format)
				}
				p := archivetest.Write(t, name, data)
				got, err := analyze.Run(context.Background(), p, analyze.Options{Rules: set})
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Warnings) > 0 {
					t.Errorf("warnings: %v", got.Warnings)
				}
				if g := outcome(t, got); !reflect.DeepEqual(g, wantOut) {
					t.Errorf("the %s archive differs from the tree:\n got: %s\nwant: %s", format, strings.Join(g, "\n      "), strings.Join(wantOut, "\n      "))
				}
			})
		}
	}
}

// TestSortedModulesSayOrderLost: supportconfig's modules.txt holds "lsmod |
// sort", which loses the load order; the chaining rule must say it could not
// use the listing instead of naming no later module as if none were loaded.
func TestSortedModulesSayOrderLost(t *testing.T) {
	set, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	scc := filepath.Join(dir, "scc_web01_241105_1200")
	write := func(name, body string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(scc, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(scc, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("modules.txt", "#==[ Command ]======================================#\n# /sbin/lsmod | sort\n"+
		"dlp_hook               40960  0\nMod"+"ule                  Size  Used by\nsecfs2               1748992  4\nxfs                  2433024  2\n\n")
	write("secfs.log", "2024-11-05 13:41:10 mod_fini: unload requested\n2024-11-05 13:41:10 mod_fini: Intercepts superceded - failing unload\n")
	res, err := analyze.Run(context.Background(), dir, analyze.Options{Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	var msg string
	for _, f := range res.Findings {
		if f.RuleID == "gde.syscall-chaining" {
			msg = f.Message
		}
	}
	if !strings.Contains(msg, "sorted by name") || strings.Contains(msg, "loaded after it: ") {
		t.Fatalf("gde.syscall-chaining message %q; want it to say the listing is sorted", msg)
	}
	var sec *analyze.Artifact
	for _, a := range res.Inventory {
		for i := range a.Sections {
			if a.Sections[i].Kind == parsers.KindModules {
				sec = &a.Sections[i]
			}
		}
	}
	if sec == nil || sec.Facts != 3 || sec.Line != 1 || sec.Section != "/sbin/lsmod | sort" {
		t.Fatalf("modules section %+v", sec)
	}
}

// TestSectionedHostile runs damaged sectioned files through the whole
// pipeline: a header with no body, a header as the last line (no line end),
// a banner-only file, and a section larger than --max-file-bytes. Each ends
// with what could be read and says what could not.
func TestSectionedHostile(t *testing.T) {
	banner := "#==[ Command ]======================================#\n"
	mount := "/data on /data type secfs2 (rw,relatime)\n"
	cases := []struct {
		name, body string
		lim        int64
		sections   int
		mounts     int
		warn       string // in some warning of the file or its sections
	}{
		{"header with no body", banner + "# /usr/bin/mount\n" + banner + "# /usr/bin/findmnt\n", 0, 2, 0, ""},
		{"header as the last line", banner + "# /usr/bin/mount\n" + mount + "#==[ Command ]===#", 0, 2, 1, ""},
		{"banner only", "#==[ Note ]===#", 0, 1, 0, ""},
		{"section over the file limit", banner + "# /usr/bin/mount\n" + strings.Repeat(mount, 4000) + banner + "# /bin/df\n", 64 << 10, 1, 64<<10/len(mount) + 1, "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "scc_h_241105_1200"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "scc_h_241105_1200", "fs-diskio.txt"), []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := analyze.Run(context.Background(), dir, analyze.Options{Limits: bundle.Limits{MaxFileBytes: c.lim}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Inventory) != 1 || len(res.Inventory[0].Sections) != c.sections {
				t.Fatalf("inventory %+v", res.Inventory)
			}
			if got := len(res.Model.Mounts); got < c.mounts-5 || got > c.mounts {
				t.Errorf("%d mounts, want %d", got, c.mounts)
			}
			if c.warn != "" {
				found := false
				for _, w := range res.Warnings {
					found = found || strings.Contains(w.Msg, c.warn)
				}
				if !found {
					t.Errorf("no warning about %q: %v", c.warn, res.Warnings)
				}
			}
		})
	}
}
