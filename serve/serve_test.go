//go:build !aix

package serve

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
	"github.com/fsagent/triage/store"
)

// shippedRules are loaded once: every test server analyzes with them.
var shippedRules = func() *rules.Set {
	set, err := rules.LoadShipped()
	if err != nil {
		panic(err)
	}
	return set
}()

type harness struct {
	srv *Server
	ts  *httptest.Server
	st  *store.Store
	dir string
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: st, Rules: shippedRules, Workers: 2, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv.Start(ctx)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		cancel()
		srv.Wait()
		st.Close()
	})
	return &harness{srv: srv, ts: ts, st: st, dir: dir}
}

// bundleBytes archives a scenario bundle directory as tar.gz.
func bundleBytes(t *testing.T, name string) []byte {
	t.Helper()
	dir := filepath.Join("..", "testdata", name)
	if name != "sample-bundle" {
		dir = filepath.Join("..", "testdata", "bundles", name)
	}
	return archivetest.Build(t, dir, "tar.gz")
}

func (h *harness) do(t *testing.T, method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (h *harness) upload(t *testing.T, data []byte, ticket string, hdr ...string) int64 {
	t.Helper()
	resp, body := h.do(t, "POST", "/api/v1/analyses?filename=b.tgz&ticket="+url.QueryEscape(ticket), bytes.NewReader(data), hdr...)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	var out struct{ ID int64 }
	json.Unmarshal(body, &out)
	return out.ID
}

type apiAnalysisT struct {
	store.Analysis
	Verdict string          `json:"verdict"`
	Report  json.RawMessage `json:"report"`
}

// wait polls an analysis until it is done or failed.
func (h *harness) wait(t *testing.T, id int64, hdr ...string) apiAnalysisT {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, body := h.do(t, "GET", fmt.Sprintf("/api/v1/analyses/%d", id), nil, hdr...)
		if resp.StatusCode != 200 {
			t.Fatalf("get %d: %s %s", id, resp.Status, body)
		}
		var a apiAnalysisT
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		if a.Status == store.Done || a.Status == store.Failed {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("analysis %d still %s after 60 s", id, a.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUploadReportCompare(t *testing.T) {
	h := newHarness(t, nil)
	problem := h.upload(t, bundleBytes(t, "gde-busy-flat"), "CASE-1")
	a := h.wait(t, problem)
	if a.Status != store.Done || a.Findings == 0 || a.Host != "dbhost01" || a.Completions != 1 {
		t.Fatalf("problem bundle: %+v", a.Analysis)
	}
	var rep struct {
		SchemaVersion string `json:"schema_version"`
		Bundle        struct{ Path string }
		Findings      []struct {
			RuleID string `json:"rule_id"`
		}
	}
	if err := json.Unmarshal(a.Report, &rep); err != nil || rep.SchemaVersion == "" || rep.Findings[0].RuleID != "gde.guardpoint-busy" {
		t.Fatalf("report: %v %+v", err, rep)
	}
	if rep.Bundle.Path != "b.tgz" || strings.Contains(string(a.Report), h.dir) {
		t.Errorf("the report names the store's path instead of the upload: %q", rep.Bundle.Path)
	}

	// Multipart upload of the fixed bundle, ticket in a field.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("ticket", "CASE-1")
	fw, _ := mw.CreateFormFile("file", "fixed.tar.gz")
	fw.Write(bundleBytes(t, "gde-busy-nearmiss"))
	mw.Close()
	resp, body := h.do(t, "POST", "/api/v1/analyses", &mp, "Content-Type", mw.FormDataContentType())
	if resp.StatusCode != 202 {
		t.Fatalf("multipart: %s %s", resp.Status, body)
	}
	var acc struct{ ID int64 }
	json.Unmarshal(body, &acc)
	fixed := h.wait(t, acc.ID)
	if fixed.Ticket != "CASE-1" || fixed.Filename != "fixed.tar.gz" {
		t.Errorf("multipart fields: %+v", fixed.Analysis)
	}

	resp, body = h.do(t, "GET", fmt.Sprintf("/api/v1/compare?old=%d&new=%d", problem, acc.ID), nil)
	var cmp struct {
		Summary struct{ Resolved, Unverified, New int }
		Changes []struct {
			Status string
			RuleID string `json:"rule_id"`
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &cmp) != nil || cmp.Summary.Resolved+cmp.Summary.Unverified == 0 {
		t.Fatalf("compare: %s %s", resp.Status, body)
	}

	// The HTML report is the analyze one, under a CSP allowing only its own styles.
	resp, body = h.do(t, "GET", fmt.Sprintf("/analyses/%d/report.html", problem), nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "gde.guardpoint-busy") ||
		!strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("report page: %s csp %q", resp.Status, csp)
	}
	resp, _ = h.do(t, "GET", fmt.Sprintf("/analyses/%d/report.json", problem), nil)
	if !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Error("the JSON report is not a download")
	}
	for _, p := range []string{"/analyses", "/analyses?verdict=problems&rule=gde.guardpoint-busy&severity=high",
		"/tickets/CASE-1", fmt.Sprintf("/compare?old=%d&new=%d", problem, acc.ID), "/rules?period=week", "/upload", fmt.Sprintf("/analyses/%d", problem)} {
		resp, body := h.do(t, "GET", p, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != pageCSP {
			t.Errorf("%s: %s, CSP %q", p, resp.Status, resp.Header.Get("Content-Security-Policy"))
		}
		if strings.Contains(string(body), "<script>") || strings.Contains(string(body), " style=") {
			t.Errorf("%s: inline script or style would break the CSP", p)
		}
	}
	_, body = h.do(t, "GET", "/tickets/CASE-1", nil)
	if !strings.Contains(string(body), "fixed.tar.gz") || !strings.Contains(string(body), fmt.Sprintf("/compare?old=%d&amp;new=%d", problem, acc.ID)) {
		t.Errorf("ticket history lacks the second bundle or the compare link")
	}
}

func TestAuthentication(t *testing.T) {
	tok := "0123456789abcdef-secret"
	h := newHarness(t, func(c *Config) { c.Tokens = []string{tok} })
	for _, tc := range []struct {
		name, path, auth string
		want             int
	}{
		{"no token", "/api/v1/analyses", "", 401},
		{"wrong token", "/api/v1/analyses", "Bearer 0123456789abcdef-secreX", 401},
		{"not bearer", "/api/v1/analyses", "Basic " + tok, 401},
		{"right token", "/api/v1/analyses", "Bearer " + tok, 200},
		{"page without token goes to login", "/analyses", "", 303},
		{"openapi is public", "/api/v1/openapi.json", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.ts.URL+tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			c := *h.ts.Client()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s: %d, want %d", tc.path, resp.StatusCode, tc.want)
			}
		})
	}
	resp, _ := h.do(t, "POST", "/api/v1/analyses", strings.NewReader("x"))
	if resp.StatusCode != 401 {
		t.Errorf("an upload without a token: %s", resp.Status)
	}
	if _, total, _ := h.st.Search(context.Background(), store.Filter{MinSev: -1}); total != 0 {
		t.Error("an unauthenticated upload was stored")
	}

	p := newHarness(t, func(c *Config) { c.ProxyHeader = "X-Forwarded-User" })
	if resp, _ := p.do(t, "GET", "/api/v1/analyses", nil); resp.StatusCode != 401 {
		t.Errorf("behind a proxy, without its header: %s", resp.Status)
	}
	if resp, _ := p.do(t, "GET", "/api/v1/analyses", nil, "X-Forwarded-User", "alice"); resp.StatusCode != 200 {
		t.Errorf("behind a proxy, with its header: %s", resp.Status)
	}
}

func TestExposure(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		cfg    Config
		refuse bool
	}{
		{"127.0.0.1:8080", Config{}, false},
		{"[::1]:8080", Config{}, false},
		{"localhost:8080", Config{}, false},
		{"0.0.0.0:8080", Config{}, true},
		{":8080", Config{}, true},
		{"10.1.2.3:8080", Config{}, true},
		{"0.0.0.0:8080", Config{Tokens: []string{"x"}}, false},
		{"0.0.0.0:8080", Config{ProxyHeader: "X-Forwarded-User"}, false},
	} {
		if err := CheckExposure(tc.addr, tc.cfg); (err != nil) != tc.refuse {
			t.Errorf("CheckExposure(%s, %+v) = %v", tc.addr, tc.cfg, err)
		}
	}
	if _, err := ReadTokens([]byte("# comment\nshort\n")); err == nil {
		t.Error("a short token was accepted")
	}
	if toks, err := ReadTokens([]byte("# desk\n0123456789abcdefgh\n\n")); err != nil || len(toks) != 1 {
		t.Errorf("ReadTokens: %v %v", toks, err)
	}
}

func TestPathTraversalInID(t *testing.T) {
	h := newHarness(t, nil)
	id := h.upload(t, bundleBytes(t, "sample-bundle"), "T")
	h.wait(t, id)
	for _, p := range []string{
		"/api/v1/analyses/..%2F..%2Fdata%2Ftriage.db",
		"/api/v1/analyses/1%2F..%2F..%2Ftriage.db",
		"/api/v1/analyses/-1", "/api/v1/analyses/0x1", "/api/v1/analyses/1e3", "/api/v1/analyses/99999",
		"/analyses/..%2Ftriage.db/report.json",
		"/analyses/1%2F..%2F..%2Ftriage.db/report.html",
		"/static/..%2F..%2Fdata%2Ftriage.db",
		"/static/../../data/triage.db",
		"/compare?old=../triage.db&new=1",
	} {
		resp, body := h.do(t, "GET", p, nil)
		if resp.StatusCode == 200 || bytes.Contains(body, []byte("SQLite format")) {
			t.Errorf("%s: %s (%d bytes)", p, resp.Status, len(body))
		}
	}
}

func TestOversizedUpload(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxUpload = 4096 })
	big := bytes.Repeat([]byte("x"), 64<<10)
	resp, body := h.do(t, "POST", "/api/v1/analyses", bytes.NewReader(big))
	if resp.StatusCode != 413 {
		t.Errorf("declared length over the limit: %s %s", resp.Status, body)
	}
	// Without a declared length the limit is found while reading.
	resp, body = h.do(t, "POST", "/api/v1/analyses", io.MultiReader(bytes.NewReader(big)))
	if resp.StatusCode != 413 {
		t.Errorf("chunked body over the limit: %s %s", resp.Status, body)
	}
	if _, total, _ := h.st.Search(context.Background(), store.Filter{MinSev: -1}); total != 0 {
		t.Errorf("%d oversized uploads were stored", total)
	}
	if ents, _ := os.ReadDir(filepath.Join(h.dir, "data", "tmp")); len(ents) != 0 {
		t.Errorf("partial upload left in tmp")
	}
	if id := h.upload(t, []byte("small"), "T"); id == 0 {
		t.Error("a small upload after the refused ones failed")
	}
}

// TestHostileBundleViaAPI uploads archives that try to escape, bomb and
// lie; each is analyzed (or fails) inside the limits, nothing is written
// outside the store, and the service keeps answering.
func TestHostileBundleViaAPI(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Limits = bundle.Limits{MaxTotalBytes: 64 << 20, Timeout: 20 * time.Second}
	})
	escape := archivetest.Tar(t,
		archivetest.Entry{Name: "../../../../tmp/triage-escape", Body: "pwned"},
		archivetest.Entry{Name: "link", Type: tar.TypeSymlink, Link: "/etc/passwd"},
		archivetest.Entry{Name: "/abs/path", Body: "x"},
		archivetest.Entry{Name: "proc/meminfo", Body: "MemTotal: 1 kB\n", Size: 1 << 20})
	var bomb bytes.Buffer
	archivetest.WriteGzipZeros(t, &bomb, nil, 256<<20)
	cases := map[string][]byte{"escape.tar": escape, "bomb.gz": bomb.Bytes(), "junk.bin": bytes.Repeat([]byte{0xff, 0, 0x1b}, 5000)}
	before, _ := filepath.Glob("/tmp/triage-escape*")
	for name, data := range cases {
		id := h.upload(t, data, "HOSTILE-"+name)
		a := h.wait(t, id)
		if a.Status != store.Done && a.Status != store.Failed {
			t.Errorf("%s: %s", name, a.Status)
		}
		if a.Verdict == "clean" {
			t.Errorf("%s: a hostile bundle was called clean", name)
		}
		if strings.Contains(a.Error, h.dir) {
			t.Errorf("%s: the error names the store's path: %s", name, a.Error)
		}
		t.Logf("%s: %s %q", name, a.Verdict, a.Error)
	}
	if after, _ := filepath.Glob("/tmp/triage-escape*"); len(after) != len(before) {
		t.Error("an archive entry was written outside the store")
	}
	if resp, _ := h.do(t, "GET", "/analyses", nil); resp.StatusCode != 200 {
		t.Errorf("the service stopped answering: %s", resp.Status)
	}
}

func TestScriptTagInTicket(t *testing.T) {
	h := newHarness(t, nil)
	evil := `<script>document.title="pwned"</script>`
	id := h.upload(t, bundleBytes(t, "sample-bundle"), evil)
	h.wait(t, id)
	for _, p := range []string{"/analyses", fmt.Sprintf("/analyses/%d", id), "/tickets/" + url.PathEscape(evil),
		"/analyses?ticket=" + url.QueryEscape(evil), "/upload?ticket=" + url.QueryEscape(evil)} {
		resp, body := h.do(t, "GET", p, nil)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %s", p, resp.Status)
		}
		if bytes.Contains(body, []byte("<script>document")) {
			t.Errorf("%s: the ticket's script tag reached the page unescaped", p)
		}
		if !bytes.Contains(body, []byte("&lt;script&gt;")) {
			t.Errorf("%s: the ticket is not shown (escaped)", p)
		}
	}
	resp, body := h.do(t, "POST", "/api/v1/analyses?ticket=a%0Ab", strings.NewReader("x"))
	if resp.StatusCode != 400 {
		t.Errorf("a ticket with a newline: %s %s", resp.Status, body)
	}
}

func TestCSRF(t *testing.T) {
	h := newHarness(t, nil)
	jar := newJar()
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(p string) string {
		resp, err := c.Get(h.ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	page := get("/upload")
	i := strings.Index(page, `name="csrf" value="`)
	if i < 0 {
		t.Fatal("no csrf field on the upload page")
	}
	token := page[i+len(`name="csrf" value="`):]
	token = token[:strings.IndexByte(token, '"')]
	post := func(csrf string, hdr ...string) int {
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		if csrf != "" {
			mw.WriteField("csrf", csrf)
		}
		mw.WriteField("ticket", "F")
		fw, _ := mw.CreateFormFile("file", "b.tgz")
		fw.Write(bundleBytes(t, "sample-bundle"))
		mw.Close()
		req, _ := http.NewRequest("POST", h.ts.URL+"/upload", &mp)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != 403 {
		t.Errorf("form post without a token: %d", code)
	}
	if code := post(strings.Repeat("0", 64)); code != 403 {
		t.Errorf("form post with a forged token: %d", code)
	}
	if code := post(token, "Sec-Fetch-Site", "cross-site"); code != 403 {
		t.Errorf("cross-site form post: %d", code)
	}
	if code := post(token); code != 303 {
		t.Errorf("form post with the page's token: %d", code)
	}
	form := url.Values{"csrf": {"nope"}, "confirm": {"F"}}
	resp, err := c.PostForm(h.ts.URL+"/tickets/F/delete", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("delete without the token: %d", resp.StatusCode)
	}
	if _, total, _ := h.st.Search(context.Background(), store.Filter{Ticket: "F", MinSev: -1}); total != 1 {
		t.Errorf("ticket F has %d analyses, want the 1 accepted form post", total)
	}
}

func TestImportReanalyzeDelete(t *testing.T) {
	h := newHarness(t, nil)
	results := `{"ticket":"K-1","bundle":"/archive/K-1/a.tgz","sha256":"aa","size":10,"duration_ms":5,"status":"ok","warnings":0,"findings":[{"rule_id":"av.audit-slab-leak","severity":"high","message":"m"}]}
{"ticket":"K-2","bundle":"/archive/K-2/b.tgz","sha256":"bb","size":10,"duration_ms":5,"status":"error","error":"unreadable","warnings":0,"findings":[]}
{"ticket":"K-3","bundle":"/archive/K-3/c.tgz","sha256":"cc","size":10,"duration_ms":5,"status":"incomplete","warnings":1,"findings":[]}
{"ticket":"K-4","bundle":"/arch`
	resp, body := h.do(t, "POST", "/api/v1/import", strings.NewReader(results))
	var imp struct {
		Records, Added, Skipped int
		Torn                    bool `json:"torn_last_line"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &imp) != nil || imp.Added != 3 || !imp.Torn {
		t.Fatalf("import: %s %s", resp.Status, body)
	}
	_, body = h.do(t, "POST", "/api/v1/import", strings.NewReader(results))
	json.Unmarshal(body, &imp)
	if imp.Added != 0 || imp.Skipped != 3 {
		t.Errorf("re-import: %s", body)
	}
	for q, want := range map[string]int{"rule=av.audit-slab-leak": 1, "verdict=failed": 1, "verdict=incomplete": 1, "ticket=K-3": 1, "severity=critical": 0} {
		_, body := h.do(t, "GET", "/api/v1/analyses?"+q, nil)
		var out struct{ Total int }
		json.Unmarshal(body, &out)
		if out.Total != want {
			t.Errorf("search %s: %d, want %d", q, out.Total, want)
		}
	}
	if resp, body := h.do(t, "POST", "/api/v1/import", strings.NewReader("{\"ticket\":1}\n")); resp.StatusCode != 400 {
		t.Errorf("bad results file: %s %s", resp.Status, body)
	}

	id := h.upload(t, bundleBytes(t, "sample-bundle"), "K-1")
	h.wait(t, id)
	resp, body = h.do(t, "POST", "/api/v1/reanalyze", strings.NewReader(`{"ticket":"K-1"}`))
	if resp.StatusCode != 202 || !strings.Contains(string(body), `"queued": 1`) {
		t.Fatalf("reanalyze: %s %s", resp.Status, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, _ := h.st.Get(context.Background(), id)
		if a.Completions == 2 && a.Status == store.Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("re-analysis not recorded: %+v", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, body = h.do(t, "DELETE", "/api/v1/tickets/K-1", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"analyses": 2`) || !strings.Contains(string(body), `"bundles": 1`) {
		t.Errorf("delete: %s %s", resp.Status, body)
	}
	if resp, _ := h.do(t, "GET", fmt.Sprintf("/api/v1/analyses/%d", id), nil); resp.StatusCode != 404 {
		t.Errorf("a deleted analysis still answers: %s", resp.Status)
	}
	if files, _ := filepath.Glob(filepath.Join(h.dir, "data", "bundles", "*", "*")); len(files) != 0 {
		t.Errorf("bundle files left after deleting the only ticket: %v", files)
	}
	_, body = h.do(t, "GET", "/api/v1/openapi.json", nil)
	var doc struct {
		OpenAPI string
		Paths   map[string]any
	}
	if json.Unmarshal(body, &doc) != nil || doc.Paths["/api/v1/analyses"] == nil || doc.Paths["/api/v1/import"] == nil {
		t.Errorf("openapi: %s", body[:min(200, len(body))])
	}
}

// TestSlowClientDropped sends part of an upload and stops: the server
// drops it after the idle timeout, stores nothing, and keeps serving.
func TestSlowClientDropped(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", h.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/analyses HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nonly a few bytes")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	resp, _ := io.ReadAll(conn) // returns when the server closes the connection
	if time.Since(start) > 9*time.Second {
		t.Fatal("the server kept a stalled upload open")
	}
	if !bytes.Contains(resp, []byte("400")) && len(resp) != 0 {
		t.Logf("response to the stalled upload: %q", resp)
	}
	if _, total, _ := h.st.Search(context.Background(), store.Filter{MinSev: -1}); total != 0 {
		t.Error("a stalled upload was stored")
	}
	if resp, _ := h.do(t, "GET", "/analyses", nil); resp.StatusCode != 200 {
		t.Errorf("the service stopped answering: %s", resp.Status)
	}
}

func TestLoginSetsCookie(t *testing.T) {
	tok := "0123456789abcdef-secret"
	h := newHarness(t, func(c *Config) { c.Tokens = []string{tok} })
	c := &http.Client{Jar: newJar(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(h.ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	i := bytes.Index(page, []byte(`name="csrf" value="`))
	if i < 0 {
		t.Fatal("no csrf field on the login page")
	}
	csrf := string(page[i+19 : i+19+64])
	for _, tc := range []struct {
		token string
		want  int
	}{{"wrong-token-0123456789", 401}, {tok, 303}} {
		resp, err := c.PostForm(h.ts.URL+"/login", url.Values{"csrf": {csrf}, "token": {tc.token}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("login with %q: %d, want %d", tc.token, resp.StatusCode, tc.want)
		}
	}
	resp, err = c.Get(h.ts.URL + "/analyses")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after login the list page answers %d", resp.StatusCode)
	}
}

func TestParseRetain(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"", 0, false}, {"0", 0, false}, {"90d", 90 * 24 * time.Hour, false}, {"36h", 36 * time.Hour, false},
		{"-1h", 0, true}, {"1.5d", 0, true}, {"d", 0, true}, {"soon", 0, true}, {"07d", 0, true},
	} {
		got, err := ParseRetain(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseRetain(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestReportIsAnalyzeHTML checks that the stored report is byte for byte
// the page `triage analyze --format html` writes for the same bundle.
func TestReportIsAnalyzeHTML(t *testing.T) {
	h := newHarness(t, nil)
	data := bundleBytes(t, "sample-bundle")
	id := h.upload(t, data, "T")
	h.wait(t, id)
	_, got := h.do(t, "GET", fmt.Sprintf("/analyses/%d/report.html", id), nil)

	p := filepath.Join(t.TempDir(), "b.tgz")
	os.WriteFile(p, data, 0o644)
	res, err := analyze.Run(context.Background(), p, analyze.Options{Rules: shippedRules})
	if err != nil {
		t.Fatal(err)
	}
	res.Bundle.Path = "b.tgz"
	var want bytes.Buffer
	if err := report.HTML(&want, res, report.WithTool("triage", "dev")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the served report (%d bytes) differs from analyze's HTML (%d bytes)", len(got), want.Len())
	}
}

// TestImportStreams checks that an import is read as it arrives: a bad
// record is refused without reading the megabytes after it, a file over
// the import limit is refused having read no more than the limit, and
// neither leaves anything in the store.
func TestImportStreams(t *testing.T) {
	const limit = 256 << 10
	h := newHarness(t, func(c *Config) { c.MaxImport = limit })
	good := `{"ticket":"S-1","bundle":"a.tgz","sha256":"aa","status":"ok","findings":[]}` + "\n"
	bad := `{"ticket":"S-2","bundle":"b.tgz","status":"ok","findings":[{"rule_id":"x","severity":"loud"}]}` + "\n"
	for _, tc := range []struct {
		name     string
		body     string
		want     int
		msg      string
		maxRead  int64
		declared bool
	}{
		{"bad record early", good + bad + strings.Repeat(good, 200000), 400, "line 2", 1 << 20, false},
		{"over the limit, chunked", strings.Repeat(good, limit/len(good)+10), 413, "exceeds 256 KiB", limit + 1, false},
		{"over the limit, declared", strings.Repeat(good, limit/len(good)+10), 413, "exceeds 256 KiB", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := &countingReader{r: strings.NewReader(tc.body)}
			req := httptest.NewRequest("POST", "/api/v1/import", cr)
			if tc.declared {
				req.ContentLength = int64(len(tc.body))
			}
			rec := httptest.NewRecorder()
			h.srv.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Errorf("%d %s, want %d with %q", rec.Code, rec.Body, tc.want, tc.msg)
			}
			if cr.n > tc.maxRead {
				t.Errorf("read %d of %d bytes, want at most %d", cr.n, len(tc.body), tc.maxRead)
			}
			if _, total, _ := h.st.Search(context.Background(), store.Filter{MinSev: -1}); total != 0 {
				t.Errorf("a refused import stored %d analyses", total)
			}
		})
	}
	resp, body := h.do(t, "POST", "/api/v1/import", strings.NewReader(strings.Repeat(good, 3)))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"records": 3`) || !strings.Contains(string(body), `"added": 1`) {
		t.Errorf("import within the limit: %s %s", resp.Status, body)
	}
}

// TestTicketPages gives a ticket more analyses than a page holds: its page
// lists the newest first, pages through the rest, and the oldest row of a
// page still links to its comparison with the upload on the next page.
func TestTicketPages(t *testing.T) {
	fs := newFuzzServer(t, nil) // no workers: analyses are finished here
	ctx := context.Background()
	const n = 2*perPage + 5
	ids := make([]int64, n)
	for i := range n {
		id, _, _, err := fs.st.Put(ctx, strings.NewReader(fmt.Sprintf("bundle %d", i)), 0, store.Upload{Ticket: "P-1", Filename: fmt.Sprintf("n%03d.tgz", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		j, ok, err := fs.st.Claim(ctx)
		if err != nil || !ok || j.ID != id {
			t.Fatalf("claim: %v %v %v", j, ok, err)
		}
		c := true
		if _, err := fs.st.Finish(ctx, id, store.Outcome{Complete: &c, JSON: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(q string) (int, string) {
		rec := httptest.NewRecorder()
		fs.h.ServeHTTP(rec, httptest.NewRequest("GET", "/tickets/P-1"+q, nil))
		return rec.Code, rec.Body.String()
	}
	for _, tc := range []struct {
		q           string
		code        int
		has, hasNot []string
	}{
		{"", 200, []string{fmt.Sprintf("n%03d.tgz", n-1), fmt.Sprintf("n%03d.tgz", n-perPage), "page 1 of 3", "/tickets/P-1?page=2",
			fmt.Sprintf("/compare?old=%d&amp;new=%d", ids[n-perPage-1], ids[n-perPage])},
			[]string{fmt.Sprintf("n%03d.tgz", n-perPage-1), "n000.tgz", `rel="prev"`}},
		{"?page=3", 200, []string{"n000.tgz", "n004.tgz", "page 3 of 3", "/tickets/P-1?page=2", fmt.Sprintf("/compare?old=%d&amp;new=%d", ids[0], ids[1])},
			[]string{"n005.tgz", `rel="next"`, fmt.Sprintf("new=%d\"", ids[0])}},
		{"?page=4", 404, []string{"3 pages"}, nil},
		{"?page=0", 400, nil, nil},
		{"?page=x", 400, nil, nil},
	} {
		code, body := get(tc.q)
		if code != tc.code {
			t.Errorf("%s: %d, want %d", tc.q, code, tc.code)
		}
		for _, s := range tc.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: no %q on the page", tc.q, s)
			}
		}
		for _, s := range tc.hasNot {
			if strings.Contains(body, s) {
				t.Errorf("%s: %q on the page", tc.q, s)
			}
		}
	}
}
