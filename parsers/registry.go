// Package parsers turns each artifact of a bundle into facts of the
// normalized model. There is one file per artifact format; each declares a
// Parser value (its name, kind, the paths and content that identify it, and
// its Parse function) and registers it in init. Nothing else needs to change
// to add a format: identification, inventory and `triage facts` read the
// registry.
package parsers

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/fsagent/triage/model"
)

// Parser describes one artifact format.
type Parser struct {
	// Name is unique across the registry and shows in the inventory
	// ("lsof", "proc-mounts", "mountinfo").
	Name string
	// Kind is the artifact kind id of DESIGN.md (mount, lsof, fuser, ...).
	// Several parsers may share a kind: one per variant of the format.
	Kind string
	// Doc says in one sentence what the parser reads.
	Doc string
	// Paths are patterns that identify the format by its path in the bundle.
	// A pattern is a path.Match glob matched against the trailing path
	// components of a file ("proc/mounts" matches
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
	Requires []string
}

var registry []*Parser

// Register adds a parser. It panics on a duplicate or incomplete parser,
// which is a programming error caught by any test.
func Register(p *Parser) {
	if p.Name == "" || p.Kind == "" || p.Parse == nil {
		panic(fmt.Sprintf("parsers: incomplete parser %+v", p))
	}
	for _, k := range p.Requires {
		if k == p.Kind || k == "" {
			panic(fmt.Sprintf("parsers: parser %s requires %q", p.Name, k))
		}
	}
	for _, q := range registry {
		if q.Name == p.Name {
			panic("parsers: duplicate parser " + p.Name)
		}
	}
	registry = append(registry, p)
	sort.SliceStable(registry, func(i, j int) bool { return registry[i].Name < registry[j].Name })
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

// KindText is the kind of every file no parser recognised. Such files are
// still offered to the line patterns of rules.
const KindText = "text"

// How a file was identified.
const (
	ByPath    = "path"
	ByContent = "content"
	ByDefault = "default"
)

// Identification is what Identify decided about one file.
type Identification struct {
	Kind   string
	Parser *Parser // nil for KindText
	By     string  // ByPath, ByContent or ByDefault
}

// Identify decides a file's kind and parser from its path in the bundle
// and its first bytes: path patterns first (the most specific pattern wins,
// content choosing between variants), then content alone.
func Identify(p string, head *Head) Identification {
	lp := strings.ToLower(p)
	best, bestScore := []*Parser(nil), 0
	for _, pr := range registry {
		for _, pat := range pr.Paths {
			s := matchScore(strings.ToLower(pat), lp)
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

// matchScore is 0 when the pattern does not match the trailing components
// of p, otherwise a score that grows with how specific the pattern is.
func matchScore(pat, p string) int {
	pc := strings.Count(pat, "/") + 1
	parts := strings.Split(p, "/")
	if len(parts) < pc {
		return 0
	}
	tail := strings.Join(parts[len(parts)-pc:], "/")
	if ok, err := path.Match(pat, tail); err != nil || !ok {
		return 0
	}
	literal := 0
	for _, r := range pat {
		if r != '*' && r != '?' && r != '[' && r != ']' {
			literal++
		}
	}
	return pc*1000 + literal
}

// Kinds lists the artifact kind ids the registry knows, sorted, KindText
// included.
func Kinds() []string {
	seen := map[string]bool{KindText: true}
	out := []string{KindText}
	for _, p := range registry {
		if !seen[p.Kind] {
			seen[p.Kind] = true
			out = append(out, p.Kind)
		}
	}
	sort.Strings(out)
	return out
}
