// Package browsertest finds the system Chromium for the tests that check
// pages in a real browser (the HTML report, the desk service), so they all
// look for it, and skip without it, the same way.
package browsertest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the path of a headless-capable Chromium or Chrome on
// PATH. Without one it skips the test loudly, saying what was not checked
// (what) and how to install the browser, since a silent skip would pass for
// a checked page.
func Chromium(t testing.TB, what string) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("SKIPPED LOUDLY: no chromium on PATH, so %s; install it (apt-get install -y chromium; .ci/run does) to run this test", what)
	fmt.Fprintln(os.Stderr, msg)
	t.Skip(msg)
	return ""
}
