package parsers

import (
	"bytes"
	"path"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/fsagent/triage/model"
)

// strace captures can be gigabytes of calls; the model keeps only the calls
// a rule can use (those that never returned, failed, were slow, or are of a
// kind rules look at) and counts the rest in a model.LogStats.

// straceSlowSeconds is the -T duration from which a successful call is kept
// as slow: a second inside the kernel is long for any system call.
const straceSlowSeconds = 1.0

// straceKeepPerReason bounds the calls kept per file for each reason, so a
// trace full of ENOENT lookups cannot grow the model without limit.
const straceKeepPerReason = 2000

// straceMaxPending bounds the split calls waiting for their "resumed" half.
// One per traced thread is normal; beyond this the oldest is given up.
const straceMaxPending = 4096

// straceRelevant reports the calls kept whatever their result, because
// rules reason about them (a FUSE mount that hangs, statfs from a hook
// module, module loading and unloading).
func straceRelevant(name []byte) bool {
	switch string(name) {
	case "mount", "umount", "umount2",
		"statfs", "statfs64", "fstatfs", "fstatfs64",
		"init_module", "finit_module", "delete_module":
		return true
	}
	return false
}

func init() {
	Register(&Parser{
		Name: "strace",
		Kind: KindStrace,
		Doc:  "strace output (-f, -ff, -t/-tt/-ttt, -r, -T): calls that never returned, failed, were slow or mount/unmount/statfs/module calls.",
		Paths: []string{
			"strace*.out", "strace*.log", "*.strace",
			"strace.log.*", "strace.out.*",
		},
		Sniff: sniffStrace,
		Parse: parseStrace,
	})
}

// straceLine is one line of a trace split into its parts. Slices point into
// the line and are valid until the next line is read.
type straceLine struct {
	pid    int
	hasPID bool
	ts     []byte
	tsAt   int  // offset of ts in the line
	rel    bool // ts is a -r relative stamp
	rest   []byte
}

// splitStracePrefix strips the PID prefix ("[pid  N] " or "N ") and the
// timestamp (-t, -tt, -ttt, -r, and "-tt -r"'s "(+ rel)") from a line.
func splitStracePrefix(b []byte) straceLine {
	var l straceLine
	l.split(b)
	return l
}

// split sets l to the parts of b (see splitStracePrefix); a trace's every
// line goes through it, and filling the caller's straceLine in place
// spares copying the whole struct back on each.
func (l *straceLine) split(b []byte) {
	*l = straceLine{}
	i := 0
	if hasPrefix(b, "[pid") {
		j := 4
		for j < len(b) && b[j] == ' ' {
			j++
		}
		k := j
		for k < len(b) && isDigit(b[k]) {
			k++
		}
		if k > j && k < len(b) && b[k] == ']' {
			l.pid, _ = atoi(b[j:k])
			l.hasPID = true
			i = k + 1
		}
	} else if len(b) > 0 && isDigit(b[0]) {
		// The pid is read as its digits are found; more than nine of
		// them read as 0, as atoi has it.
		k, pid := 0, 0
		for k < len(b) && isDigit(b[k]) {
			pid = pid*10 + int(b[k]-'0')
			k++
		}
		if k < len(b) && b[k] == ' ' {
			if k <= 9 {
				l.pid = pid
			}
			l.hasPID = true
			i = k
		}
	}
	lead := i
	for i < len(b) && b[i] == ' ' {
		i++
	}
	padded := i > lead
	if i < len(b) && isDigit(b[i]) {
		k, seen := i, uint8(0)
		if len(b)-i > 9 {
			if s := b[i : i+9]; s[2] == ':' && s[5] == ':' && s[8] == '.' &&
				isDigit(s[1]) && isDigit(s[3]) && isDigit(s[4]) && isDigit(s[6]) && isDigit(s[7]) {
				// -tt's "HH:MM:SS.": the digits of the fraction are
				// skipped here, and the loop below goes on from them.
				k, seen = i+9, straceStampDigit|straceStampColon|straceStampDot
				for k < len(b) && isDigit(b[k]) {
					k++
				}
			}
		}
		for k < len(b) {
			c := straceStampChars[b[k]]
			if c == 0 {
				break
			}
			seen |= c
			k++
		}
		colon := seen&straceStampColon != 0
		if seen&(straceStampColon|straceStampDot) != 0 && k < len(b) && b[k] == ' ' {
			l.ts, l.tsAt = b[i:k], i
			if !colon {
				// -ttt prints seconds since the epoch (ten digits today);
				// -r prints a small right-aligned relative time.
				intPart := bytes.IndexByte(l.ts, '.')
				l.rel = padded || intPart < 9
			}
			i = k
			for i < len(b) && b[i] == ' ' {
				i++
			}
			if hasPrefix(b[i:], "(+") {
				if e := bytes.IndexByte(b[i:], ')'); e > 0 {
					i += e + 1
					for i < len(b) && b[i] == ' ' {
						i++
					}
				}
			}
		}
	}
	l.rest = b[i:]
}

// The bytes of a timestamp, by class.
const (
	straceStampDigit = 1 << iota
	straceStampColon
	straceStampDot
)

// straceStampChars classifies the bytes of a timestamp; 0 ends it.
var straceStampChars = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = straceStampDigit
	}
	t[':'], t['.'] = straceStampColon, straceStampDot
	return t
}()

// straceCallName returns the length of the system call name at the start of b
// when it is followed by "(", else 0.
func straceCallName(b []byte) int {
	k := 0
	for k < len(b) && straceNameChars[b[k]] {
		k++
	}
	if k > 0 && k < len(b) && b[k] == '(' {
		return k
	}
	return 0
}

// straceNameChars are the bytes of a system call's name.
var straceNameChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '?'
	}
	return t
}()

// straceUnfinishedS is straceUnfinished as a string constant, for
// hasSuffix.
const straceUnfinishedS = "<unfinished ...>"

// straceUnfinishedAt reports whether b ends with straceUnfinished, spaces
// after it aside. Most lines end with a -T duration ("<0.000012>"): the
// byte before the '>' tells them apart without a comparison.
func straceUnfinishedAt(b []byte) bool {
	b = trimSpacesRight(b)
	n := len(b)
	return n >= len(straceUnfinishedS) && b[n-2] == '.' && string(b[n-len(straceUnfinishedS):]) == straceUnfinishedS
}

// trimSpacesRight is bytes.TrimRight(b, " "), without its call on every
// part of every line.
func trimSpacesRight(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// straceVisible reports an ASCII byte that is not white space: a result
// that starts and ends with one needs no bytes.TrimSpace.
func straceVisible(c byte) bool { return c > ' ' && c < utf8.RuneSelf }

var (
	straceUnfinished = []byte(straceUnfinishedS)
	straceResumed    = []byte(" resumed>")
	straceEq         = []byte(" = ")
)

// straceCallTail is the result part of a completed call line.
type straceCallTail struct {
	args  []byte // the arguments up to (not including) the closing ")"
	ret   []byte
	errno []byte
	ok    bool
	// The -T duration, if any: mant/10^frac seconds when exact (digits and
	// a point, as strace prints it), else secs. The division waits for a
	// call that is kept: on every line of a trace it was a tenth of the
	// parse.
	exact bool
	frac  uint8
	mant  uint64
	secs  float64
}

// seconds returns the -T duration, 0 when the line has none.
func (t *straceCallTail) seconds() float64 {
	if t.exact {
		return float64(t.mant) / straceTens[t.frac]
	}
	return t.secs
}

// slow reports seconds() >= straceSlowSeconds. For an exact duration it
// compares integers: the quotient of two exact numbers is correctly
// rounded, so it is at least straceSlowSeconds (a whole number) exactly
// when mant is at least straceSlowSeconds*10^frac.
func (t *straceCallTail) slow() bool {
	if t.exact {
		return t.mant >= straceSlowMant[t.frac]
	}
	return t.secs >= straceSlowSeconds
}

// straceSlowMant[f] is straceSlowSeconds*10^f, for slow.
var straceSlowMant = func() (m [len(straceTens)]uint64) {
	for f, ten := range straceTens {
		m[f] = uint64(straceSlowSeconds * ten)
	}
	return m
}()

// straceTail splits "ARGS) = RET[ ERRNO (text)][ <dur>]". It searches
// the result from the end, where no quoted argument can confuse it.
func straceTail(b []byte) straceCallTail {
	var t straceCallTail
	t.split(b)
	return t
}

// split sets t to the parts of b (see straceTail), in place.
func (t *straceCallTail) split(b []byte) {
	*t = straceCallTail{}
	if n := len(b); n > 2 && b[n-1] == '>' {
		if lt := bytes.LastIndexByte(b, '<'); lt > 0 {
			if mant, frac, ok := straceDigits(b[lt+1 : n-1]); ok {
				t.exact, t.mant, t.frac = true, mant, uint8(frac)
				b = trimSpacesRight(b[:lt])
			} else if d, err := strconv.ParseFloat(string(b[lt+1:n-1]), 64); err == nil {
				t.secs = d
				b = trimSpacesRight(b[:lt])
			}
		}
	}
	eq := straceLastEq(b)
	if eq < 0 {
		return // no result: a cut line or program output
	}
	args := trimSpacesRight(b[:eq])
	if n := len(args); n > 0 && args[n-1] == ')' {
		args = args[:n-1]
	}
	t.args = args
	r := b[eq+3:]
	if n := len(r); n == 0 || !straceVisible(r[0]) || !straceVisible(r[n-1]) {
		r = bytes.TrimSpace(r)
	}
	sp := bytes.IndexByte(r, ' ')
	if sp < 0 {
		t.ret = r
	} else {
		t.ret = r[:sp]
		e := bytes.TrimLeft(r[sp:], " ")
		k := 0
		for k < len(e) && (e[k] >= 'A' && e[k] <= 'Z' || isDigit(e[k]) || e[k] == '_') {
			k++
		}
		if k > 1 && e[0] == 'E' && (k == len(e) || e[k] == ' ') {
			t.errno = e[:k]
		}
	}
	t.ok = len(t.ret) > 0
}

// straceLastEq returns the index of the last " = " in b, or -1: what
// bytes.LastIndex returns, without its rolling hash over the whole line.
func straceLastEq(b []byte) int {
	end := len(b) - 1 // an '=' at j needs b[j+1]
	for end > 1 {
		j := bytes.LastIndexByte(b[:end], '=')
		if j < 1 {
			return -1
		}
		if b[j-1] == ' ' && b[j+1] == ' ' {
			return j - 1
		}
		end = j
	}
	return -1
}

// straceDuration reads a -T duration ("0.000021"). Up to 15 digits it
// divides two exactly representable numbers, which rounds correctly, as
// strconv.ParseFloat does (and at a tenth of its cost on a trace's every
// line); anything else goes to ParseFloat.
func straceDuration(b []byte) (float64, bool) {
	if mant, frac, ok := straceDigits(b); ok {
		return float64(mant) / straceTens[frac], true
	}
	d, err := strconv.ParseFloat(string(b), 64)
	return d, err == nil
}

// straceDigits reads a duration of at most 15 digits with at most one
// point among or after them: mant/10^frac seconds, both exact in a
// float64. ok is false for any other form.
func straceDigits(b []byte) (mant uint64, frac int, ok bool) {
	i := 0
	for i < len(b) && b[i]-'0' <= 9 {
		mant = mant*10 + uint64(b[i]-'0')
		i++
	}
	whole := i
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i]-'0' <= 9 {
			mant = mant*10 + uint64(b[i]-'0')
			i++
		}
		frac = i - whole - 1
	}
	if i != len(b) || whole+frac == 0 || whole+frac > 15 {
		return 0, 0, false
	}
	return mant, frac, true
}

// straceTens are the powers of ten a float64 holds exactly.
var straceTens = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// stracePending is the first half of a split call, copied out of the line
// buffer; its buffer is reused once the call is complete.
type stracePending struct {
	seq  int
	line int
	pid  int
	raw  []byte // the whole first line
	name []byte // into raw
	ts   []byte // into raw
	rel  bool
	args []byte // arguments so far; its own buffer
}

type straceParser struct {
	in      *Input
	out     *model.Model
	stats   model.LogStats
	filePID int
	pending map[int]*stracePending
	free    []*stracePending
	seq     int
	kept    map[string]int
	warned  map[string]bool
	summary bool

	// A worker's parser (batch) parses one batch of a large trace without
	// the state the lines before it left: which pids were inside a split
	// call and how many calls of each reason were kept. What depends on it
	// goes to ops, which the join replays in order (see straceParser.join).
	batch     bool
	known     map[int]bool // pids whose split-call state this batch decided
	ops       []straceOp
	maxBefore int           // the most split calls this batch had pending at a start
	spent     *budgetsSpent // the reasons whose budget the joined batches spent
}

// straceOp is what a worker leaves to its join: kept calls, for the
// per-file budget; calls beyond the batch's own budget, counted; and the
// lines that meet a pid's split call begun before the batch.
type straceOp struct {
	kind  straceOpKind
	warns int // warnings the worker gave before this operation
	line  int
	pid   int
	call  model.Syscall // keep
	why   string        // over
	n     int           // over: calls
	name  string        // start: the call that starts
	raw   []byte        // resume: the line
}

type straceOpKind uint8

const (
	straceOpKeep   straceOpKind = iota // keep call, within the file's budget
	straceOpOver                       // n calls for why, the first at line: beyond the budget
	straceOpStart                      // pid starts a split call: the one left unfinished is given up
	straceOpExit                       // pid exits: a split call left unfinished is given up
	straceOpResume                     // the line resumes pid's split call
)

func newStraceParser(in *Input, out *model.Model) *straceParser {
	p := &straceParser{
		in: in, out: out,
		pending: map[int]*stracePending{},
		kept:    map[string]int{},
		warned:  map[string]bool{},
	}
	p.stats.Kind = string(KindStrace)
	p.filePID = stracePIDFromName(in.ArtifactPath())
	return p
}

func parseStrace(in *Input, out *model.Model) {
	p := newStraceParser(in, out)
	readLines(in, p.countedLine, func() {
		p.spent = newBudgetsSpent(p.kept, straceKeepPerReason)
		parseInBatches(in, p.parseBatch, p.join, batchHooks{})
	})
	// Calls still waiting for their result at the end of the capture never
	// returned while strace watched: the core evidence of a hang.
	rest := make([]*stracePending, 0, len(p.pending))
	for _, pc := range p.pending {
		rest = append(rest, pc)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].line < rest[j].line })
	for _, pc := range rest {
		p.giveUp(pc)
	}
	p.stats.Src = model.Source{Path: in.Path}
	out.LogStats = append(out.LogStats, p.stats)
}

func (p *straceParser) countedLine(b []byte) {
	p.stats.Lines++
	p.line(b)
}

// parseBatch parses one batch of lines on a worker.
func (p *straceParser) parseBatch(lb *batchLines) *straceParser {
	w := newStraceParser(batchInput(p.in), nil)
	w.filePID = p.filePID
	w.batch, w.known, w.spent = true, map[int]bool{}, p.spent
	lb.lines(w.in, w.countedLine)
	return w
}

// join adds what a worker gave for the next batch, as if its lines had
// been parsed here.
func (p *straceParser) join(lb *batchLines, w *straceParser) {
	if p.summary || len(p.pending)+w.maxBefore >= straceMaxPending {
		// The batch starts inside a -c table, or a serial parse could
		// have given up the oldest split calls to stay within bounds:
		// parse it again, here.
		lb.lines(p.in, p.countedLine)
		return
	}
	rp := warnReplay{from: w.in}
	for i := range w.ops {
		op := &w.ops[i]
		rp.upTo(p.in, op.warns)
		switch op.kind {
		case straceOpKeep:
			p.keep(op.call)
		case straceOpOver:
			p.over(op.why, op.line)
			p.stats.OverBudget += op.n - 1
		case straceOpStart:
			if old, ok := p.pending[op.pid]; ok {
				p.in.WarnAt(op.line, "strace: pid %d starts %s while %s (line %d) is unfinished", op.pid, op.name, Clean(old.name), old.line)
				p.giveUp(old)
			}
		case straceOpExit:
			if pc, ok := p.pending[op.pid]; ok {
				p.giveUp(pc)
			}
		case straceOpResume:
			p.in.at(op.line, op.raw, func() {
				l := splitStracePrefix(op.raw)
				l.pid = op.pid
				p.resumed(l)
			})
		}
	}
	rp.upTo(p.in, w.in.emitted())
	// The batch's split calls still waiting for their result wait here now,
	// in the order they started.
	open := make([]*stracePending, 0, len(w.pending))
	for _, pc := range w.pending {
		open = append(open, pc)
	}
	sort.Slice(open, func(i, j int) bool { return open[i].seq < open[j].seq })
	for _, pc := range open {
		p.seq++
		pc.seq = p.seq
		p.pending[pc.pid] = pc
	}
	s, o := &p.stats, &w.stats
	s.Lines += o.Lines
	s.Calls += o.Calls
	s.Failed += o.Failed
	s.Unfinished += o.Unfinished
	s.Unkept += o.Unkept
	s.Signals += o.Signals
	s.Exits += o.Exits
	s.Summary += o.Summary
	p.summary = w.summary
}

// unknown reports whether pid's split-call state was left by lines before
// the batch this worker's parser reads.
func (p *straceParser) unknown(pid int) bool { return p.batch && !p.known[pid] }

// stracePIDFromName reads the PID of a -ff per-process file (strace.out.1234).
func stracePIDFromName(p string) int {
	base := path.Base(p)
	dot := len(base) - 1
	for dot >= 0 && isDigit(base[dot]) {
		dot--
	}
	if dot < 0 || dot == len(base)-1 || base[dot] != '.' {
		return 0
	}
	n, _ := atoi(base[dot+1:])
	return n
}

func (p *straceParser) line(b []byte) {
	// A line that starts with a byte no space starts with is not blank.
	if len(b) == 0 || (b[0] <= ' ' || b[0] >= utf8.RuneSelf) && len(bytes.TrimSpace(b)) == 0 {
		return
	}
	if p.summaryLine(b) {
		return
	}
	var l straceLine
	l.split(b)
	if !l.hasPID {
		l.pid = p.filePID
	}
	r := l.rest
	switch {
	case len(r) == 0:
		p.in.Warnf("strace: a prefix with no call")
	case r[0] == '-' && hasPrefix(r, "--- "):
		p.stats.Signals++
	case r[0] == '+' && hasPrefix(r, "+++ "):
		p.stats.Exits++
		if p.unknown(l.pid) {
			p.ops = append(p.ops, straceOp{kind: straceOpExit, warns: p.in.emitted(), line: p.in.Line(), pid: l.pid})
			p.known[l.pid] = true
		} else if pc, ok := p.pending[l.pid]; ok {
			// The process ended inside the call: it never returned.
			p.giveUp(pc)
		}
	case r[0] == '<' && hasPrefix(r, "<... "):
		p.resumed(l)
	case r[0] == 's' && hasPrefix(r, "strace: "):
		// strace's own notes (attached, detached, 32-bit mode): not calls.
	default:
		n := straceCallName(r)
		if n == 0 {
			p.in.Warnf("strace: not a system call line")
			return
		}
		if straceUnfinishedAt(r) {
			p.start(l, n)
			return
		}
		var t straceCallTail
		t.split(r[n+1:])
		if !t.ok {
			p.in.Warnf("strace: call %s has no result (cut line?)", Clean(r[:n]))
			return
		}
		p.complete(l.pid, r[:n], l.ts, l.rel, t.args, &t, p.in.Line(), 0, nil)
	}
}

// summaryLine skips the table strace -c prints instead of, or after, the
// trace.
func (p *straceParser) summaryLine(b []byte) bool {
	if !p.summary && len(b) > 0 && b[0] != '%' && b[0] > ' ' && b[0] < utf8.RuneSelf {
		return false // a trace's every line: not the table's header
	}
	t := bytes.TrimSpace(b)
	if hasPrefix(t, "% time") {
		p.summary = true
		return true
	}
	if !p.summary {
		return false
	}
	if hasPrefix(t, "---") {
		return true
	}
	if len(t) > 0 && isDigit(t[0]) {
		p.stats.Summary++
		if hasSuffix(t, " total") {
			p.summary = false
		}
		return true
	}
	p.summary = false
	return false
}

func (p *straceParser) start(l straceLine, n int) {
	if p.unknown(l.pid) {
		p.ops = append(p.ops, straceOp{kind: straceOpStart, warns: p.in.emitted(), line: p.in.Line(), pid: l.pid, name: Clean(l.rest[:n])})
		p.known[l.pid] = true
	} else if old, ok := p.pending[l.pid]; ok {
		p.in.Warnf("strace: pid %d starts %s while %s (line %d) is unfinished", l.pid, Clean(l.rest[:n]), Clean(old.name), old.line)
		p.giveUp(old)
	}
	if p.batch {
		p.maxBefore = max(p.maxBefore, len(p.pending))
	} else if len(p.pending) >= straceMaxPending {
		p.evictOldest()
	}
	var pc *stracePending
	if k := len(p.free); k > 0 {
		pc, p.free = p.free[k-1], p.free[:k-1]
	} else {
		pc = &stracePending{}
	}
	raw := p.in.Bytes()
	pc.raw = append(pc.raw[:0], raw...)
	rs := len(raw) - len(l.rest) // rest is a suffix of the line
	pc.name = pc.raw[rs : rs+n]
	pc.ts = nil
	if len(l.ts) > 0 {
		pc.ts = pc.raw[l.tsAt : l.tsAt+len(l.ts)]
	}
	pc.rel = l.rel
	args := trimSpacesRight(l.rest[n+1:])
	args = trimSpacesRight(bytes.TrimSuffix(args, straceUnfinished))
	pc.args = append(pc.args[:0], args...)
	pc.line = p.in.Line()
	pc.pid = l.pid
	p.seq++
	pc.seq = p.seq
	p.pending[l.pid] = pc
}

func (p *straceParser) evictOldest() {
	var oldest *stracePending
	for _, pc := range p.pending {
		if oldest == nil || pc.seq < oldest.seq {
			oldest = pc
		}
	}
	if oldest != nil {
		if !p.warned["pending"] {
			p.warned["pending"] = true
			p.in.Warnf("strace: more than %d threads inside split calls; the oldest are reported unfinished", straceMaxPending)
		}
		p.giveUp(oldest)
	}
}

func (p *straceParser) resumed(l straceLine) {
	r := l.rest[5:]
	k := bytes.Index(r, straceResumed)
	if k <= 0 {
		p.in.Warnf("strace: malformed resumed line")
		return
	}
	name := r[:k]
	body := r[k+len(straceResumed):]
	if p.unknown(l.pid) {
		// The call began before this batch, or never: the join decides.
		raw := p.in.Bytes()
		p.ops = append(p.ops, straceOp{kind: straceOpResume, warns: p.in.emitted(), line: p.in.Line(), pid: l.pid,
			raw: append(make([]byte, 0, len(raw)), raw...)})
		if !straceUnfinishedAt(body) {
			p.known[l.pid] = true // nothing of pid's is pending after it
		}
		return
	}
	pc, ok := p.pending[l.pid]
	if ok && !bytes.Equal(pc.name, name) {
		p.in.Warnf("strace: pid %d resumes %s but %s (line %d) was unfinished", l.pid, Clean(name), Clean(pc.name), pc.line)
		p.giveUp(pc)
		ok = false
	}
	if straceUnfinishedAt(body) {
		// Resumed and split again: keep waiting.
		if ok {
			more := trimSpacesRight(bytes.TrimSuffix(trimSpacesRight(body), straceUnfinished))
			pc.args = straceAppendArgs(pc.args, more)
		}
		return
	}
	t := straceTail(body)
	if !t.ok {
		p.in.Warnf("strace: resumed %s has no result (cut line?)", Clean(name))
		if ok {
			p.giveUp(pc)
		}
		return
	}
	if !ok {
		p.in.Warnf("strace: pid %d resumes %s with no unfinished start", l.pid, Clean(name))
		p.complete(l.pid, name, l.ts, l.rel, t.args, &t, p.in.Line(), 0, nil)
		return
	}
	pc.args = straceAppendArgs(pc.args, t.args)
	delete(p.pending, l.pid)
	p.complete(pc.pid, pc.name, pc.ts, pc.rel, pc.args, &t, pc.line, p.in.Line(), pc.raw)
	p.release(pc)
}

// straceAppendArgs joins the argument text of two halves of a split call; the
// older strace put a space after "resumed>".
func straceAppendArgs(a, more []byte) []byte {
	more = bytes.TrimLeft(more, " ")
	if len(a) > 0 && len(more) > 0 && a[len(a)-1] != ' ' && a[len(a)-1] != '(' {
		if a[len(a)-1] == ',' {
			a = append(a, ' ')
		}
	}
	return append(a, more...)
}

func (p *straceParser) release(pc *stracePending) {
	if len(p.free) < 64 {
		p.free = append(p.free, pc)
	}
}

// giveUp records a split call whose result never came.
func (p *straceParser) giveUp(pc *stracePending) {
	delete(p.pending, pc.pid)
	p.stats.Calls++
	p.stats.Unfinished++
	if p.full("unfinished") {
		p.over("unfinished", pc.line)
		p.release(pc)
		return
	}
	c := model.Syscall{
		PID: pc.pid, Name: Clean(pc.name), Time: straceStamp(pc.ts, pc.rel),
		Args: Clean(pc.args), Unfinished: true, Why: "unfinished",
		Src: model.Source{Path: p.in.Path, Line: pc.line, Text: Clean(pc.raw)},
	}
	p.keep(c)
	p.release(pc)
}

func straceStamp(ts []byte, rel bool) string {
	if len(ts) == 0 {
		return ""
	}
	if rel {
		return "+" + string(ts)
	}
	return string(ts)
}

// complete counts a call that returned and keeps it when a rule can use
// it. raw is the first line of a split call (nil: the current line).
func (p *straceParser) complete(pid int, name, ts []byte, rel bool, args []byte, t *straceCallTail, line, end int, raw []byte) {
	p.stats.Calls++
	why := ""
	switch {
	case straceRelevant(name):
		why = "relevant"
	case t.slow():
		why = "slow"
	case len(t.errno) > 0:
		why = "failed"
	}
	if len(t.errno) > 0 {
		p.stats.Failed++
	}
	if why == "" {
		p.stats.Unkept++
		return
	}
	if p.full(why) {
		p.over(why, line)
		return
	}
	src := model.Source{Path: p.in.Path, Line: line, EndLine: end}
	if raw == nil {
		src.Text = p.in.Text()
	} else {
		src.Text = Clean(raw)
	}
	p.keep(model.Syscall{
		PID: pid, Time: straceStamp(ts, rel), Name: Clean(name), Args: Clean(args),
		Ret: Clean(t.ret), Errno: string(t.errno), Duration: t.seconds(), Why: why, Src: src,
	})
}

// full reports whether the calls kept for why reached the budget: in a
// worker's parser, the calls its batch kept, so a call beyond them is
// beyond the file's budget too, and costs no Syscall.
func (p *straceParser) full(why string) bool {
	return p.kept[why] >= straceKeepPerReason || p.batch && p.spent.spent(why)
}

// over counts a call worth keeping beyond the budget, the first with a
// warning.
func (p *straceParser) over(why string, line int) {
	if p.batch {
		w := p.in.emitted()
		if n := len(p.ops); n > 0 {
			if o := &p.ops[n-1]; o.kind == straceOpOver && o.why == why && o.warns == w {
				o.n++
				return
			}
		}
		p.ops = append(p.ops, straceOp{kind: straceOpOver, warns: w, line: line, why: why, n: 1})
		return
	}
	p.stats.OverBudget++
	if !p.warned[why] {
		p.warned[why] = true
		p.spent.mark(why)
		p.in.WarnAt(line, "strace: more than %d %s calls; the rest are counted, not kept", straceKeepPerReason, why)
	}
}

func (p *straceParser) keep(c model.Syscall) {
	if p.full(c.Why) {
		p.over(c.Why, c.Src.Line)
		return
	}
	p.kept[c.Why]++
	if p.batch {
		p.ops = append(p.ops, straceOp{kind: straceOpKeep, warns: p.in.emitted(), call: c})
		return
	}
	if p.kept[c.Why] == straceKeepPerReason {
		p.spent.mark(c.Why)
	}
	p.stats.Kept++
	p.out.Syscalls = append(p.out.Syscalls, c)
}

// sniffStrace recognises a trace by its call lines ("name(...) = ret",
// split-call markers, signals, exits) or a -c summary table.
func sniffStrace(h *Head) bool {
	lines := h.NonBlank(30)
	hits := 0
	for _, s := range lines {
		b := []byte(s)
		if bytes.HasPrefix(b, []byte("% time")) && bytes.Contains(b, []byte("syscall")) {
			return true
		}
		l := splitStracePrefix(b)
		r := l.rest
		switch {
		case bytes.HasPrefix(r, []byte("--- SIG")), bytes.HasPrefix(r, []byte("+++ exited")), bytes.HasPrefix(r, []byte("+++ killed")),
			bytes.HasPrefix(r, []byte("<... ")) && bytes.Contains(r, straceResumed),
			bytes.HasPrefix(r, []byte("strace: Process ")):
			hits++
		default:
			if n := straceCallName(r); n > 0 && (bytes.Contains(r, straceEq) || bytes.HasSuffix(r, straceUnfinished)) &&
				(bytes.Contains(r, []byte(") ")) || bytes.HasSuffix(r, straceUnfinished)) {
				hits++
			}
		}
	}
	return hits >= 1 && hits*2 >= len(lines) && (hits >= 2 || len(lines) == 1)
}
