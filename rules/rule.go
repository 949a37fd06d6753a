package rules

import (
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/fsagent/triage/internal/pathglob"
	"github.com/fsagent/triage/parsers"
)

// Rule is one loaded, compiled rule file. The exported fields are what the
// rest of the program (reports, `triage rules show`) reads; the compiled
// expressions stay private.
type Rule struct {
	ID       string
	Title    string
	Severity Severity
	// Tags are the rule's applies_to list: product and platform.
	Tags []string
	// Needs are the artifact kinds the rule looks at: every group must be
	// present in a bundle, any one kind of a group will do ([[lsof, fuser],
	// [mount, df, agent-status]]). Without them a rule that does not fire
	// was not evaluated: the report says so instead of an all-clear.
	Needs [][]parsers.Kind
	KB    KB
	// File is the rule file as named in messages (a path on disk, or
	// "rules.d/NAME.yaml" for a shipped rule).
	File string
	// Dir is the directory on disk that `bundle:` test paths are relative
	// to; empty when the rule came from the embedded set and no rules.d
	// directory was found on disk.
	Dir   string
	Tests []TestCase
	// Params are the rule's named constants, visible in every expression.
	Params map[string]any
	// Lines are the rule's line collectors, Key "<id>/<name>".
	Lines []LinePattern

	// The expression texts, as written, for `rules show` and Explain.
	ForEach  string
	Let      []NamedExpr
	When     string
	Evidence []string
	// Aggregates are the rule's named summaries of a finding's facts.
	Aggregates []NamedExpr
	Message    string

	forEach *vm.Program
	lets    []*vm.Program
	// letPerItem is false for a let of a for_each rule that does not use
	// `it`: it is evaluated once, before the items.
	letPerItem []bool
	// Step names for deadline messages: "let NAME", "evidence N".
	letSteps       []string
	evidenceSteps  []string
	aggregateSteps []string
	when           *vm.Program
	whenOp         string     // "&&" or "||" when the condition is a chain of them
	whenParts      []whenPart // the chain's operands, for Explain
	evidence       []*vm.Program
	aggregates     []*vm.Program
	message        []msgPart
	idLine         int            // where the id is written, for duplicate-id messages
	extra          map[string]any // names added to the environment (tests only)
}

// NamedExpr is one `let` entry: a name and its expression text.
type NamedExpr struct {
	Name string
	Expr string
}

// TestCase is one case of a rule's `tests:` list. The cases are the one
// source of truth for what a rule must do: `triage rules test` runs them,
// and so does `go test ./analyze/` (which also derives the rules ×
// scenarios matrix from them: a rule is expected quiet on every scenario
// bundle none of its cases expects it to fire on).
type TestCase struct {
	Name string
	// Bundle is a directory: absolute, or relative to the rule file's
	// directory.
	Bundle string
	// Files are inline bundle files, written to a temporary directory.
	Files []TestFile
	// Expect is "fire" or "quiet".
	Expect string
	// Count, when not negative, is the exact number of findings expected.
	Count int
	// MessageContains are texts that must each occur in a finding's
	// message (the finding of Subject when one is named).
	MessageContains []string
	// Subject, when set, must be the subject of one of the findings.
	Subject string
	// Evidence are "path:line" locations (path relative to the bundle) the
	// finding of Subject, or any finding, must quote.
	Evidence []string
	// Line is where the case starts in the rule file.
	Line int
}

// TestFile is one inline file of a test case.
type TestFile struct {
	Path    string
	Content string
}

// LinePattern asks the pipeline to keep the lines of some files that match
// a regex, so that rules can quote lines of artifacts no parser models.
type LinePattern struct {
	// Key is "<rule id>/<name>": the pipeline stores matches in
	// model.Lines[Key].
	Key string
	// Files is the glob as written in the rule.
	Files string
	Regex *regexp.Regexp

	glob pathglob.Pattern // Files, compiled
}

// Match reports whether a bundle path is one of the files the pattern reads.
// The glob syntax and its case-insensitivity are package pathglob's, the
// same as the parser registry's: "*.load" matches
// "etc/opt/novell/ncs/vol1.load"; a leading "/" anchors it at the bundle
// root; a leading "**/" is allowed and means the same as none.
func (p LinePattern) Match(name string) bool { return p.glob.Match(name) }

// Set is a loaded collection of rules, ready to evaluate.
type Set struct {
	rules []*Rule // sorted by id
	byID  map[string]*Rule
	// Notes tell about overrides: a rule of a --rules directory replacing a
	// shipped one of the same id.
	Notes []string
	// RuleTimeout bounds each rule's evaluation; zero means RuleTimeout.
	RuleTimeout time.Duration
	// EvidenceLimit caps the evidence lines kept per finding (the sample;
	// Finding.EvidenceTotal keeps the full count): zero means
	// DefaultEvidenceLimit, negative keeps all.
	EvidenceLimit int
}

// Rules lists the rules sorted by id.
func (s *Set) Rules() []*Rule { return s.rules }

// Rule returns the rule of that id, or nil.
func (s *Set) Rule(id string) *Rule { return s.byID[id] }

// LinePatterns lists every line collector of every rule, in rule id order,
// for the pipeline to fill model.Lines.
func (s *Set) LinePatterns() []LinePattern {
	var out []LinePattern
	for _, r := range s.rules {
		out = append(out, r.Lines...)
	}
	return out
}

func newSet(rules []*Rule) *Set {
	s := &Set{byID: map[string]*Rule{}}
	for _, r := range rules {
		s.byID[r.ID] = r
	}
	for _, r := range s.byID {
		s.rules = append(s.rules, r)
	}
	sort.Slice(s.rules, func(i, j int) bool { return s.rules[i].ID < s.rules[j].ID })
	return s
}

// maxRuleFile bounds a rule file's size; rules are short prose and
// expressions, so anything larger is a mistake.
const maxRuleFile = 1 << 20

// isRuleFile says which directory entries are rule files.
func isRuleFile(name string) bool {
	return (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) && !strings.HasPrefix(name, ".")
}

// loadFS parses every rule file at the top of fsys. display turns a file
// name into the name used in messages; dir is the directory on disk for
// test bundles ("" when none). Duplicate ids inside one load are errors.
func loadFS(fsys fs.FS, display func(string) string, dir string, errs *LoadErrors) []*Rule {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		errs.add(display("."), 0, 0, "cannot list rule files: %v", err)
		return nil
	}
	var out []*Rule
	first := map[string]*Rule{}
	for _, e := range entries {
		if e.IsDir() || !isRuleFile(e.Name()) {
			continue
		}
		name := display(e.Name())
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			errs.add(name, 0, 0, "cannot read: %v", err)
			continue
		}
		if len(data) > maxRuleFile {
			errs.add(name, 0, 0, "file is %d bytes: expected a rule file under %d bytes", len(data), maxRuleFile)
			continue
		}
		before := len(errs.Errs)
		r, idNode := parseRule(name, data, errs)
		if r == nil {
			continue
		}
		broken := len(errs.Errs) > before
		r.Dir = dir
		if idNode != nil {
			r.idLine = idNode.Line
		}
		if r.ID != "" {
			if prev, ok := first[r.ID]; ok {
				errs.add(name, idNode.Line, idNode.Column, "duplicate id %q: already defined in %s:%d", r.ID, prev.File, prev.idLine)
				continue
			}
			first[r.ID] = r
		}
		if !broken { // a rule with an error is reported, never evaluated
			out = append(out, r)
		}
	}
	return out
}
