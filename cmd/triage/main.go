// Command triage analyzes support bundles from hosts that run kernel-module
// filesystem agents and reports known problems with their remediation.
//
// This package only wires flags to the library packages: each subcommand
// lives in a file of its own and adds itself to the root in init.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes, a contract with scripts (docs/architecture.md, "Contracts").
const (
	exitOK         = 0
	exitFindings   = 1 // a finding at or above --fail-on
	exitUsage      = 2
	exitUnreadable = 3 // the bundle cannot be read at all, or holds no file
	exitIncomplete = 4 // the analysis is incomplete and no finding reached --fail-on
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

var rootCmd = &cobra.Command{
	Use:   "triage",
	Short: "Find known problems in support bundles from hosts running filesystem agents",
	Long: `triage reads a support bundle (a directory or an archive: tar, tar.gz,
tar.xz, tar.zst, zip, 7z, ...) from a host that runs kernel-module filesystem
agents (encryption agents, anti-virus hooks, FUSE daemons, cluster
filesystems), without extracting it, and reports the known problems it finds
with the evidence lines and the steps to fix them.`,
	Version:       version,
	SilenceUsage:  true,
	SilenceErrors: true,
}

// untuneGC stops analyze.TuneGC's pacing, for `triage serve`.
var untuneGC = func() {}

func main() {
	untuneGC = analyze.TuneGC()
	os.Exit(run(os.Args[1:]))
}

// stopProfiles ends the profiles that --cpuprofile and --memprofile
// started; it runs however the command ends.
var stopProfiles = func() {}

func run(args []string) int {
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	stopProfiles()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "triage:", ee.err)
		}
		return ee.code
	}
	// Errors cobra raises itself are about the command line.
	fmt.Fprintln(os.Stderr, "triage:", err)
	fmt.Fprintln(os.Stderr, "Run 'triage --help' for usage.")
	return exitUsage
}
