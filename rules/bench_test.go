package rules

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/expr-lang/expr"

	"github.com/fsagent/triage/model"
)

// bigModel builds a model of about one million facts of every kind the
// rules read: 600k open files, 200k mounts (20 of them guard points, with
// mounts nested inside), 60k fuser hits, 50k processes, 40k system calls,
// 30k slab samples, 15k events, 5k modules and packages, and line matches.
func bigModel(guardPoints int) *model.Model {
	m := &model.Model{Lines: map[string][]model.LineMatch{}}
	s := func(p string, n int) model.Source { return model.Source{Path: p, Line: n} }
	for i := 0; i < 200_000; i++ {
		mt := model.Mount{Device: fmt.Sprintf("/dev/sd%d", i), Path: fmt.Sprintf("/srv/d%d/m%d", i%1000, i), FSType: "ext4", Src: s("mount", i+1)}
		if i < guardPoints {
			mt = model.Mount{Device: fmt.Sprintf("/gp%d", i), Path: fmt.Sprintf("/gp%d", i), FSType: "secfs2", Src: s("mount", i+1)}
		} else if i < guardPoints*2 {
			mt.Path = fmt.Sprintf("/gp%d/nested", i-guardPoints)
		}
		m.Mounts = append(m.Mounts, mt)
	}
	for i := 0; i < 600_000; i++ {
		name := fmt.Sprintf("/srv/d%d/file%d", i%1000, i)
		if i%10_000 == 0 {
			name = fmt.Sprintf("/gp%d/open%d", (i/10_000)%guardPoints, i)
		}
		appendLsof(&m.OpenFiles, "proc", 1000+i%5000, "3u", "REG", name, i+2)
	}
	for i := 0; i < 60_000; i++ {
		m.Fuser = append(m.Fuser, model.FuserHit{Path: fmt.Sprintf("/srv/d%d", i%1000), PID: 1000 + i, Access: "c", Src: s("fuser.out", i+1)})
	}
	for i := 0; i < 50_000; i++ {
		m.Processes = append(m.Processes, model.Process{PID: i + 1, Command: fmt.Sprintf("cmd%d", i%300), State: "S", Src: s("ps", i+2)})
	}
	for i := 0; i < 40_000; i++ {
		m.Syscalls = append(m.Syscalls, model.Syscall{PID: 7, Name: "stat", Args: "\"/x\"", Ret: "0", Duration: float64(i%100) / 1000, Src: s("strace.out", i+1)})
	}
	for i := 0; i < 30_000; i++ {
		m.Slabs = append(m.Slabs, model.SlabSample{Series: "slabtop", Sample: i % 3, Cache: fmt.Sprintf("cache%d", i/3), ActiveObjs: int64(1000 + (i%3)*1000*int(i%2)), ObjSize: 4096, Src: s(fmt.Sprintf("slabtop-%d.out", i%3), i/3+7)})
	}
	for i := 0; i < 15_000; i++ {
		kind := model.EventOther
		if i%1000 == 0 {
			kind = model.EventHungTask
		}
		m.Events = append(m.Events, model.Event{Kind: kind, Log: "kernel-log", Message: "x", Src: s("dmesg", i+1)})
	}
	for i := 0; i < 5_000; i++ {
		m.Modules = append(m.Modules, model.Module{Name: fmt.Sprintf("mod%d", i), LoadOrder: 5000 - i, Src: s("lsmod", i+2)})
		m.Packages = append(m.Packages, model.Package{Name: fmt.Sprintf("pkg%d", i), Version: "1.0", Src: s("installed-rpms", i+1)})
	}
	m.Packages = append(m.Packages, model.Package{Name: "nails", Version: "1.6.2"}, model.Package{Name: "novell-ncs", Version: "2.0"})
	m.InitScripts = append(m.InitScripts, model.InitScript{Name: "nails", HasHeader: true})
	var loads []model.LineMatch
	for i := 0; i < 2_000; i++ {
		loads = append(loads, model.LineMatch{Groups: []string{fmt.Sprintf("VOL%d", i)}, Src: s("ncs/p.load", i+1)})
	}
	m.Lines["test.lines-typed/loads"] = loads
	return m
}

// BenchmarkEvaluateMillionFacts evaluates the rules of testdata/good (every
// construct the shipped rules use) over a model of about a million facts.
func BenchmarkEvaluateMillionFacts(b *testing.B) {
	set := mustLoad(b, "testdata/good")
	m := bigModel(20)
	m.MountTree() // derived facts are computed once per model, outside the loop
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		fs, errs := set.Evaluate(context.Background(), m)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		n = len(fs)
	}
	// On a shared machine wall time varies with the neighbours; CPU time
	// used by this process (GC included) is the steadier figure.
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkEvaluatePerRule shows which rule costs what on the same model.
func BenchmarkEvaluatePerRule(b *testing.B) {
	set := mustLoad(b, "testdata/good")
	m := bigModel(20)
	m.MountTree()
	for _, r := range set.Rules() {
		one := newSet([]*Rule{r})
		b.Run(r.ID, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, errs := one.Evaluate(context.Background(), m); len(errs) > 0 {
					b.Fatal(errs)
				}
			}
		})
	}
}

// cpuTime is the user and system CPU time of the process so far, in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkEvaluateShipped evaluates the 14 shipped rules over the same
// model.
func BenchmarkEvaluateShipped(b *testing.B) {
	set, err := LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	m := bigModel(20)
	m.MountTree()
	b.ResetTimer()
	start := cpuTime()
	var n int
	for i := 0; i < b.N; i++ {
		fs, errs := set.Evaluate(context.Background(), m)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		n = len(fs)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n), "findings")
}

// stressModel is the issue-12 shape: 250,000 open files inside one guard
// point from 60,000 distinct pids, 200,000 mounts (50 guard points with
// mounts nested inside), 1,000,000 system calls, and the other kinds as in
// bigModel.
func stressModel() *model.Model {
	m := bigModel(50)
	m.OpenFiles = m.OpenFiles[:0]
	s := func(p string, n int) model.Source { return model.Source{Path: p, Line: n} }
	cmds := []string{"oracle", "ora_dbw0", "ora_lgwr", "bash", "java", "sqlplus"}
	for i := 0; i < 250_000; i++ {
		pid := 10_000 + i%60_000
		appendLsof(&m.OpenFiles, cmds[pid%len(cmds)], pid, "3u", "REG", fmt.Sprintf("/gp0/oradata/f%d.dbf", i%7000), i+2)
	}
	m.Syscalls = m.Syscalls[:0]
	for i := 0; i < 1_000_000; i++ {
		c := model.Syscall{PID: 100 + i%5000, Name: "stat", Args: "\"/x\"", Ret: "0", Duration: float64(i%100) / 1000, Src: s("strace.out", i+1)}
		if i%100_000 == 0 {
			c = model.Syscall{PID: 100 + i%5000, Name: "mount", Args: "\"shadowfs\", \"/media/shadowfs/v\", \"fuse\"", Unfinished: true, Src: s("strace.out", i+1)}
		}
		m.Syscalls = append(m.Syscalls, c)
	}
	for i := 0; i < 2_000; i++ {
		m.Events = append(m.Events, model.Event{Kind: model.EventModuleInUse, Log: "kernel-log", Subject: fmt.Sprintf("mod%d", i%50), Message: "in use", Src: s("messages", i+1)})
	}
	return m
}

// BenchmarkShippedRulePerFact evaluates each shipped rule alone on the
// stress model and reports its cost per fact of the model (ns/fact): a
// linear rule stays at a small constant whatever the size. Run it with
//
//	go test ./rules -run '^$' -bench ShippedRulePerFact -benchtime 3x
func BenchmarkShippedRulePerFact(b *testing.B) {
	set, err := LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	m := stressModel()
	m.MountTree() // views are built once per model, outside the loop
	facts := float64(m.FactCount())
	base := modelEnv(m)
	for _, r := range set.Rules() {
		b.Run(r.ID, func(b *testing.B) {
			var n int
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				fs, err := r.run(context.Background(), time.Minute, 0, base, m, nil)
				if err != nil {
					b.Fatal(err)
				}
				n = len(fs)
			}
			// Wall time on a shared machine follows the neighbours; CPU
			// time of the process (GC included) is the steadier figure.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/facts, "ns/fact")
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/facts, "cpu-ns/fact")
			b.ReportMetric(float64(n), "findings")
		})
	}
}

// BenchmarkUniqVersusDistinct compares, in one run, expr's uniq (which the
// lint now rejects) with the table's distinct on 5,000 distinct pids: the
// ratio is the reason for the replacement.
func BenchmarkUniqVersusDistinct(b *testing.B) {
	pids := make([]int, 10_000)
	for i := range pids {
		pids[i] = i % 5_000
	}
	env := map[string]any{"pids": pids, "distinct": distinct}
	for _, src := range []string{"len(uniq(pids))", "len(distinct(pids))"} {
		prog, err := expr.Compile(src, expr.Env(env))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(src, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				v, err := expr.Run(prog, env)
				if err != nil || v != 5_000 {
					b.Fatal(v, err)
				}
			}
		})
	}
}
