package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/collect"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

// collectFlags are the options shared by `collect` and `check`.
type collectFlags struct {
	out            string
	samples        int
	interval       time.Duration
	stracePID      int
	straceSeconds  int
	redact         bool
	timeout        time.Duration
	quiet          bool
	maxOutputBytes int64
}

func (f *collectFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&f.samples, "samples", 3, "slab samples to take (growth needs at least 2)")
	fl.DurationVar(&f.interval, "interval", 5*time.Second, "time between two slab samples")
	fl.IntVar(&f.stracePID, "strace-pid", 0, "trace this process with strace -f -tt -T while collecting")
	fl.IntVar(&f.straceSeconds, "strace-seconds", 10, "how long to trace --strace-pid")
	fl.BoolVar(&f.redact, "redact", false, "mask host names, IP and MAC addresses and user names in the bundle")
	fl.DurationVar(&f.timeout, "timeout-per-command", 30*time.Second, "time limit for each command; the command's whole process group is killed at the limit")
	fl.Int64Var(&f.maxOutputBytes, "max-output-bytes", 64<<20, "cap on one command's output; the rest is discarded and recorded")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not list items on stderr as they are collected")
}

func (f *collectFlags) options() (collect.Options, error) {
	if f.samples < 1 {
		return collect.Options{}, fmt.Errorf("--samples must be at least 1, not %d", f.samples)
	}
	if f.interval <= 0 || f.timeout <= 0 {
		return collect.Options{}, fmt.Errorf("--interval and --timeout-per-command must be positive")
	}
	if f.stracePID < 0 || f.straceSeconds <= 0 {
		return collect.Options{}, fmt.Errorf("--strace-pid must be a pid and --strace-seconds positive")
	}
	o := collect.Options{
		Samples: f.samples, Interval: f.interval, Redact: f.redact, CommandTimeout: f.timeout,
		StracePID: f.stracePID, StraceDuration: time.Duration(f.straceSeconds) * time.Second,
		MaxOutputBytes: f.maxOutputBytes, Version: version,
	}
	if !f.quiet {
		o.Progress = os.Stderr
	}
	return o, nil
}

// interruptible returns a context that ends on Ctrl-C, so an interrupted
// collection still kills the commands it started.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func init() {
	var f collectFlags
	cmd := &cobra.Command{
		Use:   "collect --out bundle.tar.gz",
		Short: "Gather a support bundle on this host (mounts, open files, modules, logs, ...)",
		Long: `collect gathers, on this host, what triage needs to find known problems:
mount tables, open files (lsof), users of guard points and FUSE mounts
(fuser), loaded modules, processes, kernel and agent logs, init script
headers, the package list and slab samples, into a tar.gz.

It never hangs and never harms the host: each command has a time limit and
runs in a process group of its own that is killed as a whole at the limit;
outputs are size-capped; mounts that may be hung are never stat'ed;
missing tools and permission errors are recorded in manifest.json. Run it
as root for complete results.`,
		Args: cobra.NoArgs,
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "the bundle to write (.tar.gz)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if f.out == "" {
			return withCode(exitUsage, fmt.Errorf("collect needs --out FILE"))
		}
		o, err := f.options()
		if err != nil {
			return withCode(exitUsage, err)
		}
		ctx, stop := interruptible()
		defer stop()
		m, err := collect.CollectFile(ctx, f.out, o)
		if err != nil {
			return withCode(exitUnreadable, err)
		}
		m.WriteSummary(os.Stderr, f.out)
		return nil
	}
	rootCmd.AddCommand(cmd)

	var cf collectFlags
	check := &cobra.Command{
		Use:   "check [--out FILE]",
		Short: "Collect a bundle on this host, analyze it and print the report",
		Long: `check is collect followed by analyze: it gathers a bundle on this host,
prints the findings with their remediation, and says where the bundle was
saved so that it can be attached to a support case. The report lists the
problems that could not be checked because the host did not give what they
need (absent, not permitted: run as root, or timed out).

Exit codes: 0 the check is complete; 2 usage error; 3 the bundle could not
be written or read; 4 the analysis is incomplete (part of the bundle could
not be read or a rule could not run).`,
		Args: cobra.NoArgs,
	}
	cf.add(check)
	check.Flags().StringVarP(&cf.out, "out", "o", "", "where to keep the bundle (default: a new file in the temporary directory)")
	check.RunE = func(cmd *cobra.Command, args []string) error {
		o, err := cf.options()
		if err != nil {
			return withCode(exitUsage, err)
		}
		set, err := rules.LoadShipped()
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("shipped rules: %w", err))
		}
		out := cf.out
		if out == "" {
			name := fmt.Sprintf("triage-check-%s.tar.gz", time.Now().UTC().Format("20060102-150405"))
			out = filepath.Join(os.TempDir(), name)
		}
		ctx, stop := interruptible()
		defer stop()
		m, err := collect.CollectFile(ctx, out, o)
		if err != nil {
			return withCode(exitUnreadable, err)
		}
		m.WriteSummary(os.Stderr, out)
		res, err := analyze.Run(ctx, out, analyze.Options{Rules: set})
		if err != nil {
			return withCode(exitUnreadable, err)
		}
		m.Explain(res)
		if err := report.Text(os.Stdout, res, report.TextOptions{
			Color: useColor(os.Stdout), Width: reportWidth(true, os.Stdout),
			Tool: report.Tool{Name: "triage", Version: version},
		}); err != nil {
			return writeFailed(err)
		}
		fmt.Fprintf(os.Stdout, "\nThe bundle is saved at %s\nAttach it to your support case if you open one.\n", out)
		return incomplete(res)
	}
	rootCmd.AddCommand(check)
}
