package model

import (
	"fmt"
	"testing"
)

// BenchmarkPathIndex builds the open files' path index of a busy guard
// point: 250,000 rows from 60,000 processes, names in lsof's order.
func BenchmarkPathIndex(b *testing.B) {
	m := &Model{}
	for i := range 250000 {
		m.OpenFiles = append(m.OpenFiles, OpenFile{PID: 1000 + i%60000, Name: fmt.Sprintf("/secure/oradata/users%d_%d.dbf", i%50, (i*7919)%250000)})
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
