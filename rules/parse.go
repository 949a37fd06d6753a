package rules

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/types"
	"gopkg.in/yaml.v3"

	"github.com/fsagent/triage/internal/pathglob"
	"github.com/fsagent/triage/parsers"
)

// field describes one top-level key of a rule file.
type field struct {
	name     string
	required bool
	want     string // what is expected, for messages
}

// fields lists the keys of a rule file, in the order the README documents.
var fields = []field{
	{"id", true, "an id like area.name"},
	{"title", true, "a one-line title"},
	{"severity", true, "one of info, low, medium, high, critical"},
	{"applies_to", false, "a list of tags"},
	{"needs", false, "a list of artifact kinds, each a kind id or a list of alternatives"},
	{"params", false, "a mapping of names to constants"},
	{"lines", false, "a mapping of names to {files, regex}"},
	{"for_each", false, "an expression yielding a list"},
	{"let", false, "a mapping of names to expressions"},
	{"when", true, "a boolean expression"},
	{"evidence", false, "an expression or a list of expressions"},
	{"aggregates", false, "a mapping of names to expressions yielding a list (counted) or a number"},
	{"message", true, "text with {{ expression }} parts"},
	{"summary", false, "text"},
	{"symptoms", false, "a list of text"},
	{"cause", false, "text"},
	{"diagnosis", false, "a list of text"},
	{"resolution", false, "a list of text"},
	{"caveats", false, "a list of text"},
	{"references", false, "a list of {title, url, doc}"},
	{"tests", false, "a list of test cases"},
}

var (
	idPattern   = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$`)
	namePattern = regexp.MustCompile(`^[a-z_][A-Za-z0-9_]*$`)
)

// yamlLine finds the line number in a yaml.v3 error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserError tells yaml.v3's parser errors, whose line it reports
// counting from 0, from its scanner errors, counted from 1.
func yamlParserError(msg string) bool {
	for _, p := range []string{"did not find expected", "found duplicate %", "found undefined tag handle", "found incompatible YAML document"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// indentTab finds the first tab in the indentation of a line (1-based line
// and column), or 0: yaml.v3 only says "found character that cannot start
// any token" about it.
func indentTab(data []byte) (int, int) {
	for i, l := range strings.Split(string(data), "\n") {
		for j, r := range l {
			if r == '\t' {
				return i + 1, j + 1
			}
			if r != ' ' && r != '-' {
				break
			}
		}
	}
	return 0, 0
}

// parser holds the state of reading one rule file.
type parser struct {
	file string
	src  []byte
	errs *LoadErrors
	// broken lists the let names whose expression failed to compile, so that
	// the expressions using them do not each report a second error.
	broken []string
	// extra are names added to the environment (tests only).
	extra map[string]any
	// env is the type environment of the expression being compiled, for
	// "did you mean" on an unknown name.
	env types.Map
}

func (p *parser) errAt(n *yaml.Node, format string, args ...any) {
	p.errs.add(p.file, n.Line, n.Column, format, args...)
}

// parseRule reads one rule file into a Rule and compiles its expressions.
// It returns nil when the file is too broken to say which rule it is; the
// problems are in errs either way. The id's node is returned for duplicate
// checks.
func parseRule(file string, data []byte, errs *LoadErrors) (*Rule, *yaml.Node) {
	return parseRuleEnv(file, data, errs, nil)
}

// parseRuleEnv is parseRule with extra names in the rule's environment
// (tests use it to give a rule a function that blocks).
func parseRuleEnv(file string, data []byte, errs *LoadErrors, extra map[string]any) (*Rule, *yaml.Node) {
	p := &parser{file: file, src: data, errs: errs, extra: extra}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
			if yamlParserError(msg) {
				line++ // yaml.v3 numbers lines from 0 in its parser's (not scanner's) errors
			}
		}
		if tl, tc := indentTab(data); tl > 0 {
			errs.add(file, tl, tc, "YAML syntax error: a tab in the indentation; YAML indents with spaces only, so replace the tab with spaces")
			return nil, nil
		}
		errs.add(file, line, 1, "YAML syntax error: %s", msg)
		return nil, nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		errs.add(file, 0, 0, "empty file: expected a rule (a mapping with id, title, severity, when and message)")
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errAt(root, "expected a rule (a mapping with id, title, severity, when and message), got %s", kindName(root))
		return nil, nil
	}
	r := &Rule{File: file, extra: extra}
	seen := map[string]*yaml.Node{}
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if prev, ok := seen[k.Value]; ok {
			p.errAt(k, "field %q appears twice (first at line %d)", k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		if !knownField(k.Value) {
			p.errAt(k, "unknown field %q%s", k.Value, suggest(k.Value))
			continue
		}
		vals[k.Value] = v
	}
	for _, f := range fields {
		if f.required && vals[f.name] == nil && seen[f.name] == nil {
			p.errAt(root, "missing required field %q (%s)", f.name, f.want)
		}
	}
	idNode := vals["id"]
	if n := idNode; n != nil {
		if s, ok := p.str(n, "id"); ok {
			if !idPattern.MatchString(s) {
				p.errAt(n, "id %q: expected area.name in lower case, letters, digits and '-' (like gde.guardpoint-busy)", s)
			}
			r.ID = s
		}
	}
	if n := vals["title"]; n != nil {
		if s, ok := p.str(n, "title"); ok {
			if strings.TrimSpace(s) == "" || strings.Contains(s, "\n") {
				p.errAt(n, "title: expected one non-empty line")
			}
			r.Title = s
		}
	}
	if n := vals["severity"]; n != nil {
		if s, ok := p.str(n, "severity"); ok {
			sev, err := ParseSeverity(s)
			if err != nil {
				p.errAt(n, "severity %q: expected one of info, low, medium, high, critical", s)
			}
			r.Severity = sev
		}
	}
	if n := vals["applies_to"]; n != nil {
		r.Tags, _ = p.strList(n, "applies_to")
	}
	if n := vals["needs"]; n != nil {
		r.Needs = p.needs(n)
	}
	if n := vals["summary"]; n != nil {
		r.KB.Summary, _ = p.str(n, "summary")
	}
	if n := vals["cause"]; n != nil {
		r.KB.Cause, _ = p.str(n, "cause")
	}
	for name, dst := range map[string]*[]string{"symptoms": &r.KB.Symptoms, "diagnosis": &r.KB.Diagnosis,
		"resolution": &r.KB.Resolution, "caveats": &r.KB.Caveats} {
		if n := vals[name]; n != nil {
			*dst, _ = p.strList(n, name)
		}
	}
	if n := vals["references"]; n != nil {
		r.KB.References = p.references(n)
	}
	if n := vals["tests"]; n != nil {
		r.Tests = p.tests(n)
	}
	if n := vals["params"]; n != nil {
		r.Params = p.params(n)
	}
	if n := vals["lines"]; n != nil {
		r.Lines = p.lines(n, r.ID)
	}
	p.compile(r, vals)
	return r, idNode
}

// needs reads the artifact kinds a rule looks at: a list whose items are
// a kind id (needed) or a list of kind ids (any one of them will do).
// Every id must be a kind of the parsers registry.
func (p *parser) needs(n *yaml.Node) [][]parsers.Kind {
	if n.Kind != yaml.SequenceNode {
		p.errAt(n, "needs: expected a list of artifact kinds (like [mount, [lsof, fuser]]), got %s", kindName(n))
		return nil
	}
	known := needKinds()
	kind := func(c *yaml.Node) (parsers.Kind, bool) {
		s, ok := p.str(c, "needs item")
		if !ok {
			return "", false
		}
		if !slices.Contains(known, parsers.Kind(s)) {
			p.errAt(c, "needs: unknown artifact kind %q%s", s, suggestKind(s, known))
			return "", false
		}
		return parsers.Kind(s), true
	}
	var out [][]parsers.Kind
	for _, c := range n.Content {
		var group []parsers.Kind
		switch c.Kind {
		case yaml.SequenceNode:
			if len(c.Content) == 0 {
				p.errAt(c, "needs: an empty list of alternatives; name at least one artifact kind")
				continue
			}
			for _, k := range c.Content {
				if s, ok := kind(k); ok && !slices.Contains(group, s) {
					group = append(group, s)
				}
			}
		default:
			if s, ok := kind(c); ok {
				group = []parsers.Kind{s}
			}
		}
		if len(group) > 0 {
			out = append(out, group)
		}
	}
	return out
}

// needKinds are the kinds a rule may need: those the parsers registry
// produces. Text (a file no parser knows) is read by `lines:` collectors,
// never needed by kind.
func needKinds() []parsers.Kind {
	return slices.DeleteFunc(parsers.Kinds(), func(k parsers.Kind) bool { return k == parsers.KindText })
}

// suggestKind proposes the closest artifact kind for a misspelt one, or
// lists them all.
func suggestKind(s string, known []parsers.Kind) string {
	best, bestD := "", 3
	names := make([]string, len(known))
	for i, k := range known {
		names[i] = string(k)
		if d := editDistance(s, string(k)); d < bestD {
			best, bestD = string(k), d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (known kinds: " + strings.Join(names, ", ") + ")"
}

func knownField(name string) bool {
	for _, f := range fields {
		if f.name == name {
			return true
		}
	}
	return false
}

// suggest proposes the closest known field for a misspelt one.
func suggest(name string) string {
	best, bestD := "", 3
	for _, f := range fields {
		if d := editDistance(name, f.name); d < bestD {
			best, bestD = f.name, d
		}
	}
	if best == "" {
		return " (known fields: " + knownList() + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func knownList() string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance, for short field names only.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

// str reads a scalar as text (numbers and booleans are text too).
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errAt(n, "%s: expected text, got %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// strList reads a list of text; a single scalar is a list of one.
func (p *parser) strList(n *yaml.Node, what string) ([]string, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}, true
	}
	if n.Kind != yaml.SequenceNode {
		p.errAt(n, "%s: expected a list of text, got %s", what, kindName(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, c := range n.Content {
		if s, good := p.str(c, what+" item"); good {
			out = append(out, s)
		} else {
			ok = false
		}
	}
	return out, ok
}

// mapping walks a mapping's keys, reporting unknown and repeated ones.
func (p *parser) mapping(n *yaml.Node, what string, known []string, fn func(k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.errAt(n, "%s: expected a mapping, got %s", what, kindName(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if line, ok := seen[k.Value]; ok {
			p.errAt(k, "%s: key %q appears twice (first at line %d)", what, k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		if known != nil && !contains(known, k.Value) {
			p.errAt(k, "%s: unknown field %q (expected one of %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		fn(k, v)
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) references(n *yaml.Node) []Reference {
	if n.Kind != yaml.SequenceNode {
		p.errAt(n, "references: expected a list of {title, url, doc}, got %s", kindName(n))
		return nil
	}
	var out []Reference
	for _, c := range n.Content {
		var ref Reference
		p.mapping(c, "references item", []string{"title", "url", "doc"}, func(k, v *yaml.Node) {
			s, _ := p.str(v, "references "+k.Value)
			switch k.Value {
			case "title":
				ref.Title = s
			case "url":
				ref.URL = s
			case "doc":
				ref.Doc = s
			}
		})
		if c.Kind == yaml.MappingNode && ref.Title == "" {
			p.errAt(c, "references item: missing required field \"title\"")
		}
		out = append(out, ref)
	}
	return out
}

func (p *parser) tests(n *yaml.Node) []TestCase {
	if n.Kind != yaml.SequenceNode {
		p.errAt(n, "tests: expected a list of test cases, got %s", kindName(n))
		return nil
	}
	var out []TestCase
	for i, c := range n.Content {
		tc := TestCase{Count: -1, Line: c.Line, Name: fmt.Sprintf("case %d", i+1)}
		hasBundle, hasFiles := false, false
		ok := p.mapping(c, "tests item", []string{"name", "bundle", "files", "expect", "count", "message_contains", "subject", "evidence"}, func(k, v *yaml.Node) {
			switch k.Value {
			case "name":
				tc.Name, _ = p.str(v, "tests name")
			case "bundle":
				tc.Bundle, hasBundle = p.str(v, "tests bundle")
			case "files":
				hasFiles = true
				p.mapping(v, "tests files", nil, func(fk, fv *yaml.Node) {
					clean := path.Clean(fk.Value)
					if fk.Value == "" || path.IsAbs(fk.Value) || clean == ".." || strings.HasPrefix(clean, "../") {
						p.errAt(fk, "tests files: path %q: expected a relative path inside the bundle", fk.Value)
						return
					}
					s, _ := p.str(fv, "tests files "+fk.Value)
					tc.Files = append(tc.Files, TestFile{Path: clean, Content: s})
				})
			case "expect":
				s, _ := p.str(v, "tests expect")
				if s != "fire" && s != "quiet" {
					p.errAt(v, "tests expect %q: expected fire or quiet", s)
				}
				tc.Expect = s
			case "count":
				var cnt int
				if v.Kind != yaml.ScalarNode || v.Decode(&cnt) != nil || cnt < 0 {
					p.errAt(v, "tests count: expected a whole number of findings, got %s", kindName(v))
					return
				}
				tc.Count = cnt
			case "message_contains":
				tc.MessageContains, _ = p.strList(v, "tests message_contains")
			case "subject":
				tc.Subject, _ = p.str(v, "tests subject")
			case "evidence":
				locs, _ := p.strList(v, "tests evidence")
				for i, l := range locs {
					if _, _, err := splitLocation(l); err != nil {
						at := v
						if v.Kind == yaml.SequenceNode && i < len(v.Content) {
							at = v.Content[i]
						}
						p.errAt(at, "tests evidence %q: %v", l, err)
						continue
					}
					tc.Evidence = append(tc.Evidence, l)
				}
			}
		})
		if !ok {
			continue
		}
		if hasBundle == hasFiles {
			p.errAt(c, "tests item: expected exactly one of bundle or files")
		}
		if tc.Expect == "" {
			p.errAt(c, "tests item: missing required field \"expect\" (fire or quiet)")
		}
		if tc.Expect == "quiet" && (tc.Count > 0 || len(tc.MessageContains) > 0 || tc.Subject != "" || len(tc.Evidence) > 0) {
			p.errAt(c, "tests item: an `expect: quiet` case has no finding to check count, message_contains, subject or evidence against")
		}
		out = append(out, tc)
	}
	return out
}

// params reads named constants, typing lists by their elements so that
// expressions type-check ([]string, []int, []float64, []bool).
func (p *parser) params(n *yaml.Node) map[string]any {
	out := map[string]any{}
	p.mapping(n, "params", nil, func(k, v *yaml.Node) {
		if !namePattern.MatchString(k.Value) {
			p.errAt(k, "params: name %q: expected a lower-case identifier (letters, digits, _)", k.Value)
			return
		}
		val, ok := scalarValue(v)
		if !ok && v.Kind == yaml.SequenceNode {
			val, ok = listValue(v)
		}
		if !ok {
			p.errAt(v, "params %s: expected a number, text, boolean or a list of one of them, got %s", k.Value, kindName(v))
			return
		}
		out[k.Value] = val
	})
	return out
}

func scalarValue(n *yaml.Node) (any, bool) {
	if n.Kind != yaml.ScalarNode {
		return nil, false
	}
	switch n.Tag {
	case "!!int":
		var i int
		if n.Decode(&i) == nil {
			return i, true
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f, true
		}
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b, true
		}
	case "!!str":
		return n.Value, true
	}
	return nil, false
}

func listValue(n *yaml.Node) (any, bool) {
	tag := ""
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, false
		}
		if tag == "" {
			tag = c.Tag
		} else if tag != c.Tag {
			return nil, false
		}
	}
	switch tag {
	case "", "!!str":
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, c.Value)
		}
		return out, true
	case "!!int":
		var out []int
		return out, n.Decode(&out) == nil
	case "!!float":
		var out []float64
		return out, n.Decode(&out) == nil
	case "!!bool":
		var out []bool
		return out, n.Decode(&out) == nil
	}
	return nil, false
}

func (p *parser) lines(n *yaml.Node, id string) []LinePattern {
	var out []LinePattern
	p.mapping(n, "lines", nil, func(k, v *yaml.Node) {
		if !namePattern.MatchString(k.Value) {
			p.errAt(k, "lines: name %q: expected a lower-case identifier (letters, digits, _)", k.Value)
			return
		}
		lp := LinePattern{Key: id + "/" + k.Value}
		var filesNode, regexNode *yaml.Node
		ok := p.mapping(v, "lines "+k.Value, []string{"files", "regex"}, func(fk, fv *yaml.Node) {
			if fk.Value == "files" {
				filesNode = fv
			} else {
				regexNode = fv
			}
		})
		if !ok {
			return
		}
		good := true
		if filesNode == nil {
			p.errAt(v, "lines %s: missing required field \"files\" (a glob like **/ncs/*.load)", k.Value)
			good = false
		} else if s, sok := p.str(filesNode, "lines "+k.Value+" files"); sok {
			g, err := pathglob.Compile(s)
			if err != nil {
				p.errAt(filesNode, "lines %s: bad glob: %v", k.Value, err)
				good = false
			}
			lp.Files, lp.glob = s, g
		} else {
			good = false
		}
		if regexNode == nil {
			p.errAt(v, "lines %s: missing required field \"regex\" (an RE2 regular expression)", k.Value)
			good = false
		} else if s, sok := p.str(regexNode, "lines "+k.Value+" regex"); sok {
			re, err := regexp.Compile(s)
			if err != nil {
				p.errAt(regexNode, "lines %s: bad regex: %v", k.Value, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
				good = false
			}
			lp.Regex = re
		} else {
			good = false
		}
		if good {
			out = append(out, lp)
		}
	})
	return out
}
