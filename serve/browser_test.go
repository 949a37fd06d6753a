//go:build !aix && unix

package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fsagent/triage/internal/browsertest"
)

// TestBrowserUploadReportCompare drives the pages in headless Chromium as
// a desk engineer would: upload a problem bundle through the upload page,
// wait for its analysis, open the report, upload the fixed bundle for the
// same ticket, and open the comparison.
func TestBrowserUploadReportCompare(t *testing.T) {
	chromium := browsertest.Chromium(t, "the pages were not driven in a browser")
	h := newHarness(t, nil)
	dir := t.TempDir()
	problem := filepath.Join(dir, "problem.tar.gz")
	fixed := filepath.Join(dir, "fixed.tar.gz")
	os.WriteFile(problem, bundleBytes(t, "gde-busy-flat"), 0o644)
	os.WriteFile(fixed, bundleBytes(t, "gde-busy-nearmiss"), 0o644)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(filepath.Join(dir, "profile")))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

	upload := func(file string) string {
		err := chromedp.Do(ctx,
			chromedp.Navigate(h.ts.URL+"/upload"),
			chromedp.WaitVisible(chromedp.ID("file")),
			// app.js ran despite the strict CSP: it marks the form.
			chromedp.WaitReady(chromedp.CSS("form#upload[data-enhanced='1']")),
			chromedp.SendKeys(chromedp.ID("ticket"), "CASE-77"),
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			// The analysis page reloads itself until the analysis is done.
			chromedp.WaitVisible(chromedp.CSS("#verdict.v-problems, #verdict.v-unknown, #verdict.v-clean, #verdict.v-incomplete, #verdict.v-failed")),
		)
		if err != nil {
			t.Fatalf("uploading %s through the page: %v", filepath.Base(file), err)
		}
		verdict := run(t, ctx, chromedp.Text(chromedp.ID("verdict")))
		loc := run(t, ctx, chromedp.Location())
		t.Logf("%s: %s at %s", filepath.Base(file), verdict, loc)
		return verdict
	}

	if v := upload(problem); v != "problems" {
		t.Fatalf("the problem bundle's verdict is %q", v)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("report-link")), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("opening the report: %v", err)
	}
	title := run(t, ctx, chromedp.Title())
	body := run(t, ctx, chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(title, "dbhost01") || !strings.Contains(body, "gde.guardpoint-busy") || !strings.Contains(body, "/data") {
		t.Errorf("the report page does not show the finding: title %q\n%.500s", title, body)
	}

	if v := upload(fixed); v == "failed" || v == "problems" {
		t.Errorf("the fixed bundle's verdict is %q", v)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("compare-link")), chromedp.WaitVisible(chromedp.CSS(".diff"))); err != nil {
		t.Fatalf("opening the comparison: %v", err)
	}
	cmp := run(t, ctx, chromedp.Text(chromedp.CSS(".diff-counts")))
	status := run(t, ctx, chromedp.AttributeValue(chromedp.CSS("section.change"), "data-status"))
	body = run(t, ctx, chromedp.Text(chromedp.CSS(".diff")))
	if status.Value != "resolved" && status.Value != "unverified" {
		t.Errorf("the guard point finding is %q in the comparison, want resolved (or unverified)", status.Value)
	}
	if !strings.Contains(body, "gde.guardpoint-busy") || !strings.Contains(body, "not found") || !strings.Contains(cmp, "0 new") {
		t.Errorf("the comparison does not show the old evidence beside the absent new finding:\n%s\n%.800s", cmp, body)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
