package main

import (
	"os"
	"testing"
)

// TestMain lets tests run the real command in a child process: the test
// binary re-executes itself with TRIAGE_RUN_MAIN=1 and behaves as triage.
func TestMain(m *testing.M) {
	if os.Getenv("TRIAGE_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}
