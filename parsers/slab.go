package parsers

import (
	"bytes"
	"strings"

	"github.com/fsagent/triage/model"
)

// The slab parsers read slab cache sizes from `slabtop -o` and
// /proc/slabinfo. One sample says little; several (numbered files such as
// slabtop-1.out .. slabtop-3.out, or repeated blocks in one file) show a
// cache that only grows, the shape of a kernel memory leak such as the
// names_cache leak of an anti-virus hook under auditd. Each fact carries
// its series and sample number so growth is computed within one series.

func init() {
	Register(&Parser{
		Name: "slabtop",
		Kind: KindSlab,
		Doc:  "slabtop -o: slab caches by size, one or more samples",
		Paths: []string{
			"sos_commands/memory/slabtop_-o", "insights_commands/slabtop*", "slabtop",
			"slabtop*.out", "slabtop*.txt", "slabtop*.log", "slabtop-*", "slabtop.*", "slabtop_*",
		},
		Sniff: sniffSlabtop,
		Parse: parseSlab,
	})
	Register(&Parser{
		Name: "slabinfo",
		Kind: KindSlab,
		Doc:  "/proc/slabinfo (version 2.x): slab caches, one or more samples",
		Paths: []string{
			"proc/slabinfo", "slabinfo", "slabinfo*.txt", "slabinfo*.out", "slabinfo*.log",
			"slabinfo-*", "slabinfo.*", "slabinfo_*", "proc_slabinfo*",
		},
		Sniff: sniffSlabinfo,
		Parse: parseSlab,
	})
}

// slabState is the parse of one file.
type slabState struct {
	block int // 1-based number of the sample block being read
	rows  int // rows read in the current block
	toks  []span
	text  kernArena
}

// startBlock begins a new sample unless the current one has no rows yet
// (a version line followed by its column header is one sample).
func (st *slabState) startBlock() {
	if st.block == 0 || st.rows > 0 {
		st.block++
		st.rows = 0
	}
}

func parseSlab(in *Input, out *model.Model) {
	st := &slabState{toks: make([]span, 0, 24)}
	start := len(out.Slabs)
	var facts kernFacts[model.SlabSample]
	for in.Next() {
		t, _ := trimBlank(in.Bytes())
		if len(t) == 0 {
			continue
		}
		switch {
		case bytes.HasPrefix(t, []byte("slabinfo - version:")),
			bytes.HasPrefix(t, []byte("Active / Total Objects")):
			st.startBlock()
			continue
		case bytes.HasPrefix(t, []byte("# name")), bytes.HasPrefix(t, []byte("OBJS ACTIVE")):
			st.startBlock()
			continue
		case bytes.HasPrefix(t, []byte("Active / Total")), bytes.HasPrefix(t, []byte("Minimum / Average / Maximum")):
			continue // slabtop's summary
		case bytes.Contains(t, []byte("Permission denied")), bytes.HasPrefix(t, []byte("fopen ")),
			bytes.Contains(t, []byte("No such file or directory")):
			in.Warnf("slab capture failed: %s", quotedExcerpt(in.Text()))
			continue
		}
		if s := facts.next(); st.row(in, t, s) {
			if st.block == 0 {
				st.block = 1
			}
			st.rows++
			s.Series, s.Sample = in.Path, st.block
			continue
		}
		facts.drop()
		in.Warnf("not a slab cache line: %s", quotedExcerpt(in.Text()))
	}
	out.Slabs = facts.appendTo(out.Slabs)
	// One sample per file: the file's name places it in a series.
	if st.block <= 1 {
		if series, n, ok := kernSeries(in.ArtifactPath()); ok {
			for i := start; i < len(out.Slabs); i++ {
				out.Slabs[i].Series, out.Slabs[i].Sample = series, int(n)
			}
		}
	}
}

// row reads a slabtop or a slabinfo cache line into s (a zeroed slot).
func (st *slabState) row(in *Input, t []byte, s *model.SlabSample) bool {
	toks := appendFields(st.toks[:0], t, 24)
	n := len(toks)
	tok := func(i int) []byte { return t[toks[i].start:toks[i].end] }
	if n < 4 {
		return false
	}
	// t is the trimmed line: offsets into it are offsets into the line
	// plus the indentation.
	l := newKernLine(in, &st.text)
	_, lead := trimBlank(in.Bytes())
	name := func(i int) string { return l.str(lead+toks[i].start, lead+toks[i].end) }
	src := model.Source{Path: in.Path, Line: in.Line(), Text: l.text}
	// slabtop: OBJS ACTIVE USE OBJ-SIZE SLABS OBJ/SLAB CACHE-SIZE NAME
	if allDigits(tok(0)) {
		if n != 8 || !bytes.HasSuffix(tok(2), []byte("%")) {
			return false
		}
		objs, ok1 := atoi64(tok(0))
		active, ok2 := atoi64(tok(1))
		size, ok3 := kernSize(tok(3))
		if !ok1 || !ok2 || !ok3 {
			return false
		}
		*s = model.SlabSample{Cache: name(7), ActiveObjs: active, NumObjs: objs, ObjSize: size, Src: src}
		return true
	}
	// slabinfo: NAME ACTIVE NUM SIZE PER-SLAB PAGES : tunables L B S : slabdata A N S
	active, ok1 := atoi64(tok(1))
	num, ok2 := atoi64(tok(2))
	size, ok3 := atoi64(tok(3))
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	*s = model.SlabSample{Cache: name(0), ActiveObjs: active, NumObjs: num, ObjSize: size, Src: src}
	if n > 6 || bytes.IndexByte(t, ':') >= 0 {
		// The 2.x layout has exactly 16 fields; statistics groups of
		// debug kernels follow as further ": name ..." groups.
		good := n >= 16 && string(tok(6)) == ":" && string(tok(7)) == "tunables" &&
			string(tok(11)) == ":" && string(tok(12)) == "slabdata" && (n == 16 || string(tok(16)) == ":")
		if !good {
			in.Warnf("slab cache %s: unexpected columns (%d fields); the first four were used", s.Cache, n)
		}
	}
	return true
}

// kernSize parses slabtop's sizes ("0.10K", "60780K", "1.5M") into bytes.
func kernSize(b []byte) (int64, bool) {
	unit := int64(1)
	if len(b) > 0 {
		switch b[len(b)-1] {
		case 'K', 'k':
			unit = 1 << 10
		case 'M':
			unit = 1 << 20
		case 'G':
			unit = 1 << 30
		}
		if unit > 1 {
			b = b[:len(b)-1]
		}
	}
	whole, frac := b, []byte(nil)
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		whole, frac = b[:i], b[i+1:]
	}
	w, ok := atoi64(whole)
	if !ok || w > 1<<32 || len(frac) > 6 {
		return 0, false
	}
	v := w * unit
	if len(frac) > 0 {
		f, ok := atoi64(frac)
		if !ok {
			return 0, false
		}
		div := int64(1)
		for range frac {
			div *= 10
		}
		v += (f*unit + div/2) / div
	}
	return v, true
}

func sniffSlabinfo(h *Head) bool {
	l := h.NonBlank(1)
	return len(l) == 1 && strings.HasPrefix(l[0], "slabinfo - version:")
}

func sniffSlabtop(h *Head) bool {
	for _, l := range h.NonBlank(10) {
		if strings.HasPrefix(l, "Active / Total Objects") || strings.HasPrefix(l, "OBJS ACTIVE") ||
			strings.Contains(l, "/proc/slabinfo") && strings.Contains(l, "Permission denied") {
			return true
		}
	}
	return false
}
