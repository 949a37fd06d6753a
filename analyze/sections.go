package analyze

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
	"github.com/fsagent/triage/sections"
)

// parseSectioned splits a file of a collector that concatenates outputs
// (supportconfig, AIX snap) into its sections and parses each as an
// artifact of its own, in one pass over the file. The file is listed with
// its collector as kind and the sections under it; its facts are the
// sections' facts in file order.
//
// A section whose parser deferred work until every file is read (lsof,
// which needs every guard point) keeps its facts apart until then: the
// returned Finish completes each such section and adds its facts.
func parseSectioned(e bundle.Entry, f sections.Format, r io.Reader, patterns []rules.LinePattern, prepare func(p *parsers.Parser, in *parsers.Input)) (Artifact, *model.Model, parsers.Finish) {
	kind := sectionedKinds[f]
	art := Artifact{Path: e.Path, Size: e.Size, Kind: kind, IdentifiedBy: parsers.ByContent, Warnings: []parsers.Warning{}}
	facts := &model.Model{}
	if prepare != nil {
		// The file's kind, for later files that wait on what it holds.
		prepare(&parsers.Parser{Name: string(kind), Kind: kind}, nil)
	}
	type pending struct {
		name   string
		index  int // in art.Sections
		facts  *model.Model
		finish parsers.Finish
	}
	var deferred []pending
	lines := 0
	err := sections.Split(r, f, func(s sections.Section, body io.Reader) error {
		sa, sf, fin := parseEntry(e, &s, body, patterns, prepare)
		lines = s.Body
		if s.Name == "" && s.Banner == "" && sa.Kind == parsers.KindText && sa.Facts == 0 && len(sa.Warnings) == 0 && blank(sa) {
			return nil // nothing before the first header but blank lines
		}
		art.Sections = append(art.Sections, sa)
		if fin != nil {
			deferred = append(deferred, pending{s.Name, len(art.Sections) - 1, sf, fin})
			return nil
		}
		facts.Merge(sf)
		return nil
	})
	switch {
	case errors.Is(err, sections.ErrTooMany):
		// Read all the same, as output of the last section: what a header
		// past the limit introduced was not parsed as its kind.
		art.Warnings = append(art.Warnings, parsers.Warning{Path: e.Path, Msg: err.Error(), Loss: parsers.LossArtifact})
	case err != nil:
		art.Warnings = append(art.Warnings, parsers.Warning{Path: e.Path, Line: lines, Loss: parsers.LossArtifact,
			Msg: fmt.Sprintf("read error after the section at line %d: %v; the sections after it are missing", lines, err)})
	}
	art.Facts = facts.FactCount()
	if len(deferred) == 0 {
		return art, facts, nil
	}
	for _, d := range deferred {
		art.Facts += d.facts.FactCount()
	}
	secs := art.Sections // shares its array with the returned artifact's
	return art, facts, func(deps, out *model.Model) []parsers.Warning {
		var ws []parsers.Warning
		for _, d := range deferred {
			before := d.facts.FactCount()
			ws = append(ws, d.finish(deps, d.facts)...)
			if n := d.facts.FactCount(); n != before {
				d.facts.SetSection(d.name)
				secs[d.index].Facts = n
			}
			out.Merge(d.facts)
		}
		return ws
	}
}

// sectionedKinds are the artifact kinds of sectioned files, by collector.
var sectionedKinds = map[sections.Format]parsers.Kind{
	sections.Supportconfig: parsers.KindSupportconfig,
	sections.Snap:          parsers.KindSnap,
}

// sectioned reports whether k is the kind of a sectioned file, whose
// sections may hold any kind: files that require some kind wait on it too.
func sectioned(k parsers.Kind) bool { return k == parsers.KindSupportconfig || k == parsers.KindSnap }

// Artifacts lists what rules can read: every file of the inventory that is
// not split into sections, and every section of those that are (each with
// its file's Path). The verdict counts kinds and losses over these, so that
// a mount table inside fs-diskio.txt counts as a mount table.
func (r *Result) Artifacts() []Artifact {
	out := make([]Artifact, 0, len(r.Inventory))
	for _, a := range r.Inventory {
		if a.Sections == nil {
			out = append(out, a)
			continue
		}
		out = append(out, a.Sections...)
		if len(a.Warnings) > 0 {
			// The file's own warnings (a read error, too many sections)
			// concern all of it.
			f := a
			f.Kind, f.Sections = parsers.KindText, nil
			out = append(out, f)
		}
	}
	return out
}

// blank reports whether a section held no bytes but blank lines (the text
// before a file's first header usually does).
func blank(a Artifact) bool { return a.Size <= 2 }

// sectionText are sections whose header names a command that a parser's
// path pattern would take but whose output is something else: supportconfig
// lists the packages' distributions and signatures with "rpm -qa
// --queryformat", which the rpm parser would read as packages.
var sectionText = regexp.MustCompile(`^(\S*/)?rpm -qa --queryformat "%\{(DISTRIBUTION\}\\n"|SIGPGP)`)

// identifySection identifies one section by the path its header names (see
// sections.Section.Path) and its content. A section that copies a file
// ("Configuration File", "Log File") is only identified by that file's
// path: content alone would take /etc/fstab for a mount table.
func identifySection(s sections.Section, head *parsers.Head) parsers.Identification {
	text := parsers.Identification{Kind: parsers.KindText, By: parsers.ByDefault}
	if sectionText.MatchString(s.Name) {
		return text
	}
	id := parsers.Identify(s.Path(), head)
	if id.By == parsers.ByContent && s.Name != "" && s.Banner != "" && s.Banner != "Command" {
		return text
	}
	return id
}

// notRun are the first lines a collector writes in place of a command's
// output when it could not run it.
var notRun = []string{
	"ERROR: Command not found or not executable", // supportconfig
}

// sectionWarnings says, for a section identified as an artifact kind, when
// its header or first line show that the collector did not capture it: the
// file was missing, or the command could not run. Such a section holds no
// facts, and a rule must not take its silence for a healthy host.
func sectionWarnings(p string, s sections.Section, kind parsers.Kind, head *parsers.Head) []parsers.Warning {
	if s.Note == "File not found" {
		return []parsers.Warning{{Path: p, Line: s.Line, Msg: fmt.Sprintf(
			"%s: the collector found no %s on the host, so this %s artifact is empty", kind, s.Name, kind)}}
	}
	for _, l := range head.NonBlank(1) {
		for _, n := range notRun {
			if strings.HasPrefix(l, n) {
				return []parsers.Warning{{Path: p, Line: s.Line, Msg: fmt.Sprintf(
					"%s: the collector could not run %q (%s), so this %s artifact is empty", kind, s.Name, n, kind)}}
			}
		}
	}
	return nil
}

// sectionCounter counts the bytes read through it: a section's size.
type sectionCounter struct {
	r io.Reader
	n int64
}

func (c *sectionCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
