//go:build !aix

package serve

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/rules"
	"github.com/fsagent/triage/store"
)

// Config is what the service needs; New fills zero fields with defaults.
type Config struct {
	Store *store.Store
	Rules *rules.Set
	// Limits bound reading one bundle, as for `triage analyze`.
	Limits bundle.Limits
	// Workers is the number of analyses that run at once (default 1).
	Workers int
	// MaxUpload bounds one uploaded bundle in bytes (default 2 GiB).
	MaxUpload int64
	// MaxImport bounds one imported results file in bytes (default
	// DefaultMaxImport).
	MaxImport int64
	// Tokens are the accepted bearer tokens; empty disables token checks.
	Tokens []string
	// ProxyHeader, when set, is the request header a trusted
	// authenticating reverse proxy sets (e.g. X-Forwarded-User); requests
	// without it are refused.
	ProxyHeader string
	// Retain, when positive, purges bundle files older than this; reports
	// are kept.
	Retain time.Duration
	// Version is the program version written into reports.
	Version string
	// Log receives one line per event worth an operator's attention.
	Log *slog.Logger
	// IdleTimeout bounds how long an upload may send nothing before it is
	// dropped (default 30 s), so a slow client cannot hold a connection
	// slot for ever.
	IdleTimeout time.Duration
	// HandlerTimeout bounds the handling of every request except uploads
	// (default 30 s).
	HandlerTimeout time.Duration
	// MaxConcurrentUploads bounds uploads being received at once (default 32).
	MaxConcurrentUploads int
}

// Server is the desk service: its handlers and its worker pool.
type Server struct {
	cfg       Config
	st        *store.Store
	log       *slog.Logger
	wake      chan struct{}
	uploads   chan struct{} // semaphore of uploads being received
	tokenSums [][32]byte
	csrfKey   []byte
	logins    *loginLimiter
	wg        sync.WaitGroup
}

// New checks cfg and returns a server; Start runs its workers.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("serve: no store")
	}
	if cfg.Rules == nil {
		set, err := rules.LoadShipped()
		if err != nil {
			return nil, fmt.Errorf("serve: loading the shipped rules: %w", err)
		}
		cfg.Rules = set
	}
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 2 << 30
	}
	if cfg.MaxImport <= 0 {
		cfg.MaxImport = DefaultMaxImport
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = 30 * time.Second
	}
	if cfg.MaxConcurrentUploads <= 0 {
		cfg.MaxConcurrentUploads = 32
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{cfg: cfg, st: cfg.Store, log: cfg.Log,
		wake: make(chan struct{}, cfg.Workers), uploads: make(chan struct{}, cfg.MaxConcurrentUploads),
		logins: newLoginLimiter()}
	for _, t := range cfg.Tokens {
		s.tokenSums = append(s.tokenSums, sha256.Sum256([]byte(t)))
	}
	s.csrfKey = make([]byte, 32)
	if _, err := rand.Read(s.csrfKey); err != nil {
		return nil, err
	}
	return s, nil
}

// Start runs the worker pool and the retention schedule until ctx ends;
// Wait waits for them after that.
func (s *Server) Start(ctx context.Context) {
	for range s.cfg.Workers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.work(ctx)
		}()
	}
	if s.cfg.Retain > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.retain(ctx)
		}()
	}
}

// Wait returns once the workers started by Start have stopped.
func (s *Server) Wait() { s.wg.Wait() }

func (s *Server) retain(ctx context.Context) {
	every := min(max(s.cfg.Retain/10, time.Minute), time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.st.Purge(ctx, time.Now().Add(-s.cfg.Retain))
		if err != nil {
			s.log.Error("purging old bundles", "err", err)
		} else if n > 0 {
			s.log.Info("purged bundles past --retain", "bundles", n, "retain", s.cfg.Retain)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// IsLoopback reports whether addr (host:port) listens on a loopback
// address only. An empty host listens everywhere.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckExposure refuses a non-loopback address without authentication:
// bundles are customer data.
func CheckExposure(addr string, cfg Config) error {
	if IsLoopback(addr) || len(cfg.Tokens) > 0 || cfg.ProxyHeader != "" {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without authentication: bundles are customer data; give --token-file with bearer tokens, or --trust-proxy-header behind an authenticating reverse proxy (docs/serve.md), or listen on 127.0.0.1", addr)
}

// ReadTokens parses a token file: one token per line; blank lines and
// lines starting with # are ignored. A token shorter than 16 characters is
// refused as guessable.
func ReadTokens(data []byte) ([]string, error) {
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(t) < 16 || strings.ContainsAny(t, " \t") {
			return nil, fmt.Errorf("line %d: a token is one word of at least 16 characters", i+1)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("no token in the file")
	}
	return out, nil
}

// validToken compares tok with every configured token in constant time.
func (s *Server) validToken(tok string) bool {
	if tok == "" {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	ok := 0
	for _, t := range s.tokenSums {
		ok |= subtle.ConstantTimeCompare(sum[:], t[:])
	}
	return ok == 1
}

// csrfFor is the form token of a browser session: an HMAC-like digest of
// its session cookie under the server's key, so it cannot be forged
// without the cookie.
func (s *Server) csrfFor(session string) string {
	h := sha256.New()
	h.Write(s.csrfKey)
	h.Write([]byte(session))
	return hex.EncodeToString(h.Sum(nil))
}

// HTTPServer wraps h in an http.Server with the service's connection
// timeouts: headers must arrive quickly, and idle keep-alive connections
// are closed. Bodies are bounded per handler (uploads by an idle timeout,
// the rest by HandlerTimeout).
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// ParseRetain reads --retain: a Go duration (720h) or a number of days
// (30d). Zero keeps bundles for ever.
func ParseRetain(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && n > 0 && fmt.Sprint(n) == days {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--retain %q: give a duration such as 720h or a number of days such as 30d", s)
	}
	return d, nil
}

// MemoryLimit is the soft heap limit TuneGC sets for the service. The
// analyzer's own pace (analyze.TuneGC: GOGC 400 under a limit that
// follows one analysis's live heap) suits one analysis per process; the
// service runs several at once for weeks, so it collects at the default
// pace and keeps the heap under this limit. Measured with 4 workers on
// four 1 GiB bundles: analyze's setting of the time (GOGC 400, 512 MiB)
// peaked at 320 MiB RSS.
const MemoryLimit = 160 << 20

// TuneGC paces the collector for the service; GOGC or GOMEMLIMIT set by
// the user wins.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
