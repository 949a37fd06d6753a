package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

// analyzeFlags are the options of `triage analyze`.
type analyzeFlags struct {
	format   string
	out      string
	rules    []string
	only     []string
	skip     []string
	failOn   string
	explain  string
	evidence string
	verbose  bool
	limits   *bundle.Limits
}

func init() {
	f := &analyzeFlags{}
	cmd := &cobra.Command{
		Use:   "analyze BUNDLE",
		Short: "Find known problems in a bundle and report them with evidence and remediation",
		Long: `analyze reads a support bundle (a directory or an archive), evaluates the
rule pack on it and reports each known problem it finds with the bundle lines
that prove it and the steps that fix it.

Exit codes:
  0  the analysis is complete and no finding is at or above --fail-on
  1  a finding at or above --fail-on exists (this wins over 4)
  2  usage error, or the report cannot be written
  3  nothing could be read: the bundle is missing, not a bundle, or empty
  4  the analysis is incomplete (an archive cut short or corrupt, a file not
     read whole, a limit reached, a rule that failed or timed out, or no
     known artifact at all) and no finding is at or above --fail-on; the
     report's "What this analysis could not see" says what is missing`,
		Example: `  triage analyze sosreport-db01.tar.xz
  triage analyze ./bundle --format html --out report.html
  triage analyze upload.zip --format json --fail-on high
  triage analyze upload.zip --explain gde.guardpoint-busy`,
		Args: oneBundle,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAnalyze(cmd.Context(), f, args[0], os.Stdout, os.Stderr)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.format, "format", "f", "text", "report format: "+strings.Join(report.Formats, ", "))
	fs.StringVarP(&f.out, "out", "o", "", "write the report to this file instead of standard output")
	fs.StringArrayVar(&f.rules, "rules", nil, "also load the rules in this directory (repeatable); a rule with a shipped id replaces it")
	fs.StringSliceVar(&f.only, "only", nil, "evaluate only these rule ids or globs (comma-separated)")
	fs.StringSliceVar(&f.skip, "skip", nil, "do not evaluate these rule ids or globs (comma-separated)")
	fs.StringVar(&f.failOn, "fail-on", "", "exit with code 1 when a finding of this severity or worse exists: critical, high, medium, low or info (default: never)")
	fs.StringVar(&f.explain, "explain", "", "instead of the report, show how the rule with this id was evaluated on the bundle, step by step")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "add the inventory of every file and each finding's symptoms, cause, diagnosis and caveats to the text report")
	fs.StringVar(&f.evidence, "evidence", "20", "evidence lines quoted per finding (a sample covering distinct processes and paths first; the total is always stated), or all")
	f.limits = addLimitFlags(fs)
	rootCmd.AddCommand(cmd)
}

// parseFailOn reads --fail-on; ok is false for "" (never fail).
func parseFailOn(s string) (sev rules.Severity, ok bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "never", "none":
		return rules.Info, false, nil
	}
	sev, err = rules.ParseSeverity(strings.TrimSpace(s))
	if err != nil {
		return rules.Info, false, fmt.Errorf("--fail-on: %w", err)
	}
	return sev, true, nil
}

func runAnalyze(ctx context.Context, f *analyzeFlags, path string, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("--format: %w", err))
	}
	failSev, failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return withCode(exitUsage, err)
	}

	set, err := rules.LoadSet(f.rules, f.only, f.skip)
	if err != nil {
		return withCode(exitUsage, rulesLoadError(err))
	}
	if set.EvidenceLimit, err = rules.ParseEvidenceLimit(f.evidence); err != nil {
		return withCode(exitUsage, err)
	}
	if f.explain != "" && format != "text" && format != "json" {
		return withCode(exitUsage, fmt.Errorf("--explain writes text or json, not %s", format))
	}
	if f.explain != "" && set.Rule(f.explain) == nil {
		return withCode(exitUsage, fmt.Errorf("no rule %q to explain; `triage rules list` shows the rule ids", f.explain))
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	res, err := analyze.Run(ctx, path, analyze.Options{Limits: *f.limits, Rules: set})
	if err != nil {
		switch {
		case errors.Is(err, bundle.ErrUnreadable):
			return bundleReadError(path, err)
		case errors.Is(err, context.DeadlineExceeded):
			return withCode(exitUnreadable, fmt.Errorf("%w; raise --timeout to give the bundle more time", err))
		case errors.Is(err, context.Canceled):
			return withCode(exitUnreadable, fmt.Errorf("interrupted while reading %s", path))
		default:
			return withCode(exitUnreadable, fmt.Errorf("%w; the bundle could not be analyzed", err))
		}
	}

	if f.explain != "" {
		ex, err := set.Explain(ctx, res.Model, f.explain)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("explaining %s: %w", f.explain, err))
		}
		if err := report.Explanation(stdout, ex, format); err != nil {
			return writeFailed(err)
		}
		if err := emptyBundle(res, path); err != nil {
			return err
		}
		// A rule that "did not fire" on half a bundle is no verdict either.
		return incomplete(res)
	}

	if err := writeReport(f, format, res, stdout, stderr); err != nil {
		return writeFailed(err)
	}
	if err := emptyBundle(res, path); err != nil {
		return err
	}
	if failOn {
		n := 0
		for _, fd := range res.Findings {
			if fd.Severity >= failSev {
				n++
			}
		}
		if n > 0 {
			return withCode(exitFindings, fmt.Errorf("%d finding(s) at or above %s (--fail-on %s)", n, failSev, failSev))
		}
	}
	return incomplete(res)
}

// incomplete is the exit-4 error of an analysis that did not see the whole
// bundle or could not run every rule: its report is not an all-clear.
func incomplete(res *analyze.Result) error {
	if res.Complete() {
		return nil
	}
	first := res.Incomplete[0]
	more := ""
	if len(res.Incomplete) > 1 {
		more = fmt.Sprintf(" (and %s)", wording.Plural(len(res.Incomplete)-1, "more reason", "more reasons"))
	}
	loc := first.Path
	if first.RuleID != "" {
		loc = first.RuleID
	}
	if loc != "" {
		loc += ": "
	}
	return withCode(exitIncomplete, fmt.Errorf("incomplete analysis: %s%s%s; the report says what could not be seen",
		report.SafeText(loc), report.SafeText(first.Message), more))
}

// writeFailed gives a report that could not be written (a full disk, a
// closed pipe) exit code 2, as for a bad --out, and keeps run from
// pointing the user at --help for it; an error that has a code keeps it.
func writeFailed(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return withCode(exitUsage, err)
}

// emptyBundle is the exit-3 error for a bundle in which no artifact was
// read: "no known problems" (or a rule that "did not fire") would be a
// false all-clear, so the run says so and exits as for an unreadable
// bundle.
func emptyBundle(res *analyze.Result, path string) error {
	if len(res.Inventory) > 0 {
		return nil
	}
	return withCode(exitUnreadable, fmt.Errorf("bundle %s: no artifacts found, so nothing was analyzed (`triage inventory` lists what the bundle held); ask for a bundle with the collected files", path))
}

// writeReport renders res in format to --out, or to stdout. A file is
// written beside its final name and renamed into place, so a failed run
// never leaves half a report where the last good one was.
func writeReport(f *analyzeFlags, format string, res *analyze.Result, stdout, stderr io.Writer) error {
	w := stdout
	var tmp *os.File
	if special, err := openSpecial(f.out); err != nil {
		return withCode(exitUsage, fmt.Errorf("cannot write the report to %s: %w", f.out, err))
	} else if special != nil {
		// A device or pipe (/dev/null, /dev/stdout, a FIFO) is written in
		// place: renaming a file over it would replace the device itself.
		defer special.Close()
		stdout, w = special, special
	} else if f.out != "" && f.out != "-" {
		var err error
		tmp, err = os.CreateTemp(filepath.Dir(f.out), "."+filepath.Base(f.out)+".*.tmp")
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the temporary name would only confuse
			}
			return withCode(exitUsage, fmt.Errorf("cannot write the report to %s: %w; check that its directory exists and is writable", f.out, err))
		}
		defer os.Remove(tmp.Name())
		w = tmp
	}
	err := report.Write(w, format, res, report.TextOptions{
		Color:   tmp == nil && useColor(stdout),
		Width:   reportWidth(tmp == nil, stdout),
		Verbose: f.verbose,
		Tool:    report.Tool{Name: "triage", Version: version},
	})
	if tmp == nil {
		return err
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the report to %s: %w", f.out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing the report to %s: %w", f.out, err)
	}
	if err := os.Rename(tmp.Name(), f.out); err != nil {
		return fmt.Errorf("writing the report to %s: %w", f.out, err)
	}
	fmt.Fprintf(stderr, "triage: wrote the %s report to %s (%s, %s)\n", format, f.out,
		wording.Plural(len(res.Findings), "finding", "findings"), wording.Plural(countWarnings(res), "warning", "warnings"))
	return nil
}

// openSpecial opens --out for writing when it names an existing file that is
// not a regular file; it returns nil for anything else.
func openSpecial(out string) (*os.File, error) {
	if out == "" || out == "-" {
		return nil, nil
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().IsRegular() {
		return nil, nil
	}
	if st.IsDir() {
		return nil, fmt.Errorf("it is a directory; name a file")
	}
	return os.OpenFile(out, os.O_WRONLY, 0)
}

func countWarnings(res *analyze.Result) int {
	n := len(res.Warnings)
	for _, a := range res.Inventory {
		n += len(a.Warnings)
	}
	return n
}

// Bounds of the text report's width: below 60 columns the tables cannot
// be laid out; beyond 120 prose lines grow too long to read comfortably.
const (
	minReportWidth = 60
	maxReportWidth = 120
)

// reportWidth is the column at which the text report wraps: the width of
// the terminal when the report goes to one (or COLUMNS when the user set
// it), kept within minReportWidth..maxReportWidth; 0 (the report's own
// default of 100) for a file or a pipe, so saved reports do not depend on
// the window they were made in.
func reportWidth(toStdout bool, w io.Writer) int {
	if !toStdout {
		return 0
	}
	width := 0
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		width = c
	} else if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 0 {
			width = c
		}
	}
	if width == 0 {
		return 0
	}
	return min(max(width, minReportWidth), maxReportWidth)
}

// useColor reports whether the text report may use ANSI colours: only on
// a terminal, and never when NO_COLOR is set (https://no-color.org).
func useColor(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
