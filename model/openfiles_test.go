package model

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// lsofLine makes a fact whose fields are pieces of its line, as the lsof
// parser makes them.
func lsofLine(line string, pid int, src Source) OpenFile {
	f := strings.Fields(line)
	at := func(s string) string {
		i := strings.Index(line, s)
		return line[i : i+len(s)]
	}
	src.Text = line
	return OpenFile{Command: at(f[0]), PID: pid, User: at(f[2]), FD: at(f[3]), Type: at(f[4]), Device: at(f[5]),
		SizeOff: at(f[6]), Node: at(f[7]), Name: at(f[8]), Src: src}
}

func TestOpenFileRowRoundTrip(t *testing.T) {
	line := "oracle 4711 oracle 12u REG 253,0 8192 1234 /u01/oradata/users01.dbf"
	packed := lsofLine(line, 4711, Source{Path: "lsof", Line: 7})
	deleted := packed
	deleted.Deleted, deleted.Error = true, deleted.Src.Text[len(line)-4:]
	multi := packed
	multi.Src.EndLine = 9
	long := lsofLine("cmd 1 root cwd DIR 8,1 4096 2 /"+strings.Repeat("x", math.MaxUint16), 1, Source{Path: "lsof", Line: 3})
	for _, c := range []struct {
		name   string
		f      OpenFile
		packed bool
	}{
		{"fields are pieces of the line", packed, true},
		{"deleted, with an error note", deleted, true},
		{"an end line", multi, true},
		{"a section", lsofLine(line, 4711, Source{Path: "open-files.txt", Section: "lsof -b", Line: 12}), true},
		{"thread id", func() OpenFile { f := packed; f.TID = 4712; f.TaskCmd = f.Src.Text[:6]; return f }(), true},
		{"a field from elsewhere (lsof -F)", OpenFile{Command: "bash", PID: 9, FD: "cwd", Name: "/data", Src: Source{Path: "lsof-F", Line: 4, EndLine: 6, Text: "n/data"}}, false},
		{"no line at all", OpenFile{PID: 1, Name: "/home/user/a"}, false},
		{"a line over 64 KiB", long, false},
		{"a line over 255 bytes", lsofLine("cmd 1 root cwd DIR 8,1 4096 2 /"+strings.Repeat("y", 300), 1, Source{Path: "lsof", Line: 4}), false},
		{"a pid beyond 32 bits", func() OpenFile { f := packed; f.PID = math.MaxInt32 + 1; return f }(), false},
		{"an end line before its line", func() OpenFile { f := packed; f.Src.EndLine = 2; return f }(), false},
		{"the zero fact", OpenFile{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := PackOpenFile(c.f, nil)
			if got := r.Fact(); !reflect.DeepEqual(got, c.f) {
				t.Fatalf("Fact() = %+v\nwant %+v", got, c.f)
			}
			if spilled := r.file != nil && r.file.full != nil; spilled == c.packed {
				t.Errorf("packed = %v, want %v", !spilled, c.packed)
			}
			if r.PID() != c.f.PID || r.TID() != c.f.TID || r.Name() != c.f.Name || r.Command() != c.f.Command ||
				r.ErrorNote() != c.f.Error || r.Deleted() != c.f.Deleted || r.Src() != c.f.Src {
				t.Errorf("accessors disagree with the fact: %+v", c.f)
			}
			a, _ := json.Marshal(c.f)
			b, _ := json.Marshal(r)
			if string(a) != string(b) {
				t.Errorf("JSON\n%s\nwant\n%s", b, a)
			}
		})
	}
	if n := unsafe.Sizeof(OpenFileRow{}); n > 64 {
		t.Errorf("a row is %d bytes, want at most 64 (docs/performance.md counts on it)", n)
	}
}

// A string equal to a part of the line but not inside its memory is not
// a piece of it: the row must not point into the line for it.
func TestPackNeedsTheLinesOwnMemory(t *testing.T) {
	line := "bash 2199 root cwd DIR 253,0 4096 2 /data"
	f := lsofLine(line, 2199, Source{Path: "lsof", Line: 2})
	f.Name = strings.Clone(f.Name)
	if r := PackOpenFile(f, nil); r.file.full == nil || r.Name() != "/data" {
		t.Fatalf("a copied name was packed as a span: %+v", r)
	}
}

func TestOpenFileTableJSONAndSections(t *testing.T) {
	facts := []OpenFile{
		lsofLine("oracle 4711 oracle 12u REG 253,0 8192 1234 /u01/a.dbf", 4711, Source{Path: "lsof", Line: 2}),
		lsofLine("oracle 4712 oracle 13u REG 253,0 8192 1235 /u01/<b>&.dbf", 4712, Source{Path: "lsof", Line: 3}),
		{PID: 9, Name: "/x", Src: Source{Path: "lsof", Line: 4}},
	}
	tab := OpenFilesOf(facts...)
	if tab[0].file != tab[1].file {
		t.Errorf("rows of one file do not share their source record")
	}
	for _, c := range []struct {
		name string
		a, b any
	}{
		{"list", facts, tab},
		{"nil", []OpenFile(nil), OpenFileTable(nil)},
		{"empty", []OpenFile{}, OpenFileTable{}},
		{"in a model", struct{ O []OpenFile }{facts}, struct{ O OpenFileTable }{tab}},
	} {
		a, err1 := json.MarshalIndent(c.a, "", "  ")
		b, err2 := json.MarshalIndent(c.b, "", "  ")
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Errorf("%s: JSON\n%s\nwant\n%s (%v %v)", c.name, b, a, err1, err2)
		}
	}
	m := &Model{OpenFiles: tab}
	m.SetSection("lsof -n")
	for i, f := range m.OpenFiles.Facts() {
		if f.Src.Section != "lsof -n" {
			t.Errorf("row %d: section %q after SetSection", i, f.Src.Section)
		}
	}
	only := m.FilterSources(func(s Source) bool { return s.Line == 3 })
	if len(only.OpenFiles) != 1 || only.OpenFiles[0].PID() != 4712 {
		t.Errorf("FilterSources kept %+v", only.OpenFiles.Facts())
	}
}

// Every field of OpenFile has a method of OpenFileRow that reads it, with
// the field's type: a field added to OpenFile without one would be out of
// rules' reach.
func TestOpenFileRowMethodCoversEveryField(t *testing.T) {
	ft, rt := reflect.TypeOf(OpenFile{}), reflect.TypeOf(OpenFileRow{})
	for i := 0; i < ft.NumField(); i++ {
		f := ft.Field(i)
		name, ok := OpenFileRowMethod(f.Name)
		if !ok {
			t.Errorf("OpenFile.%s has no row method", f.Name)
			continue
		}
		m, ok := rt.MethodByName(name)
		if !ok || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 || m.Type.Out(0) != f.Type {
			t.Errorf("OpenFile.%s maps to %s, which is not a method returning %s", f.Name, name, f.Type)
		}
	}
	if _, ok := OpenFileRowMethod("Fact"); ok {
		t.Error("a name that is no field of OpenFile maps to a method")
	}
}
