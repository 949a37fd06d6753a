package model

import (
	"slices"
	"testing"
)

func TestGuardPointCandidatesCoverGuardPoints(t *testing.T) {
	tests := []struct {
		name string
		m    *Model
		want []string
	}{
		{name: "status table", m: &Model{AgentStatus: []GuardStatus{{Path: "/data/"}, {Path: "/u01"}}}, want: []string{"/data", "/u01"}},
		{name: "agent mounts and self-mounts, agent not yet known", m: &Model{
			Mounts: []Mount{{Device: "/dev/sdb1", Path: "/secure", FSType: "ext4"}, {Device: "x", Path: "/g", FSType: "secfs2"},
				{Device: "/h", Path: "/h/", FSType: "ext4"}, {Device: "proc", Path: "/proc", FSType: "proc"}},
			DF: []DFEntry{{Filesystem: "/db", MountedOn: "/db"}, {Filesystem: "tmpfs", MountedOn: "/run"}},
		}, want: []string{"/db", "/g", "/h"}},
		{name: "nothing", m: &Model{Mounts: []Mount{{Device: "/dev/sda1", Path: "/", FSType: "xfs"}}}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.m.GuardPointCandidates()
			if !slices.Equal(got, tc.want) {
				t.Fatalf("candidates %q, want %q", got, tc.want)
			}
			for _, g := range tc.m.GuardPoints() {
				if !slices.Contains(got, g.Path) {
					t.Fatalf("guard point %s missing from candidates %q", g.Path, got)
				}
			}
		})
	}
}

func TestMergeIntoEmptyTakesOverInOrder(t *testing.T) {
	var all Model
	a := &Model{OpenFiles: []OpenFile{{Name: "/a"}}, Lines: map[string][]LineMatch{"k": {{Groups: []string{"1"}}}}}
	b := &Model{OpenFiles: []OpenFile{{Name: "/b"}, {Name: "/c"}}, Lines: map[string][]LineMatch{"k": {{Groups: []string{"2"}}}}}
	all.Merge(a)
	all.Merge(b)
	if len(all.OpenFiles) != 3 || all.OpenFiles[0].Name != "/a" || all.OpenFiles[2].Name != "/c" {
		t.Fatalf("open files %+v", all.OpenFiles)
	}
	if l := all.Lines["k"]; len(l) != 2 || l[0].Groups[0] != "1" || l[1].Groups[0] != "2" {
		t.Fatalf("lines %+v", l)
	}
}
