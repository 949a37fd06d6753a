//go:build !aix

package serve

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestLoginRateLimit signs in with wrong tokens from one address until it
// is refused with 429 (then even the right token is refused, or the limit
// would tell a guesser when it guessed right), while another address
// still signs in; once the bucket refills, the right token works again.
func TestLoginRateLimit(t *testing.T) {
	tok := "0123456789abcdef-secret"
	h := newHarness(t, func(c *Config) { c.Tokens = []string{tok} })
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h.srv.logins.now = func() time.Time { return now }
	const session = "0123456789abcdef0123456789abcdef"
	login := func(addr, token string) *httptest.ResponseRecorder {
		form := url.Values{"csrf": {h.srv.csrfFor(session)}, "token": {token}}
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	for i := range loginBurst {
		if rec := login("192.0.2.7:4000", fmt.Sprintf("wrong-token-%012d", i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d: %d, want 401", i+1, rec.Code)
		}
	}
	for _, tc := range []struct {
		name, addr, token string
		want              int
	}{
		{"one failure too many", "192.0.2.7:4001", "wrong-token-again", http.StatusTooManyRequests},
		{"the right token, still limited", "192.0.2.7:4002", tok, http.StatusTooManyRequests},
		{"another address", "198.51.100.1:4000", tok, http.StatusSeeOther},
	} {
		rec := login(tc.addr, tc.token)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
		if tc.want == http.StatusTooManyRequests {
			if ra := rec.Header().Get("Retry-After"); ra == "" || ra == "0" || !strings.Contains(rec.Body.String(), "Too many failed sign-ins") {
				t.Errorf("%s: Retry-After %q, page %q", tc.name, ra, rec.Body.String())
			}
		}
	}
	now = now.Add(loginRefill)
	if rec := login("192.0.2.7:4003", tok); rec.Code != http.StatusSeeOther {
		t.Errorf("after %s the right token: %d, want 303", loginRefill, rec.Code)
	}

	// Bearer tokens on the API are sign-ins too, sharing the bucket: no
	// guessing around the form.
	api := func(addr, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/analyses", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := api("203.0.113.9:1", tok); rec.Code != http.StatusOK {
		t.Fatalf("API with the right token: %d", rec.Code)
	}
	for i := range loginBurst {
		if rec := api("203.0.113.9:1", fmt.Sprintf("wrong-token-%012d", i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("API with a wrong token, %d: %d, want 401", i+1, rec.Code)
		}
	}
	if rec := api("203.0.113.9:2", tok); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("API after %d wrong tokens, with the right one: %d, want 429 with Retry-After", loginBurst, rec.Code)
	}
	if rec := login("203.0.113.9:3", tok); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the form after %d wrong bearer tokens: %d, want 429", loginBurst, rec.Code)
	}
	if rec := api("198.51.100.1:9", tok); rec.Code != http.StatusOK {
		t.Errorf("API from another address: %d, want 200", rec.Code)
	}
}

// TestLoginLimiterBounded sprays failures from more addresses than the
// limiter remembers: its map stays bounded, and the latest address is
// still limited.
func TestLoginLimiterBounded(t *testing.T) {
	l := newLoginLimiter()
	l.max = 100
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for i := range 1000 {
		addr := fmt.Sprintf("2001:db8::%x", i)
		for range loginBurst {
			l.fail(addr)
		}
		if len(l.buckets) > l.max {
			t.Fatalf("%d addresses remembered, bound %d", len(l.buckets), l.max)
		}
		if ok, wait := l.allow(addr); ok || wait <= 0 {
			t.Fatalf("%s failed %d times and is allowed (wait %s)", addr, loginBurst, wait)
		}
	}
	// Refilled buckets are dropped first.
	now = now.Add(loginBurst * loginRefill)
	l.fail("192.0.2.1")
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after every other one refilled, want 1", len(l.buckets))
	}
	if c := clientAddr("[2001:db8::1]:443"); c != "2001:db8::1" {
		t.Errorf("clientAddr: %q", c)
	}
}
