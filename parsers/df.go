package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// df output: GNU `df`, `df -al`, `df -h`, `df -T`, `df -i` and AIX `df`
// ("Filesystem 512-blocks Free %Used Iused %Iused Mounted on"). Columns come
// from the header. A source too long for its column is printed alone on
// its line with the numbers on the next one; Thales' docs also show the
// mount point of such an entry pushed to a third line.

func init() {
	Register(&Parser{
		Name: "df",
		Kind: KindDF,
		Doc:  "df tables (GNU and AIX), with long sources wrapped onto their own line.",
		Paths: []string{
			"sos_commands/filesys/df_*", "insights_commands/df_*",
			"df", "df.out", "df.txt", "df-*.out", "df-*.txt", "df_*", "df.*",
		},
		Sniff: sniffDF,
		Parse: parseDF,
	})
}

func sniffDF(h *Head) bool {
	lines := h.nonBlankRows(1)
	return len(lines) == 1 && dfHeader(lines[0])
}

func dfHeader(l string) bool {
	f := strings.Fields(l)
	return len(f) >= 4 && f[0] == "Filesystem" && strings.HasSuffix(strings.TrimSpace(l), "Mounted on")
}

func parseDF(in *Input, out *model.Model) {
	var cols []string // header names before "Mounted on"; cols[0] is Filesystem
	var pendingSrc string
	var pendingSrcLine model.Source
	var missing *model.DFEntry // an entry whose mount point is on a later line
	flushMissing := func() {
		if missing != nil {
			in.WarnAt(missing.Src.Line, "df entry for %q has no mount point", excerpt(missing.Filesystem))
			out.DF = append(out.DF, *missing)
			missing = nil
		}
	}
	for in.Next() {
		t := in.Text()
		trimmed := strings.TrimSpace(t)
		if trimmed == "" {
			continue
		}
		if dfHeader(t) {
			f := strings.Fields(t)
			cols = f[:len(f)-2] // drop "Mounted", "on"
			continue
		}
		if cols == nil {
			in.Warnf("df row before any \"Filesystem ... Mounted on\" header: %q", excerpt(t))
			cols = []string{"Filesystem", "1K-blocks", "Used", "Available", "Use%"}
		}
		sp := fields(t)
		if len(sp) == 1 {
			if missing != nil && strings.HasPrefix(trimmed, "/") {
				missing.MountedOn = trimmed
				out.DF = append(out.DF, *missing)
				missing = nil
				continue
			}
			flushMissing()
			if pendingSrc != "" {
				in.WarnAt(pendingSrcLine.Line, "df source %q has no figures after it", excerpt(pendingSrc))
			}
			pendingSrc, pendingSrcLine = trimmed, in.Src()
			continue
		}
		flushMissing()
		var vals []string
		var src model.Source
		var restFrom int
		numeric := len(cols) - 1
		if pendingSrc != "" && (dfNumberLike(t[sp[0].start:sp[0].end]) || strings.EqualFold(cols[1], "Type")) {
			// The figures of a wrapped source.
			vals = append(vals, pendingSrc)
			src = pendingSrcLine
			src.EndLine = in.Line()
			if len(sp) < numeric {
				in.Warnf("expected %d figures after wrapped source %q, found %d", numeric, excerpt(pendingSrc), len(sp))
				pendingSrc = ""
				continue
			}
			for _, s := range sp[:numeric] {
				vals = append(vals, t[s.start:s.end])
			}
			restFrom = numeric
		} else {
			if pendingSrc != "" {
				in.WarnAt(pendingSrcLine.Line, "df source %q has no figures after it", excerpt(pendingSrc))
			}
			src = in.Src()
			if len(sp) < numeric+1 {
				in.Warnf("expected %d columns (%s Mounted on), found %d: %q", len(cols)+1, strings.Join(cols, " "), len(sp), excerpt(t))
				pendingSrc = ""
				continue
			}
			for _, s := range sp[:numeric+1] {
				vals = append(vals, t[s.start:s.end])
			}
			restFrom = numeric + 1
		}
		pendingSrc = ""
		e := model.DFEntry{Src: src}
		for i, c := range cols {
			dfSet(&e, c, vals[i])
		}
		if restFrom < len(sp) {
			e.MountedOn = strings.TrimSpace(t[sp[restFrom].start:])
			out.DF = append(out.DF, e)
		} else {
			missing = &e
		}
	}
	flushMissing()
	if pendingSrc != "" {
		in.WarnAt(pendingSrcLine.Line, "df source %q has no figures after it", excerpt(pendingSrc))
	}
}

// dfNumberLike reports whether a df cell is a figure: digits, a size with
// a unit (1.5G), or "-" for filesystems df cannot measure.
func dfNumberLike(s string) bool {
	if s == "-" {
		return true
	}
	s = strings.TrimSuffix(s, "%")
	s = strings.TrimRight(s, "KMGTPEkB")
	s = strings.Replace(s, ".", "", 1)
	s = strings.Replace(s, ",", "", 1)
	return allDigits(s)
}

// dfSet stores a cell by its header name.
func dfSet(e *model.DFEntry, col, v string) {
	switch strings.ToLower(col) {
	case "filesystem":
		e.Filesystem = v
	case "type":
		e.FSType = v
	case "used":
		e.Used = v
	case "available", "avail", "free":
		e.Avail = v
	case "use%", "capacity", "%used":
		e.UsePct = v
	default:
		if strings.HasSuffix(strings.ToLower(col), "-blocks") || strings.EqualFold(col, "size") {
			e.Size = v
		}
	}
}
