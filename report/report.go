// Package report renders the result of analyzing one bundle for its
// readers: a terminal summary (Text), a stable machine document (JSON), a
// snippet to paste into a ticket (Markdown) and one self-contained page with
// charts (HTML).
//
// Every renderer treats the strings that came from the bundle (evidence
// lines, paths, messages built from them, warnings) as hostile: they are
// escaped for the output's own syntax, so a log line can never inject a
// terminal escape, a Markdown table cell, or an HTML element.
//
// Output is deterministic: the same Result renders to the same bytes, so
// reports can be diffed and kept as golden files.
package report

import (
	"cmp"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

// Tool names the program that wrote a report, so a report read months
// later says which knowledge base judged the bundle.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Option adjusts the JSON, Markdown and HTML renderers.
type Option func(*config)

type config struct {
	tool Tool
}

// WithTool sets the program name and version written into the report.
// Without it the report names "triage" and the module's build version.
func WithTool(name, version string) Option {
	return func(c *config) {
		if name != "" {
			c.tool.Name = name
		}
		if version != "" {
			c.tool.Version = version
		}
	}
}

func newConfig(opts []Option) config {
	c := config{tool: defaultTool()}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

func defaultTool() Tool {
	t := Tool{Name: "triage", Version: "dev"}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		t.Version = bi.Main.Version
	}
	return t
}

// severities lists the severity levels worst first, the order every report
// uses for counts and tables.
var severities = []rules.Severity{rules.Critical, rules.High, rules.Medium, rules.Low, rules.Info}

// sortedFindings returns the findings worst first; within one severity by
// rule id, subject and message, so the order does not depend on the order
// in which the rules happened to run.
func sortedFindings(fs []rules.Finding) []rules.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b rules.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			strings.Compare(a.RuleID, b.RuleID),
			strings.Compare(a.Subject, b.Subject),
			strings.Compare(a.Message, b.Message),
		)
	})
	return out
}

// sortedInventory returns the artifacts ordered by path, so a bundle read
// in a different order (a parallel walk, a re-packed archive) reports the
// same way.
func sortedInventory(inv []analyze.Artifact) []analyze.Artifact {
	out := slices.Clone(inv)
	slices.SortStableFunc(out, func(a, b analyze.Artifact) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// sortedOthers returns the entries not parsed, ordered by path.
func sortedOthers(os []bundle.Other) []bundle.Other {
	out := slices.Clone(os)
	slices.SortStableFunc(out, func(a, b bundle.Other) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// otherLine describes an entry not parsed in one line.
func otherLine(o bundle.Other) string {
	s := o.Type
	if o.Target != "" {
		s += " -> " + o.Target
	}
	if o.Note != "" {
		s += ": " + o.Note
	}
	return s
}

// evidence returns a finding's evidence with exact repeats removed (a rule
// may name one line through two expressions), in the rule's order.
func evidence(f rules.Finding) []model.Source {
	var out []model.Source
	seen := map[model.Source]bool{}
	for _, s := range f.Evidence {
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// evidenceMore says what a finding's evidence sample leaves out, "" when it
// shows every line.
func evidenceMore(f rules.Finding) string {
	n := f.MoreEvidence()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("... and %s more (%s evidence lines in all; analyze --evidence all lists every one)",
		wording.Count(n), wording.Count(f.EvidenceTotal))
}

// aggregateText renders one aggregate of a finding: its name and total,
// and for a list the most frequent values with their counts.
func aggregateText(a rules.Aggregate) string {
	s := strings.ReplaceAll(a.Name, "_", " ") + ": " + wording.Count(a.Total)
	if len(a.Top) > 0 && !(len(a.Top) == a.Total && a.Top[0].Count == 1) {
		parts := make([]string, len(a.Top))
		for i, c := range a.Top {
			parts[i] = fmt.Sprintf("%v (%s)", c.Value, wording.Count(c.Count))
		}
		more := ""
		if a.Total > len(a.Top) {
			more = ", ..."
		}
		s += " - most frequent: " + strings.Join(parts, ", ") + more
	}
	return s
}

// counts holds the number of findings per severity.
type counts map[rules.Severity]int

func countFindings(fs []rules.Finding) counts {
	c := counts{}
	for _, f := range fs {
		c[f.Severity]++
	}
	return c
}

// String says "1 critical, 2 high" (only the non-zero ones), or "none".
func (c counts) String() string {
	var parts []string
	for _, s := range severities {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// warningCount is every warning of the result: those of the bundle and
// those of each artifact.
func warningCount(r *analyze.Result) int {
	n := len(r.Warnings)
	for _, a := range r.Inventory {
		n += parsers.CountWarnings(a.Warnings)
	}
	return n
}

// allWarnings lists the bundle-level warnings first, then each artifact's
// warnings in path order, as one list of (path, line, message).
func allWarnings(r *analyze.Result) []parsers.Warning {
	var out []parsers.Warning
	for _, w := range r.Warnings {
		out = append(out, parsers.Warning{Path: w.Path, Msg: w.Msg})
	}
	for _, a := range sortedInventory(r.Inventory) {
		for _, w := range a.Warnings {
			if w.Path == "" {
				w.Path = a.Path
			}
			out = append(out, w)
		}
	}
	return out
}

// warningLoc says where a warning is: "path:line", "path", or "(bundle)"
// for a warning about the bundle as a whole.
func warningLoc(w parsers.Warning) string {
	loc := w.Path
	if loc == "" {
		loc = "(bundle)"
	}
	if w.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, w.Line)
	}
	return loc
}

// host returns the model's host facts, or an empty Host without a model.
func host(r *analyze.Result) model.Host {
	if r.Model == nil {
		return model.Host{}
	}
	return r.Model.Host
}

// location formats a source as "path:line" (or "path:line-end", or just
// "path" when the line is unknown).
func location(s model.Source) string {
	switch {
	case s.Line <= 0:
		return s.Path
	case s.EndLine > s.Line:
		return fmt.Sprintf("%s:%d-%d", s.Path, s.Line, s.EndLine)
	default:
		return fmt.Sprintf("%s:%d", s.Path, s.Line)
	}
}

// refLink returns a reference's URL when it is one a reader can follow
// (http or https), else "".
func refLink(ref rules.Reference) string {
	u := strings.TrimSpace(ref.URL)
	l := strings.ToLower(u)
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return u
	}
	return ""
}

// safeText makes s safe to show on one line anywhere: control characters
// (newlines too), DEL, C1 controls, bidirectional overrides and invalid
// UTF-8 become visible escapes such as \x1b or \u202e, so that no bundle
// byte can move a terminal's cursor, reorder a line or break a table row.
func safeText(s string) string {
	return escapeControls(s, false)
}

// safeBlock is safeText that keeps newlines and tabs, for multi-line prose.
func safeBlock(s string) string {
	return escapeControls(s, true)
}

func escapeControls(s string, keepLines bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r, keepLines) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && !keepLines:
			b.WriteString(`\n`)
		case r == '\t' && !keepLines:
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case needsEscape(r, keepLines) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r, keepLines):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune, keepLines bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !keepLines
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// bundleSize is the bundle's format with its size, leaving out the size
// of a directory, which is not measured.
func bundleSize(b analyze.BundleInfo) string {
	if b.Size <= 0 && b.Format == "directory" {
		return b.Format
	}
	return fmt.Sprintf("%s, %s", b.Format, wording.Bytes(b.Size))
}

// SafeText makes text from a bundle safe to print on one terminal line:
// control characters, escape sequences, bidirectional overrides and
// invalid UTF-8 become visible escapes. The CLI's own listings (inventory,
// rule lists) use it so that they hold the same promise as the reports.
func SafeText(s string) string { return safeText(s) }

// verdictLine is the headline every format starts its findings with when
// the analysis is incomplete: "Incomplete analysis: the archive is
// truncated or corrupt; 1 file was cut short". Empty when it is complete.
func verdictLine(r *analyze.Result) string {
	if r.Complete() {
		return ""
	}
	n := map[string]int{}
	for _, x := range r.Incomplete {
		n[x.Kind]++
	}
	var parts []string
	if n[analyze.ReasonArchive] > 0 {
		parts = append(parts, "the archive is truncated, corrupt or unreadable")
	}
	if k := n[analyze.ReasonLimit]; k > 0 {
		parts = append(parts, wording.Plural(k, "limit", "limits")+" stopped the reading")
	}
	if k := n[analyze.ReasonArtifact]; k > 0 {
		parts = append(parts, wording.Plural(k, "file was", "files were")+" not read whole")
	}
	if k := n[analyze.ReasonRule]; k > 0 {
		parts = append(parts, wording.Plural(k, "rule", "rules")+" could not run")
	}
	if n[analyze.ReasonCoverage] > 0 {
		parts = append(parts, "no artifact was identified")
	}
	return "Incomplete analysis: " + strings.Join(parts, "; ")
}

// notSeenIntro explains the "What this analysis could not see" section.
const notSeenIntro = "A problem in a part that was not read, or checked by a rule that could not run, may be present but is not reported."

// hasNotSeen says whether the report has a "What this analysis could not
// see" section: a reason the analysis is incomplete, or a rule that could
// not be evaluated.
func hasNotSeen(r *analyze.Result) bool {
	return len(r.Incomplete) > 0 || len(r.NotEvaluated()) > 0
}

// reasonLoc says what a reason is about: a path, a rule, or the bundle.
func reasonLoc(x analyze.Reason) string {
	switch {
	case x.RuleID != "":
		return x.RuleID
	case x.Path != "":
		return x.Path
	}
	return "(bundle)"
}

// notEvaluatedGroup is the rules that could not be evaluated for one same
// reason, so the section stays short when many rules lack one input.
type notEvaluatedGroup struct {
	RuleIDs []string
	Reason  string
}

// IDs joins the group's rule ids.
func (g notEvaluatedGroup) IDs() string { return strings.Join(g.RuleIDs, ", ") }

// notEvaluatedGroups groups the rules not evaluated by reason, in the
// order the reasons first appear (rule id order).
func notEvaluatedGroups(r *analyze.Result) []notEvaluatedGroup {
	var out []notEvaluatedGroup
	at := map[string]int{}
	for _, c := range r.NotEvaluated() {
		i, ok := at[c.Reason]
		if !ok {
			i = len(out)
			at[c.Reason] = i
			out = append(out, notEvaluatedGroup{Reason: c.Reason})
		}
		out[i].RuleIDs = append(out[i].RuleIDs, c.RuleID)
	}
	return out
}

// maxReasonsShown is how many incomplete reasons the text, Markdown and
// HTML reports list before "+N more": a bundle of thousands of unreadable
// files must not bury the report. JSON lists them all.
const maxReasonsShown = 20

// shownReasons returns the reasons a report lists and how many it leaves
// out.
func shownReasons(r *analyze.Result) ([]analyze.Reason, int) {
	if len(r.Incomplete) <= maxReasonsShown {
		return r.Incomplete, 0
	}
	return r.Incomplete[:maxReasonsShown], len(r.Incomplete) - maxReasonsShown
}
