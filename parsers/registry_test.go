package parsers

import (
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// TestRegistryValidates holds every registered parser to Validate: a doc,
// a declared kind, path globs that compile.
func TestRegistryValidates(t *testing.T) {
	if err := Validate(); err != nil {
		t.Fatal(err)
	}
	if len(All()) == 0 {
		t.Fatal("no parser registered")
	}
	for _, p := range All() {
		if len(p.globs) != len(p.Paths) {
			t.Errorf("parser %s: %d paths but %d compiled globs", p.Name, len(p.Paths), len(p.globs))
		}
	}
}

func TestValidateRejects(t *testing.T) {
	parse := func(*Input, *model.Model) {}
	ok := Parser{Name: "x", Kind: KindMount, Doc: "Reads x.", Paths: []string{"x.out"}, Parse: parse}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a valid parser failed: %v", err)
	}
	tests := []struct {
		name string
		edit func(p *Parser)
		want string
	}{
		{"malformed glob", func(p *Parser) { p.Paths = []string{"x.out", "lsof[_-*"} }, `malformed pattern "lsof[_-*"`},
		{"glob with ..", func(p *Parser) { p.Paths = []string{"../x"} }, `".." component`},
		{"no doc", func(p *Parser) { p.Doc = "" }, "no Doc"},
		{"no name", func(p *Parser) { p.Name = "" }, "no Name"},
		{"undeclared kind", func(p *Parser) { p.Kind = "mounts" }, `kind "mounts" is not a declared`},
		{"kind text", func(p *Parser) { p.Kind = KindText }, `kind "text" is not a declared`},
		{"no kind", func(p *Parser) { p.Kind = "" }, "no Kind"},
		{"no parse", func(p *Parser) { p.Parse = nil }, "no Parse"},
		{"unidentifiable", func(p *Parser) { p.Paths = nil }, "neither Paths nor Sniff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.edit(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Every problem is reported, not only the first.
	bad := Parser{Name: "y", Kind: "nope", Paths: []string{"[", "a//b"}}
	err := bad.Validate()
	if err == nil || strings.Count(err.Error(), "\n") < 4 {
		t.Errorf("Validate() of a parser with five problems = %v, want all five", err)
	}
	if err := validateAll([]*Parser{&ok, &ok}); err == nil || !strings.Contains(err.Error(), "registered twice") {
		t.Errorf("a duplicate name: %v", err)
	}
}

func TestKindsDeclared(t *testing.T) {
	for _, k := range Kinds() {
		if !k.Known() {
			t.Errorf("registry kind %q is not declared in kind.go", k)
		}
	}
	// The contract ids, spelled out: a renamed constant value fails here.
	want := "mount df lsof fuser modules strace slab agent-status agent-log kernel-log init-script filesystems processes packages host text"
	for _, id := range strings.Fields(want) {
		if !Kind(id).Known() {
			t.Errorf("kind id %q is no longer declared", id)
		}
	}
}
