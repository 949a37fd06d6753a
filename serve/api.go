//go:build !aix

package serve

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/fsagent/triage/batch"
	"github.com/fsagent/triage/diff"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/rules"
	"github.com/fsagent/triage/store"
)

//go:embed openapi.json
var openAPI []byte

// idleReader extends the connection's read deadline before every read,
// so a body that keeps flowing may take as long as it needs while a
// client that stops sending is dropped after the idle timeout.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	ir.rc.SetReadDeadline(time.Now().Add(ir.idle))
	return ir.r.Read(p)
}

// uploadSlack is what a multipart upload may carry beyond --max-upload:
// part headers and the small fields (ticket, form token) before the file.
const uploadSlack = 64 << 10

// errUpload is an upload refused for a reason the client can fix.
type errUpload struct {
	code int
	msg  string
}

func (e *errUpload) Error() string { return e.msg }

// receive streams one upload (a raw body, or multipart with a "ticket"
// field before the "file" part) into the store and queues its analysis.
// With form set, the multipart body must carry the page's CSRF token
// before the file.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, form bool) (int64, error) {
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		w.Header().Set("Retry-After", "10")
		return 0, &errUpload{http.StatusServiceUnavailable, "too many uploads in progress; retry shortly"}
	}
	limit := s.cfg.MaxUpload
	slack := int64(uploadSlack)
	if r.ContentLength > limit+slack {
		return 0, &errUpload{http.StatusRequestEntityTooLarge, fmt.Sprintf("upload of %d bytes exceeds --max-upload %d", r.ContentLength, limit)}
	}
	rc := http.NewResponseController(w)
	body := &idleReader{r: http.MaxBytesReader(w, r.Body, limit+slack), rc: rc, idle: s.cfg.IdleTimeout}
	// The deadline is left in place when the handler returns: a body left
	// unread is then discarded quickly, and the server sets its own
	// deadlines before reading the next request on the connection.
	up := store.Upload{Ticket: r.URL.Query().Get("ticket"), Filename: r.URL.Query().Get("filename")}
	if up.Ticket == "" {
		up.Ticket = r.Header.Get("X-Triage-Ticket")
	}
	var src io.Reader = &bodyReader{body}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr, err := newMultipart(body, params["boundary"])
		if err != nil {
			return 0, &errUpload{http.StatusBadRequest, err.Error()}
		}
		csrf := ""
		for {
			p, err := mr.NextPart()
			if err != nil {
				return 0, uploadReadError(&bodyError{err}, "the multipart body has no \"file\" part")
			}
			name := p.FormName()
			if name == "file" {
				up.Filename = p.FileName()
				src = &bodyReader{p}
				break
			}
			v, err := io.ReadAll(io.LimitReader(p, 4096))
			if err != nil {
				return 0, uploadReadError(&bodyError{err}, "")
			}
			switch name {
			case "ticket":
				up.Ticket = strings.TrimSpace(string(v))
			case "csrf":
				csrf = string(v)
			}
		}
		if form && !s.checkCSRF(r, csrf) {
			return 0, &errUpload{http.StatusForbidden, "the form's security token is missing or stale: reload the upload page and try again"}
		}
	} else if form {
		return 0, &errUpload{http.StatusBadRequest, "the upload form posts multipart/form-data"}
	}
	if !validTicket(up.Ticket) {
		return 0, &errUpload{http.StatusBadRequest, "a ticket id is printable text of at most 128 bytes"}
	}
	up.Filename = cleanFilename(up.Filename)
	id, _, _, err := s.st.Put(r.Context(), src, limit, up)
	if err != nil {
		return 0, uploadReadError(err, "")
	}
	s.notify()
	return id, nil
}

func uploadReadError(err error, eofMsg string) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrTooLarge), errors.As(err, &mbe):
		return &errUpload{http.StatusRequestEntityTooLarge, "the upload exceeds --max-upload"}
	case eofMsg != "" && errors.Is(err, io.EOF):
		return &errUpload{http.StatusBadRequest, eofMsg}
	case errors.Is(err, context.Canceled), errors.Is(err, io.ErrUnexpectedEOF), isTimeout(err):
		return &errUpload{http.StatusBadRequest, "the upload was interrupted: " + err.Error()}
	}
	var be *bodyError
	if errors.As(err, &be) {
		return &errUpload{http.StatusBadRequest, "the upload could not be read: " + be.err.Error()}
	}
	return err
}

// bodyError is a failure to read the request body (a malformed multipart
// body, a broken connection): the client's fault, answered with a 400,
// where a failure to store what was read is the service's (a 500).
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// bodyReader marks the errors of reading the request body as bodyErrors.
type bodyReader struct{ r io.Reader }

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// cleanFilename keeps the base name of what the client called the file,
// for display only (files are stored by digest).
func cleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	b := []rune{}
	for _, c := range name {
		if c >= 0x20 && c != 0x7f {
			b = append(b, c)
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

func (s *Server) uploadFailed(w http.ResponseWriter, err error) {
	w.Header().Set("Connection", "close") // the rest of the body is not worth reading
	var ue *errUpload
	if errors.As(err, &ue) {
		apiError(w, ue.code, ue.msg)
		return
	}
	s.log.Error("storing an upload", "err", err)
	apiError(w, http.StatusInternalServerError, "the upload could not be stored")
}

func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request) {
	id, err := s.receive(w, r, false)
	if err != nil {
		s.uploadFailed(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/analyses/%d", id))
	writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "status": store.Queued,
		"url": fmt.Sprintf("/api/v1/analyses/%d", id), "page": fmt.Sprintf("/analyses/%d", id)})
}

// apiAnalysis is an analysis as the API returns it.
type apiAnalysis struct {
	store.Analysis
	Verdict string          `json:"verdict"`
	Report  json.RawMessage `json:"report"`
}

func (s *Server) apiGet(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		apiError(w, http.StatusNotFound, "an analysis id is a positive number")
		return
	}
	a, err := s.st.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, http.StatusNotFound, err.Error())
		return
	} else if err != nil {
		s.internal(w, err)
		return
	}
	out := apiAnalysis{Analysis: a, Verdict: a.Verdict(), Report: json.RawMessage("null")}
	if js, err := s.st.Report(r.Context(), id, "json"); err != nil {
		s.internal(w, err)
		return
	} else if js != nil {
		out.Report = js
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) internal(w http.ResponseWriter, err error) {
	s.log.Error("request failed", "err", err)
	apiError(w, http.StatusInternalServerError, "internal error (logged)")
}

// parseFilter reads the list filters shared by the page and the API.
func parseFilter(r *http.Request) (store.Filter, error) {
	q := r.URL.Query()
	f := store.Filter{Ticket: q.Get("ticket"), Host: q.Get("host"), RuleID: q.Get("rule"), Verdict: q.Get("verdict"), MinSev: -1}
	if v := q.Get("severity"); v != "" {
		sev, err := rules.ParseSeverity(v)
		if err != nil {
			return f, fmt.Errorf("severity: %w", err)
		}
		f.MinSev = int(sev)
	}
	if f.Verdict != "" && !contains(store.Verdicts, f.Verdict) {
		return f, fmt.Errorf("verdict %q: use one of %s", f.Verdict, strings.Join(store.Verdicts, ", "))
	}
	for _, d := range []struct {
		name string
		to   *time.Time
		add  time.Duration
	}{{"from", &f.From, 0}, {"to", &f.To, 24 * time.Hour}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return f, fmt.Errorf("%s: a date is YYYY-MM-DD", d.name)
			}
			*d.to = t.Add(d.add)
		}
	}
	for _, n := range []struct {
		name string
		to   *int
	}{{"offset", &f.Offset}, {"limit", &f.Limit}} {
		if v := q.Get(n.name); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 {
				return f, fmt.Errorf("%s: a number of at least 0", n.name)
			}
			*n.to = i
		}
	}
	return f, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	page, total, err := s.st.Search(r.Context(), f)
	if err != nil {
		s.internal(w, err)
		return
	}
	out := make([]apiAnalysis, 0, len(page))
	for _, a := range page {
		out = append(out, apiAnalysis{Analysis: a, Verdict: a.Verdict(), Report: json.RawMessage("null")})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "offset": f.Offset, "analyses": out})
}

// compare loads the stored reports of two analyses and compares them.
func (s *Server) compare(ctx context.Context, oldID, newID int64) (*diff.Result, int, error) {
	var sides [2]*diff.Report
	for i, id := range []int64{oldID, newID} {
		a, err := s.st.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, http.StatusNotFound, fmt.Errorf("analysis %d: %w", id, err)
		} else if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		js, err := s.st.Report(ctx, id, "json")
		if err != nil {
			return nil, http.StatusInternalServerError, err
		}
		if js == nil {
			return nil, http.StatusConflict, fmt.Errorf("analysis %d has no report to compare (%s)", id, a.Verdict())
		}
		label := fmt.Sprintf("analysis %d (%s, ticket %s)", id, a.Filename, a.Ticket)
		if sides[i], err = diff.Parse(js, label); err != nil {
			return nil, http.StatusInternalServerError, err
		}
	}
	return diff.Compare(sides[0], sides[1]), http.StatusOK, nil
}

func (s *Server) apiCompare(w http.ResponseWriter, r *http.Request) {
	oldID, ok1 := pathID(r, "old")
	newID, ok2 := pathID(r, "new")
	if !ok1 || !ok2 {
		apiError(w, http.StatusBadRequest, "compare needs old and new analysis ids")
		return
	}
	res, code, err := s.compare(r.Context(), oldID, newID)
	if err != nil {
		apiError(w, code, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// DefaultMaxImport bounds an imported results file (a line per bundle of
// a few hundred bytes: millions of bundles).
const DefaultMaxImport = 512 << 20

// apiImport imports a results file as it arrives: each line is decoded,
// checked and reduced to what the store indexes before the next is read,
// so the service holds the compact records, never the file, and a bad
// line is refused without reading further. The records are then added in
// one transaction: a refused file changes nothing.
func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) {
	limit := s.cfg.MaxImport
	if r.ContentLength > limit {
		apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the results file (%d bytes) exceeds %s: import it in parts", r.ContentLength, wording.Bytes(limit)))
		return
	}
	body := &countingReader{r: http.MaxBytesReader(w, r.Body, limit)}
	rr := batch.NewRecordReader(body)
	var imp []store.Imported
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the results file exceeds %s: import it in parts", wording.Bytes(limit)))
				return
			}
			apiError(w, http.StatusBadRequest, "results file: "+err.Error())
			return
		}
		in, err := importedOf(rec)
		if err != nil {
			apiError(w, http.StatusBadRequest, fmt.Sprintf("results file: line %d: record for %s: %v", rr.Line(), rec.Bundle, err))
			return
		}
		imp = append(imp, in)
	}
	added, skipped := 0, 0
	if len(imp) > 0 {
		var err error
		if added, skipped, err = s.st.Import(r.Context(), imp); err != nil {
			s.internal(w, err)
			return
		}
	}
	out := map[string]any{"records": len(imp), "added": added, "skipped": skipped, "torn_last_line": body.n > rr.Offset()}
	writeJSON(w, http.StatusOK, out)
}

// importedOf is what the store keeps of a batch record.
func importedOf(rec batch.Record) (store.Imported, error) {
	in := store.Imported{Ticket: rec.Ticket, Filename: rec.Bundle, SHA256: rec.SHA256, Size: rec.Size}
	switch rec.Status {
	case batch.StatusError:
		in.Error = rec.Error
		if in.Error == "" {
			in.Error = "the batch run recorded an error"
		}
	case batch.StatusIncomplete:
		f := false
		in.Complete = &f
	}
	if !validTicket(in.Ticket) {
		return in, errors.New("the ticket is not printable text of at most 128 bytes")
	}
	for _, f := range rec.Findings {
		sev, err := rules.ParseSeverity(f.Severity)
		if err != nil {
			return in, err
		}
		in.Findings = append(in.Findings, store.Finding{RuleID: f.RuleID, Severity: int(sev), Subject: f.Subject})
	}
	return in, nil
}

func (s *Server) apiReanalyze(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDs    []int64 `json:"ids"`
		Ticket string  `json:"ticket"`
		All    bool    `json:"all"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		apiError(w, http.StatusBadRequest, "body: one JSON object, and nothing after it")
		return
	}
	if !req.All && req.Ticket == "" && len(req.IDs) == 0 {
		apiError(w, http.StatusBadRequest, `name what to re-analyze: {"ids": [...]}, {"ticket": "..."} or {"all": true}`)
		return
	}
	n, err := s.st.Requeue(r.Context(), req.IDs, req.Ticket, req.All)
	if err != nil {
		s.internal(w, err)
		return
	}
	for range s.cfg.Workers {
		s.notify()
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"queued": n})
}

func (s *Server) apiDeleteTicket(w http.ResponseWriter, r *http.Request) {
	t := r.PathValue("ticket")
	if t == "" || !validTicket(t) {
		apiError(w, http.StatusBadRequest, "name a ticket")
		return
	}
	a, b, err := s.st.DeleteTicket(r.Context(), t)
	if err != nil {
		s.internal(w, err)
		return
	}
	s.log.Info("deleted a ticket's data", "ticket", t, "analyses", a, "bundles", b)
	writeJSON(w, http.StatusOK, map[string]int{"analyses": a, "bundles": b})
}

func (s *Server) apiRuleStats(w http.ResponseWriter, r *http.Request) {
	period, from, err := statsParams(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	counts, totals, err := s.st.RuleStats(r.Context(), period, from)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": period, "from": from.Format("2006-01-02"), "rules": nonNil(counts), "totals": nonNil(totals)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func statsParams(r *http.Request) (string, time.Time, error) {
	period := r.URL.Query().Get("period")
	if period == "" {
		period = "month"
	}
	if period != "month" && period != "week" && period != "day" {
		return "", time.Time{}, fmt.Errorf("period %q: use month, week or day", period)
	}
	from := time.Now().UTC().AddDate(-1, 0, 0)
	if v := r.URL.Query().Get("from"); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return "", time.Time{}, errors.New("from: a date is YYYY-MM-DD")
		}
		from = t
	}
	return period, from, nil
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
