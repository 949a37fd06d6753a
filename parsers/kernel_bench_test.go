package parsers

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/fsagent/triage/model"
)

// kernBenchSize is the size of the generated inputs: the size of a large
// sosreport lsof capture.
const kernBenchSize = 100 << 20

// kernBenchSmall is used with -short.
const kernBenchSmall = 10 << 20

// genLsof builds sos-shaped lsof output (indented header, TID/TASKCMD,
// thread rows, deleted files, sockets) of about size bytes.
func genLsof(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString("                                                  ")
	b.WriteString("COMMAND     PID   TID TASKCMD       USER   FD      TYPE             DEVICE  SIZE/OFF       NODE NAME\n")
	for i := 0; b.Len() < size; i++ {
		pid := 1000 + i/40
		switch i % 8 {
		case 0:
			fmt.Fprintf(&b, "%-9s %5d %5s %-9s %8s %4s %9s %18s %9s %10s %s\n", "vmd", pid, "", "", "0", "cwd", "DIR", "253,0", "4096", "10977282", "/guarded_path")
		case 1:
			fmt.Fprintf(&b, "%-9s %5d %5d %-9s %8s %4s %9s %18s %9s %10d %s\n", "java", pid, pid+3, "GC Thread", "1001", "mem", "REG", "253,1", "1620224", 3303+i, "/usr/lib/jvm/lib/server/libjvm.so")
		case 2:
			fmt.Fprintf(&b, "%-9s %5d %5s %-9s %8s %4s %9s %18s %9s %10d %s\n", "rsyslogd", pid, "", "", "0", "5w", "REG", "253,6", "151175680", 1351+i, "/var/log/messages-20210221 (deleted)")
		case 3:
			fmt.Fprintf(&b, "%-9s %5d %5s %-9s %8s %4s %9s %18s %9s %10d %s\n", "systemd", pid, "", "", "0", "19u", "unix", "0xffff8d72b9861400", "0t0", 13897+i, "/run/systemd/journal/stdout type=STREAM")
		case 4:
			fmt.Fprintf(&b, "%-9s %5d %5s %-9s %8s %4s %9s %18s %9s %10s %s\n", "sshd", pid, "", "", "0", "3u", "IPv4", "24082", "0t0", "TCP", "10.0.0.1:22->10.0.0.2:51234 (ESTABLISHED)")
		case 5:
			fmt.Fprintf(&b, "%-9s %5d %5s %-9s %8s %4s %9s %18s %9s %10d %s\n", "runsvdir", pid, "", "", "0", "mem", "REG", "0,66", "", 520109, "/guarded_path/lib/libc-2.28.so (stat: No such file or directory)")
		case 6:
			fmt.Fprintf(&b, "%-9s %5d %5d %-9s %8s %4s %9s %18s %9s %10d %s\n", "oracle", pid, pid+1, "ora_dbw0", "54321", "256u", "REG", "253,0", "8388608", 10977300+i, "/guarded_path/oradata/My Data/users01.dbf")
		default:
			fmt.Fprintf(&b, "%-9s %5d %5s %-9s %8s %4s %9s %18s %9s %10s %s\n", "kworker/0", pid, "", "", "0", "txt", "unknown", "", "", "", fmt.Sprintf("/proc/%d/exe", pid))
		}
	}
	return b.Bytes()
}

// genSlab builds repeated /proc/slabinfo samples of about size bytes.
func genSlab(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	for s := 0; b.Len() < size; s++ {
		b.WriteString("slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n")
		for c := 0; c < 200; c++ {
			fmt.Fprintf(&b, "cache_%-12d %7d %7d %6d %4d %4d : tunables    0    0    0 : slabdata %6d %6d      0\n", c, 1000+s*c, 1100+s*c, 64<<(c%7), 32, 1, 40+c, 40+c)
		}
	}
	return b.Bytes()
}

// benchSize is the generated input size: smaller with -short.
func benchSize() int {
	if testing.Short() {
		return kernBenchSmall
	}
	return kernBenchSize
}

func benchParse(b *testing.B, parser, path string, data []byte, count func(*model.Model) int) {
	p := Lookup(parser)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := kernCPUTime()
	for i := 0; i < b.N; i++ {
		in := NewInput(path, bytes.NewReader(data))
		m := &model.Model{}
		p.Parse(in, m)
		if count(m) == 0 || len(in.Warnings()) != 0 {
			b.Fatalf("no facts or warnings: %v", in.Warnings())
		}
	}
	b.StopTimer()
	// Throughput per CPU second (GC included), which the load of other
	// processes does not distort the way it distorts MB/s.
	if used := kernCPUTime() - cpu; used > 0 {
		b.ReportMetric(float64(len(data))*float64(b.N)/1e6/used.Seconds(), "MB/cpu-s")
	}
}

func BenchmarkLsof(b *testing.B) {
	data := genLsof(benchSize())
	benchParse(b, "lsof", "sosreport-h/sos_commands/process/lsof_M_-n_-l", data, func(m *model.Model) int { return len(m.OpenFiles) })
}

func BenchmarkSlab(b *testing.B) {
	data := genSlab(benchSize())
	benchParse(b, "slabinfo", "b/slabinfo-1.txt", data, func(m *model.Model) int { return len(m.Slabs) })
}
