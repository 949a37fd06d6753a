//go:build !aix

package serve

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/fsagent/triage/diff"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var severityNames = []string{"info", "low", "medium", "high", "critical"}

func sevName(i int) string {
	if i < 0 || i >= len(severityNames) {
		return ""
	}
	return severityNames[i]
}

// pages is parsed on first use: every command of the binary would
// otherwise parse the service's templates at start.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"sev":     sevName,
		"time":    fmtTime,
		"pathesc": url.PathEscape,
		"add":     func(a, b int) int { return a + b },
		"short":   func(h string) string { return h[:min(12, len(h))] },
		"bytes":   wording.Bytes,
	}).ParseFS(templateFS, "templates/*.html"))
})

// page is what every page template gets.
type page struct {
	Title   string
	CSRF    string
	Refresh int // seconds; 0: none
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	p.CSRF = s.csrfFor(s.session(w, r))
	var buf bytes.Buffer
	if err := pages().ExecuteTemplate(&buf, name, p); err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "internal error (logged)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.render(w, r, code, "error.html", page{Title: http.StatusText(code), Data: msg})
}

func (s *Server) pageUpload(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "upload.html", page{Title: "Upload a bundle",
		Data: map[string]any{"Ticket": r.URL.Query().Get("ticket"), "Max": wording.Bytes(s.cfg.MaxUpload)}})
}

func (s *Server) formUpload(w http.ResponseWriter, r *http.Request) {
	id, err := s.receive(w, r, true)
	wantsJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	if err != nil {
		if wantsJSON {
			s.uploadFailed(w, err)
			return
		}
		w.Header().Set("Connection", "close")
		var ue *errUpload
		if errors.As(err, &ue) {
			s.pageError(w, r, ue.code, ue.msg)
			return
		}
		s.log.Error("storing an upload", "err", err)
		s.pageError(w, r, http.StatusInternalServerError, "the upload could not be stored")
		return
	}
	loc := fmt.Sprintf("/analyses/%d", id)
	if wantsJSON {
		writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "page": loc})
		return
	}
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

// listData is the analyses list page.
type listData struct {
	Q          url.Values
	Rows       []store.Analysis
	Total      int
	Page       int
	Pages      int
	PrevURL    string
	NextURL    string
	Verdicts   []string
	Severities []string
	RuleIDs    []string
}

const perPage = 50

func (s *Server) pageList(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r)
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	pg := 1
	if v := r.URL.Query().Get("page"); v != "" {
		if pg, err = strconv.Atoi(v); err != nil || pg < 1 {
			s.pageError(w, r, http.StatusBadRequest, "page: a number from 1")
			return
		}
	}
	f.Offset, f.Limit = (pg-1)*perPage, perPage
	rows, total, err := s.st.Search(r.Context(), f)
	if err != nil {
		s.internal(w, err)
		return
	}
	d := listData{Q: r.URL.Query(), Rows: rows, Total: total, Page: pg, Pages: max(1, (total+perPage-1)/perPage),
		Verdicts: store.Verdicts, Severities: severityNames, RuleIDs: s.ruleIDs()}
	link := func(p int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		return "/analyses?" + q.Encode()
	}
	if pg > 1 {
		d.PrevURL = link(pg - 1)
	}
	if pg < d.Pages {
		d.NextURL = link(pg + 1)
	}
	s.render(w, r, http.StatusOK, "list.html", page{Title: "Analyses", Data: d})
}

func (s *Server) ruleIDs() []string {
	var ids []string
	for _, r := range s.cfg.Rules.Rules() {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

// analysisData is the page of one analysis.
type analysisData struct {
	A        store.Analysis
	Verdict  string
	Findings []store.Finding
	Previous int64 // the ticket's analysis before this one, 0 when none
}

func (s *Server) loadAnalysis(w http.ResponseWriter, r *http.Request) (store.Analysis, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.pageError(w, r, http.StatusNotFound, "an analysis id is a positive number")
		return store.Analysis{}, false
	}
	a, err := s.st.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.pageError(w, r, http.StatusNotFound, fmt.Sprintf("there is no analysis %d", id))
		return a, false
	} else if err != nil {
		s.internal(w, err)
		return a, false
	}
	return a, true
}

func (s *Server) pageAnalysis(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAnalysis(w, r)
	if !ok {
		return
	}
	d := analysisData{A: a, Verdict: a.Verdict()}
	var err error
	if d.Findings, err = s.st.FindingsOf(r.Context(), a.ID); err != nil {
		s.internal(w, err)
		return
	}
	if a.Ticket != "" {
		if d.Previous, err = s.st.Previous(r.Context(), a); err != nil {
			s.internal(w, err)
			return
		}
	}
	p := page{Title: fmt.Sprintf("Analysis %d", a.ID), Data: d}
	if d.Verdict == "pending" {
		p.Refresh = 2
	}
	s.render(w, r, http.StatusOK, "analysis.html", p)
}

func (s *Server) reportHTML(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAnalysis(w, r)
	if !ok {
		return
	}
	html, err := s.st.Report(r.Context(), a.ID, "html")
	if err != nil {
		s.internal(w, err)
		return
	}
	if html == nil {
		s.pageError(w, r, http.StatusNotFound, fmt.Sprintf("analysis %d has no report (%s)", a.ID, a.Verdict()))
		return
	}
	w.Header().Set("Content-Security-Policy", reportCSP(html))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(html)
}

func (s *Server) reportJSON(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadAnalysis(w, r)
	if !ok {
		return
	}
	js, err := s.st.Report(r.Context(), a.ID, "json")
	if err != nil {
		s.internal(w, err)
		return
	}
	if js == nil {
		s.pageError(w, r, http.StatusNotFound, fmt.Sprintf("analysis %d has no report (%s)", a.ID, a.Verdict()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="triage-analysis-%d.json"`, a.ID))
	w.Write(js)
}

// ticketRow is one analysis of a ticket with the one before it.
type ticketRow struct {
	store.Analysis
	Verdict  string
	Previous int64
}

// pageTicket lists a ticket's analyses newest first, perPage a page,
// each with the analysis its comparison link goes to: the ticket's
// finished upload before it, wherever that is in the history.
func (s *Server) pageTicket(w http.ResponseWriter, r *http.Request) {
	t := r.PathValue("ticket")
	pg := 1
	if v := r.URL.Query().Get("page"); v != "" {
		var err error
		if pg, err = strconv.Atoi(v); err != nil || pg < 1 {
			s.pageError(w, r, http.StatusBadRequest, "page: a number from 1")
			return
		}
	}
	hist, total, err := s.st.Search(r.Context(), store.Filter{Ticket: t, MinSev: -1, Offset: (pg - 1) * perPage, Limit: perPage})
	if err != nil {
		s.internal(w, err)
		return
	}
	pages := max(1, (total+perPage-1)/perPage)
	if total > 0 && pg > pages {
		s.pageError(w, r, http.StatusNotFound, fmt.Sprintf("ticket %s has %d pages of analyses, not %d", t, pages, pg))
		return
	}
	rows := make([]ticketRow, 0, len(hist))
	for _, a := range hist {
		prev, err := s.st.Previous(r.Context(), a)
		if err != nil {
			s.internal(w, err)
			return
		}
		rows = append(rows, ticketRow{Analysis: a, Verdict: a.Verdict(), Previous: prev})
	}
	code := http.StatusOK
	if total == 0 {
		code = http.StatusNotFound
	}
	d := map[string]any{"Ticket": t, "Rows": rows, "Total": total, "Page": pg, "Pages": pages}
	link := func(p int) string { return fmt.Sprintf("/tickets/%s?page=%d", url.PathEscape(t), p) }
	if pg > 1 {
		d["PrevURL"] = link(pg - 1)
	}
	if pg < pages {
		d["NextURL"] = link(pg + 1)
	}
	s.render(w, r, code, "ticket.html", page{Title: "Ticket " + t, Data: d})
}

func (s *Server) formDeleteTicket(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !s.checkCSRF(r, r.PostForm.Get("csrf")) {
		s.pageError(w, r, http.StatusForbidden, "the form's security token is missing or stale: reload the page and try again")
		return
	}
	t := r.PathValue("ticket")
	if r.PostForm.Get("confirm") != t {
		s.pageError(w, r, http.StatusBadRequest, "type the ticket id to confirm the deletion")
		return
	}
	a, b, err := s.st.DeleteTicket(r.Context(), t)
	if err != nil {
		s.internal(w, err)
		return
	}
	s.log.Info("deleted a ticket's data", "ticket", t, "analyses", a, "bundles", b)
	s.render(w, r, http.StatusOK, "error.html", page{Title: "Deleted",
		Data: fmt.Sprintf("Deleted ticket %s: %d analyses and %d stored bundles.", t, a, b)})
}

func (s *Server) formReanalyze(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !s.checkCSRF(r, r.PostForm.Get("csrf")) {
		s.pageError(w, r, http.StatusForbidden, "the form's security token is missing or stale: reload the page and try again")
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		s.pageError(w, r, http.StatusNotFound, "an analysis id is a positive number")
		return
	}
	if _, err := s.st.Requeue(r.Context(), []int64{id}, "", false); err != nil {
		s.internal(w, err)
		return
	}
	s.notify()
	http.Redirect(w, r, fmt.Sprintf("/analyses/%d", id), http.StatusSeeOther)
}

func (s *Server) pageCompare(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := map[string]any{"Old": q.Get("old"), "New": q.Get("new")}
	if q.Get("old") == "" && q.Get("new") == "" {
		s.render(w, r, http.StatusOK, "compare.html", page{Title: "Compare two analyses", Data: d})
		return
	}
	oldID, ok1 := pathID(r, "old")
	newID, ok2 := pathID(r, "new")
	if !ok1 || !ok2 {
		s.pageError(w, r, http.StatusBadRequest, "compare needs two analysis ids")
		return
	}
	res, code, err := s.compare(r.Context(), oldID, newID)
	if err != nil {
		s.pageError(w, r, code, err.Error())
		return
	}
	var body bytes.Buffer
	if err := diff.HTMLBody(&body, res); err != nil {
		s.internal(w, err)
		return
	}
	d["Body"] = template.HTML(body.String()) // diff's template escaped every value
	d["Result"] = res
	s.render(w, r, http.StatusOK, "compare.html", page{Title: "Compare two analyses", Data: d})
}

// statRow is one rule's counts across the periods of the statistics page.
type statRow struct {
	RuleID string
	Cells  []statCell
	Total  int
}

type statCell struct {
	Count int
	Of    int
	Bar   int // 0..40 pixels
}

func (s *Server) pageRules(w http.ResponseWriter, r *http.Request) {
	period, from, err := statsParams(r)
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	counts, totals, err := s.st.RuleStats(r.Context(), period, from)
	if err != nil {
		s.internal(w, err)
		return
	}
	var periods []string
	of := map[string]int{}
	for _, t := range totals {
		periods = append(periods, t.Period)
		of[t.Period] = t.Count
	}
	byRule := map[string]map[string]int{}
	for _, c := range counts {
		if byRule[c.RuleID] == nil {
			byRule[c.RuleID] = map[string]int{}
		}
		byRule[c.RuleID][c.Period] = c.Count
		if _, ok := of[c.Period]; !ok {
			of[c.Period] = 0
			periods = append(periods, c.Period)
		}
	}
	slices.Sort(periods)
	ids := s.ruleIDs()
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		known[id] = true
	}
	for id := range byRule {
		if !known[id] {
			ids = append(ids, id) // fired in the past, since removed or renamed
		}
	}
	slices.Sort(ids)
	var rows []statRow
	for _, id := range ids {
		row := statRow{RuleID: id}
		for _, p := range periods {
			c := statCell{Count: byRule[id][p], Of: of[p]}
			if c.Of > 0 {
				c.Bar = max(c.Count*40/c.Of, min(c.Count, 1))
			}
			row.Total += c.Count
			row.Cells = append(row.Cells, c)
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b statRow) int { return b.Total - a.Total })
	s.render(w, r, http.StatusOK, "rules.html", page{Title: "Rule statistics",
		Data: map[string]any{"Period": period, "From": from.Format("2006-01-02"), "Periods": periods, "Rows": rows, "Totals": of}})
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login.html", page{Title: "Sign in"})
}

func (s *Server) formLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !s.checkCSRF(r, r.PostForm.Get("csrf")) {
		s.pageError(w, r, http.StatusForbidden, "the form's security token is missing or stale: reload the page and try again")
		return
	}
	addr := clientAddr(r.RemoteAddr)
	if ok, wait := s.logins.allow(addr); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		s.render(w, r, http.StatusTooManyRequests, "login.html", page{Title: "Sign in",
			Data: fmt.Sprintf("Too many failed sign-ins from your address: try again in %s.", wait)})
		return
	}
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if !s.validToken(tok) {
		s.logins.fail(addr)
		s.log.Warn("failed sign-in", "addr", addr)
		s.render(w, r, http.StatusUnauthorized, "login.html", page{Title: "Sign in", Data: "That token is not valid."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"})
	http.Redirect(w, r, "/analyses", http.StatusSeeOther)
}

// diffCSS serves the comparison's stylesheet from the diff package.
func diffCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write([]byte(diff.HTMLStyle()))
}
