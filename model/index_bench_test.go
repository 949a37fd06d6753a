package model

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkPathIndex builds the open files' path index of a busy guard
// point: 250,000 rows from 60,000 processes, names in lsof's order.
func BenchmarkPathIndex(b *testing.B) {
	m := &Model{}
	for i := range 250000 {
		// The name is a piece of the line, as lsof's parser makes it, so
		// the rows are packed as they are in a run.
		line := fmt.Sprintf("oracle %d oracle 12u REG 253,0 4096 123 /secure/oradata/users%d_%d.dbf", 1000+i%60000, i%50, (i*7919)%250000)
		m.OpenFiles.Append(OpenFile{PID: 1000 + i%60000, Name: line[strings.Index(line, "/"):], Src: Source{Path: "lsof", Line: i + 2, Text: line}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x := m.buildPathIndex()
		if len(x.open.order) != len(m.OpenFiles) {
			b.Fatal(len(x.open.order))
		}
	}
}
