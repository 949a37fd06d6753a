package parsers

import (
	"bytes"
	"math/bits"

	"github.com/fsagent/triage/model"
)

// Kernel logs are large and almost all noise for triage: the parser keeps
// only the lines it can classify (hung tasks, modules that could not be
// unloaded, taint, a filesystem agent's refusal to unload) and counts the
// rest in a model.LogStats.

// logKeepPerKind bounds the events kept per file and kind; a log that
// repeats one message a million times needs only the first ones quoted.
const logKeepPerKind = 2000

// hungBlockMax bounds the lines a hung-task report may span.
const hungBlockMax = 400

func init() {
	Register(&Parser{
		Name: "kernel-log",
		Kind: KindKernelLog,
		Doc:  "Kernel messages (dmesg, dmesg -T, /var/log/messages, kern.log, syslog, journalctl): hung tasks, modules in use, taint.",
		Paths: []string{
			"sos_commands/kernel/dmesg", "sos_commands/kernel/dmesg_*", "sos_commands/general/dmesg",
			"var/log/dmesg", "var/log/dmesg.*",
			"var/log/messages", "var/log/messages*", "var/log/kern.log", "var/log/kern.log*",
			"var/log/syslog", "var/log/syslog*", "sos_commands/logs/journalctl_*",
			"dmesg", "dmesg.out", "dmesg.txt", "dmesg*.out", "messages", "kern.log",
		},
		Sniff: sniffKernelLog,
		Parse: parseKernelLog,
	})
}

// logPrefix is a log line split into its time, the syslog tag (program
// name without [pid]) and the message.
type logPrefix struct {
	ts  []byte
	tag []byte
	msg []byte
}

// logSplitSyslog strips a syslog header: "Mon DD HH:MM:SS[.frac] [host] tag: "
// (BSD, with or without a host) or "YYYY-MM-DDTHH:MM:SS... host tag: "
// (RFC 3339 rsyslog, journalctl -o short-iso). ok is false when the line
// has no such header; msg is then the line.
func logSplitSyslog(b []byte) (p logPrefix, ok bool) {
	p.msg = b
	i := 0
	switch {
	case len(b) >= 15 && hasMonthPrefix(b) && b[3] == ' ' && (b[4] == ' ' || isDigit(b[4])) && isDigit(b[5]) && b[6] == ' ' &&
		isDigit(b[7]) && b[9] == ':' && b[12] == ':':
		i = 15
		for i < len(b) && (isDigit(b[i]) || b[i] == '.') {
			i++
		}
	case len(b) >= 20 && isDigit(b[0]) && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':':
		i = bytes.IndexByte(b, ' ')
		if i < 0 {
			return p, false
		}
	default:
		return p, false
	}
	p.ts = b[:i]
	rest := bytes.TrimLeft(b[i:], " ")
	// Up to two tokens: host, then "tag:" (some pasted logs lack the host).
	for n := 0; n < 2; n++ {
		rest = bytes.TrimLeft(rest, " ")
		sp := bytes.IndexByte(rest, ' ')
		if sp <= 0 {
			break
		}
		tok := rest[:sp]
		if tok[len(tok)-1] == ':' {
			tag := tok[:len(tok)-1]
			if lb := bytes.IndexByte(tag, '['); lb > 0 {
				tag = tag[:lb]
			}
			p.tag = tag
			p.msg = rest[sp+1:]
			return p, true
		}
		rest = rest[sp+1:]
	}
	p.msg = rest
	return p, true
}

// logDmesgStamp strips "[   12.345678] " or dmesg -T's
// "[Mon Feb 14 10:00:00 2022] " (and a "<N>" printk level before it).
func logDmesgStamp(b []byte) (ts, msg []byte) {
	s := b
	if len(s) > 3 && s[0] == '<' && isDigit(s[1]) && s[2] == '>' {
		s = s[3:]
	}
	if len(s) < 3 || s[0] != '[' {
		return nil, b
	}
	end := bytes.IndexByte(s, ']')
	if end < 2 || end > 40 {
		return nil, b
	}
	in := bytes.TrimSpace(s[1:end])
	okStamp := len(in) > 0
	if okStamp && isDigit(in[0]) {
		for _, c := range in {
			if !isDigit(c) && c != '.' {
				okStamp = false
				break
			}
		}
	} else if okStamp {
		okStamp = len(in) >= 20 && in[3] == ' ' && hasMonthPrefix(in[4:])
	}
	if !okStamp {
		return nil, b
	}
	m := s[end+1:]
	if len(m) > 0 && m[0] == ' ' {
		m = m[1:]
	}
	return in, m
}

// kernelLogSplit takes every known prefix off a kernel log line.
func kernelLogSplit(b []byte) logPrefix {
	// Pasted logs may be indented; the indent goes only when a prefix
	// follows, since in unstamped dmesg the indent of a frame matters.
	orig := b
	b = b[skipBlanks(b, 0):]
	p, ok := logSplitSyslog(b)
	ts, msg := logDmesgStamp(p.msg)
	if ts != nil {
		if p.ts == nil {
			p.ts = ts
		}
		p.msg = msg
		if !ok {
			// journalctl -o short-monotonic: "[  12.3] host kernel: msg".
			if k := bytes.Index(msg, []byte(" kernel: ")); k > 0 && k < 64 && bytes.Count(msg[:k], []byte(" ")) == 0 {
				p.tag = []byte("kernel")
				p.msg = msg[k+9:]
			}
		}
	} else if !ok {
		p.msg = orig
	}
	return p
}

var (
	klogBlocked   = []byte("blocked for more than")
	klogInUse     = []byte(" is in use")
	klogTaint     = []byte("taint")
	klogIntercept = []byte("ntercepts super")
	klogBusy      = []byte("resource busy")
)

type kernelLogParser struct {
	in      *Input
	out     *model.Model
	stats   model.LogStats
	kept    map[string]int
	warned  map[string]bool
	covered int // lines that are part of a kept event

	hung      *model.Event // the open hung-task report, waiting for its last line
	hungPID   []byte
	hungTrace bool // "Call Trace:" or a frame was seen

	// A worker's parser (batch) parses one batch of a large log without
	// knowing how much of the per-kind budget the lines before it spent:
	// its events go to ops, which the join replays in order.
	batch bool
	ops   []logOp
	spent *budgetsSpent // the kinds whose budget the joined batches spent
}

// logOp is an event a worker of a log parser found, or a run of n events
// of one kind beyond the batch's own budget, for the join to keep or
// count against the file's budget.
type logOp struct {
	warns  int // warnings the worker gave before it
	ev     *model.Event
	kind   string // over: the events' kind
	line   int    // over: the first one's line
	n      int    // over: events
	unsure bool   // agent log: a start the lines before the batch may make a restart
}

func newKernelLogParser(in *Input, out *model.Model) *kernelLogParser {
	p := &kernelLogParser{in: in, out: out, kept: map[string]int{}, warned: map[string]bool{}}
	p.stats.Kind = string(KindKernelLog)
	return p
}

func parseKernelLog(in *Input, out *model.Model) {
	p := newKernelLogParser(in, out)
	readLines(in, p.countedLine, func() {
		p.spent = newBudgetsSpent(p.kept, logKeepPerKind)
		parseInBatches(in, p.parseBatch, p.join, batchHooks{})
	})
	p.closeHung()
	p.stats.Unkept = p.stats.Lines - p.covered
	p.stats.Src = model.Source{Path: in.Path}
	out.LogStats = append(out.LogStats, p.stats)
}

func (p *kernelLogParser) countedLine(b []byte) {
	p.stats.Lines++
	p.line(b)
}

// parseBatch parses one batch of lines on a worker.
func (p *kernelLogParser) parseBatch(lb *batchLines) *kernelLogParser {
	w := newKernelLogParser(batchInput(p.in), nil)
	w.batch, w.spent = true, p.spent
	lb.lines(w.in, w.countedLine)
	return w
}

// join adds what a worker gave for the next batch, as if its lines had
// been parsed here.
func (p *kernelLogParser) join(lb *batchLines, w *kernelLogParser) {
	if p.hung != nil || p.kept[model.EventHungTask]+w.kept[model.EventHungTask] > logKeepPerKind {
		// The batch may continue a hung-task report begun before it, or
		// a report the worker followed is beyond the budget (a serial
		// parse would read its lines as lines of their own): parse it
		// again, here.
		lb.lines(p.in, p.countedLine)
		return
	}
	rp := warnReplay{from: w.in}
	for _, op := range w.ops {
		rp.upTo(p.in, op.warns)
		if op.ev == nil {
			p.over(op.kind, op.line)
			p.stats.OverBudget += op.n - 1
			continue
		}
		e := op.ev
		if p.kept[e.Kind] >= logKeepPerKind {
			p.over(e.Kind, e.Src.Line)
			continue
		}
		p.kept[e.Kind]++
		if p.kept[e.Kind] == logKeepPerKind {
			p.spent.mark(e.Kind)
		}
		p.stats.Kept++
		p.covered++
		if e == w.hung {
			// Still open at the end of the batch: the next lines may
			// continue it.
			p.hung, p.hungPID, p.hungTrace = e, append(p.hungPID[:0], w.hungPID...), w.hungTrace
			continue
		}
		if e.Kind == model.EventHungTask && e.Src.EndLine > 0 {
			p.covered += e.Src.EndLine - e.Src.Line
		}
		p.out.Events = append(p.out.Events, *e)
	}
	rp.upTo(p.in, w.in.emitted())
	p.stats.Lines += w.stats.Lines
}

// The phrases that make a kernel log line worth reading, found in one pass
// over the line (five bytes.Contains were most of the parser's time).
const (
	klogHasBlocked = 1 << iota
	klogHasInUse
	klogHasBusy
	klogHasTaint
	klogHasIntercept
)

// klogPhrases are the phrases, each with its bit; every phrase is longer
// than four bytes (klogScan compares four at once).
var klogPhrases = [...]struct {
	text []byte
	bit  uint8
}{
	{klogBlocked, klogHasBlocked},
	{klogInUse, klogHasInUse},
	{klogBusy, klogHasBusy},
	{klogTaint, klogHasTaint},
	{klogIntercept, klogHasIntercept},
}

// klogScan returns the phrases b holds (klogHas bits), in one pass and
// without copying (see pairScan).
func klogScan(b []byte) uint8 {
	var m uint8
	for found := klogPhraseScan.scan(b); found != 0; found &= found - 1 {
		m |= klogPhrases[bits.TrailingZeros32(found)].bit
	}
	return m
}

// klogPhraseScan finds the phrases, byte for byte.
var klogPhraseScan = newPairScan(func() []string {
	s := make([]string, len(klogPhrases))
	for i, ph := range klogPhrases {
		s[i] = string(ph.text)
	}
	return s
}(), false)

func (p *kernelLogParser) line(b []byte) {
	has := klogScan(b)
	if p.hung != nil {
		if has&klogHasBlocked == 0 && p.inHungBlock(b) {
			p.hung.Src.EndLine = p.in.Line()
			return
		}
		p.closeHung()
	}
	switch {
	case has&klogHasBlocked != 0:
		p.hungTask(b)
	case has&(klogHasInUse|klogHasBusy) != 0:
		p.moduleInUse(b)
	case has&klogHasTaint != 0:
		p.taint(b)
	case has&klogHasIntercept != 0:
		// The agent's kernel module refusing to unload (see agentlog.go).
		p.add(p.event(model.EventInterceptsSuperseded, kernelLogSplit(b), nil))
	}
}

// event returns the event of the current line, or nil when the budget of
// its kind is spent: in a worker's parser, the budget of its batch (a
// worker's events are kept or counted by the join).
func (p *kernelLogParser) event(kind string, pr logPrefix, subject []byte) *model.Event {
	if p.kept[kind] >= logKeepPerKind || p.spent.spent(kind) {
		p.over(kind, p.in.Line())
		return nil
	}
	p.kept[kind]++
	e := &model.Event{
		Kind: kind, Log: string(KindKernelLog), Time: Clean(pr.ts), Component: Clean(pr.tag),
		Subject: Clean(subject), Message: Clean(bytes.TrimSpace(pr.msg)), Src: p.in.Src(),
	}
	if p.batch {
		p.ops = append(p.ops, logOp{warns: p.in.emitted(), ev: e})
		return e
	}
	p.stats.Kept++
	p.covered++
	return e
}

// over counts an event beyond the budget of its kind, the first with a
// warning.
func (p *kernelLogParser) over(kind string, line int) {
	if p.batch {
		p.ops = appendOver(p.ops, p.in.emitted(), kind, line, false)
		return
	}
	p.stats.OverBudget++
	if !p.warned[kind] {
		p.warned[kind] = true
		p.in.WarnAt(line, "more than %d %s events; the rest are counted, not kept", logKeepPerKind, kind)
	}
}

// appendOver adds an event beyond a worker's budget to its operations,
// to the run before it when nothing came between.
func appendOver(ops []logOp, warns int, kind string, line int, unsure bool) []logOp {
	if n := len(ops); n > 0 {
		if o := &ops[n-1]; o.ev == nil && o.kind == kind && o.unsure == unsure && o.warns == warns {
			o.n++
			return ops
		}
	}
	return append(ops, logOp{warns: warns, kind: kind, line: line, n: 1, unsure: unsure})
}

func (p *kernelLogParser) add(e *model.Event) {
	if e != nil && !p.batch {
		p.out.Events = append(p.out.Events, *e)
	}
}

// hungTask reads "INFO: task COMM:PID blocked for more than N seconds."; COMM
// may hold spaces and colons, so the PID is after the last colon.
func (p *kernelLogParser) hungTask(b []byte) {
	pr := kernelLogSplit(b)
	m := pr.msg
	k := bytes.Index(m, klogBlocked)
	t := -1
	if k > 0 {
		t = bytes.LastIndex(m[:k], []byte("task "))
	}
	if t < 0 {
		p.stats.Unkept++ // "blocked for more than" in some other message
		return
	}
	who := bytes.TrimSpace(m[t+5 : k])
	c := bytes.LastIndexByte(who, ':')
	if c <= 0 || c == len(who)-1 {
		p.in.Warnf("hung task line without COMM:PID")
		return
	}
	e := p.event(model.EventHungTask, pr, who)
	if e == nil {
		return
	}
	p.hung = e
	p.hungPID = append(p.hungPID[:0], who[c+1:]...)
	p.hungTrace = false
}

func (p *kernelLogParser) closeHung() {
	if p.hung == nil {
		return
	}
	if p.batch {
		p.hung = nil // its operation holds it
		return
	}
	if p.hung.Src.EndLine > 0 {
		p.covered += p.hung.Src.EndLine - p.hung.Src.Line
	}
	p.add(p.hung)
	p.hung = nil
}

// hungBlockStarts are the messages that continue a hung-task report; trace
// marks those that show the call trace has begun.
var hungBlockStarts = []struct {
	prefix []byte
	trace  bool
}{
	{[]byte("Not tainted"), false}, {[]byte("Tainted:"), false}, {[]byte(`"echo 0`), false},
	{[]byte("task:"), false}, {[]byte("Workqueue:"), false}, {[]byte("Hardware name:"), false},
	{[]byte("CPU:"), false}, {[]byte("Call Trace:"), true}, {[]byte("<TASK>"), true},
	{[]byte("</TASK>"), true}, {[]byte("[<"), true}, {[]byte("? "), true}, {[]byte("RIP:"), true},
	{[]byte("RSP:"), true}, {[]byte("RAX:"), true}, {[]byte("RDX:"), true}, {[]byte("RBP:"), true},
	{[]byte("R10:"), true}, {[]byte("R13:"), true}, {[]byte("Code:"), true},
	{[]byte("Exception stack"), true}, {[]byte("Future hung task reports"), true},
}

// inHungBlock says whether a line continues the open hung-task report:
// the taint and hint lines, the task line, raw stack words, the call trace.
func (p *kernelLogParser) inHungBlock(b []byte) bool {
	if p.in.Line()-p.hung.Src.Line > hungBlockMax {
		return false
	}
	m := kernelLogSplit(b).msg
	if len(m) == 0 {
		return false
	}
	if m[0] == ' ' || m[0] == '\t' {
		return true
	}
	for _, s := range hungBlockStarts {
		if bytes.HasPrefix(m, s.prefix) {
			p.hungTrace = p.hungTrace || s.trace
			return true
		}
	}
	if p.hungTrace {
		return false
	}
	// Before the trace: the old task line ("comm  D ffff...  0  1428 ...")
	// and lines of raw stack words.
	if bytes.Contains(m, []byte(" D ")) && logHasToken(m, p.hungPID) {
		return true
	}
	return logAllHex(m)
}

func logHasToken(b, tok []byte) bool {
	for _, f := range bytes.Fields(b) {
		if bytes.Equal(f, tok) {
			return true
		}
	}
	return false
}

func logAllHex(b []byte) bool {
	f := bytes.Fields(b)
	if len(f) == 0 {
		return false
	}
	for _, w := range f {
		if len(w) < 8 {
			return false
		}
		for _, c := range w {
			if !isDigit(c) && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// moduleInUse reads the unload refusals of rmmod and modprobe (kmod and
// the older module-init-tools): "Module X is in use[ by: Y]",
// "could not remove module X: Device or resource busy",
// "Removing 'X': Device or resource busy".
func (p *kernelLogParser) moduleInUse(b []byte) {
	pr := kernelLogSplit(b)
	m := pr.msg
	var subject []byte
	if k := bytes.Index(m, klogInUse); k > 0 {
		mi := bytes.LastIndex(m[:k], []byte("Module "))
		if mi < 0 {
			p.stats.Unkept++
			return
		}
		subject = m[mi+7 : k]
	} else {
		// "... busy": the module name is the quoted or last word before ':'.
		// The line matched on its whole text; the message may hold neither
		// phrase (it was in the prefix, or "is in use" starts the message).
		k := bytes.Index(m, klogBusy)
		if k < 0 {
			p.stats.Unkept++
			return
		}
		head := m[:k]
		mi := bytes.LastIndex(head, []byte("remove module "))
		switch {
		case mi >= 0:
			subject = head[mi+14:]
		case bytes.Contains(head, []byte("Removing ")):
			subject = head[bytes.Index(head, []byte("Removing "))+9:]
		default:
			p.stats.Unkept++
			return
		}
		if c := bytes.IndexByte(subject, ':'); c >= 0 {
			subject = subject[:c]
		}
	}
	subject = bytes.Trim(bytes.TrimSpace(subject), `'".`)
	if len(subject) == 0 || bytes.IndexByte(subject, ' ') >= 0 {
		p.stats.Unkept++
		return
	}
	p.add(p.event(model.EventModuleInUse, pr, subject))
}

// taint keeps "MOD: loading out-of-tree module taints kernel.", "module
// license 'X' taints kernel", "module verification failed ... tainting
// kernel" and "Disabling lock debugging due to kernel taint"; the subject is
// the module that printed it.
func (p *kernelLogParser) taint(b []byte) {
	if !bytes.Contains(b, []byte("taints kernel")) && !bytes.Contains(b, []byte("tainting kernel")) &&
		!bytes.Contains(b, []byte("kernel taint")) {
		p.stats.Unkept++
		return
	}
	pr := kernelLogSplit(b)
	var subject []byte
	if c := bytes.Index(pr.msg, []byte(": ")); c > 0 && bytes.IndexByte(pr.msg[:c], ' ') < 0 {
		subject = pr.msg[:c]
	}
	p.add(p.event(model.EventTaint, pr, subject))
}

// sniffKernelLog recognises dmesg lines ("[  12.345678] ", dmesg -T) or a
// syslog file with kernel lines, when most of the first lines have that
// shape. A syslog file without kernel lines is not a kernel log.
func sniffKernelLog(h *Head) bool {
	lines := h.NonBlank(30)
	if len(lines) == 0 {
		return false
	}
	shaped, kernel, dmesg := 0, 0, 0
	for _, s := range lines {
		pr := kernelLogSplit([]byte(s))
		_, isSyslog := logSplitSyslog(bytes.TrimLeft([]byte(s), " \t"))
		switch {
		case bytes.Equal(pr.tag, []byte("kernel")):
			kernel++
			shaped++
		case pr.ts != nil && !isSyslog:
			dmesg++
			shaped++
		case isSyslog:
			shaped++
		}
	}
	return shaped*10 >= len(lines)*8 && (kernel > 0 || dmesg*2 >= len(lines))
}
