// Package parsers turns each artifact of a bundle into facts of the
// normalized model. There is one file per artifact format; each declares a
// Parser value (its name, kind, the paths and content that identify it, and
// its Parse function) and registers it in init. Nothing else needs to change
// to add a format: identification, inventory and `triage facts` read the
// registry.
package parsers

import (
	"errors"
	"fmt"
	"sort"

	"github.com/fsagent/triage/internal/pathglob"
	"github.com/fsagent/triage/model"
)

// Parser describes one artifact format.
type Parser struct {
	// Name is unique across the registry and shows in the inventory
	// ("lsof", "proc-mounts", "mountinfo").
	Name string
	// Kind is the artifact kind (see kind.go). Several parsers may share a
	// kind: one per variant of the format.
	Kind Kind
	// Doc says in one sentence what the parser reads; `triage inventory`
	// and docs/architecture.md rely on every parser having one.
	Doc string
	// Paths are patterns that identify the format by its path in the bundle,
	// in the syntax of package pathglob: path.Match globs matched against
	// the trailing path components of a file ("proc/mounts" matches
	// "sosreport-h-1/proc/mounts"), case-insensitively.
	Paths []string
	// Sniff recognises the format from the first lines of a file. It is
	// asked when no path pattern matched, and to choose between parsers of a
	// kind when several patterns matched. Nil means never by content.
	Sniff func(h *Head) bool
	// Parse reads the whole input and appends facts to out, a model of its
	// own for this one file. It reports malformed lines with in.Warnf and
	// never stops at one.
	Parse func(in *Input, out *model.Model)
	// Requires names the artifact kinds whose facts this parser's output
	// depends on, the way an analysis.Analyzer names the analyzers it
	// needs: lsof keeps only the rows inside a possible guard point, which
	// the mount table, df and the agent's status name. The pipeline hands
	// Parse the facts of the files of those kinds read before this one
	// (Input.Deps) and, when Parse left work for later (Input.Defer),
	// finishes it with the facts of every such file of the bundle, so the
	// result does not depend on the order of files in the archive. Run
	// alone (no Deps), the parser keeps everything.
	Requires []Kind

	globs []pathglob.Pattern // Paths compiled by Register
}

// Validate reports everything wrong with one parser, all of it: a missing
// name, doc or Parse function, an undeclared kind, a path glob that does
// not compile (which would otherwise silently never match).
func (p *Parser) Validate() error {
	var errs []error
	name := p.Name
	if name == "" {
		name = "(unnamed)"
		errs = append(errs, errors.New("parser has no Name"))
	}
	if p.Doc == "" {
		errs = append(errs, fmt.Errorf("parser %s: no Doc: say in one sentence what it reads", name))
	}
	if p.Kind == "" {
		errs = append(errs, fmt.Errorf("parser %s: no Kind", name))
	} else if !p.Kind.Known() || p.Kind == KindText || p.Kind == KindBinary {
		errs = append(errs, fmt.Errorf("parser %s: kind %q is not a declared artifact kind (parsers/kind.go)", name, p.Kind))
	}
	if p.Parse == nil {
		errs = append(errs, fmt.Errorf("parser %s: no Parse function", name))
	}
	if len(p.Paths) == 0 && p.Sniff == nil {
		errs = append(errs, fmt.Errorf("parser %s: neither Paths nor Sniff: nothing can identify its files", name))
	}
	for _, k := range p.Requires {
		if !k.Known() || k == KindText || k == KindBinary || k == p.Kind {
			errs = append(errs, fmt.Errorf("parser %s: requires %q, which is not another declared artifact kind", name, k))
		}
	}
	for _, g := range p.Paths {
		if _, err := pathglob.Compile(g); err != nil {
			errs = append(errs, fmt.Errorf("parser %s: path %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Validate checks the whole registry the way go/analysis checks a list of
// analyzers: every parser valid, every name unique. A test runs it, so a
// malformed registration fails `go test`, not a customer's run.
func Validate() error {
	return validateAll(registry)
}

func validateAll(ps []*Parser) error {
	var errs []error
	seen := map[string]bool{}
	for _, p := range ps {
		if err := p.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("parser %s: registered twice", p.Name))
		}
		seen[p.Name] = true
	}
	return errors.Join(errs...)
}

var registry []*Parser

// Register adds a parser. It panics on an invalid or duplicate parser
// (see Validate), which is a programming error caught by any test.
func Register(p *Parser) {
	if err := validateAll(append([]*Parser{p}, lookupAll(p.Name)...)); err != nil {
		panic("parsers: " + err.Error())
	}
	p.globs = nil
	for _, g := range p.Paths {
		p.globs = append(p.globs, pathglob.MustCompile(g))
	}
	registry = append(registry, p)
	sort.SliceStable(registry, func(i, j int) bool { return registry[i].Name < registry[j].Name })
}

// lookupAll is the registered parser of that name, as a list of zero or one.
func lookupAll(name string) []*Parser {
	if p := Lookup(name); p != nil {
		return []*Parser{p}
	}
	return nil
}

// All lists the registered parsers, sorted by name.
func All() []*Parser { return append([]*Parser(nil), registry...) }

// Lookup returns the parser of that name, or nil.
func Lookup(name string) *Parser {
	for _, p := range registry {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// How a file was identified.
const (
	ByPath    = "path"
	ByContent = "content"
	ByDefault = "default"
)

// Identification is what Identify decided about one file.
type Identification struct {
	Kind   Kind
	Parser *Parser // nil for KindText
	By     string  // ByPath, ByContent or ByDefault
}

// Identify decides a file's kind and parser from its path in the bundle
// and its first bytes: path patterns first (the most specific pattern wins,
// content choosing between variants), then content alone.
func Identify(p string, head *Head) Identification {
	best, bestScore := []*Parser(nil), 0
	name := pathglob.Split(p)
	for _, pr := range registry {
		for _, pat := range pr.globs {
			s := pat.ScoreName(name)
			if s == 0 {
				continue
			}
			if s > bestScore {
				best, bestScore = nil, s
			}
			if s == bestScore && !contains(best, pr) {
				best = append(best, pr)
			}
		}
	}
	if len(best) > 0 {
		for _, pr := range best {
			if pr.Sniff != nil && head != nil && pr.Sniff(head) {
				return Identification{Kind: pr.Kind, Parser: pr, By: ByPath}
			}
		}
		// When no variant recognises the content, another parser may: a
		// variant of the same kind the path did not name (a "mount.out"
		// holding an AIX table) or, when only a bare file name matched,
		// another kind (a "mount.out" holding lsof output). A path of
		// several components (var/log/messages, proc/mounts) is trusted
		// over another kind's guess from content.
		strong := bestScore >= 2000
		if head != nil && !head.Binary {
			for _, pr := range registry {
				if pr.Sniff != nil && !contains(best, pr) && (!strong || pr.Kind == best[0].Kind) && pr.Sniff(head) {
					return Identification{Kind: pr.Kind, Parser: pr, By: ByContent}
				}
			}
		}
		return Identification{Kind: best[0].Kind, Parser: best[0], By: ByPath}
	}
	if head != nil && !head.Binary {
		for _, pr := range registry {
			if pr.Sniff != nil && pr.Sniff(head) {
				return Identification{Kind: pr.Kind, Parser: pr, By: ByContent}
			}
		}
	}
	return Identification{Kind: KindText, By: ByDefault}
}

func contains(ps []*Parser, p *Parser) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// Kinds lists the artifact kind ids the registry knows, sorted, KindText
// included.
func Kinds() []Kind {
	seen := map[Kind]bool{KindText: true}
	out := []Kind{KindText}
	for _, p := range registry {
		if !seen[p.Kind] {
			seen[p.Kind] = true
			out = append(out, p.Kind)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
