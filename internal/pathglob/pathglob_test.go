package pathglob

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"proc/mounts", "sosreport-h-1/proc/mounts", true},
		{"proc/mounts", "proc/mounts", true},
		{"proc/mounts", "mounts", false},
		{"proc/mounts", "proc/mounts/x", false},
		{"*.load", "etc/opt/novell/ncs/vol1.load", true},
		{"**/ncs/*.load", "etc/opt/novell/ncs/vol1.load", true},
		{"**/ncs/*.load", "etc/opt/novell/other/vol1.load", false},
		{"/dmesg", "dmesg", true},
		{"/dmesg", "sos/dmesg", false},
		{"dmesg", "./a//dmesg", true},
		// Case-insensitive both ways.
		{"dmesg", "LOGS/DMESG", true},
		{"Var/Log/Messages", "bundle/var/log/messages", true},
		{"lsof*", "LSOF.out", true},
		{"fuser*.out", "fuser-data.txt", false},
		{"[abc]x", "bx", true},
	}
	for _, tt := range tests {
		p, err := Compile(tt.glob)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.glob, err)
		}
		if got := p.Match(tt.name); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.glob, tt.name, got, tt.want)
		}
	}
}

func TestCompileRejects(t *testing.T) {
	for _, g := range []string{"", "  ", "**", "a//b", "a/../b", "./a", "a/**/b", "x**", "[abc", `a\`} {
		if _, err := Compile(g); err == nil {
			t.Errorf("Compile(%q) accepted a malformed glob", g)
		}
	}
}

func TestScoreGrowsWithSpecificity(t *testing.T) {
	name := "sos_commands/process/lsof_-b_M_-n_-l"
	a, b, c := MustCompile("lsof*"), MustCompile("process/lsof*"), MustCompile("process/lsof_-b*")
	sa, sb, sc := a.Score(name), b.Score(name), c.Score(name)
	if !(0 < sa && sa < sb && sb < sc) {
		t.Errorf("scores %d, %d, %d: want strictly growing with specificity", sa, sb, sc)
	}
	if (Pattern{}).Match("x") {
		t.Error("the zero Pattern matched")
	}
}
