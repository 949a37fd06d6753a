package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
)

// The HTML report draws its charts as inline SVG. This file turns the
// model into plain chart geometry (numbers and strings); the template
// writes the markup, so html/template escapes every label.

// palette colours chart series; chosen to stay apart for common colour
// blindness and on white.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// Chart limits keep a hostile or huge bundle from producing a page no
// browser can draw; what is left out is counted and said.
const (
	maxSlabLines     = 6
	maxSlabCharts    = 4
	maxTreeNodes     = 60
	maxTimelineMarks = 400
	maxEventRows     = 500
)

type tick struct {
	Pos    float64
	Label  string
	Anchor string // text-anchor: start, middle or end
}

type point struct {
	X, Y  float64
	Title string
}

type slabLine struct {
	Cache     string
	Color     string
	Points    string
	Dots      []point
	First     int64
	Last      int64
	Growth    string
	Monotonic bool
}

// slabChart is one slab series: its fastest-growing caches over its samples.
type slabChart struct {
	Series       string
	W, H         int
	Left, Top    float64
	Right, Bot   float64
	XTicks       []tick
	YTicks       []tick
	Lines        []slabLine
	Samples      int
	Caches       int // caches in the series
	Growing      int // caches that grew
	HiddenGrowth int // growing caches not drawn
}

// slabCharts draws, per slab series, the caches that grew most in active
// objects (model.SlabSeriesAll), one line each across the samples.
func slabCharts(m *model.Model) (charts []slabChart, hiddenSeries int) {
	if m == nil {
		return nil, 0
	}
	bySeries := map[string][]model.SlabSeries{}
	var names []string
	for _, s := range m.SlabSeriesAll() {
		if _, ok := bySeries[s.Series]; !ok {
			names = append(names, s.Series)
		}
		bySeries[s.Series] = append(bySeries[s.Series], s)
	}
	slices.Sort(names)
	for i, name := range names {
		if i >= maxSlabCharts {
			hiddenSeries = len(names) - maxSlabCharts
			break
		}
		charts = append(charts, slabChartOf(name, bySeries[name]))
	}
	return charts, hiddenSeries
}

func slabChartOf(name string, all []model.SlabSeries) slabChart {
	c := slabChart{Series: name, W: 760, H: 300, Left: 70, Top: 16, Right: 740, Bot: 260, Caches: len(all)}
	var grow []model.SlabSeries
	for _, s := range all {
		if s.Delta > 0 {
			grow = append(grow, s)
		}
	}
	c.Growing = len(grow)
	// Rank by the memory the growth took, so a big leak outranks a tiny
	// cache that doubled; draw each relative to its first sample, so caches
	// of very different sizes share one axis.
	slices.SortStableFunc(grow, func(a, b model.SlabSeries) int {
		return cmp.Or(cmp.Compare(b.DeltaBytes, a.DeltaBytes), cmp.Compare(b.Delta, a.Delta), strings.Compare(a.Cache, b.Cache))
	})
	if len(grow) > maxSlabLines {
		c.HiddenGrowth = len(grow) - maxSlabLines
		grow = grow[:maxSlabLines]
	}
	if len(grow) == 0 {
		return c
	}
	pct := func(s model.SlabSeries, v int64) float64 {
		base := s.First
		if base <= 0 {
			base = 1
		}
		return float64(v) * 100 / float64(base)
	}
	maxY := 100.0
	for _, s := range grow {
		c.Samples = max(c.Samples, len(s.Samples))
		for _, p := range s.Samples {
			maxY = max(maxY, pct(s, p.ActiveObjs))
		}
	}
	step := niceCeil(maxY / 4)
	top := step * math.Ceil(maxY/step)
	xOf := func(i int) float64 {
		if c.Samples <= 1 {
			return c.Left
		}
		return c.Left + float64(i)*(c.Right-c.Left)/float64(c.Samples-1)
	}
	yOf := func(v float64) float64 { return c.Bot - v/top*(c.Bot-c.Top) }
	for i := 0; i < c.Samples; i++ {
		c.XTicks = append(c.XTicks, tick{Pos: round1(xOf(i)), Label: strconv.Itoa(i + 1)})
	}
	for v := 0.0; v <= top+step/2; v += step {
		c.YTicks = append(c.YTicks, tick{Pos: round1(yOf(v)), Label: shortNumber(v) + "%"})
	}
	for i, s := range grow {
		l := slabLine{Cache: s.Cache, Color: palette[i%len(palette)], First: s.First, Last: s.Last,
			Monotonic: s.Monotonic, Growth: fmt.Sprintf("+%s objects, +%s", shortNumber(float64(s.Delta)), wording.Bytes(s.DeltaBytes))}
		if s.First > 0 {
			l.Growth = fmt.Sprintf("+%s objects (+%.0f%%), +%s", shortNumber(float64(s.Delta)), s.GrowthPct, wording.Bytes(s.DeltaBytes))
		}
		var pts []string
		for j, p := range s.Samples {
			pt := point{X: round1(xOf(j)), Y: round1(yOf(pct(s, p.ActiveObjs))),
				Title: fmt.Sprintf("%s, sample %d: %d active objects (%s)", s.Cache, j+1, p.ActiveObjs, location(p.Src))}
			l.Dots = append(l.Dots, pt)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", pt.X, pt.Y))
		}
		l.Points = strings.Join(pts, " ")
		c.Lines = append(c.Lines, l)
	}
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, for axis tops.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func shortNumber(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'f', -1, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(math.Round(v/1e5)/10, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(math.Round(v/1e2)/10, 'f', -1, 64) + "k"
	default:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// treeRow is one mount drawn in the mount tree.
type treeRow struct {
	Path, FSType, Device string
	Class                string // "gp" guard point, "inside" nested in one, "" other
	X, Y                 float64
	BoxX, BoxY           float64 // the node's square, centred on X, Y
	// Elbow is the connector from the parent: down its column, then across.
	HasParent      bool
	PX, PY, LineX2 float64
	Src            string
}

// guardInfo is one guard point and what is mounted inside it.
type guardInfo struct {
	Path, Origin, Status, Src string
	Inside                    []string // "path (fstype)"
}

type mountTree struct {
	W, H   int
	Rows   []treeRow
	Total  int // mounts in the tree
	Hidden int // mounts not drawn
	Guards []guardInfo
	All    []treeRow // every mount, for the full list
}

// mountTreeOf lays out the mount tree (model.MountTree) with guard points
// (model.GuardPoints) highlighted along with every mount nested in them.
// Large trees are cut to the guard points, their ancestors and what is
// inside them; the full list stays available as a table.
func mountTreeOf(m *model.Model) *mountTree {
	if m == nil {
		return nil
	}
	nodes := m.MountTree()
	gps := knowledge.GuardPoints(m)
	if len(nodes) == 0 && len(gps) == 0 {
		return nil
	}
	t := &mountTree{Total: len(nodes)}
	class := make([]string, len(nodes))
	for i, n := range nodes {
		for _, g := range gps {
			switch {
			case cleanEq(n.Mount.Path, g.Path):
				class[i] = "gp"
			case model.Within(n.Mount.Path, g.Path) && class[i] == "":
				class[i] = "inside"
			}
		}
	}
	for _, g := range gps {
		gi := guardInfo{Path: g.Path, Origin: g.Origin, Status: g.Status, Src: location(g.Src)}
		for _, mt := range knowledge.NestedMounts(m, g.Path) {
			gi.Inside = append(gi.Inside, fmt.Sprintf("%s (%s)", mt.Path, mt.FSType))
		}
		t.Guards = append(t.Guards, gi)
	}
	show := make([]bool, len(nodes))
	if len(nodes) <= maxTreeNodes {
		for i := range show {
			show[i] = true
		}
	} else {
		shown := 0
		for i := range nodes {
			if class[i] != "" {
				for j := i; j >= 0 && !show[j]; j = nodes[j].Parent {
					show[j] = true
					shown++
				}
			}
		}
		for i := range nodes {
			if shown >= maxTreeNodes {
				break
			}
			if !show[i] && (nodes[i].Parent < 0 || show[nodes[i].Parent]) && nodes[i].Depth <= 1 {
				show[i] = true
				shown++
			}
		}
	}
	rowOf := make([]int, len(nodes))
	const rowH, indent, left, top = 24.0, 22.0, 12.0, 16.0
	maxDepth := 0
	for i, n := range nodes {
		all := treeRow{Path: n.Mount.Path, FSType: n.Mount.FSType, Device: n.Mount.Device, Class: class[i], Src: location(n.Mount.Src)}
		t.All = append(t.All, all)
		if !show[i] {
			t.Hidden++
			continue
		}
		rowOf[i] = len(t.Rows)
		r := all
		r.X = left + float64(n.Depth)*indent
		r.Y = top + float64(len(t.Rows))*rowH
		r.BoxX, r.BoxY = r.X-5, r.Y-5
		if p := n.Parent; p >= 0 && show[p] {
			r.HasParent = true
			r.PX = left + float64(nodes[p].Depth)*indent
			r.PY = top + float64(rowOf[p])*rowH + 5
			r.LineX2 = r.X - 6
		}
		maxDepth = max(maxDepth, n.Depth)
		t.Rows = append(t.Rows, r)
	}
	t.W = 760
	t.H = int(top + float64(len(t.Rows))*rowH)
	return t
}

func cleanEq(a, b string) bool {
	return model.Within(a, b) && model.Within(b, a)
}

// eventLanes orders the timeline's rows: the agent's lifecycle first, then
// the kernel's complaints.
var eventLanes = []string{
	model.EventAgentStop, model.EventUnloadFailed, model.EventInterceptsSuperseded,
	model.EventModuleInUse, model.EventAgentRestart, model.EventAgentStart,
	model.EventReguard, model.EventHungTask, model.EventTaint, model.EventOther,
}

type lane struct {
	Kind  string
	Y     float64
	Color string
	Count int
}

type mark struct {
	X, Y  float64
	Color string
	Title string
}

type eventRow struct {
	Time, Kind, Subject, Message, Src string
}

type timeline struct {
	W, H        int
	Left, Right float64
	Bot         float64
	Lanes       []lane
	Marks       []mark
	XTicks      []tick
	Axis        string // what the x axis means
	Hidden      int    // events not drawn
	Rows        []eventRow
	HiddenRows  int
	Total       int
}

// timelineOf places the agent and kernel log events (model.Events) on one
// axis, a lane per kind. When every event's time can be read on one clock
// the axis is time; otherwise it is the order of the lines in the logs.
func timelineOf(m *model.Model) *timeline {
	if m == nil || len(m.Events) == 0 {
		return nil
	}
	evs := slices.Clone(m.Events)
	tl := &timeline{W: 1000, Left: 180, Right: 980, Total: len(evs)}
	times, clock, ok := eventTimes(evs)
	idx := make([]int, len(evs))
	for i := range idx {
		idx[i] = i
	}
	if ok {
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(times[a], times[b]) })
	} else {
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmp.Or(strings.Compare(evs[a].Src.Path, evs[b].Src.Path), cmp.Compare(evs[a].Src.Line, evs[b].Src.Line))
		})
	}
	laneY := map[string]int{}
	var kinds []string
	known := map[string]bool{}
	for _, k := range eventLanes {
		known[k] = true
	}
	present := map[string]int{}
	for _, e := range evs {
		k := e.Kind
		if !known[k] {
			k = model.EventOther
		}
		present[k]++
	}
	for _, k := range eventLanes {
		if present[k] > 0 {
			laneY[k] = len(kinds)
			kinds = append(kinds, k)
		}
	}
	const laneH, top = 30.0, 12.0
	for i, k := range kinds {
		tl.Lanes = append(tl.Lanes, lane{Kind: k, Y: top + float64(i)*laneH + laneH/2, Color: palette[i%len(palette)], Count: present[k]})
	}
	tl.Bot = top + float64(len(kinds))*laneH
	tl.H = int(tl.Bot + 34)
	span := tl.Right - tl.Left
	lo, hi := 0.0, float64(len(evs)-1)
	if ok {
		lo, hi = times[idx[0]], times[idx[len(idx)-1]]
	}
	xOf := func(rank int, i int) float64 {
		v := float64(rank)
		if ok {
			v = times[i]
		}
		if hi <= lo {
			return tl.Left + span/2
		}
		return tl.Left + (v-lo)/(hi-lo)*span
	}
	for rank, i := range idx {
		e := evs[i]
		k := e.Kind
		if !known[k] {
			k = model.EventOther
		}
		if rank < maxTimelineMarks {
			title := fmt.Sprintf("%s  %s  %s\n%s", safeText(e.Time), k, safeText(e.Message), safeText(location(e.Src)))
			tl.Marks = append(tl.Marks, mark{X: round1(xOf(rank, i)), Y: tl.Lanes[laneY[k]].Y, Color: tl.Lanes[laneY[k]].Color, Title: title})
		} else {
			tl.Hidden++
		}
		if rank < maxEventRows {
			tl.Rows = append(tl.Rows, eventRow{Time: e.Time, Kind: e.Kind, Subject: e.Subject, Message: e.Message, Src: location(e.Src)})
		} else {
			tl.HiddenRows++
		}
	}
	if ok {
		tl.Axis = "time (" + clock + ")"
		for i := 0; i <= 4; i++ {
			v := lo + (hi-lo)*float64(i)/4
			anchor := "middle"
			switch i {
			case 0:
				anchor = "start"
			case 4:
				anchor = "end"
			}
			tl.XTicks = append(tl.XTicks, tick{Pos: round1(tl.Left + span*float64(i)/4), Label: formatClock(v, clock, hi-lo), Anchor: anchor})
			if hi <= lo {
				tl.XTicks = []tick{{Pos: round1(tl.Left + span/2), Label: formatClock(lo, clock, 0), Anchor: "middle"}}
				break
			}
		}
	} else {
		tl.Axis = "order of the lines in the logs (the times could not all be read on one clock)"
		tl.XTicks = []tick{{Pos: tl.Left, Label: "first", Anchor: "start"}, {Pos: tl.Right, Label: "last", Anchor: "end"}}
	}
	return tl
}

// Clocks an event time may be read on.
const (
	clockWall   = "wall clock"
	clockNoYear = "wall clock, year not logged"
	clockUptime = "seconds since boot"
)

var wallLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05,999", "2006/01/02 15:04:05.999999999", "Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 MST 2006", "Mon Jan _2 15:04:05.999999999 2006", "01/02/2006 15:04:05",
	"2006-01-02 15:04:05 -0700", "2006-01-02T15:04:05-0700",
}

var noYearLayouts = []string{"Jan _2 15:04:05", "Jan _2 15:04:05.999999", "15:04:05", "15:04:05.999999999"}

// eventTimes reads every event's time as seconds on one clock. ok is false
// when a time is missing, unreadable, or the clocks differ.
func eventTimes(evs []model.Event) (secs []float64, clock string, ok bool) {
	secs = make([]float64, len(evs))
	for i, e := range evs {
		v, c, good := parseEventTime(e.Time)
		if !good || (clock != "" && c != clock) {
			return nil, "", false
		}
		clock, secs[i] = c, v
	}
	return secs, clock, true
}

func parseEventTime(s string) (float64, string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "", false
	}
	if up := strings.Trim(s, "[] "); up != "" && (up[0] >= '0' && up[0] <= '9') {
		if f, err := strconv.ParseFloat(up, 64); err == nil && !strings.ContainsAny(up, "eE") {
			return f, clockUptime, true
		}
	}
	for _, l := range wallLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return unixSeconds(t), clockWall, true
		}
	}
	for _, l := range noYearLayouts {
		if t, err := time.Parse(l, s); err == nil {
			// Year 0 is outside what UnixNano can hold; 2000 is a leap
			// year, so "Feb 29" stays a real day.
			return unixSeconds(t.AddDate(2000, 0, 0)), clockNoYear, true
		}
	}
	return 0, "", false
}

// unixSeconds is t as seconds since 1970 with its fraction, valid for any
// year (UnixNano overflows outside 1678..2262).
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func formatClock(v float64, clock string, span float64) string {
	if clock == clockUptime {
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + " s"
	}
	sec := math.Floor(v)
	t := time.Unix(int64(sec), int64((v-sec)*1e9)).UTC()
	switch {
	case clock == clockNoYear && span >= 86400:
		return t.Format("Jan 2 15:04")
	case clock == clockNoYear:
		return t.Format("15:04:05")
	case span >= 86400:
		return t.Format("2006-01-02 15:04")
	default:
		return t.Format("15:04:05")
	}
}
