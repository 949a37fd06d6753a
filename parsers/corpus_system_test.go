package parsers

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// TestCorpusSystem parses every real sample of the mount-table and
// /proc/filesystems folders of the shared corpus and checks that each data
// line became exactly one fact (or, for a line that is not data, one
// warning): nothing lost, nothing invented.
func TestCorpusSystem(t *testing.T) {
	folders := []struct {
		folder, parser string
		headerLines    int // lines before the data
		facts          func(*model.Model) []model.Source
	}{
		{"mount", "mount", 0, mountSources},
		{"proc_mounts", "proc-mounts", 0, mountSources},
		{"mountinfo", "mountinfo", 0, mountSources},
		{"findmnt", "findmnt", 1, mountSources},
		{"aix_mount", "aix-mount", 2, mountSources},
		{"proc_filesystems", "proc-filesystems", 0, func(m *model.Model) []model.Source {
			var out []model.Source
			for _, f := range m.Filesystems {
				out = append(out, f.Src)
			}
			return out
		}},
	}
	for _, f := range folders {
		if f.folder == "aix_mount" {
			if _, err := os.Stat(filepath.Join(corpusDir, f.folder)); os.IsNotExist(err) {
				t.Logf("NOTE: no corpus/aix_mount folder; AIX mount is covered by testdata/mount/aix_mount.txt only")
				continue
			}
		}
		for _, file := range corpusFiles(t, f.folder) {
			t.Run(f.folder+"/"+filepath.Base(file), func(t *testing.T) {
				fh, err := os.Open(file)
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				// What Identify makes of the file by content alone.
				head := make([]byte, HeadSize)
				n, _ := fh.Read(head)
				if id := Identify("unnamed.txt", NewHead(head[:n])); id.Parser == nil || id.Parser.Name != f.parser {
					t.Errorf("content sniffing chose %+v, want %s", id, f.parser)
				}
				if _, err := fh.Seek(0, 0); err != nil {
					t.Fatal(err)
				}
				in := NewInput(file, fh)
				m := &model.Model{}
				Lookup(f.parser).Parse(in, m)
				if in.Err() != nil {
					t.Fatal(in.Err())
				}
				data := corpusDataLines(t, file, f.headerLines)
				got := map[int]bool{}
				for _, s := range f.facts(m) {
					if got[s.Line] {
						t.Errorf("two facts from line %d", s.Line)
					}
					got[s.Line] = true
				}
				if len(got) != len(data) {
					t.Errorf("%d facts for %d data lines; warnings: %v", len(got), len(data), in.Warnings())
				}
				for ln := range data {
					if !got[ln] {
						t.Errorf("line %d lost: %q", ln, data[ln])
					}
				}
			})
		}
	}
}

func mountSources(m *model.Model) []model.Source {
	var out []model.Source
	for _, x := range m.Mounts {
		out = append(out, x.Src)
	}
	return out
}

// corpusDataLines maps the line numbers of the non-blank lines after the
// header to their text.
func corpusDataLines(t *testing.T, file string, header int) map[int]string {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	out := map[int]string{}
	ln, seen := 0, 0
	for sc.Scan() {
		ln++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if seen++; seen <= header {
			continue
		}
		out[ln] = sc.Text()
	}
	return out
}
