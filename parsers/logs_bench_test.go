package parsers

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// logBenchSize is the size of the generated input of each benchmark.
const logBenchSize = 100 << 20

// logRepeatReader yields block over and over up to n bytes, so a benchmark
// reads a 100 MB file without holding one.
type logRepeatReader struct {
	block []byte
	off   int
	left  int
}

func (r *logRepeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.block[r.off:])
		if c > r.left {
			c = r.left
		}
		n += c
		r.left -= c
		r.off = (r.off + c) % len(r.block)
	}
	return n, nil
}

// logBenchBlock builds about 64 KiB of realistic lines from a generator that
// is given a line number.
func logBenchBlock(gen func(i int) string) []byte {
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<10; i++ {
		sb.WriteString(gen(i))
	}
	return []byte(sb.String())
}

// logBenchParse parses the input serially and in batches on every core
// (parseInBatches), reporting throughput per CPU second beside wall time:
// the machine is shared, and the batches cost CPU of their own.
func logBenchParse(b *testing.B, parser, path string, block []byte) {
	p := Lookup(parser)
	total := logBenchSize - logBenchSize%len(block) // whole blocks keep split calls paired
	for _, serial := range []bool{true, false} {
		name := "parallel"
		if serial {
			name = "serial"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(total))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := kernCPUTime()
			for i := 0; i < b.N; i++ {
				m := &model.Model{}
				in := NewInput(path, &logRepeatReader{block: block, left: total})
				in.serial = serial
				p.Parse(in, m)
				if len(m.LogStats) != 1 || m.LogStats[0].Lines == 0 {
					b.Fatalf("nothing parsed: %+v", m.LogStats)
				}
			}
			if used := kernCPUTime() - cpu; used > 0 {
				b.ReportMetric(float64(total)*float64(b.N)/1e6/used.Seconds(), "MB/cpu-s")
			}
		})
	}
}

func BenchmarkStrace(b *testing.B) {
	block := logBenchBlock(func(i int) string {
		pid := 4000 + i%8
		switch i % 6 {
		case 0:
			return fmt.Sprintf("%d  09:11:52.%06d openat(AT_FDCWD, \"/usr/lib/x86_64-linux-gnu/libc.so.6\", O_RDONLY|O_CLOEXEC) = 3 <0.000012>\n", pid, i%1000000)
		case 1:
			return fmt.Sprintf("%d  09:11:52.%06d read(3, \"\\177ELF\\2\\1\\1\\3\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0\\1\\0\\0\\0\"..., 832) = 832 <0.000008>\n", pid, i%1000000)
		case 2:
			return fmt.Sprintf("%d  09:11:52.%06d futex(0x7f3c1e5d0a10, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>\n", pid, i%1000000)
		case 3:
			return fmt.Sprintf("%d  09:11:52.%06d <... futex resumed>) = 0 <0.000101>\n", 4000+(i-1)%8, i%1000000)
		case 4:
			return fmt.Sprintf("%d  09:11:52.%06d fstat(3, {st_mode=S_IFREG|0755, st_size=2029592, ...}) = 0 <0.000006>\n", pid, i%1000000)
		default:
			return fmt.Sprintf("%d  09:11:52.%06d close(3)                = 0 <0.000005>\n", pid, i%1000000)
		}
	})
	logBenchParse(b, "strace", "strace.out", block)
}

func BenchmarkKernelLog(b *testing.B) {
	block := logBenchBlock(func(i int) string {
		switch i % 4 {
		case 0:
			return fmt.Sprintf("Feb  4 15:40:%02d node1 kernel: [%5d.%06d] audit: type=1400 audit(1644605942.332:30): apparmor=\"STATUS\" operation=\"profile_replace\" pid=2295 comm=\"apparmor_parser\"\n", i%60, i, i%1000000)
		case 1:
			return fmt.Sprintf("Feb  4 15:40:%02d node1 kernel: [%5d.%06d] EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)\n", i%60, i, i%1000000)
		case 2:
			return fmt.Sprintf("Feb  4 15:40:%02d node1 systemd[1]: Started Session %d of user root.\n", i%60, i)
		default:
			return fmt.Sprintf("Feb  4 15:40:%02d node1 kernel: [%5d.%06d] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx\n", i%60, i, i%1000000)
		}
	})
	logBenchParse(b, "kernel-log", "var/log/messages", block)
}

func BenchmarkAgentLog(b *testing.B) {
	block := logBenchBlock(func(i int) string {
		switch i % 3 {
		case 0:
			return fmt.Sprintf("2018-06-13 14:41:%02d.%03d [CGP] [INFO] [1935001] [CGP2603I] [AUDIT] Policy[p1] User[root,uid=0,gid=0] Process[/usr/bin/cat] Action[read_file] Res[/data/a%d] Effect[PERMIT Code (1M)]\n", i%60, i%1000, i)
		case 1:
			return fmt.Sprintf("2018-06-13 14:41:%02d.%03d [VMD] [INFO] [1935001] [DXF1005I] heartbeat ok, %d guard points active\n", i%60, i%1000, i%7)
		default:
			return fmt.Sprintf("2018-06-13 14:41:%02d.%03d [SECFSD] [INFO] [1935010] [SFD1001I] Status: policy version %d applied to /data/oracle\n", i%60, i%1000, i)
		}
	})
	logBenchParse(b, "agent-log", "var/log/vormetric/vorvmd_root.log", block)
}
