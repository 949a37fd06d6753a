//go:build !aix

package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fsagent/triage/internal/archivetest"
	"github.com/fsagent/triage/store"
)

// The API fuzz targets drive the real handler (authentication aside) with
// an httptest recorder: no listener, no connection, one server and store
// per fuzz worker, rebuilt when accepted requests have grown the store.
// Whatever the body, every target checks that the service does not panic,
// answers a malformed request with a 4xx and a JSON error message (never a
// 5xx), reads no more of the body than its limit, and leaves the store
// unchanged when it refuses a request.
//
// To fuzz one longer than CI's 10 s: see README.md ("Fuzzing"), e.g.
//
//	go test ./serve -run '^$' -fuzz '^FuzzAPIImport$' -fuzztime 60s

// fuzzMaxUpload and fuzzMaxImport are the limits the fuzz servers run with:
// small, so that fuzzed bodies reach them.
const (
	fuzzMaxUpload = 4096
	fuzzMaxImport = 16 << 10
)

// fuzzServer is one service under fuzzing and what checks it.
type fuzzServer struct {
	base string // directory holding the stores built so far
	srv  *Server
	h    http.Handler
	st   *store.Store
	dir  string
	db   *sql.DB
	ver  *sql.Conn // one pinned connection: PRAGMA data_version is per connection
	// grown counts accepted requests that changed the store since it was
	// built; past maxGrowth the store is rebuilt so executions stay fast.
	grown int
	// seeded are analyses with a report, made when the store is built.
	seeded []int64
	seed   func(fs *fuzzServer) error
	// outcome is the analysis of the seeded bundle, made once: finishing
	// a re-queued analysis records it again instead of analyzing anew.
	outcome *store.Outcome
	tokens  []string // Config.Tokens
}

const maxGrowth = 300

// newFuzzServer builds a server on a fresh store; seed, when set, runs on
// every fresh store (e.g. to place analyses to re-analyze).
func newFuzzServer(f testing.TB, seed func(fs *fuzzServer) error, tokens ...string) *fuzzServer {
	fs := &fuzzServer{base: fuzzBase(f), seed: seed, tokens: tokens}
	if err := fs.build(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(fs.close)
	return fs
}

// fuzzBase is where the fuzz stores live: in memory (/dev/shm) where the
// system has it, since every accepted upload and import is made durable
// (fsync) and a disk makes that most of an execution's time (measured:
// 277 against 1,493 uploads a second).
//
// Each directory is named for its process and removed by its cleanup;
// those of processes that died without cleaning up (a killed fuzz worker)
// are removed by the next run, so memory is not left taken.
func fuzzBase(tb testing.TB) string {
	const shm = "/dev/shm"
	if st, err := os.Stat(shm); err != nil || !st.IsDir() {
		return tb.TempDir()
	}
	old, _ := filepath.Glob(filepath.Join(shm, "triage-fuzz-*"))
	for _, d := range old {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "triage-fuzz-%d-", &pid); err == nil && !alive(pid) {
			os.RemoveAll(d)
		}
	}
	dir, err := os.MkdirTemp(shm, fmt.Sprintf("triage-fuzz-%d-", os.Getpid()))
	if err != nil {
		return tb.TempDir()
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// alive says whether process pid exists (another user's counts).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (fs *fuzzServer) build() error {
	fs.close()
	dir, err := os.MkdirTemp(fs.base, "store-")
	if err != nil {
		return err
	}
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	srv, err := New(Config{Store: st, Rules: shippedRules, MaxUpload: fuzzMaxUpload, MaxImport: fuzzMaxImport,
		Tokens: fs.tokens, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		st.Close()
		return err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.Join(dir, "triage.db")}).EscapedPath())
	if err != nil {
		st.Close()
		return err
	}
	ver, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		st.Close()
		return err
	}
	*fs = fuzzServer{base: fs.base, seed: fs.seed, outcome: fs.outcome, tokens: fs.tokens, srv: srv, h: srv.Handler(), st: st, dir: dir, db: db, ver: ver}
	if fs.seed != nil {
		return fs.seed(fs)
	}
	return nil
}

func (fs *fuzzServer) close() {
	if fs.st == nil {
		return
	}
	fs.ver.Close()
	fs.db.Close()
	fs.st.Close()
	os.RemoveAll(fs.dir)
	fs.st = nil
}

// version changes whenever another connection commits a change.
func (fs *fuzzServer) version(t *testing.T) int64 {
	var v int64
	if err := fs.ver.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// fuzzResult is one request's outcome.
type fuzzResult struct {
	code    int
	body    []byte
	read    int64 // bytes of the request body the server read
	changed bool  // the store's database changed
}

// do serves one request and checks what every API answer must satisfy.
func (fs *fuzzServer) do(t *testing.T, req *http.Request) fuzzResult {
	t.Helper()
	var cr *countingReader
	if req.Body != nil && req.Body != http.NoBody {
		cr = &countingReader{r: req.Body}
		req.Body = io.NopCloser(cr)
	}
	before := fs.version(t)
	rec := httptest.NewRecorder()
	fs.h.ServeHTTP(rec, req)
	res := fuzzResult{code: rec.Code, body: rec.Body.Bytes(), changed: fs.version(t) != before}
	if cr != nil {
		res.read = cr.n
	}
	if res.code >= 500 {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, res.code, res.body)
	}
	if !strings.HasPrefix(req.URL.Path, "/api/") && req.Header.Get("Accept") != "application/json" {
		// A page: HTML, an error page for a refusal, or a redirection.
		if res.code >= 300 && res.code < 400 {
			if rec.Header().Get("Location") == "" {
				t.Fatalf("%s %s: %d without a Location", req.Method, req.URL, res.code)
			}
		} else if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || len(res.body) == 0 {
			t.Fatalf("%s %s: %d answered with Content-Type %q and %d bytes", req.Method, req.URL, res.code, ct, len(res.body))
		}
		if res.code >= 400 && res.changed {
			t.Fatalf("%s %s: refused (%d) but the store changed", req.Method, req.URL, res.code)
		}
		return res
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: %d answered with Content-Type %q: %s", req.Method, req.URL, res.code, ct, res.body)
	}
	if res.code >= 400 {
		var e struct{ Error string }
		if err := json.Unmarshal(res.body, &e); err != nil || e.Error == "" {
			t.Fatalf("%s %s: %d without a JSON error message: %s", req.Method, req.URL, res.code, res.body)
		}
		if res.changed {
			t.Fatalf("%s %s: refused (%d %s) but the store changed", req.Method, req.URL, res.code, res.body)
		}
	} else if !json.Valid(res.body) {
		t.Fatalf("%s %s: %d with a body that is not JSON: %s", req.Method, req.URL, res.code, res.body)
	}
	if ents, err := os.ReadDir(filepath.Join(fs.dir, "tmp")); err != nil || len(ents) != 0 {
		t.Fatalf("%s %s: %d left %d partial files in the store's tmp (%v)", req.Method, req.URL, res.code, len(ents), err)
	}
	if res.changed {
		fs.grown++
	}
	return res
}

// after rebuilds the store once accepted requests have grown it enough.
func (fs *fuzzServer) after(t *testing.T) {
	if fs.grown < maxGrowth {
		return
	}
	if err := fs.build(); err != nil {
		t.Fatal(err)
	}
}

// analyzedUploads places two analyzed uploads of the sample bundle
// (tickets) in the store: something to re-analyze and compare.
func analyzedUploads(data []byte) func(fs *fuzzServer) error {
	return func(fs *fuzzServer) error {
		ctx := context.Background()
		for _, ticket := range []string{"R-1", "R-2"} {
			id, _, _, err := fs.st.Put(ctx, bytes.NewReader(data), 0, store.Upload{Ticket: ticket, Filename: "b.tgz"})
			if err != nil {
				return err
			}
			fs.seeded = append(fs.seeded, id)
		}
		return fs.finishQueued(ctx)
	}
}

// finishQueued analyzes every queued analysis, as the workers would.
func (fs *fuzzServer) finishQueued(ctx context.Context) error {
	for {
		j, ok, err := fs.st.Claim(ctx)
		if err != nil || !ok {
			return err
		}
		if fs.outcome == nil {
			o := fs.srv.outcome(ctx, j)
			if o.Error != "" {
				return fmt.Errorf("analyzing the seeded bundle: %s", o.Error)
			}
			fs.outcome = &o
		}
		if _, err := fs.st.Finish(ctx, j.ID, *fs.outcome); err != nil {
			return err
		}
	}
}

// importSeeds are results files as `triage batch` writes them, whole,
// torn, and with the errors the tests know.
var importSeeds = []string{
	`{"ticket":"K-1","bundle":"/archive/K-1/a.tgz","sha256":"aa","size":10,"duration_ms":5,"status":"ok","warnings":0,"findings":[{"rule_id":"av.audit-slab-leak","severity":"high","message":"m"}]}
{"ticket":"K-2","bundle":"/archive/K-2/b.tgz","sha256":"bb","size":10,"duration_ms":5,"status":"error","error":"unreadable","warnings":0,"findings":[]}
{"ticket":"K-3","bundle":"/archive/K-3/c.tgz","sha256":"cc","size":10,"duration_ms":5,"status":"incomplete","warnings":1,"findings":[],"incomplete":[{"kind":"archive","path":"x","message":"truncated"}],"incomplete_total":1}
{"ticket":"K-4","bundle":"/arch`,
	`{"ticket":"K-5","bundle":"b","sha256":"dd","status":"ok","findings":[{"rule_id":"gde.guardpoint-busy","severity":"critical","subject":"/data","message":"busy"}]}` + "\n\n",
	"{\"ticket\":1}\n",
	`{"ticket":"K-6","findings":[{"rule_id":"x","severity":"loud"}]}` + "\n",
	"\n",
	"",
}

// FuzzAPIImport posts results files to /api/v1/import. Beyond the common
// checks: a file the batch reader refuses is refused; an accepted one
// reports as many records as it has complete non-blank lines, added and
// skipped add up to them, and the torn last line is reported exactly when
// bytes follow the last newline.
func FuzzAPIImport(f *testing.F) {
	for _, s := range importSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	fs := newFuzzServer(f, nil)
	f.Fuzz(func(t *testing.T, data []byte, chunked bool) {
		defer fs.after(t)
		req := httptest.NewRequest("POST", "/api/v1/import", bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/x-ndjson")
		if chunked {
			req.ContentLength = -1
		}
		res := fs.do(t, req)
		if res.read > fuzzMaxImport+1 {
			t.Fatalf("read %d bytes of a body limited to %d", res.read, fuzzMaxImport)
		}
		switch res.code {
		case http.StatusOK:
		case http.StatusBadRequest:
			return
		case http.StatusRequestEntityTooLarge:
			if len(data) <= fuzzMaxImport {
				t.Fatalf("%d bytes refused as too large (limit %d): %s", len(data), fuzzMaxImport, res.body)
			}
			return
		default:
			t.Fatalf("import answered %d: %s", res.code, res.body)
		}
		if len(data) > fuzzMaxImport {
			t.Fatalf("a %d-byte results file was imported past the %d-byte limit", len(data), fuzzMaxImport)
		}
		var out struct {
			Records, Added, Skipped int
			Torn                    bool `json:"torn_last_line"`
		}
		if err := json.Unmarshal(res.body, &out); err != nil {
			t.Fatalf("import answer %s: %v", res.body, err)
		}
		complete := data[:bytes.LastIndexByte(data, '\n')+1]
		lines := 0
		for _, l := range bytes.Split(complete, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if out.Records != lines || out.Added+out.Skipped != out.Records {
			t.Fatalf("%d complete lines; import says %+v", lines, out)
		}
		if out.Torn != (len(complete) < len(data)) {
			t.Fatalf("torn_last_line %v with %d bytes after the last newline", out.Torn, len(data)-len(complete))
		}
		if (out.Added > 0) != res.changed {
			t.Fatalf("%d records added, store changed: %v", out.Added, res.changed)
		}
	})
}

// FuzzAPIReanalyze posts bodies to /api/v1/reanalyze on a store holding
// two analyzed uploads. Beyond the common checks: an accepted request
// queues exactly the analyses it names (all, a ticket's, or by id), as
// an independent decoding of the same body says; the store is then put
// back by analyzing them again.
func FuzzAPIReanalyze(f *testing.F) {
	for _, s := range []string{`{"ids":[1,2]}`, `{"ticket":"R-1"}`, `{"all":true}`, `{"ids":[2,99,-1]}`,
		`{}`, `{"ids":"1"}`, `{"all":true} {"all":false}`, `[1]`, `null`, ``} {
		f.Add([]byte(s))
	}
	data := archivetest.Build(f, filepath.Join("..", "testdata", "sample-bundle"), "tar.gz")
	fs := newFuzzServer(f, analyzedUploads(data))
	f.Fuzz(func(t *testing.T, body []byte) {
		defer fs.after(t)
		req := httptest.NewRequest("POST", "/api/v1/reanalyze", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res := fs.do(t, req)
		if res.read > 1<<20+1 {
			t.Fatalf("read %d bytes of a body limited to 1 MiB", res.read)
		}
		var want struct {
			IDs    []int64 `json:"ids"`
			Ticket string  `json:"ticket"`
			All    bool    `json:"all"`
		}
		valid := json.Unmarshal(body, &want) == nil && (want.All || want.Ticket != "" || len(want.IDs) > 0)
		switch res.code {
		case http.StatusAccepted:
			if !valid {
				t.Fatalf("accepted a body that does not decode to a request: %q", body)
			}
		case http.StatusBadRequest:
			if valid {
				t.Fatalf("refused a valid request %q: %s", body, res.body)
			}
			return
		default:
			t.Fatalf("reanalyze answered %d: %s", res.code, res.body)
		}
		queued := 0
		for i, id := range fs.seeded {
			ticket := fmt.Sprintf("R-%d", i+1)
			switch {
			case want.All, want.Ticket == ticket && want.Ticket != "":
				queued++
			case want.Ticket == "":
				for _, x := range want.IDs {
					if x == id {
						queued++
						break
					}
				}
			}
		}
		var out struct{ Queued int }
		if err := json.Unmarshal(res.body, &out); err != nil || out.Queued != queued {
			t.Fatalf("%q queued %s, want %d", body, res.body, queued)
		}
		if (queued > 0) != res.changed {
			t.Fatalf("%d queued, store changed: %v", queued, res.changed)
		}
		if queued > 0 {
			if err := fs.finishQueued(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// csrfMark in a fuzzed form upload is replaced by the session's real form
// token, so that mutations get past the token check.
const csrfMark = "@CSRF@"

// FuzzAPIUpload posts raw and multipart uploads to /api/v1/analyses and
// (with form set) the upload page's form. Beyond the common checks: no
// more than --max-upload (plus the multipart allowance) is read; only
// uploads within the limit are accepted, each adding one queued analysis
// of at most --max-upload bytes, of exactly the body's bytes when raw.
func FuzzAPIUpload(f *testing.F) {
	mp := func(fields ...string) (string, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.SetBoundary("fuzzboundary")
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "file" {
				fw, _ := mw.CreateFormFile("file", "sos.tar.gz")
				fw.Write([]byte(fields[i+1]))
				continue
			}
			mw.WriteField(fields[i], fields[i+1])
		}
		mw.Close()
		return mw.FormDataContentType(), b.Bytes()
	}
	for _, form := range []bool{false, true} {
		ct, b := mp("csrf", csrfMark, "ticket", "CASE-1", "file", "\x1f\x8b bundle bytes")
		f.Add(ct, b, form, false)
		ct, b = mp("ticket", "CASE-2", "file", strings.Repeat("x", fuzzMaxUpload+1))
		f.Add(ct, b, form, true)
		ct, b = mp("csrf", csrfMark, "ticket", "bad\nticket", "file", "x")
		f.Add(ct, b, form, false)
		ct, b = mp("csrf", csrfMark, "ticket", "CASE-3")
		f.Add(ct, b, form, false)
	}
	f.Add("application/octet-stream", []byte("raw bundle bytes"), false, false)
	f.Add("", []byte(strings.Repeat("y", fuzzMaxUpload+1)), false, true)
	f.Add("multipart/form-data", []byte("--x\r\n\r\n"), false, false)
	f.Add("multipart/form-data; boundary=\"", []byte("--\"\r\n"), true, false)
	fs := newFuzzServer(f, nil)
	const session = "0123456789abcdef0123456789abcdef"
	f.Fuzz(func(t *testing.T, ctype string, body []byte, form, chunked bool) {
		defer fs.after(t)
		target := "/api/v1/analyses?ticket=Q-1&filename=u.tgz"
		if form {
			target = "/upload"
			body = bytes.ReplaceAll(body, []byte(csrfMark), []byte(fs.srv.csrfFor(session)))
		}
		req := httptest.NewRequest("POST", target, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if form {
			req.Header.Set("Accept", "application/json")
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		}
		if chunked {
			req.ContentLength = -1
		}
		res := fs.do(t, req)
		mt, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(ctype)), ";")
		raw := strings.TrimSpace(mt) != "multipart/form-data"
		limit := int64(fuzzMaxUpload + 1) // Put reads one byte more to see the excess
		if !raw {
			limit = fuzzMaxUpload + uploadSlack + 1
		}
		if res.read > limit {
			t.Fatalf("read %d bytes of an upload limited to %d", res.read, limit)
		}
		switch res.code {
		case http.StatusAccepted:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusForbidden:
			if raw && !form && res.code == http.StatusRequestEntityTooLarge && len(body) <= fuzzMaxUpload {
				t.Fatalf("a %d-byte raw upload refused as too large: %s", len(body), res.body)
			}
			return
		default:
			t.Fatalf("upload answered %d: %s", res.code, res.body)
		}
		if raw && form {
			t.Fatalf("the upload form accepted a body that is not multipart (%q)", ctype)
		}
		var out struct{ ID int64 }
		if err := json.Unmarshal(res.body, &out); err != nil || out.ID <= 0 || !res.changed {
			t.Fatalf("accepted: %s (%v), store changed: %v", res.body, err, res.changed)
		}
		a, err := fs.st.Get(context.Background(), out.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Size > fuzzMaxUpload || (raw && a.Size != int64(len(body))) || a.Status != store.Queued {
			t.Fatalf("stored %d bytes (%s) of a %d-byte %s upload", a.Size, a.Status, len(body), mt)
		}
		// What was stored is the file part and the ticket is the last
		// ticket field before it, as an independent reading says.
		want, ticket := body, ""
		if !form {
			ticket = "Q-1"
		}
		if !raw {
			want, ticket = fileOf(t, ctype, body, ticket)
		}
		if sum := sha256.Sum256(want); a.SHA256 != hex.EncodeToString(sum[:]) || a.Ticket != ticket {
			t.Fatalf("stored %s (ticket %q); the upload's file is %d bytes, sha256 %x (ticket %q)", a.SHA256, a.Ticket, len(want), sum, ticket)
		}
	})
}

// fileOf reads a multipart upload as the service documents it: fields,
// then the "file" part. It returns the file's bytes and the ticket.
func fileOf(t *testing.T, ctype string, body []byte, ticket string) ([]byte, string) {
	_, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("accepted a multipart upload with Content-Type %q: %v", ctype, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("accepted a multipart upload without a readable file part: %v", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("accepted a multipart upload whose part does not read: %v", err)
		}
		switch p.FormName() {
		case "file":
			return b, ticket
		case "ticket":
			ticket = strings.TrimSpace(string(b))
		}
	}
}

// FuzzAPIQuery sends query strings to the GET endpoints that read
// parameters (search, compare, rule statistics, and the pages sharing
// their parsing) on a store holding two analyzed uploads. Beyond the
// common checks (pages answer HTML, error pages included): a GET never
// changes the store.
func FuzzAPIQuery(f *testing.F) {
	paths := []string{"/api/v1/analyses", "/api/v1/compare", "/api/v1/rules/stats",
		"/analyses", "/compare", "/rules", "/tickets/R-1", "/upload"}
	for _, s := range []struct {
		path  uint8
		query string
	}{
		{0, "rule=av.audit-slab-leak&from=2026-11-01"},
		{0, "ticket=R-1&verdict=problems&severity=high&offset=1&limit=10"},
		{0, "host=db%25_&to=2026-13-01&verdict=nope"},
		{0, "limit=-1&offset=99999999999999999999"},
		{1, "old=1&new=2"},
		{1, "old=2&new=2"},
		{1, "old=1&new=99"},
		{1, "old=../x&new=1"},
		{2, "period=week&from=2026-01-01"},
		{2, "period=year"},
		{3, "verdict=clean&page=2&host=x"},
		{4, "old=1&new=2"},
		{5, "period=day&from=2026-02-30"},
		{6, "page=1"},
		{7, "ticket=%3Cscript%3E"},
	} {
		f.Add(s.path, s.query)
	}
	data := archivetest.Build(f, filepath.Join("..", "testdata", "sample-bundle"), "tar.gz")
	fs := newFuzzServer(f, analyzedUploads(data))
	f.Fuzz(func(t *testing.T, path uint8, query string) {
		req := httptest.NewRequest("GET", paths[int(path)%len(paths)], nil)
		req.URL.RawQuery = query
		res := fs.do(t, req)
		if res.changed {
			t.Fatalf("GET %s changed the store", req.URL)
		}
	})
}

// FuzzForms posts urlencoded bodies to the pages' forms (sign-in,
// re-analysis, ticket deletion) on a service with a token, signed in by
// cookie, holding two analyzed uploads of ticket; @CSRF@ in
// the body becomes the session's form token. Beyond the common checks
// (pages answer HTML): no more than the forms' 64 KiB is read; a sign-in
// succeeds exactly with the right token and sets the cookie; a deletion
// happens exactly when confirmed with the ticket's id.
func FuzzForms(f *testing.F) {
	const tok = "0123456789abcdef-fuzz-token"
	forms := []string{"/login", "/analyses/1/reanalyze", "/tickets/R-1/delete"}
	for _, s := range []struct {
		form uint8
		body string
	}{
		{0, "csrf=@CSRF@&token=" + tok},
		{0, "csrf=@CSRF@&token=wrong-token-0123456789"},
		{0, "token=" + tok},
		{1, "csrf=@CSRF@"},
		{1, "csrf=%zz"},
		{2, "csrf=@CSRF@&confirm=R-1"},
		{2, "csrf=@CSRF@&confirm=R-2"},
		{2, "confirm=R-1&csrf=@CSRF@&csrf=x"},
	} {
		f.Add(s.form, []byte(s.body))
	}
	data := archivetest.Build(f, filepath.Join("..", "testdata", "sample-bundle"), "tar.gz")
	fs := newFuzzServer(f, analyzedUploads(data), tok)
	const session = "0123456789abcdef0123456789abcdef"
	n := 0
	f.Fuzz(func(t *testing.T, form uint8, body []byte) {
		defer fs.after(t)
		path := forms[int(form)%len(forms)]
		body = bytes.ReplaceAll(body, []byte(csrfMark), []byte(fs.srv.csrfFor(session)))
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		req.AddCookie(&http.Cookie{Name: tokenCookie, Value: tok})
		// A new address each time: the sign-in limit is tested elsewhere
		// and would otherwise answer every wrong guess after the fifth.
		n++
		req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1", n>>16&255, n>>8&255, n&255)
		res := fs.do(t, req)
		if res.read > 64<<10+1 {
			t.Fatalf("read %d bytes of a form limited to 64 KiB", res.read)
		}
		q, qerr := url.ParseQuery(string(body))
		csrfOK := qerr == nil && q.Get("csrf") == fs.srv.csrfFor(session)
		switch path {
		case "/login":
			want := http.StatusForbidden
			if csrfOK {
				want = http.StatusUnauthorized
				if strings.TrimSpace(q.Get("token")) == tok {
					want = http.StatusSeeOther
				}
			}
			if res.code != want {
				t.Fatalf("sign-in with %q: %d, want %d", body, res.code, want)
			}
		case "/analyses/1/reanalyze":
			want := http.StatusForbidden
			if csrfOK {
				want = http.StatusSeeOther
			}
			if res.code != want {
				t.Fatalf("re-analysis form %q: %d, want %d", body, res.code, want)
			}
			if res.changed {
				if err := fs.finishQueued(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		default:
			want := http.StatusForbidden
			if csrfOK {
				want = http.StatusBadRequest
				if q.Get("confirm") == "R-1" {
					want = http.StatusOK
				}
			}
			if res.code != want || (want == http.StatusOK) != res.changed {
				t.Fatalf("deletion form %q: %d (store changed: %v), want %d", body, res.code, res.changed, want)
			}
			if res.changed {
				fs.grown = maxGrowth // the seeded analyses are gone: rebuild
			}
		}
	})
}

// TestAPIFuzzHarness checks that the fuzz servers accept what the seeds
// say is valid, so that fuzzing explores past the refusals: an import, a
// re-analysis, a form upload with the substituted token, a comparison.
func TestAPIFuzzHarness(t *testing.T) {
	data := archivetest.Build(t, filepath.Join("..", "testdata", "sample-bundle"), "tar.gz")
	fs := newFuzzServer(t, analyzedUploads(data))
	if len(fs.seeded) != 2 {
		t.Fatalf("seeded %v", fs.seeded)
	}
	res := fs.do(t, httptest.NewRequest("POST", "/api/v1/import", strings.NewReader(importSeeds[0])))
	if res.code != 200 || !bytes.Contains(res.body, []byte(`"added": 3`)) || !res.changed {
		t.Errorf("import: %d %s", res.code, res.body)
	}
	res = fs.do(t, httptest.NewRequest("POST", "/api/v1/reanalyze", strings.NewReader(`{"ticket":"R-1"}`)))
	if res.code != 202 || !bytes.Contains(res.body, []byte(`"queued": 1`)) || !res.changed {
		t.Errorf("reanalyze: %d %s", res.code, res.body)
	}
	const session = "0123456789abcdef0123456789abcdef"
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", fs.srv.csrfFor(session))
	mw.WriteField("ticket", "F-1")
	fw, _ := mw.CreateFormFile("file", "x.tgz")
	fw.Write([]byte("bytes"))
	mw.Close()
	req := httptest.NewRequest("POST", "/upload", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	if res = fs.do(t, req); res.code != 202 || !res.changed {
		t.Errorf("form upload: %d %s", res.code, res.body)
	}
	res = fs.do(t, httptest.NewRequest("GET", fmt.Sprintf("/api/v1/compare?old=%d&new=%d", fs.seeded[0], fs.seeded[1]), nil))
	if res.code != 200 || res.changed {
		t.Errorf("compare: %d %s", res.code, res.body)
	}
}
