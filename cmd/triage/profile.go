package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// Profiling flags on every subcommand, for the performance work
// (docs/performance.md): `go tool pprof triage cpu.prof`.
var cpuProfile, memProfile string

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	rootCmd.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a heap profile to this file when the command ends")
	var cpuFile *os.File
	rootCmd.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("--cpuprofile: %w", err))
		}
		cpuFile = f
		return pprof.StartCPUProfile(f)
	}
	stopProfiles = func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
			cpuFile = nil
		}
		if memProfile != "" {
			f, err := os.Create(memProfile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "triage: --memprofile:", err)
				return
			}
			defer f.Close()
			runtime.GC()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintln(os.Stderr, "triage: --memprofile:", err)
			}
		}
	}
}
