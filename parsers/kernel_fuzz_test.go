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

// kernSeed adds the testdata and corpus files of a kind as fuzz seeds.
func kernSeed(f *testing.F, testdata string, corpus ...string) {
	files, _ := filepath.Glob(filepath.Join("testdata", testdata, "*"))
	for _, c := range corpus {
		more, _ := filepath.Glob(filepath.Join(corpusDir, c, "*"))
		files = append(files, more...)
	}
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("")
	f.Add("\x00\xff\r\n\r\n")
}

// kernCheckFacts checks what must hold for any input: sources point at a
// line of the file, and no string field holds invalid UTF-8 or a control
// character that could reach a terminal.
func kernCheckFacts(t *testing.T, path string, in *Input, m *model.Model) {
	t.Helper()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			s := v.String()
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 kept: %q", s)
			}
			for _, r := range s {
				if r < 0x20 && r != '\t' || r == 0x7f {
					t.Fatalf("control character kept: %q", s)
				}
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i))
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	n := 0
	check := func(src model.Source, fact any) {
		n++
		if src.Path != path || src.Line < 1 || src.Line > in.Line() {
			t.Fatalf("bad source %+v (file has %d lines)", src, in.Line())
		}
		walk(reflect.ValueOf(fact))
	}
	for _, f := range m.OpenFiles.Facts() {
		check(f.Src, f)
		if f.PID < 0 || f.TID < 0 {
			t.Fatalf("negative id: %+v", f)
		}
	}
	for _, f := range m.Fuser {
		check(f.Src, f)
	}
	for _, f := range m.Modules {
		check(f.Src, f)
		if f.LoadOrder < 0 || f.RefCount < -1 || f.Size < 0 {
			t.Fatalf("bad module numbers: %+v", f)
		}
	}
	for _, f := range m.Slabs {
		check(f.Src, f)
		if f.ActiveObjs < 0 || f.NumObjs < 0 || f.ObjSize < 0 {
			t.Fatalf("negative slab numbers: %+v", f)
		}
	}
	for _, w := range in.Warnings() {
		if w.Line < 0 || w.Line > in.Line() || !utf8.ValidString(w.Msg) {
			t.Fatalf("bad warning %+v", w)
		}
	}
}

// kernFuzz parses data with a parser and checks the invariants; lines
// counts the facts a line-per-fact format may give at most.
func kernFuzz(t *testing.T, parser, path, data string, perLine bool) {
	in := NewInputString(path, data)
	m := &model.Model{}
	Lookup(parser).Parse(in, m)
	kernCheckFacts(t, path, in, m)
	if perLine {
		lines, n := kernFactLines(m)
		for l, c := range lines {
			if c != 1 {
				t.Fatalf("line %d gave %d facts", l, c)
			}
		}
		if n > strings.Count(data, "\n")+1 {
			t.Fatalf("%d facts from %d lines", n, strings.Count(data, "\n")+1)
		}
	}
}

func FuzzLsof(f *testing.F) {
	kernSeed(f, "lsof", "lsof", "module_unload")
	f.Fuzz(func(t *testing.T, data string) {
		kernFuzz(t, "lsof", "b/lsof", data, !strings.HasPrefix(data, "p"))
	})
}

func FuzzFuser(f *testing.F) {
	kernSeed(f, "fuser", "fuser")
	f.Fuzz(func(t *testing.T, data string) {
		kernFuzz(t, "fuser", "b/fuser.out", data, false)
	})
}

func FuzzModules(f *testing.F) {
	kernSeed(f, "modules", "lsmod", "proc_modules", "module_unload")
	f.Fuzz(func(t *testing.T, data string) {
		kernFuzz(t, "lsmod", "b/lsmod", data, true)
	})
}

func FuzzSlab(f *testing.F) {
	kernSeed(f, "slab", "slabinfo", "slabtop")
	f.Fuzz(func(t *testing.T, data string) {
		kernFuzz(t, "slabtop", "b/slabtop-2.out", data, true)
	})
}
