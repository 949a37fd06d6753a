//go:build !aix

package serve

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// pageCSP is the Content-Security-Policy of the service's own pages:
// scripts and styles only from the service itself, nothing inline, no
// frames, forms post only here.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler returns the service's HTTP handler: pages, API and static files,
// behind authentication, cross-origin protection and security headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	t := s.timed
	// Pages.
	mux.Handle("GET /{$}", http.RedirectHandler("/analyses", http.StatusSeeOther))
	mux.Handle("GET /upload", t(s.pageUpload))
	mux.Handle("POST /upload", http.HandlerFunc(s.formUpload)) // bounded by the idle timeout instead
	mux.Handle("GET /analyses", t(s.pageList))
	mux.Handle("GET /analyses/{id}", t(s.pageAnalysis))
	mux.Handle("GET /analyses/{id}/report.html", t(s.reportHTML))
	mux.Handle("GET /analyses/{id}/report.json", t(s.reportJSON))
	mux.Handle("GET /tickets/{ticket}", t(s.pageTicket))
	mux.Handle("POST /tickets/{ticket}/delete", t(s.formDeleteTicket))
	mux.Handle("POST /analyses/{id}/reanalyze", t(s.formReanalyze))
	mux.Handle("GET /compare", t(s.pageCompare))
	mux.Handle("GET /rules", t(s.pageRules))
	mux.Handle("GET /login", t(s.pageLogin))
	mux.Handle("POST /login", t(s.formLogin))
	sub, _ := fs.Sub(staticFS, "static")
	mux.HandleFunc("GET /static/diff.css", diffCSS)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	// API.
	mux.Handle("POST /api/v1/analyses", http.HandlerFunc(s.apiUpload))
	mux.Handle("GET /api/v1/analyses", t(s.apiSearch))
	mux.Handle("GET /api/v1/analyses/{id}", t(s.apiGet))
	mux.Handle("GET /api/v1/compare", t(s.apiCompare))
	mux.Handle("POST /api/v1/import", t(s.apiImport))
	mux.Handle("POST /api/v1/reanalyze", t(s.apiReanalyze))
	mux.Handle("DELETE /api/v1/tickets/{ticket}", t(s.apiDeleteTicket))
	mux.Handle("GET /api/v1/rules/stats", t(s.apiRuleStats))
	mux.Handle("GET /api/v1/openapi.json", t(s.apiOpenAPI))
	mux.Handle("/api/", t(func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "no such API endpoint: see /api/v1/openapi.json")
	}))

	cop := http.NewCrossOriginProtection()
	return s.headers(s.auth(cop.Handler(mux)))
}

// timed bounds a handler's time (HandlerTimeout). It does not bound the
// request body: each handler that reads one wraps it in its own
// http.MaxBytesReader (64 KiB for forms, 1 MiB for JSON, MaxImport for an
// import).
func (s *Server) timed(h http.HandlerFunc) http.Handler {
	return http.TimeoutHandler(h, s.cfg.HandlerTimeout, "the request took too long")
}

// headers sets the security headers of every response. Pages get the
// strict CSP; the stored report sets its own (stricter still: no script).
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

const (
	tokenCookie   = "triage_token"
	sessionCookie = "triage_session"
)

// auth lets a request through when the service needs no authentication
// (loopback), when the trusted proxy header is set, or with a valid bearer
// token (header, or the cookie /login sets for browsers).
func (s *Server) auth(next http.Handler) http.Handler {
	if len(s.tokenSums) == 0 && s.cfg.ProxyHeader == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" || r.URL.Path == "/api/v1/openapi.json" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		if s.cfg.ProxyHeader != "" && r.Header.Get(s.cfg.ProxyHeader) != "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(s.tokenSums) > 0 {
			tok, cookie := "", false
			if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
				tok = strings.TrimSpace(a[7:])
			} else if c, err := r.Cookie(tokenCookie); err == nil {
				tok, cookie = c.Value, true
			}
			if tok != "" {
				// A token sent with a request is a sign-in like /login's,
				// limited the same way: no guessing through the API.
				addr := clientAddr(r.RemoteAddr)
				if ok, wait := s.logins.allow(addr); !ok {
					w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
					apiError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed sign-ins from your address: try again in %s", wait))
					return
				}
				if s.validToken(tok) {
					next.ServeHTTP(w, r)
					return
				}
				s.logins.fail(addr)
				via := "bearer token"
				if cookie {
					via = "cookie"
				}
				s.log.Warn("failed sign-in", "addr", addr, "via", via)
				if cookie {
					// A revoked token: forget it, so it fails once.
					http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
						SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
				}
			}
		}
		if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="triage"`)
		apiError(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token>")
	})
}

// session returns the browser session id, setting the cookie when absent;
// form tokens are derived from it.
func (s *Server) session(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	b := make([]byte, 16)
	rand.Read(b)
	v := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return v
}

// checkCSRF verifies a form post's token against the session cookie.
func (s *Server) checkCSRF(r *http.Request, token string) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil || token == "" {
		return false
	}
	want := s.csrfFor(c.Value)
	return subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}

// pathID reads the {id} path value: a positive decimal number and nothing
// else, so no id can name a file or another resource.
func pathID(r *http.Request, name string) (int64, bool) {
	v := r.PathValue(name)
	if v == "" {
		v = r.URL.Query().Get(name)
	}
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

// validTicket accepts any printable text up to 128 bytes: tickets come
// from other systems. Pages escape it like any other text.
func validTicket(t string) bool {
	if len(t) > 128 {
		return false
	}
	for _, c := range t {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

var styleBlock = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// reportCSP allows exactly the inline style blocks of a stored report (by
// their hashes) and nothing else: no script, no request anywhere.
func reportCSP(page []byte) string {
	var hashes []string
	for _, m := range styleBlock.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	style := "'none'"
	if len(hashes) > 0 {
		style = strings.Join(hashes, " ")
	}
	return "default-src 'none'; style-src " + style + "; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
