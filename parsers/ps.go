package parsers

import (
	"path"
	"strings"

	"github.com/fsagent/triage/model"
)

// ps output in its common shapes: `ps aux`, `ps -ef`, `ps -eo ...`, sos's
// `ps auxwwwm` (thread rows with PID "-"), `ps alxwww` and `ps -elfL` (one
// row per thread). Columns are taken from the header; every column but the
// last is one word (AIX prints STIME as "Jan 21", which is joined), and the
// last column, the command line, takes the rest of the line.

func init() {
	Register(&Parser{
		Name: "ps",
		Kind: KindProcesses,
		Doc:  "ps tables (aux, -ef, -eo, auxwwwm, alxwww, -elfL): pid, ppid, user, state, wchan, command.",
		Paths: []string{
			"sos_commands/process/ps_*", "insights_commands/ps_*",
			"ps", "ps.out", "ps.txt", "ps-*.out", "ps-*.txt", "ps_*", "ps.*",
		},
		Sniff: sniffPS,
		Parse: parsePS,
	})
}

// psCommandCols are the header names of command columns.
var psCommandCols = map[string]bool{"COMMAND": true, "CMD": true, "ARGS": true, "COMM": true, "UCOMM": true, "UCMD": true}

func sniffPS(h *Head) bool {
	lines := h.nonBlankRows(1)
	if len(lines) != 1 {
		return false
	}
	cols := strings.Fields(lines[0])
	return psHeaderOK(cols)
}

// psHeaderOK accepts a header with a PID column and a command column last.
func psHeaderOK(cols []string) bool {
	if len(cols) < 2 || !psCommandCols[cols[len(cols)-1]] {
		return false
	}
	for _, c := range cols {
		if c == "PID" {
			return true
		}
	}
	return false
}

// psHeader returns the words of t when t is a header line, nil otherwise.
// A header names a PID column, so a line without "PID" is not split into
// words (splitting every row twice was most of a small bundle's ps).
func psHeader(t string) []string {
	if !strings.Contains(t, "PID") {
		return nil
	}
	if f := strings.Fields(t); psHeaderOK(f) && f[0] != "-" && !allDigits(f[0]) {
		return f
	}
	return nil
}

// psCells are a row's values by column name, in column order. A row has a
// dozen columns: a list scanned from its end costs less than a map (it
// was a fifth of this parser's time), and gives what the map did, the
// last value set under a name, or "".
type psCells []psCell

type psCell struct{ name, value string }

func (cs psCells) get(name string) string {
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].name == name {
			return cs[i].value
		}
	}
	return ""
}

// psTimeCols may be printed as two words on AIX ("Jan 21").
var psTimeCols = map[string]bool{"STIME": true, "START": true, "STARTED": true}

func parsePS(in *Input, out *model.Model) {
	var cols []string
	var offsets []int // byte offset of each header column
	var lastPID = -1
	var last *model.Process
	hasLWP := false
	var cells psCells
	var sp []span
	for in.Next() {
		t := in.Text()
		if strings.TrimSpace(t) == "" {
			continue
		}
		if f := psHeader(t); f != nil {
			cols = f
			offsets = offsets[:0]
			for _, s := range fields(t) {
				offsets = append(offsets, s.start)
			}
			hasLWP = false
			for _, c := range cols {
				if c == "LWP" || c == "SPID" || c == "TID" {
					hasLWP = true
				}
			}
			lastPID, last = -1, nil
			continue
		}
		if cols == nil {
			in.Warnf("ps row before a header naming its columns (PID ... COMMAND): %q", excerpt(t))
			continue
		}
		sp = appendFields(sp[:0], t, -1) // reused: a slice per row was a third of the garbage
		cells = cells[:0]                // reused from row to row
		k := 0
		n := len(cols)
		var comm string
		ok := true
		for i, c := range cols {
			if k >= len(sp) {
				if i == n-1 {
					break // an empty command line
				}
				ok = false
				break
			}
			if i == n-1 {
				cells = append(cells, psCell{c, strings.TrimSpace(t[sp[k].start:])})
				break
			}
			v := t[sp[k].start:sp[k].end]
			k++
			if psTimeCols[c] && isMonth(v) && k < len(sp) && len(sp)-k > n-1-i {
				if d := t[sp[k].start:sp[k].end]; len(d) <= 2 && allDigits(d) {
					v += " " + d
					k++
				}
			}
			if psCommandCols[c] {
				// comm before args: cut at the args column's header offset
				// when the row is aligned with it, so a comm with spaces
				// stays whole.
				if len(offsets) == n {
					off := offsets[n-1]
					if off < len(t) && off > sp[k-1].start && t[off-1] == ' ' && t[off] != ' ' {
						v = strings.TrimSpace(t[sp[k-1].start:off])
						for k < len(sp) && sp[k].start < off {
							k++
						}
					}
				}
				comm = v
				continue
			}
			cells = append(cells, psCell{c, v})
		}
		if !ok {
			in.Warnf("ps row has fewer fields than the header's %d columns: %q", n, excerpt(t))
			continue
		}
		pidText := cells.get("PID")
		state := cells.get("STAT")
		if state == "" {
			state = cells.get("S")
		}
		if pidText == "-" {
			// A thread row of `ps m`: it belongs to the process above.
			if last == nil {
				in.Warnf("thread row before any process row: %q", excerpt(t))
				continue
			}
			psThreadState(last, state)
			continue
		}
		pid, okPID := atoi(pidText)
		if !okPID {
			in.Warnf("PID column holds %q, not a number: %q", excerpt(pidText), excerpt(t))
			continue
		}
		if hasLWP && pid == lastPID && last != nil {
			psThreadState(last, state)
			continue
		}
		p := model.Process{PID: pid, State: state, WChan: cells.get("WCHAN"), Src: in.Src()}
		if v, ok := atoi(cells.get("PPID")); ok {
			p.PPID = v
		}
		for _, c := range []string{"USER", "UID", "RUSER", "EUSER", "UNAME"} {
			if cells.get(c) != "" {
				p.User = cells.get(c)
				break
			}
		}
		p.Args = psTrimForest(cells.get(cols[n-1]))
		if comm != "" {
			p.Command = comm
		} else {
			p.Command = psProgram(p.Args)
		}
		out.Processes = append(out.Processes, p)
		last = &out.Processes[len(out.Processes)-1]
		lastPID = pid
	}
}

// psThreadState folds a thread's state into its process: the process takes
// its first thread's state, and a thread in uninterruptible sleep (D)
// replaces it, since a process with a stuck thread is what rules look for.
func psThreadState(p *model.Process, state string) {
	if state == "" || state == "-" {
		return
	}
	if p.State == "" || p.State == "-" {
		p.State = state
		return
	}
	if strings.HasPrefix(state, "D") && !strings.HasPrefix(p.State, "D") {
		p.State = state
	}
}

// psTrimForest drops the tree drawing of `ps f` ("  \_ ", "|").
func psTrimForest(s string) string {
	for {
		t := strings.TrimLeft(s, " |")
		t = strings.TrimPrefix(t, `\_`)
		if t == s {
			return strings.TrimSpace(s)
		}
		s = t
	}
}

// psProgram is the program name of a command line: the base name of its
// first word, without a login shell's "-", the brackets of a kernel thread
// or the colon of a retitled process ("sshd: root@pts/0").
func psProgram(args string) string {
	if args == "" {
		return ""
	}
	if strings.HasPrefix(args, "[") && strings.HasSuffix(args, "]") {
		return args[1 : len(args)-1]
	}
	first := args
	if i := strings.IndexAny(args, " \t"); i >= 0 {
		first = args[:i]
	}
	first = strings.TrimPrefix(first, "-")
	first = strings.TrimSuffix(first, ":")
	if first == "" {
		return ""
	}
	return path.Base(first)
}
