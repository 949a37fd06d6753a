package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/diff"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

// diffFlags are the options of `triage diff`.
type diffFlags struct {
	format string
	out    string
	failOn string
	rules  []string
	limits *bundle.Limits
}

func init() {
	f := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two analyses of a host: findings resolved, new and persisting",
		Long: `diff compares two analyses, typically a customer's bundle before and after a
fix. OLD and NEW are each a bundle (analyzed now) or a JSON report written by
'triage analyze --format json'. Findings are matched by rule id and subject.

A finding of OLD that NEW lacks is "resolved" only when NEW evaluated its
rule; when NEW could not (the rule failed or was not evaluated, or the new
analysis is incomplete) it is "unverified" instead.

Exit codes: 0 success; 1 a new finding at or above --fail-on exists; 2 usage
error; 3 a bundle cannot be read at all; 4 the new analysis is incomplete and
no new finding reached --fail-on.`,
		Example: `  triage diff before.tar.gz after.tar.gz
  triage diff old-report.json after.tar.gz --format markdown
  triage diff before.json after.json --fail-on high`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return withCode(exitUsage, fmt.Errorf("diff needs OLD and NEW (bundles or JSON reports), got %d argument(s); see 'triage diff --help'", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), f, args[0], args[1], os.Stdout)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(diff.Formats, ", "))
	fs.StringVarP(&f.out, "out", "o", "", "write the comparison to this file instead of standard output")
	fs.StringVar(&f.failOn, "fail-on", "", "exit with code 1 when a NEW finding of this severity or worse exists: critical, high, medium, low or info (default: never)")
	fs.StringArrayVar(&f.rules, "rules", nil, "also load the rules in this directory when analyzing a bundle (repeatable)")
	f.limits = addLimitFlags(fs)
	rootCmd.AddCommand(cmd)
}

func runDiff(ctx context.Context, f *diffFlags, oldPath, newPath string, stdout io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !diff.ValidFormat(f.format) {
		return withCode(exitUsage, fmt.Errorf("unknown --format %q: use one of %s", f.format, strings.Join(diff.Formats, ", ")))
	}
	failSev, failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return withCode(exitUsage, err)
	}
	set, err := rules.LoadSet(f.rules, nil, nil)
	if err != nil {
		return withCode(exitUsage, rulesLoadError(err))
	}
	opts := analyze.Options{Limits: *f.limits, Rules: set}
	var sides [2]*diff.Report
	for i, p := range []string{oldPath, newPath} {
		r, err := diff.Load(ctx, p, opts, report.WithTool("triage", version))
		switch {
		case errors.Is(err, bundle.ErrUnreadable):
			return bundleReadError(p, err)
		case err != nil:
			return withCode(exitUnreadable, err)
		}
		sides[i] = r
	}
	res := diff.Compare(sides[0], sides[1])
	w, done, err := openOut(f.out, stdout)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := done(diff.Write(w, f.format, res)); err != nil {
		return writeFailed(err)
	}
	if failOn {
		if n := res.NewAtOrAbove(failSev); n > 0 {
			return withCode(exitFindings, fmt.Errorf("%d new finding(s) at or above %s (--fail-on %s)", n, failSev, failSev))
		}
	}
	if res.NewIncomplete() {
		return withCode(exitIncomplete, errors.New("the new analysis is incomplete: a finding absent from it may only have gone unseen (its report lists what it could not see)"))
	}
	return nil
}

// openOut opens --out (or returns stdout for "" and "-"); done closes it
// and returns the first error of writing and closing.
func openOut(out string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if out == "" || out == "-" {
		return stdout, func(err error) error { return err }, nil
	}
	fh, err := os.Create(out)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write to %s: %w", out, err)
	}
	return fh, func(err error) error {
		if cerr := fh.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing %s: %w", out, cerr)
		}
		return err
	}, nil
}
