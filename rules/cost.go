package rules

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	exprparser "github.com/expr-lang/expr/parser"
	"gopkg.in/yaml.v3"
)

// Every rule is linear (or n log n) in the facts it reads by construction:
// lint rejects the constructs that are not. Three things are checked:
//
//   - builtins whose cost is superlinear whatever their input (uniq compares
//     every pair; reduce can copy its accumulator on every step) are
//     rejected, naming the replacement from the function table;
//   - inside an iteration over a list of facts (filter, map, any, ... over
//     a list that may hold every fact of a kind or of one key), nothing may
//     iterate over another such list or call a Scan function: that is one
//     scan per element;
//   - in a for_each rule over such a list, an expression evaluated per item
//     (a let that uses `it`, the condition, the evidence, the message) may
//     not call a Scan function or iterate over a list of all the facts of a
//     kind. Lookups (OpenFilesUnder(it.Path)) are fine: over all items they
//     add up to the facts once. Lets that do not use `it` are evaluated
//     once per rule, before the items.

// bannedBuiltins are the expr builtins rules cannot use, with the reason
// and the replacement.
var bannedBuiltins = map[string]string{
	"uniq":   "uniq compares every pair of values (quadratic in the number of distinct values): use distinct(list)",
	"reduce": "reduce can copy its accumulator on every step (quadratic): use sumOf, minOf, maxOf, countBy, topN or distinct",
}

// iterating lists the builtins, besides those withPredicate, that walk
// their first argument.
var iterating = map[string]bool{
	"sort": true, "uniq": true, "concat": true, "flatten": true, "join": true, "keys": true,
	"values": true, "reverse": true, "max": true, "min": true, "mean": true, "median": true,
	"toPairs": true, "fromPairs": true,
}

// withPredicate lists the builtins whose second argument runs per element.
var withPredicate = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true,
	"count": true, "sum": true, "groupBy": true, "sortBy": true, "reduce": true,
}

// costScope says what the names of one rule stand for, for the cost
// checks.
type costScope struct {
	letSize map[string]Size
	letIt   map[string]bool // the let uses `it`, directly or through another let
	params  map[string]bool
	lines   map[string]bool
	facts   map[string]Size // model fields
	// forEach is the size of the for_each list; Scalar without for_each.
	forEach Size
}

func newCostScope(env map[string]any) *costScope {
	s := &costScope{letSize: map[string]Size{}, letIt: map[string]bool{}, params: map[string]bool{}, lines: map[string]bool{}, facts: map[string]Size{}}
	for k, v := range env {
		if _, ok := funcByName[k]; ok {
			continue
		}
		switch reflect.TypeOf(v).Kind() {
		case reflect.Slice, reflect.Map:
			s.facts[k] = All
		default:
			s.facts[k] = Scalar
		}
	}
	return s
}

// bannedCall reports the first call of a banned builtin in src, with its
// rune offset, before the expression is compiled (it would only fail as an
// unknown name).
func bannedCall(src string) (msg string, at int, found bool) {
	tree, err := exprparser.Parse(src)
	if err != nil {
		return "", 0, false
	}
	v := &bannedVisitor{}
	ast.Walk(&tree.Node, v)
	if v.msg == "" {
		return "", 0, false
	}
	return v.msg, v.at, true
}

type bannedVisitor struct {
	msg string
	at  int
}

func (v *bannedVisitor) Visit(n *ast.Node) {
	if v.msg != "" {
		return
	}
	name := ""
	switch x := (*n).(type) {
	case *ast.BuiltinNode:
		name = x.Name
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok {
			name = id.Value
		}
	}
	if why, ok := bannedBuiltins[name]; ok {
		v.msg, v.at = name+": "+why, (*n).Location().From
	}
}

// costIssue is one superlinear construct, at a rune offset of the
// expression.
type costIssue struct {
	at  int
	msg string
}

// costWalk checks one expression. hot is the context it runs in: "" when it
// runs once, else a description of what it runs once per.
type costWalk struct {
	s      *costScope
	locals []map[string]Size
	issues []costIssue
	usesIt bool
}

func (w *costWalk) report(n ast.Node, format string, args ...any) {
	w.issues = append(w.issues, costIssue{at: n.Location().From, msg: fmt.Sprintf(format, args...)})
}

func (w *costWalk) local(name string) (Size, bool) {
	for i := len(w.locals) - 1; i >= 0; i-- {
		if s, ok := w.locals[i][name]; ok {
			return s, true
		}
	}
	return 0, false
}

// size estimates how long a list node n yields, relative to the facts.
func (w *costWalk) size(n ast.Node) Size {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		if s, ok := w.local(x.Value); ok {
			return s
		}
		switch {
		case x.Value == "it":
			return Scalar
		case x.Value == "params" || w.s.params[x.Value]:
			return Bounded
		case w.s.lines[x.Value]:
			return All
		}
		if s, ok := w.s.letSize[x.Value]; ok {
			return s
		}
		if s, ok := w.s.facts[x.Value]; ok {
			return s
		}
		return Scalar
	case *ast.PointerNode:
		return Scalar
	case *ast.MemberNode:
		base := w.size(x.Node)
		if t := x.Node.Type(); t != nil && t.Kind() == reflect.Map {
			if id, ok := x.Node.(*ast.IdentifierNode); ok && id.Value == "params" {
				return Bounded
			}
			return PerKey // one group of a map built once
		}
		if base >= PerKey {
			return Scalar // an element of a list
		}
		return Bounded // a field of one fact
	case *ast.ChainNode:
		return w.size(x.Node)
	case *ast.CallNode:
		id, ok := x.Callee.(*ast.IdentifierNode)
		if !ok {
			return Scalar
		}
		f := funcByName[id.Value]
		if f == nil {
			return Scalar
		}
		if f.Result == AsArg {
			if len(x.Arguments) > 0 {
				return w.size(x.Arguments[0])
			}
			return Scalar
		}
		return f.Result
	case *ast.BuiltinNode:
		switch x.Name {
		case "filter", "map", "sortBy", "sort", "reverse", "groupBy", "keys", "values", "uniq", "toPairs":
			if len(x.Arguments) > 0 {
				return w.size(x.Arguments[0])
			}
		case "take":
			return Bounded
		case "concat":
			s := Scalar
			for _, a := range x.Arguments {
				s = max(s, w.size(a))
			}
			return s
		case "flatten":
			return All
		}
		return Scalar
	case *ast.ArrayNode:
		return Bounded
	case *ast.ConditionalNode:
		return max(w.size(x.Exp1), w.size(x.Exp2))
	case *ast.BinaryNode:
		if x.Operator == "??" {
			return max(w.size(x.Left), w.size(x.Right))
		}
		return Scalar
	case *ast.VariableDeclaratorNode:
		w.locals = append(w.locals, map[string]Size{x.Name: w.size(x.Value)})
		s := w.size(x.Expr)
		w.locals = w.locals[:len(w.locals)-1]
		return s
	case *ast.SequenceNode:
		if len(x.Nodes) > 0 {
			return w.size(x.Nodes[len(x.Nodes)-1])
		}
	}
	return Scalar
}

// walk visits n in context hot ("" when n runs once per evaluation, else
// what it runs once per), and limit, the largest list n may iterate there.
func (w *costWalk) walk(n ast.Node, hot string, limit Size) {
	if n == nil {
		return
	}
	iterate := func(what string, list ast.Node) {
		if hot == "" {
			return
		}
		if s := w.size(list); s > limit {
			w.report(n, "%s over %s runs once per %s, which makes the rule quadratic: compute it once in a let that does not depend on the item, or build a lookup once (set(list), countBy(list), groupBy(list, .Key)) and index it", what, sizeWords(s), hot)
		}
	}
	switch x := n.(type) {
	case *ast.IdentifierNode:
		if x.Value == "it" {
			w.usesIt = true
		} else if w.s.letIt[x.Value] {
			if _, local := w.local(x.Value); !local {
				w.usesIt = true
			}
		}
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok {
			if f := funcByName[id.Value]; f != nil {
				if hot != "" && f.Cost == Scan {
					w.report(n, "%s reads every fact of its kind on each call, and here it runs once per %s, which makes the rule quadratic: call it once in a let that does not depend on the item", f.Name, hot)
				}
				if f.Cost == Linear {
					// Every list argument is walked (tally takes several).
					for _, a := range x.Arguments {
						iterate(f.Name, a)
					}
				}
			}
		} else {
			w.walk(x.Callee, hot, limit)
		}
		for _, a := range x.Arguments {
			w.walk(a, hot, limit)
		}
		return
	case *ast.BuiltinNode:
		if (iterating[x.Name] || withPredicate[x.Name]) && len(x.Arguments) > 0 {
			iterate(x.Name, x.Arguments[0])
		}
		for i, a := range x.Arguments {
			if i >= 1 && withPredicate[x.Name] {
				inner, innerLimit := hot, limit
				if s := w.size(x.Arguments[0]); s > Bounded {
					inner, innerLimit = "element of the list "+x.Name+" walks", Bounded
				}
				w.locals = append(w.locals, map[string]Size{})
				w.walk(a, inner, innerLimit)
				w.locals = w.locals[:len(w.locals)-1]
				continue
			}
			w.walk(a, hot, limit)
		}
		if x.Map != nil {
			w.walk(x.Map, hot, limit)
		}
		return
	case *ast.BinaryNode:
		if x.Operator == "in" || x.Operator == "not in" {
			if t := x.Right.Type(); t == nil || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Interface {
				iterate("`in`", x.Right)
			}
		}
		w.walk(x.Left, hot, limit)
		w.walk(x.Right, hot, limit)
		return
	case *ast.VariableDeclaratorNode:
		w.walk(x.Value, hot, limit)
		w.locals = append(w.locals, map[string]Size{x.Name: w.size(x.Value)})
		w.walk(x.Expr, hot, limit)
		w.locals = w.locals[:len(w.locals)-1]
		return
	case *ast.PredicateNode:
		w.walk(x.Node, hot, limit)
		return
	case *ast.UnaryNode:
		w.walk(x.Node, hot, limit)
		return
	case *ast.ChainNode:
		w.walk(x.Node, hot, limit)
		return
	case *ast.MemberNode:
		w.walk(x.Node, hot, limit)
		w.walk(x.Property, hot, limit)
		return
	case *ast.SliceNode:
		w.walk(x.Node, hot, limit)
		w.walk(x.From, hot, limit)
		w.walk(x.To, hot, limit)
		return
	case *ast.ConditionalNode:
		w.walk(x.Cond, hot, limit)
		w.walk(x.Exp1, hot, limit)
		w.walk(x.Exp2, hot, limit)
		return
	case *ast.ArrayNode:
		for _, e := range x.Nodes {
			w.walk(e, hot, limit)
		}
		return
	case *ast.MapNode:
		for _, e := range x.Pairs {
			w.walk(e, hot, limit)
		}
		return
	case *ast.PairNode:
		w.walk(x.Key, hot, limit)
		w.walk(x.Value, hot, limit)
		return
	case *ast.SequenceNode:
		for _, e := range x.Nodes {
			w.walk(e, hot, limit)
		}
		return
	}
}

func sizeWords(s Size) string {
	switch s {
	case All:
		return "a list of facts"
	case PerKey:
		return "a list of facts of one key"
	}
	return "a list"
}

// usesIt reports whether an expression uses `it` or a let that does.
func (s *costScope) usesIt(tree ast.Node) bool {
	w := &costWalk{s: s}
	w.walk(tree, "", All)
	return w.usesIt
}

// checkCost compiles src once more without the optimizer (whose rewrites
// hide the shape written) and reports its superlinear constructs. perItem
// says the expression runs once per for_each item when it depends on the
// item (lets) or always (when, evidence, message). It returns whether the
// expression uses `it` and the size of its result.
func (p *parser) checkCost(n *yaml.Node, off int, src string, opts []expr.Option, s *costScope, perItem, always bool) (bool, Size) {
	prog, err := expr.Compile(src, append(append([]expr.Option{}, opts...), expr.Optimize(false))...)
	if err != nil {
		return false, Scalar
	}
	tree := prog.Node()
	uses := s.usesIt(tree)
	hot, limit := "", All
	if perItem && s.forEach > Bounded && (always || uses) {
		hot, limit = "for_each item", PerKey
	}
	w := &costWalk{s: s}
	w.walk(tree, hot, limit)
	for _, is := range w.issues {
		line, col := p.position(n, off+is.at)
		p.errs.add(p.file, line, col, "%s", is.msg)
	}
	return uses, w.size(tree)
}
