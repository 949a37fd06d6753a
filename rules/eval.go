package rules

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/fsagent/triage/model"
)

// RuleTimeout is the default bound on the evaluation of one rule on one
// bundle (Set.RuleTimeout changes it). It bounds every step: a rule still
// running at the deadline, even inside one expression, is abandoned (see
// Rule.run) and reported as a DeadlineError.
const RuleTimeout = 10 * time.Second

// memoryBudget is the expr VM's allocation budget per expression run (in
// its own units: array elements, map entries, sorted items). The default
// (1e6) is too small for bundles with hundreds of thousands of facts.
const memoryBudget = 50_000_000

var (
	sourceType      = reflect.TypeOf(model.Source{})
	openFileRowType = reflect.TypeOf(model.OpenFileRow{})
)

// exprPosSuffix is the " (line:col)" expr appends to runtime errors.
var exprPosSuffix = regexp.MustCompile(` \(\d+:\d+\)$`)

// Evaluate runs every rule on the model. A rule that fails becomes an
// EvalError and the other rules still run. Findings are ordered by
// severity (worst first), rule id, then subject; evidence is deduplicated
// by path and line, in the order the evidence expressions yielded it.
func (s *Set) Evaluate(ctx context.Context, m *model.Model) ([]Finding, []EvalError) {
	base := modelEnv(m)
	var findings []Finding
	var errs []EvalError
	for i, res := range evaluate(ctx, s.rules, s.timeout(), s.EvidenceLimit, base, m, false) {
		r, fs, err := s.rules[i], res.out, res.err
		if err != nil {
			var de *DeadlineError
			errs = append(errs, EvalError{RuleID: r.ID, Msg: err.Error(), Deadline: errors.As(err, &de)})
			continue
		}
		findings = append(findings, fs...)
	}
	sortFindings(findings)
	return findings, errs
}

func (s *Set) timeout() time.Duration {
	if s.RuleTimeout > 0 {
		return s.RuleTimeout
	}
	return RuleTimeout
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Subject < b.Subject
	})
}

// ruleEnv is the environment of one rule: the model, then the rule's
// params and line collectors.
func (r *Rule) env(base map[string]any, m *model.Model) map[string]any {
	env := make(map[string]any, len(base)+len(r.Params)+len(r.Lines)+len(r.Let)+1)
	for k, v := range base {
		env[k] = v
	}
	params := make(map[string]any, len(r.Params))
	for k, v := range r.Params {
		env[k] = v
		params[k] = v
	}
	env["params"] = params
	for k, v := range r.extra {
		env[k] = v
	}
	for _, lp := range r.Lines {
		name := lp.Key[strings.LastIndexByte(lp.Key, '/')+1:]
		env[name] = m.Lines[lp.Key] // a typed nil slice when nothing matched
	}
	return env
}

// DeadlineError is a rule abandoned at its deadline: the step that was
// still running, and of which item.
type DeadlineError struct {
	Step    string // "let open", "when", "evidence 2", "message", "for_each"
	Item    int    // 1-based for_each item, 0 without for_each
	Subject string
	Timeout time.Duration
	Err     error // context.DeadlineExceeded or context.Canceled
}

// Error says which step was abandoned and that the rule's findings are
// unknown, so nobody reads the missing findings as healthy.
func (e *DeadlineError) Error() string {
	where := e.Step
	if where == "" {
		where = "evaluation"
	}
	if e.Item > 0 {
		where += fmt.Sprintf(" of item %d (%s)", e.Item, e.Subject)
	}
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return fmt.Sprintf("rule deadline: %s was still running after %s and was abandoned; the rule's findings are unknown", where, e.Timeout)
	}
	return fmt.Sprintf("rule deadline: %s was abandoned: %v", where, e.Err)
}

// Unwrap lets callers tell a deadline from a cancellation with errors.Is.
func (e *DeadlineError) Unwrap() error { return e.Err }

// progress is where a running evaluation is, for the deadline message; the
// evaluating goroutine writes it, the waiting one reads it.
type progress struct {
	step    atomic.Pointer[string]
	item    atomic.Int64
	subject atomic.Pointer[string]
}

func (p *progress) at(step *string) {
	if p != nil {
		p.step.Store(step)
	}
}

// run evaluates the rule alone within its deadline (see evaluate); with ex
// not nil it also records every step for Explain.
func (r *Rule) run(ctx context.Context, timeout time.Duration, limit int, base map[string]any, m *model.Model, ex *Explanation) ([]Finding, error) {
	res := evaluate(ctx, []*Rule{r}, timeout, limit, base, m, ex != nil)[0]
	if ex != nil && res.ex != nil {
		ex.Items, ex.Cases = res.ex.Items, res.ex.Cases
	}
	return res.out, res.err
}

// ruleResult is what one rule's evaluation gave.
type ruleResult struct {
	out []Finding
	ex  *Explanation // with explain
	err error
}

// evaluation is the evaluation of a list of rules on one model. The rules
// run one after the other on a worker goroutine, which the calling one
// watches: expr cannot interrupt an expression, so a rule still running at
// its deadline is abandoned, with its worker (which stops at its next step
// and whose results are dropped), and a new worker goes on with the next
// rule. One worker for all the rules, rather than a goroutine per rule, is
// what a batch of small bundles needs: a fresh goroutine per rule grew its
// stack anew and woke the other core each time (13 % of a single-job
// batch's time).
type evaluation struct {
	rules   []*Rule
	timeout time.Duration
	limit   int
	base    map[string]any
	m       *model.Model
	explain bool

	mu      sync.Mutex
	gen     int       // the worker whose results count; an abandoned one has an older number
	cur     int       // the rule that worker is on
	started time.Time // when it began that rule
	prog    *progress // where in that rule it is
	results []ruleResult
}

// evaluate evaluates rules in order on m, each within timeout, and returns
// their results in the same order. It returns when every rule has a result
// (a deadline error for one abandoned) or, when ctx ends, at once: the
// rule running then gets a deadline error and the rules after it a "not
// evaluated" one.
func evaluate(ctx context.Context, rules []*Rule, timeout time.Duration, limit int, base map[string]any, m *model.Model, explain bool) []ruleResult {
	e := &evaluation{rules: rules, timeout: timeout, limit: limit, base: base, m: m, explain: explain,
		results: make([]ruleResult, len(rules))}
	if len(rules) == 0 {
		return e.results
	}
	if err := ctx.Err(); err != nil {
		for i := range e.results {
			e.results[i].err = errors.New("not evaluated: " + err.Error())
		}
		return e.results
	}
	done := e.startLocked(ctx, 0)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case <-done:
			return e.results
		case <-timer.C:
			e.mu.Lock()
			if left := timeout - time.Since(e.started); left > 0 {
				// The worker has moved on to a later rule since the timer
				// was set: wait for that rule's deadline.
				e.mu.Unlock()
				timer.Reset(left)
				continue
			}
			i := e.cur
			e.results[i] = ruleResult{err: deadlineError(timeout, context.DeadlineExceeded, e.prog)}
			if i+1 == len(rules) {
				e.gen++
				e.mu.Unlock()
				return e.results
			}
			done = e.startLocked(ctx, i+1)
			e.mu.Unlock()
			timer.Reset(timeout)
		case <-ctx.Done():
			e.mu.Lock()
			defer e.mu.Unlock()
			e.gen++
			if e.cur < len(rules) {
				e.results[e.cur] = ruleResult{err: deadlineError(timeout, ctx.Err(), e.prog)}
			}
			for j := e.cur + 1; j < len(rules); j++ {
				e.results[j] = ruleResult{err: errors.New("not evaluated: " + ctx.Err().Error())}
			}
			return e.results
		}
	}
}

// startLocked abandons the running worker, if any, and starts one at rule
// from. It returns the channel the new worker closes when it has a result
// for every rule. The caller holds e.mu, or no worker runs yet.
func (e *evaluation) startLocked(ctx context.Context, from int) <-chan struct{} {
	e.gen++
	e.cur, e.started, e.prog = from, time.Now(), &progress{}
	done := make(chan struct{})
	go e.work(ctx, e.gen, from, done)
	return done
}

// work evaluates the rules from rule from on, for as long as it is worker
// gen, with a VM of its own reused from rule to rule.
func (e *evaluation) work(ctx context.Context, gen, from int, done chan<- struct{}) {
	machine := &vm.VM{MemoryBudget: memoryBudget}
	for i := from; i < len(e.rules); i++ {
		e.mu.Lock()
		if e.gen != gen {
			e.mu.Unlock()
			return
		}
		clock := &stepClock{ctx: ctx, deadline: e.started.Add(e.timeout)}
		prog, started := e.prog, e.started
		e.mu.Unlock()
		var local *Explanation
		if e.explain {
			local = &Explanation{}
		}
		out, err := e.rules[i].eval(clock, e.limit, e.base, e.m, machine, local, prog)
		if ctx.Err() != nil {
			return // the caller gave the results of the rules left
		}
		var de *DeadlineError
		// The clock decides, not which step noticed: a rule that ended
		// past its deadline is reported as such however it ended.
		if errors.As(err, &de) || !time.Now().Before(started.Add(e.timeout)) {
			out, err = nil, deadlineError(e.timeout, context.DeadlineExceeded, prog)
		}
		e.mu.Lock()
		if e.gen != gen {
			e.mu.Unlock()
			return
		}
		e.results[i] = ruleResult{out: out, ex: local, err: err}
		e.cur, e.started, e.prog = i+1, time.Now(), &progress{}
		e.mu.Unlock()
	}
	close(done)
}

// stepClock is what a rule's steps check before they run: whether the
// rule's deadline has passed or the evaluation was cancelled. A worker is
// only ever abandoned for one of those, so it stops at its next step.
type stepClock struct {
	ctx      context.Context
	deadline time.Time
}

// Err is nil while the step may run, and otherwise the reason it may not.
func (c *stepClock) Err() error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// deadlineError names where a rule was when its deadline passed.
func deadlineError(timeout time.Duration, err error, prog *progress) *DeadlineError {
	e := &DeadlineError{Timeout: timeout, Err: err, Item: int(prog.item.Load())}
	if s := prog.step.Load(); s != nil {
		e.Step = *s
	}
	if s := prog.subject.Load(); s != nil {
		e.Subject = *s
	}
	return e
}

var (
	stepForEach = "for_each"
	stepWhen    = "when"
	stepMessage = "message"
)

// eval evaluates the rule on the worker of an evaluation.
func (r *Rule) eval(ctx *stepClock, limit int, base map[string]any, m *model.Model, machine *vm.VM, ex *Explanation, prog *progress) (out []Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("panic during evaluation: %v", p)
		}
	}()
	env := r.env(base, m)
	if r.forEach == nil {
		f, fired, err := r.item(ctx, limit, env, machine, "", nil, ex, prog)
		if err != nil || !fired {
			return nil, err
		}
		return []Finding{f}, nil
	}
	prog.at(&stepForEach)
	v, err := machine.Run(r.forEach, env)
	if err != nil {
		return nil, fmt.Errorf("for_each: %w", exprErr(err))
	}
	items := reflect.ValueOf(v)
	if v == nil {
		items = reflect.ValueOf([]any{})
	}
	if items.Kind() != reflect.Slice && items.Kind() != reflect.Array {
		return nil, fmt.Errorf("for_each: expected a list, got %T", v)
	}
	if ex != nil {
		ex.Items = items.Len()
	}
	// Lets that do not use `it` are the same for every item: once.
	var hoisted []NamedValue
	for i, p := range r.lets {
		if r.letPerItem[i] {
			continue
		}
		prog.at(&r.letSteps[i])
		if err := ctx.Err(); err != nil {
			return nil, &DeadlineError{Step: r.letSteps[i], Err: err}
		}
		v, err := machine.Run(p, env)
		if err != nil {
			return nil, fmt.Errorf("let %s: %w", r.Let[i].Name, exprErr(err))
		}
		env[r.Let[i].Name] = v
		if ex != nil {
			hoisted = append(hoisted, NamedValue{Name: r.Let[i].Name, Expr: r.Let[i].Expr, Value: describe(v)})
		}
	}
	for i := 0; i < items.Len(); i++ {
		it := items.Index(i).Interface()
		env["it"] = it
		subject := subjectOf(it)
		prog.item.Store(int64(i + 1))
		prog.subject.Store(&subject)
		f, fired, err := r.item(ctx, limit, env, machine, subject, hoisted, ex, prog)
		if err != nil {
			var de *DeadlineError
			if errors.As(err, &de) {
				de.Item, de.Subject = i+1, subject
				return nil, de
			}
			return nil, fmt.Errorf("item %d (%s): %w", i+1, subject, err)
		}
		if fired {
			out = append(out, f)
		}
	}
	return out, nil
}

// item evaluates let, when and, when it holds, evidence and message for
// one item (or for the rule as a whole without for_each). hoisted are the
// values of the lets evaluated once for all items, for Explain.
func (r *Rule) item(ctx *stepClock, limit int, env map[string]any, machine *vm.VM, subject string, hoisted []NamedValue, ex *Explanation, prog *progress) (Finding, bool, error) {
	var c *ExplainCase
	if ex != nil {
		ex.Cases = append(ex.Cases, ExplainCase{Subject: subject})
		c = &ex.Cases[len(ex.Cases)-1]
	}
	fail := func(err error) (Finding, bool, error) {
		if c != nil {
			c.Err = err.Error()
		}
		return Finding{}, false, err
	}
	deadline := func(step *string) error {
		prog.at(step)
		if err := ctx.Err(); err != nil {
			return &DeadlineError{Step: *step, Err: err}
		}
		return nil
	}
	h := 0
	for i, p := range r.lets {
		if !r.letPerItem[i] {
			if c != nil && h < len(hoisted) {
				c.Lets = append(c.Lets, hoisted[h])
				h++
			}
			continue
		}
		if err := deadline(&r.letSteps[i]); err != nil {
			return fail(err)
		}
		v, err := machine.Run(p, env)
		if err != nil {
			return fail(fmt.Errorf("let %s: %w", r.Let[i].Name, exprErr(err)))
		}
		env[r.Let[i].Name] = v
		if c != nil {
			c.Lets = append(c.Lets, NamedValue{Name: r.Let[i].Name, Expr: r.Let[i].Expr, Value: describe(v)})
		}
	}
	if err := deadline(&stepWhen); err != nil {
		return fail(err)
	}
	v, err := machine.Run(r.when, env)
	if err != nil {
		return fail(fmt.Errorf("when: %w", exprErr(err)))
	}
	fired, _ := v.(bool)
	if c != nil {
		c.When = fired
		for _, part := range r.whenParts {
			pv, err := machine.Run(part.prog, env)
			val := describe(pv)
			if err != nil {
				val = "error: " + exprErr(err).Error()
			}
			c.Operands = append(c.Operands, NamedValue{Expr: part.text, Value: val})
		}
		c.Op = r.whenOp
	}
	if !fired {
		return Finding{}, false, nil
	}
	f := Finding{RuleID: r.ID, Severity: r.Severity, Title: r.Title, Subject: subject, KB: r.KB}
	smp := newSampler(limit)
	for i, p := range r.evidence {
		if err := deadline(&r.evidenceSteps[i]); err != nil {
			return fail(err)
		}
		ev, err := machine.Run(p, env)
		if err != nil {
			return fail(fmt.Errorf("evidence %s: %w", r.Evidence[i], exprErr(err)))
		}
		collectSources(reflect.ValueOf(ev), 0, sampleKey{}, smp)
	}
	f.Evidence, f.EvidenceTotal = smp.result()
	for i, p := range r.aggregates {
		if err := deadline(&r.aggregateSteps[i]); err != nil {
			return fail(err)
		}
		av, err := machine.Run(p, env)
		if err != nil {
			return fail(fmt.Errorf("aggregates %s: %w", r.Aggregates[i].Name, exprErr(err)))
		}
		f.Aggregates = append(f.Aggregates, aggregate(r.Aggregates[i].Name, av))
	}
	var b strings.Builder
	for _, part := range r.message {
		if part.prog == nil {
			b.WriteString(part.text)
			continue
		}
		if err := deadline(&stepMessage); err != nil {
			return fail(err)
		}
		mv, err := machine.Run(part.prog, env)
		if err != nil {
			return fail(fmt.Errorf("message %s: %w", part.text, exprErr(err)))
		}
		b.WriteString(render(mv))
	}
	f.Message = strings.TrimSpace(b.String())
	if c != nil {
		c.Fired = true
		c.Message = f.Message
	}
	return f, true, nil
}

// exprErr keeps the first line of an expr runtime error: the snippet with
// its caret is about the expression, which the message already names.
func exprErr(err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = exprPosSuffix.ReplaceAllString(msg, "")
	return fmt.Errorf("%s", strings.TrimSpace(msg))
}

// collectSources walks what an evidence expression yielded: a Source, a
// fact (a struct with a Src field), or lists and structs holding them. Each
// Source comes with the key the sample spreads over: the fact's process
// (PID), else its path or name, else its file.
func collectSources(v reflect.Value, depth int, parentKey sampleKey, smp *sampler) {
	if !v.IsValid() || depth > 4 {
		return
	}
	if v.Kind() == reflect.Slice && v.CanInterface() {
		// The big fact lists, without reflection per element.
		add := smp.add
		switch l := v.Interface().(type) {
		case []model.OpenFile:
			for i := range l {
				add(l[i].Src, pidKey(l[i].PID, l[i].Src))
			}
			return
		case model.OpenFileTable:
			for i := range l {
				smp.addRow(&l[i])
			}
			return
		case []*model.OpenFileRow:
			for _, f := range l {
				if f != nil {
					smp.addRow(f)
				}
			}
			return
		case []model.FuserHit:
			for i := range l {
				add(l[i].Src, pidKey(l[i].PID, l[i].Src))
			}
			return
		case []*model.FuserHit:
			for _, f := range l {
				if f != nil {
					add(f.Src, pidKey(f.PID, f.Src))
				}
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			collectSources(v.Elem(), depth, parentKey, smp)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			collectSources(v.Index(i), depth, parentKey, smp)
		}
	case reflect.Struct:
		if v.Type() == openFileRowType {
			r := v.Interface().(model.OpenFileRow)
			smp.addRow(&r)
			return
		}
		if v.Type() == sourceType {
			s := v.Interface().(model.Source)
			k := parentKey
			if k == (sampleKey{}) {
				k = sampleKey{kind: 'f', s: s.Path}
			}
			smp.add(s, k)
			return
		}
		fi := factFieldsOf(v.Type())
		if fi.src >= 0 {
			s := v.Field(fi.src).Interface().(model.Source)
			smp.add(s, fi.key(v, s))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				collectSources(v.Field(i), depth+1, fi.key(v, model.Source{}), smp)
			}
		}
	}
}

// factFields are the field indexes of a fact type that evidence uses.
type factFields struct {
	src, pid, path, name int // -1 when absent
}

// factFieldCache maps a type to its factFields; types are few and fixed.
var factFieldCache sync.Map

func factFieldsOf(t reflect.Type) factFields {
	if f, ok := factFieldCache.Load(t); ok {
		return f.(factFields)
	}
	f := factFields{src: -1, pid: -1, path: -1, name: -1}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		switch {
		case sf.Name == "Src" && sf.Type == sourceType:
			f.src = i
		case sf.Name == "PID" && sf.Type.Kind() == reflect.Int:
			f.pid = i
		case sf.Name == "Path" && sf.Type.Kind() == reflect.String:
			f.path = i
		case sf.Name == "Name" && sf.Type.Kind() == reflect.String:
			f.name = i
		}
	}
	factFieldCache.Store(t, f)
	return f
}

// key is what a fact's evidence line is spread over in the sample.
func (f factFields) key(v reflect.Value, s model.Source) sampleKey {
	if f.pid >= 0 {
		if pid := v.Field(f.pid).Int(); pid > 0 {
			return sampleKey{kind: 'p', pid: pid}
		}
	}
	if f.path >= 0 {
		if p := v.Field(f.path).String(); p != "" {
			return sampleKey{kind: 'd', s: p}
		}
	}
	if f.name >= 0 {
		if n := v.Field(f.name).String(); n != "" {
			return sampleKey{kind: 'n', s: n}
		}
	}
	if s.Path != "" {
		return sampleKey{kind: 'f', s: s.Path}
	}
	return sampleKey{}
}

// sampleKey is what the evidence sample spreads over: a process (kind
// 'p'), a path ('d'), a name ('n') or a file ('f'). A struct rather than
// a formatted string, so that keying 250,000 descriptors allocates nothing.
type sampleKey struct {
	kind byte
	pid  int64
	s    string
}

// pidKey is factFields.key for a fact with a PID and no path spread.
func pidKey(pid int, s model.Source) sampleKey {
	if pid > 0 {
		return sampleKey{kind: 'p', pid: int64(pid)}
	}
	return sampleKey{kind: 'f', s: s.Path}
}

// DefaultEvidenceLimit is how many evidence lines a finding keeps unless
// Set.EvidenceLimit says otherwise.
const DefaultEvidenceLimit = 20

// sampler keeps a bounded, representative sample of a finding's evidence in
// one pass: every distinct line is counted; the first line of each new key
// (process, path, file) is kept until the sample is full, then the first
// lines in yield order fill what is left. Memory is the sample plus the set
// of lines seen.
type sampler struct {
	limit int // negative: keep all
	seen  lineSet
	keys  map[sampleKey]bool
	n     int // distinct lines so far
	picks []sampled
	early []sampled // the first limit lines, for filling
}

type sampled struct {
	at  int
	src model.Source
	row *model.OpenFileRow // when set, src is made from it at the end
}

func newSampler(limit int) *sampler {
	if limit == 0 {
		limit = DefaultEvidenceLimit
	}
	return &sampler{limit: limit, keys: map[sampleKey]bool{}}
}

// lineSet is the set of lines a sampler has counted: per file, a bitmap of
// line numbers in pages of lineSetPage lines. A busy guard point's 250,000
// descriptor lines cost a few dozen kilobytes this way; as a map of
// (file, line) keys they cost 18 MB while the rule ran.
type lineSet struct {
	pages map[linePage]*[lineSetPage / 64]uint64
	last  linePage // the page of the previous add, usually the next one's
	lastP *[lineSetPage / 64]uint64
}

type linePage struct {
	path string
	n    int
}

const lineSetPage = 4096

// add records the line and reports whether it was new.
func (l *lineSet) add(path string, line int) bool {
	pg := linePage{path, line >> 12} // lineSetPage is 1<<12; negative lines floor
	p := l.lastP
	if p == nil || pg != l.last {
		if l.pages == nil {
			l.pages = map[linePage]*[lineSetPage / 64]uint64{}
		}
		if p = l.pages[pg]; p == nil {
			p = new([lineSetPage / 64]uint64)
			l.pages[pg] = p
		}
		l.last, l.lastP = pg, p
	}
	bit := line & (lineSetPage - 1)
	w, m := bit>>6, uint64(1)<<(bit&63)
	if p[w]&m != 0 {
		return false
	}
	p[w] |= m
	return true
}

func (s *sampler) add(src model.Source, key sampleKey) {
	s.take(src.Path, src.Line, key, sampled{src: src})
}

// addRow is add for a packed lsof row, whose line is made only if it is
// kept in the sample (a squeezed row must expand it).
func (s *sampler) addRow(r *model.OpenFileRow) {
	path, line := r.Origin()
	s.take(path, line, pidKey(r.PID(), model.Source{Path: path}), sampled{row: r})
}

// take counts the line at path:line once and keeps it (sp, with its
// place) when the sample has room for it.
func (s *sampler) take(path string, line int, key sampleKey, sp sampled) {
	if path == "" || !s.seen.add(path, line) {
		return
	}
	sp.at = s.n
	s.n++
	if s.limit < 0 {
		s.picks = append(s.picks, sp)
		return
	}
	if len(s.picks) < s.limit && !s.keys[key] {
		s.keys[key] = true
		s.picks = append(s.picks, sp)
		return
	}
	if len(s.early) < s.limit {
		s.early = append(s.early, sp)
	}
}

// result returns the sample in yield order and the number of distinct lines.
func (s *sampler) result() ([]model.Source, int) {
	picks := s.picks
	for _, e := range s.early {
		if len(picks) >= s.limit && s.limit >= 0 {
			break
		}
		picks = append(picks, e)
	}
	sort.SliceStable(picks, func(i, j int) bool { return picks[i].at < picks[j].at })
	out := make([]model.Source, len(picks))
	for i, p := range picks {
		out[i] = p.src
		if p.row != nil {
			out[i] = p.row.Src()
		}
	}
	return out, s.n
}

// aggregate summarizes one aggregates: value: a number is the total; a
// list's distinct values are counted, with the five most frequent.
func aggregate(name string, v any) Aggregate {
	if x, ok := number(v); ok {
		return Aggregate{Name: name, Total: int(x)}
	}
	var top []Count
	total := 0
	if t, ok := v.(Tally); ok {
		top, total = t.Top(5), t.Distinct()
	} else {
		counts := countValues(v)
		total = len(counts)
		top = mostFrequent(counts, 5)
	}
	for i := range top {
		top[i].Value = render(top[i].Value)
	}
	return Aggregate{Name: name, Total: total, Top: top}
}

// subjectOf names a for_each item briefly: its Path, Name or Cache field
// when it has one (looking one level into nested structs), else its text.
func subjectOf(it any) string {
	switch r := it.(type) {
	case model.OpenFileRow:
		it = r.Fact()
	case *model.OpenFileRow:
		if r != nil {
			it = r.Fact()
		}
	}
	v := reflect.ValueOf(it)
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() {
		return ""
	}
	if v.Kind() == reflect.String {
		return v.String()
	}
	if v.Kind() == reflect.Struct {
		if s := namedField(v); s != "" {
			return s
		}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.Kind() == reflect.Struct && v.Type().Field(i).IsExported() {
				// A line read from one section of a collector's file
				// (supportconfig, AIX snap) is about what the section
				// holds: the copied file or command its header names.
				if sec := f.FieldByName("Section"); sec.IsValid() && sec.Kind() == reflect.String && sec.String() != "" {
					return sec.String()
				}
				if s := namedField(f); s != "" {
					return s
				}
			}
		}
	}
	return clip(fmt.Sprint(it), 80)
}

func namedField(v reflect.Value) string {
	for _, name := range []string{"Path", "Name", "Cache"} {
		if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
			return f.String()
		}
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// render turns a message part's value into text: lists are joined with
// ", ", whole floats print without decimals, others with at most two.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10)
		}
		return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(x, 'f', 2, 64), "0"), ".")
	case []string:
		return strings.Join(x, ", ")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		parts := make([]string, rv.Len())
		for i := range parts {
			el := rv.Index(i).Interface()
			if rv.Index(i).Kind() == reflect.Struct || (rv.Index(i).Kind() == reflect.Interface && reflect.ValueOf(el).Kind() == reflect.Struct) {
				parts[i] = subjectOf(el)
			} else {
				parts[i] = render(el)
			}
		}
		return strings.Join(parts, ", ")
	}
	if rv.Kind() == reflect.Struct {
		return subjectOf(v)
	}
	return fmt.Sprint(v)
}
