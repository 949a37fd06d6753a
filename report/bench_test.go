package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/model"
)

// bigHost is a large bundle's Result: thousands of mounts and events,
// hundreds of slab caches and findings. Charts must stay bounded on it.
func bigHost() *analyze.Result {
	r := busyHost()
	m := r.Model
	for i := range 2000 {
		p := fmt.Sprintf("/var/lib/kubelet/pods/%04d/volumes/v", i)
		m.Mounts = append(m.Mounts, model.Mount{Device: "tmpfs", Path: p, FSType: "tmpfs", Src: src("mount", 100+i, "tmpfs on "+p)})
	}
	for i := range 5000 {
		m.Events = append(m.Events, model.Event{Kind: model.EventHungTask, Log: "kernel-log",
			Time: fmt.Sprintf("[%d.%03d]", 1000+i, i%1000), Message: "task blocked", Src: src("dmesg", 1000+i, "task blocked")})
	}
	for c := range 300 {
		for s := range 10 {
			m.Slabs = append(m.Slabs, model.SlabSample{Series: "proc/slabinfo", Sample: s, Cache: fmt.Sprintf("cache-%03d", c),
				ActiveObjs: int64(1000 + c*s), ObjSize: 64, Src: src("proc/slabinfo", 1+s*300+c, "x")})
		}
	}
	for i := range 200 {
		f := r.Findings[i%len(r.Findings)]
		f.Subject = fmt.Sprintf("/data%d", i)
		for j := range 50 {
			f.Evidence = append(f.Evidence, src("lsof", j+1, strings.Repeat("x", 80)))
		}
		r.Findings = append(r.Findings, f)
	}
	return r
}

func TestBigBundleChartsBounded(t *testing.T) {
	out := string(render(t, "html", bigHost()))
	if n := strings.Count(out, `fill-opacity="0.75"`); n > maxTimelineMarks {
		t.Errorf("timeline draws %d marks, limit %d", n, maxTimelineMarks)
	}
	if !strings.Contains(out, "more are not") {
		t.Error("the timeline does not say that events were left out")
	}
	if n := strings.Count(out, "<polyline"); n > maxSlabLines*maxSlabCharts {
		t.Errorf("%d slab lines drawn", n)
	}
	if !strings.Contains(out, "mounts are not drawn") {
		t.Error("the mount tree does not say that mounts were left out")
	}
	if !strings.Contains(out, "/data/backup") {
		t.Error("a mount inside a guard point was cut from a big tree")
	}
}

func benchmarkFormat(b *testing.B, ext string) {
	r := bigHost()
	var buf bytes.Buffer
	for _, f := range formats {
		if f.ext == ext {
			if err := f.render(&buf, r); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf.Reset()
				if err := f.render(&buf, r); err != nil {
					b.Fatal(err)
				}
			}
			return
		}
	}
}

func BenchmarkText(b *testing.B)     { benchmarkFormat(b, "txt") }
func BenchmarkJSON(b *testing.B)     { benchmarkFormat(b, "json") }
func BenchmarkMarkdown(b *testing.B) { benchmarkFormat(b, "md") }
func BenchmarkHTML(b *testing.B)     { benchmarkFormat(b, "html") }
