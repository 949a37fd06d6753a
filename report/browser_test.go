//go:build unix

package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsagent/triage/internal/browsertest"
)

// TestHTMLInBrowser opens the HTML report in headless Chromium and checks
// the DOM the browser built: the findings and charts are there, and a
// <script> from a log line was shown as text and never ran (it would have
// changed the page title).
func TestHTMLInBrowser(t *testing.T) {
	chromium := browsertest.Chromium(t, "the HTML report was not checked in a browser")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, render(t, "html", busyHost()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--dump-dom", "file://"+page)
	// Chromium starts helper processes: kill the whole group on timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	if v, h := strings.Index(dom, `id="verdict"`), strings.Index(dom, "<h1>"); v < 0 || v > h {
		t.Errorf("the incomplete-analysis verdict does not come before the title")
	}
	if !strings.Contains(dom, "<title>Triage report: db01.example.com</title>") {
		t.Errorf("the page title changed or is missing: a script may have run\n%.600s", dom)
	}
	if strings.Contains(dom, "PWNED</title>") || strings.Contains(strings.ToLower(dom), "<script") {
		t.Error("a <script> element exists in the DOM")
	}
	if !strings.Contains(dom, "&lt;script&gt;document.title='PWNED'&lt;/script&gt;") {
		t.Error("the hostile log line is not shown as text in the DOM")
	}
	for _, want := range []string{
		"Encryption agent cannot unload - processes hold files inside a guard point",
		"The agent failed to unload its module and restarted",
		"A filesystem is mounted inside a guard point",
		`<svg class="slab-chart"`, `<svg class="mount-tree"`, `<svg class="event-timeline"`,
		"<polyline", "guard point", "hung-task (1)",
		// The verdict comes first, and the section saying what was not seen.
		`<p class="incomplete" id="verdict"><strong>Incomplete analysis: `,
		`<section id="not-seen">`, "What this analysis could not see",
		"<code>kernel.slab-growth</code>: no slab statistics (slab) in the bundle &lt;b&gt;|`x`&lt;/b&gt;",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
	}
}
