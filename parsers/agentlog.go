package parsers

import (
	"bytes"
	"path"
	"strings"
	"unsafe"

	"github.com/fsagent/triage/model"
)

// Vormetric / CTE / GDE agent logs: vorvmd_root.log, secfsd.log, the kernel
// module's secfs.log, the same messages forwarded to syslog, and a saved
// "/etc/init.d/secfs stop" transcript. No verbatim vendor line of the unload
// and restart messages is public, so the texts that classify a line are the
// table below, matched case-insensitively, and meant to be extended.

// agentPattern classifies a message holding all of words (lower case,
// substrings, any order). Subject, when set, names what the event is about.
type agentPattern struct {
	kind    string
	words   []string
	subject string
}

// agentPatterns is tried in order; the first match wins, so specific texts
// come before general ones ("Intercepts superceded - failing unload" is
// about syscall chaining before it is a failed unload).
var agentPatterns = []agentPattern{
	// The vendor spells it "superceded"; accept the dictionary spelling too.
	{model.EventInterceptsSuperseded, []string{"intercepts superceded"}, ""},
	{model.EventInterceptsSuperseded, []string{"intercepts superseded"}, ""},

	{model.EventUnloadFailed, []string{"failed to unload"}, ""},
	{model.EventUnloadFailed, []string{"failing unload"}, ""},
	{model.EventUnloadFailed, []string{"unable to unload"}, ""},
	{model.EventUnloadFailed, []string{"cannot unload"}, ""},
	{model.EventUnloadFailed, []string{"could not unload"}, ""},
	{model.EventUnloadFailed, []string{"unload failed"}, ""},

	{model.EventReguard, []string{"re-guard"}, ""},
	{model.EventReguard, []string{"reguard"}, ""},
	{model.EventReguard, []string{"guarding", "again"}, ""},

	{model.EventAgentRestart, []string{"restarting"}, ""},
	{model.EventAgentRestart, []string{"vmd", "restart"}, "vmd"},
	{model.EventAgentRestart, []string{"secfsd", "restart"}, "secfsd"},
	{model.EventAgentRestart, []string{"agent", "restart"}, "agent"},

	{model.EventAgentStop, []string{"stopping", "vmd"}, "vmd"},
	{model.EventAgentStop, []string{"stopping", "secfsd"}, "secfsd"},
	{model.EventAgentStop, []string{"stopping", "vormetric"}, "agent"},
	{model.EventAgentStop, []string{"stopping", "agent"}, "agent"},
	{model.EventAgentStop, []string{"vmd", "stopped"}, "vmd"},
	{model.EventAgentStop, []string{"secfsd", "stopped"}, "secfsd"},
	{model.EventAgentStop, []string{"shutting down", "vmd"}, "vmd"},

	// A start that follows a stop or a failed unload in the same file is
	// recorded as a restart (see agentLogParser.classify).
	{model.EventAgentStart, []string{"starting", "vmd"}, "vmd"},
	{model.EventAgentStart, []string{"starting", "secfsd"}, "secfsd"},
	{model.EventAgentStart, []string{"starting", "vormetric"}, "agent"},
	{model.EventAgentStart, []string{"starting", "agent"}, "agent"},
	{model.EventAgentStart, []string{"vmd", "started"}, "vmd"},
	{model.EventAgentStart, []string{"secfsd", "started"}, "secfsd"},
}

// agentAnchors are short words one of which every pattern contains
// (TestAgentPatternsTable checks it): a message holding none of them cannot
// match, which spares the table on most lines. Extend it with the table.
// Each has five letters or more ("stopp" for stopping and stopped): the
// scan (pairScan) steps one less than the shortest, and four-letter
// anchors cost a quarter more on every message.
var agentAnchors = []string{"unload", "guard", "start", "stopp", "shutt", "intercept"}

// agentCompiled is agentPatterns with its words as bytes and the anchors
// each pattern holds, so a message is tried only against the patterns whose
// anchors it contains.
var agentCompiled = func() []struct {
	words   [][]byte
	anchors uint32
} {
	out := make([]struct {
		words   [][]byte
		anchors uint32
	}, len(agentPatterns))
	for i, p := range agentPatterns {
		for _, w := range p.words {
			out[i].words = append(out[i].words, []byte(w))
			for k, a := range agentAnchors {
				if strings.Contains(w, a) {
					out[i].anchors |= 1 << k
				}
			}
		}
	}
	return out
}()

// agentAnchorMask returns the set of anchors msg contains, ignoring ASCII
// case, in one pass and without copying (see pairScan).
func agentAnchorMask(msg []byte) uint32 { return agentAnchorScan.scan(msg) }

// agentAnchorScan finds the anchors, letters in either case.
var agentAnchorScan = newPairScan(agentAnchors, true)

// foldPrefix reports whether b starts with the lower-case word a, ignoring
// ASCII case.
func foldPrefix(b []byte, a string) bool {
	for j := 0; j < len(a); j++ {
		if b[j]|0x20 != a[j] {
			return false
		}
	}
	return true
}

// agentMaxMessage bounds a message grown from continuation lines.
const agentMaxMessage = 4096

func init() {
	Register(&Parser{
		Name: "agent-log",
		Kind: KindAgentLog,
		Doc:  "Vormetric/CTE/GDE agent logs (vorvmd_root.log, secfsd.log, secfs.log, syslog forms) and saved stop transcripts: unload failures, restarts, re-guards.",
		Paths: []string{
			"var/log/vormetric/*.log*", "agent/secfs/tmp/secfs.log",
			"vorvmd_root.log*", "secfsd.log*", "secfs.log",
			"secfs-stop.out", "secfs-stop.txt", "secfs_stop.out", "secfs_stop.txt",
			"agent-stop.out", "agent-stop.txt",
		},
		Sniff: sniffAgentLog,
		Parse: parseAgentLog,
	})
}

// agentRecord is one log entry: a headed line and its continuation lines.
type agentRecord struct {
	open   bool
	headed bool // had a timestamp or a bracketed header
	line   int
	end    int
	// raw is the first line: in a worker's parser, where it lies in the
	// batch, which stays put until the batch is joined (parseBatch copies
	// the record it leaves open); elsewhere a copy in rbuf, since the
	// reader reuses its buffer.
	raw   []byte
	rbuf  []byte
	ts    []byte
	comp  []byte
	level []byte
	msgID []byte
	// msg is a part of raw until a continuation line grows it: it is then
	// copied into mbuf, its own buffer (owned).
	msg   []byte
	mbuf  []byte
	owned bool
}

type agentLogParser struct {
	in       *Input
	out      *model.Model
	stats    model.LogStats
	kept     map[string]int
	warned   map[string]bool
	covered  int
	rec      agentRecord
	lower    []byte
	stopped  bool // a stop or failed unload was seen: a later start is a restart
	fileComp string

	// A worker's parser (batch) parses one batch of a large log without
	// the state the lines before it left: the record still open, whether
	// the agent was stopped, how much of the budget is spent. Its events
	// go to ops, which the join replays in order; first says how its first
	// non-blank line began (firstWarns: the warnings before it).
	batch      bool
	ops        []logOp
	first      agentFirst
	firstWarns int
	spent      *budgetsSpent // the kinds whose budget the joined batches spent
}

// agentFirst is how a batch's first non-blank line began.
type agentFirst uint8

const (
	agentFirstNone     agentFirst = iota // the batch is blank
	agentFirstHeaded                     // a record of its own
	agentFirstUnheaded                   // a continuation, if a headed record is open
)

func newAgentLogParser(in *Input, out *model.Model) *agentLogParser {
	p := &agentLogParser{in: in, out: out, kept: map[string]int{}, warned: map[string]bool{}}
	p.stats.Kind = string(KindAgentLog)
	switch base := path.Base(in.ArtifactPath()); {
	case strings.HasPrefix(base, "secfs.log"):
		p.fileComp = "secfs"
	case strings.HasPrefix(base, "secfsd"):
		p.fileComp = "secfsd"
	case strings.HasPrefix(base, "vorvmd"):
		p.fileComp = "vmd"
	}
	return p
}

func parseAgentLog(in *Input, out *model.Model) {
	p := newAgentLogParser(in, out)
	readLines(in, p.countedLine, func() {
		p.spent = newBudgetsSpent(p.kept, logKeepPerKind)
		parseInBatches(in, p.parseBatch, p.join, batchHooks{cut: agentHeadedLine})
	})
	p.flush()
	p.stats.Unkept = p.stats.Lines - p.covered
	p.stats.Src = model.Source{Path: in.Path}
	out.LogStats = append(out.LogStats, p.stats)
}

func (p *agentLogParser) countedLine(b []byte) {
	p.stats.Lines++
	p.line(b)
}

// parseBatch parses one batch of lines on a worker.
func (p *agentLogParser) parseBatch(lb *batchLines) *agentLogParser {
	w := newAgentLogParser(batchInput(p.in), nil)
	w.batch, w.spent = true, p.spent
	lb.lines(w.in, w.countedLine)
	if w.rec.open {
		// The join keeps it open past the batch's lines.
		w.rec.own()
	}
	return w
}

// agentHeadedLine tells parseInBatches where a batch may start: at a line
// that begins a record of its own, so no record spans two batches.
func agentHeadedLine(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && agentSplit(t).headed
}

// join adds what a worker gave for the next batch, as if its lines had
// been parsed here.
func (p *agentLogParser) join(lb *batchLines, w *agentLogParser) {
	if w.first == agentFirstUnheaded && p.rec.open && p.rec.headed {
		// The batch's first lines continue the record open here: parse
		// it again, here.
		lb.lines(p.in, p.countedLine)
		return
	}
	rp := warnReplay{from: w.in}
	if w.first != agentFirstNone {
		// The batch's first record ends the one open here.
		rp.upTo(p.in, w.firstWarns)
		p.flush()
	}
	for _, op := range w.ops {
		rp.upTo(p.in, op.warns)
		kind := op.kind
		if op.ev != nil {
			kind = op.ev.Kind
		}
		if op.unsure && p.stopped {
			kind = model.EventAgentRestart
		}
		if op.ev == nil {
			p.over(kind, op.line, false)
			p.stats.OverBudget += op.n - 1
			continue
		}
		e := op.ev
		if p.kept[kind] >= logKeepPerKind {
			p.over(kind, e.Src.Line, false)
			continue
		}
		e.Kind = kind
		p.kept[kind]++
		if p.kept[kind] == logKeepPerKind {
			p.spent.mark(kind)
		}
		p.stats.Kept++
		p.covered++
		if e.Src.EndLine > e.Src.Line {
			p.covered += e.Src.EndLine - e.Src.Line
		}
		p.out.Events = append(p.out.Events, *e)
	}
	rp.upTo(p.in, w.in.emitted())
	if w.rec.open {
		// The batch's last record may go on in the next lines.
		p.rec, w.rec = w.rec, p.rec
	}
	p.stopped = p.stopped || w.stopped
	p.stats.Lines += w.stats.Lines
}

// agentSplit reads the header of a trimmed, non-blank line.
func agentSplit(t []byte) agentRecord {
	var r agentRecord
	r.split(t)
	return r
}

// split sets r to the header and message of a trimmed, non-blank line
// (see agentSplit). A log's every line goes through it: filling the
// caller's record in place spares copying the whole struct (ten fields)
// back, and again into begin.
func (r *agentRecord) split(t []byte) {
	*r = agentRecord{}
	switch {
	case len(t) > 4 && t[0] == '<' && isDigit(t[1]):
		*r = agentRFC5424(t)
	default:
		body := t
		if sp, ok := logSplitSyslog(t); ok {
			r.ts, r.comp, body, r.headed = sp.ts, sp.tag, sp.msg, true
		} else if n := logLeadingTime(t); n > 0 {
			r.ts, body, r.headed = t[:n], t[skipBlanks(t, n):], true
		}
		body = r.bracketHeader(body)
		r.msg = body
	}
}

func (p *agentLogParser) line(b []byte) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return
	}
	var r agentRecord
	r.split(t)
	if p.batch && p.first == agentFirstNone {
		p.first, p.firstWarns = agentFirstUnheaded, p.in.emitted()
		if r.headed {
			p.first = agentFirstHeaded
		}
	}
	if !r.headed && p.rec.open && p.rec.headed {
		// A line without its own timestamp continues the entry before it.
		p.rec.end = p.in.Line()
		if room := agentMaxMessage - len(p.rec.msg); room > 1 {
			if len(t) > room-1 {
				t = t[:room-1]
			}
			rec := &p.rec
			if !rec.owned {
				rec.mbuf, rec.owned = append(rec.mbuf[:0], rec.msg...), true
			}
			rec.mbuf = append(append(rec.mbuf, ' '), t...)
			rec.msg = rec.mbuf
		}
		return
	}
	p.flush()
	p.begin(&r)
}

// bracketHeader takes "[COMP] [SEV] [PID] [MSGID] " off the message body.
func (r *agentRecord) bracketHeader(b []byte) []byte {
	var groups [4][]byte
	n, rest := 0, b
	for n < 4 && len(rest) > 2 && rest[0] == '[' {
		// The group ends at a ']' within 40 bytes; a space before it
		// ("[LEARN MODE]") makes it part of the message. One pass that
		// stops at either tells both: a search for each cost more than
		// the bytes on every line of a log.
		lim, e := rest[:min(len(rest), 41)], 0
		for k, c := range lim {
			if c == ']' || c == ' ' {
				e = k
				break
			}
		}
		if e == 0 || lim[e] != ']' {
			break
		}
		groups[n] = rest[1:e]
		n++
		rest = rest[e+1:]
		for len(rest) > 0 && rest[0] == ' ' {
			rest = rest[1:]
		}
	}
	if n < 2 || !logIsLevel(groups[1]) {
		return b
	}
	r.comp, r.level, r.headed = groups[0], groups[1], true
	if n >= 4 {
		r.msgID = groups[3]
	} else if n == 3 && !allDigits(groups[2]) {
		r.msgID = groups[2]
	}
	return rest
}

// logIsLevel reports a log level as the agent writes it ("[INFO]"); a
// switch on constants, since every line of an agent log asks.
func logIsLevel(b []byte) bool {
	switch string(b) {
	case "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "FATAL", "CRIT", "CRITICAL", "ALERT", "EMERG", "SEVERE", "TRACE":
		return true
	}
	return false
}

// logSevere reports a level of WARN or worse, or a message id ending in E or W
// (the vendor's CGP2602E, DXF4328E).
func logSevere(level, msgID []byte) bool {
	switch string(level) {
	case "WARN", "WARNING", "ERROR", "ERR", "FATAL", "CRIT", "CRITICAL", "ALERT", "EMERG", "SEVERE":
		return true
	case "":
		if n := len(msgID); n > 4 && isDigit(msgID[n-2]) {
			return msgID[n-1] == 'E' || msgID[n-1] == 'W'
		}
	}
	return false
}

// agentRFC5424 reads the agent's syslog-forwarding form:
// `<30>1 TS HOST APP PROCID MSGID [CGP@21513 sev="INFO" msg="..." ...]`.
func agentRFC5424(t []byte) agentRecord {
	var r agentRecord
	r.msg = t
	gt := bytes.IndexByte(t, '>')
	if gt < 0 || gt > 5 {
		return r
	}
	f := bytes.SplitN(t[gt+1:], []byte(" "), 7)
	if len(f) < 7 {
		return r
	}
	r.headed = true
	r.ts, r.comp = f[1], f[3]
	if !bytes.Equal(f[5], []byte("-")) {
		r.msgID = f[5]
	}
	sd := f[6]
	if v := agentSDParam(sd, "sev"); v != nil {
		r.level = v
	}
	if at := bytes.IndexByte(sd, '@'); len(sd) > 1 && sd[0] == '[' && at > 1 {
		r.comp = sd[1:at]
	}
	// The whole structured data is the message: msg="Audit access" alone
	// would drop the policy, process and guard point.
	r.msg = sd
	return r
}

// agentSDParam returns the value of name="value" inside structured data.
func agentSDParam(sd []byte, name string) []byte {
	key := []byte(" " + name + `="`)
	k := bytes.Index(sd, key)
	if k < 0 {
		return nil
	}
	v := sd[k+len(key):]
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' {
			i++
			continue
		}
		if v[i] == '"' {
			return v[:i]
		}
	}
	return nil
}

// logLeadingTime returns the length of a date and time at the start of
// a line: "YYYY-MM-DD HH:MM:SS[.mmm]" (also with T, a zone, or slashes),
// "MM/DD/YYYY HH:MM:SS", or ctime's "Wed Jun 13 10:00:00 [CDT ]2018".
func logLeadingTime(b []byte) int {
	isTime := func(s []byte) int {
		if len(s) < 8 || !isDigit(s[0]) || !isDigit(s[1]) || s[2] != ':' || !isDigit(s[3]) || s[5] != ':' || !isDigit(s[7]) {
			return 0
		}
		n := 8
		for n < len(s) && (isDigit(s[n]) || s[n] == '.' || s[n] == ',') {
			n++
		}
		if n < len(s) && (s[n] == 'Z' || s[n] == '+' || s[n] == '-') {
			n++
			for n < len(s) && (isDigit(s[n]) || s[n] == ':') {
				n++
			}
		}
		return n
	}
	switch {
	case len(b) >= 19 && isDigit(b[0]) && isDigit(b[3]) && (b[4] == '-' || b[4] == '/') && b[7] == b[4] &&
		(b[10] == ' ' || b[10] == 'T'):
		if n := isTime(b[11:]); n > 0 {
			return 11 + n
		}
	case len(b) >= 19 && isDigit(b[0]) && b[2] == '/' && b[5] == '/' && b[10] == ' ':
		if n := isTime(b[11:]); n > 0 {
			return 11 + n
		}
	case len(b) >= 24 && b[3] == ' ' && hasMonthPrefix(b[4:]) && b[7] == ' ':
		i := 8
		for i < len(b) && b[i] == ' ' {
			i++
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i < len(b) && b[i] == ' ' {
			i++
		}
		n := isTime(b[i:])
		if n == 0 {
			return 0
		}
		i += n
		// An optional zone, then the year.
		j := i
		for k := 0; k < 2 && j < len(b) && b[j] == ' '; k++ {
			e := j + 1
			for e < len(b) && b[e] != ' ' {
				e++
			}
			if allDigits(b[j+1:e]) && e-j-1 == 4 {
				return e
			}
			j = e
		}
		return i
	}
	return 0
}

func (p *agentLogParser) begin(r *agentRecord) {
	rec := &p.rec
	rec.raw = p.in.Bytes()
	rec.ts, rec.comp, rec.level, rec.msgID = r.ts, r.comp, r.level, r.msgID
	rec.msg, rec.owned = r.msg, false
	rec.open, rec.headed = true, r.headed
	rec.line, rec.end = p.in.Line(), 0
	if !p.batch {
		rec.own()
	}
}

// own copies the record's first line into rbuf and points its parts at
// the copy, found by their address (comparing their bytes as well was a
// tenth of the parse). A worker leaves every line where it is, but for the
// last record of its batch: copying each line was 1.3 % of the
// instructions of the harness's 1 GiB bundle.
func (rec *agentRecord) own() {
	raw := rec.raw
	rec.rbuf = append(rec.rbuf[:0], raw...)
	rec.raw = rec.rbuf
	base := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	at := func(s []byte) []byte {
		if len(s) == 0 {
			return nil
		}
		i := int(uintptr(unsafe.Pointer(unsafe.SliceData(s))) - base)
		if i < 0 || i+len(s) > len(raw) {
			return append([]byte(nil), s...) // not a part of the line
		}
		return rec.raw[i : i+len(s) : i+len(s)]
	}
	rec.ts, rec.comp, rec.level, rec.msgID = at(rec.ts), at(rec.comp), at(rec.level), at(rec.msgID)
	if !rec.owned {
		rec.msg = at(rec.msg)
	}
}

// flush classifies the open record and keeps it when it is an event.
func (p *agentLogParser) flush() {
	rec := &p.rec
	if !rec.open {
		return
	}
	rec.open = false
	kind, subject := p.classify(rec.msg)
	if kind == "" {
		if !logSevere(rec.level, rec.msgID) {
			return
		}
		kind = model.EventOther
	}
	// A worker cannot tell a start from a restart before its batch shows a
	// stop: such starts have a budget of their own in the batch, and the
	// join decides.
	unsure := p.batch && kind == model.EventAgentStart && !p.stopped
	budget := kind
	if unsure {
		budget = "?" + kind
	}
	if p.kept[budget] >= logKeepPerKind || !unsure && p.spent.spent(kind) {
		p.over(kind, rec.line, unsure)
		return
	}
	p.kept[budget]++
	comp := Clean(rec.comp)
	if comp == "" {
		comp = p.fileComp
	}
	e := model.Event{
		Kind: kind, Log: string(KindAgentLog), Time: Clean(rec.ts), Level: Clean(rec.level), Component: comp,
		MsgID: Clean(rec.msgID), Subject: subject, Message: Clean(bytes.TrimSpace(rec.msg)),
		Src: model.Source{Path: p.in.Path, Line: rec.line, EndLine: rec.end, Text: Clean(rec.raw)},
	}
	if p.batch {
		p.ops = append(p.ops, logOp{warns: p.in.emitted(), ev: &e, unsure: unsure})
		return
	}
	p.stats.Kept++
	p.covered++
	if rec.end > rec.line {
		p.covered += rec.end - rec.line
	}
	p.out.Events = append(p.out.Events, e)
}

// over counts an event beyond the budget of its kind, the first with a
// warning.
func (p *agentLogParser) over(kind string, line int, unsure bool) {
	if p.batch {
		p.ops = appendOver(p.ops, p.in.emitted(), kind, line, unsure)
		return
	}
	p.stats.OverBudget++
	if !p.warned[kind] {
		p.warned[kind] = true
		p.in.WarnAt(line, "more than %d %s events; the rest are counted, not kept", logKeepPerKind, kind)
	}
}

// classify matches a message against agentPatterns.
func (p *agentLogParser) classify(msg []byte) (kind, subject string) {
	mask := agentAnchorMask(msg)
	if mask == 0 {
		return "", ""
	}
	p.lower = logLower(p.lower[:0], msg)
	low := p.lower
	for i, pat := range agentPatterns {
		c := &agentCompiled[i]
		if c.anchors&mask == 0 {
			continue
		}
		ok := true
		for _, w := range c.words {
			if !bytes.Contains(low, w) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		kind, subject = pat.kind, pat.subject
		switch kind {
		case model.EventAgentStop, model.EventUnloadFailed, model.EventInterceptsSuperseded:
			p.stopped = true
		case model.EventAgentStart:
			if p.stopped {
				kind = model.EventAgentRestart
			}
		}
		switch kind {
		case model.EventUnloadFailed:
			subject = agentUnloadSubject(msg, low)
		case model.EventReguard:
			subject = logFirstPath(msg)
		}
		return kind, subject
	}
	return "", ""
}

func logLower(dst, s []byte) []byte {
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// agentUnloadSubject names the module a failed unload is about, by its base
// name: the word after "unload" (skipping "kernel extension", "module",
// "the"), else the word after "module" or "extension" anywhere:
// "Failed to unload kernel extension agent/secfs/.sec/mod/secfs2" → secfs2,
// "Kernel module secfs2 could not unload" → secfs2.
func agentUnloadSubject(msg, low []byte) string {
	if k := bytes.Index(low, []byte("unload")); k >= 0 {
		if w := agentModuleWord(msg[k+len("unload"):]); w != "" {
			return w
		}
	}
	for _, kw := range []string{"module ", "extension "} {
		if k := bytes.Index(low, []byte(kw)); k >= 0 {
			if w := agentModuleWord(msg[k+len(kw)-1:]); w != "" {
				return w
			}
		}
	}
	return ""
}

// agentModuleWord returns the first word of s that can name a module.
func agentModuleWord(s []byte) string {
	for _, w := range bytes.Fields(s) {
		switch string(logLower(nil, w)) {
		case "kernel", "extension", "module", "the", "of", "driver":
			continue
		case "error", "failed", "-", "could", "cannot", "because", "due", "is", "was":
			return ""
		}
		w = bytes.Trim(w, `'".,:;()[]`)
		if i := bytes.LastIndexByte(w, '/'); i >= 0 {
			w = w[i+1:]
		}
		w = bytes.TrimSuffix(w, []byte(".ko"))
		if len(w) == 0 {
			return ""
		}
		return Clean(w)
	}
	return ""
}

// logFirstPath returns the first absolute path in a message (a guard point).
func logFirstPath(msg []byte) string {
	for _, w := range bytes.Fields(msg) {
		w = bytes.Trim(w, `'"[](),;`)
		if len(w) > 1 && w[0] == '/' {
			return Clean(w)
		}
	}
	return ""
}

// sniffAgentLog recognises the agent's bracketed log lines, its RFC 5424
// syslog form, or the texts of a stop transcript and of the module's log.
func sniffAgentLog(h *Head) bool {
	lines := h.NonBlank(30)
	if len(lines) == 0 {
		return false
	}
	hits := 0
	for _, s := range lines {
		b := []byte(s)
		// A kernel line may quote the module ("kernel: secfs2: mod_fini:
		// ..."); that makes a kernel log, not an agent log.
		if sp, ok := logSplitSyslog(b); !ok || !bytes.Equal(sp.tag, []byte("kernel")) {
			for _, m := range agentSniffTexts {
				if bytes.Contains(b, m) {
					return true
				}
			}
		}
		var r agentRecord
		if len(b) > 4 && b[0] == '<' && isDigit(b[1]) {
			if bytes.Contains(b, []byte("@21513 ")) {
				hits++
			}
			continue
		}
		body := b
		if sp, ok := logSplitSyslog(b); ok {
			body = sp.msg
		} else if n := logLeadingTime(b); n > 0 {
			body = bytes.TrimLeft(b[n:], " ")
		}
		if r.bracketHeader(body); r.level != nil && len(r.msgID) > 0 {
			hits++
		}
	}
	return hits*2 >= len(lines)
}

// agentSniffTexts appear only in the agent's own output.
var agentSniffTexts = [][]byte{
	[]byte("Stopping the vmd"), []byte("Failed to unload kernel extension"),
	[]byte("mod_fini:"), []byte("ntercepts superceded"), []byte("Encryption Expert File System Agent"),
}
