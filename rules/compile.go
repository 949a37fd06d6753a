package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"

	"github.com/fsagent/triage/model"
)

// maxNodes bounds the size of one expression; rules are short.
const maxNodes = 2000

// typeEnv is the type environment expressions are checked against: the
// model's fields and methods and the helpers, by their Go types.
func typeEnv() types.Map {
	env := types.Map{}
	for k, v := range bindEnv(&query{m: &model.Model{}}) {
		env[k] = types.TypeOf(v)
	}
	return env
}

// natureType lets the checker's own view of an expression's result (which
// keeps element types that reflect.Type loses, e.g. of filter results)
// stand as the type of a let or of it.
type natureType struct{ n nature.Nature }

func (t natureType) Nature() nature.Nature { return t.n }
func (t natureType) Equal(o types.Type) bool {
	if o == types.Any {
		return true
	}
	ot, ok := o.(natureType)
	return ok && t.n.String() == ot.n.String()
}
func (t natureType) String() string { return t.n.String() }

// resultType is the type of a compiled expression's result, any when not
// known statically.
func resultType(prog *vm.Program) types.Type {
	if prog == nil {
		return types.Any
	}
	if n := prog.Node().Nature(); n != nil {
		return natureType{*n}
	}
	return types.Any
}

// reserved reports whether a rule-local name (param, line collector, let)
// would hide something an expression already sees.
func reserved(name string, env types.Map) string {
	if name == "it" {
		return "the for_each item"
	}
	if _, ok := env[name]; ok {
		return "a name already defined"
	}
	for _, b := range builtin.Names {
		if b == name {
			return "a built-in function"
		}
	}
	switch name {
	case "true", "false", "nil", "in", "not", "and", "or", "matches", "contains", "startsWith", "endsWith", "let", "if", "else":
		return "a keyword"
	}
	return ""
}

// compileOptions are the options every rule expression is compiled with.
func compileOptions(env types.Map, extra ...expr.Option) []expr.Option {
	opts := []expr.Option{expr.Env(env), expr.MaxNodes(maxNodes), expr.DisableBuiltin("now"), expr.Patch(rowFields{})}
	return append(opts, extra...)
}

// rowFields lets rules read a packed lsof row (model.OpenFileRow) as they
// read an OpenFile: `.PID` on a row becomes the call `.PID()` (and
// `.Error` the call `.ErrorNote()`), so a rule need not know how the model
// stores its rows.
type rowFields struct{}

var (
	rowType    = reflect.TypeOf(model.OpenFileRow{})
	rowPtrType = reflect.TypeOf(&model.OpenFileRow{})
)

// Reset and ShouldRepeat make the patch run last, just before the final
// type check (expr runs repeatable patches after the others, one check
// pass later).
func (rowFields) Reset()             {}
func (rowFields) ShouldRepeat() bool { return false }

func (rowFields) Visit(n *ast.Node) {
	if c, ok := (*n).(*ast.CallNode); ok {
		// The check pass before a patch gives a call the type of its
		// function's result even when an argument failed, and the final
		// check trusts a typed call without checking its arguments
		// again: `OpenFilesUnder(it.Pth)` then compiled without error.
		// Forgetting the type makes the final check see the arguments.
		c.SetNature(nature.Nature{})
	}
	m, ok := (*n).(*ast.MemberNode)
	if !ok || m.Method {
		return
	}
	if t := m.Node.Type(); t != rowType && t != rowPtrType {
		return
	}
	p, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	name, ok := model.OpenFileRowMethod(p.Value)
	if !ok {
		return
	}
	callee := &ast.MemberNode{Node: m.Node, Property: &ast.StringNode{Value: name}, Optional: m.Optional, Method: true}
	ast.Patch(n, &ast.CallNode{Callee: callee})
}

// compileAt compiles one expression taken from a YAML node (starting at
// rune offset off of the node's value) and reports a failure at the
// position inside the rule file.
func (p *parser) compileAt(n *yaml.Node, off int, src, what string, opts []expr.Option) *vm.Program {
	if msg, at, found := bannedCall(src); found {
		line, col := p.position(n, off+at)
		p.errs.add(p.file, line, col, "%s: %s", what, msg)
		return nil
	}
	prog, err := expr.Compile(src, opts...)
	if err == nil {
		return prog
	}
	hint := ""
	if n.Style == 0 && n.LineComment != "" {
		hint = " (a ' #' in a plain YAML value starts a comment: quote the expression)"
	}
	for _, name := range p.broken {
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(src) {
			return nil // the let it uses is already reported; don't repeat
		}
	}
	var fe *file.Error
	pos := 0
	msg := err.Error()
	if errors.As(err, &fe) {
		msg = fe.Message
		pos = fe.From
	}
	line, col := p.position(n, off+pos)
	names := map[string]bool{}
	for k := range p.env {
		names[k] = true
	}
	p.errs.add(p.file, line, col, "%s: %s%s", what, explainCheck(strings.TrimSpace(msg), names), hint)
	return nil
}

// position maps a rune offset in a scalar node's value to a line and column
// in the file. Values can differ from the text in the file (block scalars
// drop indentation, folding turns line breaks into spaces, quotes escape), but
// the non-blank characters appear in the same order, so the offset is found
// by counting them.
func (p *parser) position(n *yaml.Node, off int) (int, int) {
	runes := []rune(n.Value)
	if off > len(runes) {
		off = len(runes)
	}
	want := 0
	for _, r := range runes[:off] {
		if !unicode.IsSpace(r) {
			want++
		}
	}
	after := off >= len(runes) || unicode.IsSpace(runes[off])
	lines := strings.Split(string(p.src), "\n")
	line, col := n.Line, n.Column
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		line, col = n.Line+1, 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		col++
	}
	count := 0
	lastLine, lastCol := line, col
	for l := line; l <= len(lines); l++ {
		text := []rune(lines[l-1])
		start := 1
		if l == line {
			start = col
		}
		for c := start; c <= len(text); c++ {
			r := text[c-1]
			if unicode.IsSpace(r) {
				continue
			}
			if count == want && !after {
				return l, c
			}
			count++
			lastLine, lastCol = l, c+1
			if n.Style == yaml.DoubleQuotedStyle && r == '\\' {
				c++ // an escape is one character of the value
			}
			if count == want && after {
				return lastLine, lastCol
			}
		}
	}
	return lastLine, lastCol
}

// whenPart is one operand of a top-level && or || chain in `when`.
type whenPart struct {
	text string
	prog *vm.Program
}

// msgPart is a literal piece of a message or a compiled {{ }} expression.
type msgPart struct {
	text string
	prog *vm.Program
}

// compile type-checks and compiles every expression of a rule, in the order
// in which each may use the names defined before it.
func (p *parser) compile(r *Rule, vals map[string]*yaml.Node) {
	env := typeEnv()
	for k, v := range p.extra {
		env[k] = types.TypeOf(v)
	}
	p.env = env
	cost := newCostScope(bindEnv(&query{m: &model.Model{}}))
	define := func(k *yaml.Node, name, what string, v types.Type) bool {
		if why := reserved(name, env); why != "" {
			p.errAt(k, "%s: name %q is %s; pick another name", what, name, why)
			return false
		}
		env[name] = v
		return true
	}
	params := types.Map{}
	if n := vals["params"]; n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v, ok := r.Params[n.Content[i].Value]; ok {
				params[n.Content[i].Value] = types.TypeOf(v)
				cost.params[n.Content[i].Value] = true
				if !define(n.Content[i], n.Content[i].Value, "params", types.TypeOf(v)) {
					delete(r.Params, n.Content[i].Value)
				}
			}
		}
	}
	env["params"] = params
	if n := vals["lines"]; n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if namePattern.MatchString(k.Value) {
				define(k, k.Value, "lines", types.TypeOf([]model.LineMatch(nil)))
				cost.lines[k.Value] = true
			}
		}
	}
	if n := vals["for_each"]; n != nil {
		if s, ok := p.str(n, "for_each"); ok {
			r.ForEach = s
			r.forEach = p.compileAt(n, 0, s, "for_each", compileOptions(env))
			var itType types.Type = types.Any
			if r.forEach != nil {
				_, cost.forEach = p.checkCost(n, 0, s, compileOptions(env), cost, false, false)
				t := r.forEach.Node().Type()
				switch {
				case t == nil || t.Kind() == reflect.Interface:
				case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
					if nt := r.forEach.Node().Nature(); nt != nil {
						itType = natureType{nt.Elem(new(nature.Cache))}
					}
				default:
					p.errAt(n, "for_each: expected an expression that yields a list, got %s", qualifier.ReplaceAllString(t.String(), ""))
				}
			}
			env["it"] = itType
		}
	}
	if n := vals["let"]; n != nil {
		p.mapping(n, "let", nil, func(k, v *yaml.Node) {
			if !namePattern.MatchString(k.Value) {
				p.errAt(k, "let: name %q: expected a lower-case identifier (letters, digits, _)", k.Value)
				return
			}
			s, ok := p.str(v, "let "+k.Value)
			if !ok {
				return
			}
			prog := p.compileAt(v, 0, s, "let "+k.Value, compileOptions(env))
			usesIt, size := true, All
			if prog == nil {
				p.broken = append(p.broken, k.Value)
			} else {
				usesIt, size = p.checkCost(v, 0, s, compileOptions(env), cost, true, false)
			}
			if define(k, k.Value, "let", resultType(prog)) {
				r.Let = append(r.Let, NamedExpr{Name: k.Value, Expr: s})
				r.lets = append(r.lets, prog)
				r.letPerItem = append(r.letPerItem, usesIt || r.forEach == nil)
				r.letSteps = append(r.letSteps, "let "+k.Value)
				cost.letIt[k.Value] = usesIt
				cost.letSize[k.Value] = size
			}
		})
	}
	if n := vals["when"]; n != nil {
		if s, ok := p.str(n, "when"); ok {
			r.When = s
			r.when = p.compileAt(n, 0, s, "when", compileOptions(env, expr.AsBool()))
			if r.when != nil {
				p.checkCost(n, 0, s, compileOptions(env), cost, true, true)
				r.whenOp, r.whenParts = splitChain(s, env)
			}
		}
	}
	if n := vals["evidence"]; n != nil {
		var items []*yaml.Node
		switch {
		case n.Kind == yaml.SequenceNode:
			items = n.Content
		default:
			items = []*yaml.Node{n}
		}
		for _, it := range items {
			if s, ok := p.str(it, "evidence"); ok {
				prog := p.compileAt(it, 0, s, "evidence", compileOptions(env))
				if prog != nil {
					p.checkCost(it, 0, s, compileOptions(env), cost, true, true)
					if t := prog.Node().Type(); t != nil && !canHoldSources(t) {
						p.errAt(it, "evidence: expected a fact, a Source or a list of them (anything with a Src field), got %s", qualifier.ReplaceAllString(t.String(), ""))
						prog = nil
					}
				}
				r.Evidence = append(r.Evidence, s)
				r.evidence = append(r.evidence, prog)
				r.evidenceSteps = append(r.evidenceSteps, fmt.Sprintf("evidence %d", len(r.evidence)))
			}
		}
	}
	if n := vals["aggregates"]; n != nil {
		p.mapping(n, "aggregates", nil, func(k, v *yaml.Node) {
			if !namePattern.MatchString(k.Value) {
				p.errAt(k, "aggregates: name %q: expected a lower-case identifier (letters, digits, _)", k.Value)
				return
			}
			s, ok := p.str(v, "aggregates "+k.Value)
			if !ok {
				return
			}
			prog := p.compileAt(v, 0, s, "aggregates "+k.Value, compileOptions(env))
			if prog == nil {
				return
			}
			p.checkCost(v, 0, s, compileOptions(env), cost, true, true)
			if t := prog.Node().Type(); t != nil && !isListOrNumber(t) {
				p.errAt(v, "aggregates %s: expected a list (its values are counted), a tally(...) or a number, got %s", k.Value, qualifier.ReplaceAllString(t.String(), ""))
				return
			}
			r.Aggregates = append(r.Aggregates, NamedExpr{Name: k.Value, Expr: s})
			r.aggregates = append(r.aggregates, prog)
			r.aggregateSteps = append(r.aggregateSteps, "aggregates "+k.Value)
		})
	}
	if n := vals["message"]; n != nil {
		if s, ok := p.str(n, "message"); ok {
			r.Message = s
			r.message = p.template(n, s, env, cost)
		}
	}
}

// template splits a message into literal text and {{ expression }} parts.
func (p *parser) template(n *yaml.Node, s string, env types.Map, cost *costScope) []msgPart {
	var parts []msgPart
	rest := s
	base := 0 // rune offset of rest in s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				parts = append(parts, msgPart{text: rest})
			}
			return parts
		}
		if i > 0 {
			parts = append(parts, msgPart{text: rest[:i]})
		}
		open := base + utf8.RuneCountInString(rest[:i])
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			line, col := p.position(n, open)
			p.errs.add(p.file, line, col, "message: unclosed {{: expected }} after the expression")
			return parts
		}
		src := rest[i+2 : i+2+j]
		if strings.TrimSpace(src) == "" {
			line, col := p.position(n, open)
			p.errs.add(p.file, line, col, "message: empty {{ }}: expected an expression inside")
		} else {
			prog := p.compileAt(n, open+2, src, "message", compileOptions(env))
			if prog != nil {
				p.checkCost(n, open+2, src, compileOptions(env), cost, true, true)
			}
			parts = append(parts, msgPart{text: "{{" + src + "}}", prog: prog})
		}
		consumed := rest[:i+2+j+2]
		base += utf8.RuneCountInString(consumed)
		rest = rest[len(consumed):]
	}
}

// splitChain splits a condition that is a chain of && (or of ||) into its
// operands, each compiled on its own, so Explain can say which one failed.
func splitChain(src string, env types.Map) (string, []whenPart) {
	tree, err := exprparser.Parse(src)
	if err != nil {
		return "", nil
	}
	b, ok := tree.Node.(*ast.BinaryNode)
	if !ok {
		return "", nil
	}
	op := normOp(b.Operator)
	if op != "&&" && op != "||" {
		return "", nil
	}
	var nodes []ast.Node
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok && normOp(b.Operator) == op {
			walk(b.Left)
			walk(b.Right)
			return
		}
		nodes = append(nodes, n)
	}
	walk(tree.Node)
	parts := make([]whenPart, 0, len(nodes))
	for _, n := range nodes {
		text := n.String()
		prog, err := expr.Compile(text, compileOptions(env)...)
		if err != nil {
			return "", nil
		}
		parts = append(parts, whenPart{text: text, prog: prog})
	}
	return op, parts
}

func normOp(op string) string {
	switch op {
	case "and":
		return "&&"
	case "or":
		return "||"
	}
	return op
}

// canHoldSources reports whether a value of type t can be or contain a
// Source: a struct, a list, a map or an interface (any). Numbers, text and
// booleans cannot, so `evidence: 42` is a lint error.
func canHoldSources(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Slice, reflect.Array, reflect.Map, reflect.Interface:
		return true
	}
	return false
}

// isListOrNumber reports whether an aggregate's expression type is usable.
func isListOrNumber(t reflect.Type) bool {
	if t == reflect.TypeOf(Tally{}) {
		return true
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Interface,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
