package model

import (
	"testing"
)

func TestMergeIntoEmptyTakesOverInOrder(t *testing.T) {
	var all Model
	a := &Model{OpenFiles: OpenFilesOf(OpenFile{Name: "/a"}), Lines: map[string][]LineMatch{"k": {{Groups: []string{"1"}}}}}
	b := &Model{OpenFiles: OpenFilesOf(OpenFile{Name: "/b"}, OpenFile{Name: "/c"}), Lines: map[string][]LineMatch{"k": {{Groups: []string{"2"}}}}}
	all.Merge(a)
	all.Merge(b)
	if len(all.OpenFiles) != 3 || all.OpenFiles.Fact(0).Name != "/a" || all.OpenFiles.Fact(2).Name != "/c" {
		t.Fatalf("open files %+v", all.OpenFiles)
	}
	if l := all.Lines["k"]; len(l) != 2 || l[0].Groups[0] != "1" || l[1].Groups[0] != "2" {
		t.Fatalf("lines %+v", l)
	}
}
