package parsers

import (
	"path"
	"strings"

	"github.com/fsagent/triage/model"
)

// SysV init scripts: the LSB "### BEGIN INIT INFO" block decides boot and
// shutdown order (an anti-virus hook that lacks Should-Start for the cluster
// services it must follow is a known cause of hangs), and Red Hat's
// "# chkconfig:" header does the same on older systems. A script without
// either is still listed, so rules can see the service exists.

func init() {
	Register(&Parser{
		Name:  "init-script",
		Kind:  KindInitScript,
		Doc:   "SysV init scripts: the LSB INIT INFO block (every keyword, X- extensions) and the chkconfig header.",
		Paths: []string{"etc/init.d/*", "etc/rc.d/init.d/*"},
		Sniff: sniffInitScript,
		Parse: parseInitScript,
	})
}

const (
	lsbBegin = "### BEGIN INIT INFO"
	lsbEnd   = "### END INIT INFO"
)

// lsbKeywords are the keywords of the LSB specification, by lower case.
var lsbKeywords = map[string]bool{
	"provides": true, "required-start": true, "required-stop": true, "should-start": true,
	"should-stop": true, "default-start": true, "default-stop": true,
	"short-description": true, "description": true,
}

// chkconfigKeys are the keys of the Red Hat comment header.
var chkconfigKeys = map[string]bool{
	"chkconfig": true, "description": true, "processname": true, "pidfile": true,
	"config": true, "probe": true,
}

type initParser struct {
	in      *Input
	s       model.InitScript
	state   int // 0 before the block, 1 inside it, 2 after it
	leading bool
	lastKey string // the keyword a continuation line extends
	ckKey   string // chkconfig key continued by a trailing backslash
	short   string
	ckDesc  string
}

func parseInitScript(in *Input, out *model.Model) {
	p := &initParser{in: in, leading: true}
	p.s.Name = path.Base(in.ArtifactPath())
	p.s.Path = in.ArtifactPath()
	first, comments := true, false
	for in.Next() {
		if first {
			p.s.Src, first = in.Src(), false
		}
		if !comments && strings.HasPrefix(strings.TrimLeft(in.Text(), " \t"), "#") {
			comments = true
		}
		if p.line(in.Text()) {
			break
		}
	}
	if p.state == 1 {
		in.Warnf("%s without %s: the header is read up to here", lsbBegin, lsbEnd)
		p.s.Src.EndLine = in.Line()
	}
	p.s.Src.Path = in.Path
	if !comments && !first && in.Section() != "" {
		// supportconfig copies configuration files without their comment
		// lines unless run with -l: the "#!" line and the LSB block are
		// gone, so whether the script has a header is unknown, not "no".
		in.WarnAt(0, "the collector stripped the comment lines of %s (supportconfig without -l), so its LSB header cannot be read", in.Section())
		return
	}
	if p.s.Description == "" {
		p.s.Description = p.short
	}
	if p.s.Description == "" {
		p.s.Description = p.ckDesc
	}
	out.InitScripts = append(out.InitScripts, p.s)
}

// line handles one line; it returns true when the header is complete and
// the rest of the script need not be read.
func (p *initParser) line(l string) bool {
	t := strings.TrimSpace(l)
	if p.state == 0 {
		if strings.HasPrefix(t, lsbBegin) {
			p.state = 1
			p.s.HasHeader = true
			p.s.Src = p.in.Src()
			p.lastKey = ""
			return false
		}
		p.chkconfig(l, t)
		return false
	}
	if strings.HasPrefix(t, lsbEnd) {
		p.s.Src.EndLine = p.in.Line()
		p.state = 2
		return true
	}
	if t == "" {
		p.in.Warnf("blank line inside the INIT INFO block")
		p.lastKey = ""
		return false
	}
	if !strings.HasPrefix(l, "#") {
		p.in.Warnf("code inside the INIT INFO block (no %s before it)", lsbEnd)
		p.s.Src.EndLine = p.in.Line() - 1
		p.state = 2
		return true
	}
	c := strings.TrimLeft(l, "#")
	if strings.TrimSpace(c) == "" {
		p.lastKey = ""
		return false
	}
	key, val, isKey := initKeywordLine(c)
	indented := strings.HasPrefix(c, "\t") || strings.HasPrefix(c, "  ")
	if isKey && indented {
		lk := strings.ToLower(key)
		isKey = lsbKeywords[lk] || strings.HasPrefix(lk, "x-")
	}
	switch {
	case isKey:
		p.setField(key, val)
	case indented && p.lastKey != "":
		p.extend(p.lastKey, strings.TrimSpace(c))
	default:
		p.in.Warnf("INIT INFO line is neither \"# Keyword: value\" nor a continuation")
	}
	return false
}

// initKeywordLine splits " Keyword: value" (any space before the keyword,
// none required: "#Should-Start: nss" is common in hand-edited scripts).
func initKeywordLine(c string) (key, val string, ok bool) {
	s := strings.TrimLeft(c, " \t")
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return "", "", false
	}
	key = s[:colon]
	for i := 0; i < len(key); i++ {
		ch := key[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return "", "", false
		}
	}
	return key, strings.TrimSpace(s[colon+1:]), true
}

func (p *initParser) setField(key, val string) {
	if p.s.Fields == nil {
		p.s.Fields = map[string]string{}
	}
	if old, dup := p.s.Fields[key]; dup {
		p.in.Warnf("keyword %s given twice; the values are joined", key)
		if val != "" {
			val = strings.TrimSpace(old + " " + val)
		} else {
			val = old
		}
	}
	p.s.Fields[key] = strings.Join(strings.Fields(val), " ")
	p.lastKey = key
	p.apply(key)
}

// extend appends a continuation line to a keyword's value.
func (p *initParser) extend(key, more string) {
	v := p.s.Fields[key]
	if v != "" {
		v += " "
	}
	p.s.Fields[key] = v + strings.Join(strings.Fields(more), " ")
	p.apply(key)
}

// apply copies a keyword's value into the typed fields of InitScript.
func (p *initParser) apply(key string) {
	v := p.s.Fields[key]
	list := strings.Fields(v)
	if len(list) == 0 {
		list = nil // an empty value ("# Required-Stop:") lists nothing
	}
	switch strings.ToLower(key) {
	case "provides":
		p.s.Provides = list
	case "required-start":
		p.s.RequiredStart = list
	case "required-stop":
		p.s.RequiredStop = list
	case "should-start":
		p.s.ShouldStart = list
	case "should-stop":
		p.s.ShouldStop = list
	case "default-start":
		p.s.DefaultStart = list
	case "default-stop":
		p.s.DefaultStop = list
	case "description":
		p.s.Description = v
	case "short-description":
		p.short = v
	}
}

// chkconfig reads the Red Hat header in the comments at the top of the
// script: "# chkconfig: 345 97 03", "# description: ... \" (a trailing
// backslash continues the value), "# processname:", "# pidfile:".
func (p *initParser) chkconfig(l, t string) {
	if !p.leading {
		return
	}
	if t == "" || strings.HasPrefix(t, "#!") {
		return
	}
	if !strings.HasPrefix(t, "#") {
		p.leading = false // the first line of code ends the header
		return
	}
	c := strings.TrimLeft(t, "#")
	if p.ckKey != "" {
		p.ckAppend(p.ckKey, strings.TrimSpace(c))
		return
	}
	key, val, ok := initKeywordLine(c)
	if !ok || !chkconfigKeys[key] {
		return
	}
	if p.s.Fields == nil {
		p.s.Fields = map[string]string{}
	}
	p.s.Fields[key] = ""
	p.ckAppend(key, val)
}

func (p *initParser) ckAppend(key, val string) {
	cont := strings.HasSuffix(val, "\\")
	val = strings.TrimSpace(strings.TrimSuffix(val, "\\"))
	v := p.s.Fields[key]
	if v != "" && val != "" {
		v += " "
	}
	v = strings.Join(strings.Fields(v+val), " ")
	p.s.Fields[key] = v
	switch key {
	case "chkconfig":
		p.s.Chkconfig = v
	case "description":
		p.ckDesc = v
	}
	p.ckKey = ""
	if cont {
		p.ckKey = key
	}
}

// sniffInitScript recognises a script with an LSB block or a chkconfig
// header.
func sniffInitScript(h *Head) bool {
	for i, l := range h.Lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, lsbBegin) {
			return true
		}
		if i < 40 && strings.HasPrefix(t, "#") {
			if k, _, ok := initKeywordLine(strings.TrimLeft(t, "#")); ok && k == "chkconfig" && len(h.Lines) > 0 && strings.HasPrefix(h.Lines[0], "#!") {
				return true
			}
		}
	}
	return false
}
