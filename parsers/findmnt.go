package parsers

import (
	"strings"
	"unicode/utf8"

	"github.com/fsagent/triage/model"
)

// findmnt(8) output (FORMATS.md §4): the default tree (UTF-8 box or ASCII
// prefixes), -l list, -r raw, extra columns such as -o+PROPAGATION, -P
// KEY="value" pairs and -J JSON. Columns come from the header; TARGET is
// the one cell that may hold spaces, so the other cells are taken from the
// ends of the line and TARGET is what lies between.

func init() {
	Register(&Parser{
		Name: "findmnt",
		Kind: KindMount,
		Doc:  "findmnt output: tree (UTF-8 or ASCII), -l, -r, -o+PROPAGATION, -P and -J.",
		Paths: []string{
			"sos_commands/filesys/findmnt", "findmnt", "findmnt.*", "findmnt_*", "findmnt-*",
			"insights_commands/findmnt_*",
		},
		Sniff: sniffFindmnt,
		Parse: parseFindmnt,
	})
}

// findmntDefaultCols are the columns of findmnt without -o, for -n output.
var findmntDefaultCols = []string{"TARGET", "SOURCE", "FSTYPE", "OPTIONS"}

func sniffFindmnt(h *Head) bool {
	lines := h.nonBlankRows(3)
	if len(lines) == 0 {
		return false
	}
	first := strings.TrimSpace(lines[0])
	switch {
	case strings.HasPrefix(first, `TARGET="`):
		return true
	case first == "{" && len(lines) > 1:
		return strings.HasPrefix(strings.TrimSpace(lines[1]), `"filesystems"`)
	}
	f := strings.Fields(first)
	return len(f) >= 2 && f[0] == "TARGET" && (f[1] == "SOURCE" || f[1] == "FSTYPE" || f[1] == "OPTIONS" || f[1] == "PROPAGATION")
}

// findmntTable is the state of a tabular findmnt parse.
type findmntTable struct {
	cols    []string
	offsets []int // rune offset of each column in the header
}

func parseFindmnt(in *Input, out *model.Model) {
	var tab *findmntTable
	var js *findmntJSON
	for in.Next() {
		t := in.Text()
		trimmed := strings.TrimSpace(t)
		if trimmed == "" {
			continue
		}
		if js != nil {
			js.line(in, out, t)
			continue
		}
		if tab == nil {
			switch {
			case trimmed == "{" || strings.HasPrefix(trimmed, `"filesystems"`):
				js = &findmntJSON{}
				continue
			case strings.HasPrefix(trimmed, `TARGET="`) || strings.Contains(trimmed, `="`) && strings.HasSuffix(trimmed, `"`):
				findmntPairs(in, out, t)
				continue
			}
			tab = &findmntTable{}
			if f := strings.Fields(t); len(f) > 0 && f[0] == "TARGET" {
				tab.header(t)
				continue
			}
			// -n: no header, default columns.
			tab.cols = findmntDefaultCols
		}
		if strings.HasPrefix(trimmed, `TARGET="`) {
			findmntPairs(in, out, t)
			continue
		}
		tab.row(in, out, t)
	}
	if js != nil {
		js.flush(out)
	}
}

func (tb *findmntTable) header(t string) {
	runeOff := 0
	inField := false
	for _, r := range t {
		if r == ' ' || r == '\t' {
			inField = false
		} else if !inField {
			inField = true
			tb.offsets = append(tb.offsets, runeOff)
		}
		runeOff++
	}
	tb.cols = strings.Fields(t)
}

func (tb *findmntTable) row(in *Input, out *model.Model, t string) {
	nc := len(tb.cols)
	ti := 0
	for i, c := range tb.cols {
		if c == "TARGET" {
			ti = i
		}
	}
	sp := fields(t)
	cells := make([]string, nc)
	if len(sp) >= nc {
		for i := 0; i < ti; i++ {
			cells[i] = t[sp[i].start:sp[i].end]
		}
		after := nc - ti - 1
		for k := 0; k < after; k++ {
			s := sp[len(sp)-after+k]
			cells[ti+1+k] = t[s.start:s.end]
		}
		from := 0
		if ti > 0 {
			from = sp[ti-1].end
		}
		to := len(t)
		if after > 0 {
			to = sp[len(sp)-after].start
		}
		cells[ti] = t[from:to]
	} else if len(tb.offsets) == nc {
		// A blank cell: cut by the header's column offsets.
		rs := []rune(t)
		for i := 0; i < nc; i++ {
			a, b := tb.offsets[i], len(rs)
			if i+1 < nc {
				b = tb.offsets[i+1]
			}
			if a > len(rs) {
				a = len(rs)
			}
			if b > len(rs) {
				b = len(rs)
			}
			cells[i] = string(rs[a:b])
		}
	} else {
		in.Warnf("expected %d columns (%s), found %d fields: %q", nc, strings.Join(tb.cols, " "), len(sp), excerpt(t))
		return
	}
	m := model.Mount{Format: "findmnt", Src: in.Src()}
	for i, c := range tb.cols {
		findmntSet(&m, c, strings.TrimSpace(cells[i]))
	}
	if m.Path == "" {
		in.Warnf("no TARGET in findmnt row: %q", excerpt(t))
		return
	}
	out.Mounts = append(out.Mounts, m)
}

// findmntTreeChars are the tree-drawing characters before a TARGET.
const findmntTreeChars = " \t|`-│├└─"

// findmntSet stores one cell in the mount by its column name.
func findmntSet(m *model.Mount, col, v string) {
	switch col {
	case "TARGET":
		m.Path = unescapeHex(strings.TrimLeft(v, findmntTreeChars))
	case "SOURCE":
		v = unescapeHex(v)
		if strings.HasSuffix(v, "]") {
			if i := strings.IndexByte(v, '['); i > 0 {
				m.Root = v[i+1 : len(v)-1]
				v = v[:i]
			}
		}
		m.Device = v
	case "FSTYPE":
		m.FSType = unescapeHex(v)
	case "OPTIONS":
		m.Options = splitMountOptions(unescapeHex(v))
	case "PROPAGATION":
		m.Propagation = v
	case "LABEL":
		m.Label = unescapeHex(v)
	case "ID":
		m.ID, _ = atoi(v)
	case "PARENT":
		m.ParentID, _ = atoi(v)
	case "MAJ:MIN":
		m.MajMin = v
	case "FSROOT":
		m.Root = unescapeHex(v)
	}
}

// unescapeHex decodes the \xHH escapes findmnt and lsblk print for
// unsafe characters in raw, -P and JSON output.
func unescapeHex(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' && hexDigit(s[i+2]) >= 0 && hexDigit(s[i+3]) >= 0 {
			b.WriteByte(byte(hexDigit(s[i+2])<<4 | hexDigit(s[i+3])))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	if !utf8.ValidString(b.String()) {
		return s
	}
	return b.String()
}

// findmntPairs parses one -P line: KEY="value" KEY="value" ...
func findmntPairs(in *Input, out *model.Model, t string) {
	m := model.Mount{Format: "findmnt", Src: in.Src()}
	rest := t
	n := 0
	for {
		rest = strings.TrimLeft(rest, " \t")
		eq := strings.Index(rest, `="`)
		if eq <= 0 {
			break
		}
		key := rest[:eq]
		val := rest[eq+2:]
		end := strings.IndexByte(val, '"')
		if end < 0 {
			in.Warnf("unterminated value for %s in findmnt -P line", excerpt(key))
			end = len(val)
			findmntSet(&m, key, val[:end])
			n++
			break
		}
		findmntSet(&m, key, val[:end])
		n++
		rest = val[end+1:]
	}
	if strings.TrimSpace(rest) != "" && n == 0 || m.Path == "" {
		in.Warnf("expected findmnt -P pairs with TARGET=\"...\": %q", excerpt(t))
		return
	}
	out.Mounts = append(out.Mounts, m)
}

// findmntJSON collects the "key": "value" members of findmnt -J output
// line by line: a new "target" starts a new mount.
type findmntJSON struct {
	cur *model.Mount
}

func (j *findmntJSON) flush(out *model.Model) {
	if j.cur != nil && j.cur.Path != "" {
		out.Mounts = append(out.Mounts, *j.cur)
	}
	j.cur = nil
}

func (j *findmntJSON) line(in *Input, out *model.Model, t string) {
	rest := t
	for {
		q := strings.IndexByte(rest, '"')
		if q < 0 {
			return
		}
		rest = rest[q+1:]
		e := strings.IndexByte(rest, '"')
		if e < 0 {
			return
		}
		key := rest[:e]
		rest = strings.TrimLeft(rest[e+1:], " \t")
		if !strings.HasPrefix(rest, ":") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t")
		var val string
		switch {
		case strings.HasPrefix(rest, `"`):
			v, n := jsonString(rest)
			val, rest = v, rest[n:]
		case strings.HasPrefix(rest, "null"):
			rest = rest[4:]
		default:
			// a number, an array or an object: scan on.
			i := strings.IndexAny(rest, ",[{")
			if i < 0 {
				return
			}
			if rest[i] != ',' {
				continue
			}
			val, rest = strings.TrimSpace(rest[:i]), rest[i:]
		}
		col := strings.ToUpper(key)
		if col == "TARGET" {
			j.flush(out)
			j.cur = &model.Mount{Format: "findmnt", Src: in.Src()}
		}
		if j.cur != nil {
			findmntSet(j.cur, col, val)
		}
	}
}

// jsonString decodes a JSON string at the start of s (which begins with
// a quote) and returns it and the bytes consumed. Escapes other than \" \\
// \/ and \uXXXX-free ones are kept as written.
func jsonString(s string) (string, int) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case '"', '\\', '/':
				b.WriteByte(s[i])
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), len(s)
}
