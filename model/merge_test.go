package model

import "testing"

func TestMergeAppendsEveryKindInOrder(t *testing.T) {
	a := &Model{Mounts: []Mount{{Path: "/a", Src: Source{Path: "mount"}}}, Host: Host{Hostname: "h1"}}
	b := &Model{
		Mounts:    []Mount{{Path: "/b", Src: Source{Path: "proc/mounts"}}},
		OpenFiles: OpenFilesOf(OpenFile{Name: "/b/x", Src: Source{Path: "lsof"}}),
		Host:      Host{Hostname: "h2", Kernel: "5.14", Sources: []Source{{Path: "uname"}}},
		Lines:     map[string][]LineMatch{"r/x": {{Src: Source{Path: "x.load"}}}},
	}
	a.Merge(b)
	if len(a.Mounts) != 2 || a.Mounts[1].Path != "/b" {
		t.Fatalf("mounts = %+v", a.Mounts)
	}
	if len(a.OpenFiles) != 1 || a.Host.Hostname != "h1" || a.Host.Kernel != "5.14" {
		t.Fatalf("merge lost facts: %+v", a)
	}
	if got := a.FactCount(); got != 5 {
		t.Fatalf("FactCount = %d, want 5 (2 mounts, 1 open file, 1 host source, 1 line)", got)
	}
	only := a.FilterPaths(func(p string) bool { return p == "proc/mounts" })
	if len(only.Mounts) != 1 || only.Mounts[0].Path != "/b" || len(only.OpenFiles) != 0 || only.Host.Hostname != "" {
		t.Fatalf("FilterPaths = %+v", only)
	}
}
