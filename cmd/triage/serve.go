//go:build !aix

// The desk service needs the pure-Go SQLite driver, which does not build
// for AIX: `triage serve` is left out of the AIX binary.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/rules"
	"github.com/fsagent/triage/serve"
	"github.com/fsagent/triage/store"
)

// serveFlags are the options of `triage serve`.
type serveFlags struct {
	addr        string
	data        string
	workers     int
	maxUpload   int64
	maxImport   int64
	tokenFile   string
	proxyHeader string
	retain      string
	rules       []string
	limits      *bundle.Limits
}

func init() {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the support desk's web service: upload, reports, ticket history, compare, search",
		Long: `serve runs the desk's web service from this binary, with an embedded
SQLite store in --data: upload a bundle once (page or API), read its report
at a stable link, follow a ticket's bundles over time, compare two analyses,
search every analysis, and see how often each rule fires.

Bundles are stored as uploaded (never extracted) under their sha256 and
analyzed by --workers workers; an accepted upload survives a crash and is
analyzed exactly once. On an address other than loopback, serve refuses to
start without --token-file or --trust-proxy-header. docs/serve.md covers
running it in production.`,
		Example: `  triage serve
  triage serve --addr 0.0.0.0:8080 --data /var/lib/triage --token-file /etc/triage/tokens --retain 90d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen on this host:port")
	fs.StringVar(&f.data, "data", "./triage-data", "keep the database and the uploaded bundles in this directory")
	fs.IntVar(&f.workers, "workers", runtime.NumCPU(), "analyze this many bundles at once")
	fs.Int64Var(&f.maxUpload, "max-upload", 2<<30, "refuse uploads larger than this many bytes")
	fs.Int64Var(&f.maxImport, "max-import", serve.DefaultMaxImport, "refuse imported results files larger than this many bytes")
	fs.StringVar(&f.tokenFile, "token-file", "", "require a bearer token from this file (one per line)")
	fs.StringVar(&f.proxyHeader, "trust-proxy-header", "", "trust requests carrying this header (e.g. X-Forwarded-User), set by an authenticating reverse proxy")
	fs.StringVar(&f.retain, "retain", "", "delete stored bundles older than this (e.g. 90d or 2160h); reports are kept (default: keep for ever)")
	fs.StringArrayVar(&f.rules, "rules", nil, "also load the rules in this directory (repeatable)")
	f.limits = addLimitFlags(fs)
	rootCmd.AddCommand(cmd)
}

func runServe(ctx context.Context, f *serveFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	untuneGC()
	serve.TuneGC()
	retain, err := serve.ParseRetain(f.retain)
	if err != nil {
		return withCode(exitUsage, err)
	}
	cfg := serve.Config{Limits: *f.limits, Workers: f.workers, MaxUpload: f.maxUpload, MaxImport: f.maxImport,
		ProxyHeader: f.proxyHeader, Retain: retain, Version: version,
		Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	if f.tokenFile != "" {
		data, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("--token-file: %w", err))
		}
		if cfg.Tokens, err = serve.ReadTokens(data); err != nil {
			return withCode(exitUsage, fmt.Errorf("--token-file %s: %w", f.tokenFile, err))
		}
	}
	if err := serve.CheckExposure(f.addr, cfg); err != nil {
		return withCode(exitUsage, err)
	}
	if cfg.Rules, err = rules.LoadSet(f.rules, nil, nil); err != nil {
		return withCode(exitUsage, rulesLoadError(err))
	}
	st, err := store.Open(f.data)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.Store = st
	srv, err := serve.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("--addr: %w", err))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, cancel := context.WithCancel(context.Background())
	srv.Start(work)
	hs := serve.HTTPServer(f.addr, srv.Handler())
	fmt.Fprintf(os.Stderr, "triage: serving on http://%s (data %s, %d workers)\n", ln.Addr(), f.data, f.workers)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "triage: shutting down")
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = hs.Shutdown(sctx)
		scancel()
	}
	cancel()
	srv.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
