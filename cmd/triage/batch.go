package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/batch"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/rules"
)

func init() {
	var (
		out, shard, format string
		jobs, shards       int
		resume, force      bool
		quiet              bool
		ruleDirs           []string
		only, skip         []string
	)
	cmd := &cobra.Command{
		Use:   "batch PATH... --out results.jsonl",
		Short: "Analyze many bundles (a ticket archive) in parallel into a resumable JSON-lines file, then summarize",
		Long: `batch analyzes every bundle under the PATHs: bundle files, directories laid
out as DIR/<ticket-id>/<bundle files>, or globs. It appends one JSON line per
bundle to --out as each completes, so a killed run loses nothing; --resume
continues it. --shard K/N (or --shards N with JOB_COMPLETION_INDEX set, as a
Kubernetes Indexed Job does) takes a stable share of the inputs; merge the
shards' files with 'triage summarize'.

Exit codes: 0 every bundle was analyzed completely; 2 usage error, or the
results file cannot be read or written; 3 at least one bundle could not be
analyzed (status error); 4 at least one bundle was analyzed only in part
(status incomplete) and none failed. Bundles skipped by --resume count with
the status recorded for them.`,
		Args: cobra.MinimumNArgs(1),
	}
	lim := addLimitFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "results file (JSON lines); required")
	f.IntVar(&jobs, "jobs", 0, "parallel workers (default: number of CPUs)")
	f.BoolVar(&resume, "resume", false, "skip bundles already recorded in --out (same path and sha256)")
	f.BoolVar(&force, "force", false, "overwrite an existing --out")
	f.StringVar(&shard, "shard", "", "take share K of N of the inputs, as K/N with 0 <= K < N")
	f.IntVar(&shards, "shards", 0, "number of shards; the index comes from JOB_COMPLETION_INDEX")
	f.BoolVar(&quiet, "quiet", false, "no progress bar and no summary")
	f.StringVar(&format, "format", "text", "summary format: text, json, csv, markdown or html")
	f.StringArrayVar(&ruleDirs, "rules", nil, "extra rule directory (repeatable); same ids override shipped rules")
	f.StringSliceVar(&only, "only", nil, "evaluate only these rule ids or globs (comma-separated)")
	f.StringSliceVar(&skip, "skip", nil, "do not evaluate these rule ids or globs (comma-separated)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if out == "" {
			return withCode(exitUsage, fmt.Errorf("--out is required: name the results file, e.g. --out results.jsonl"))
		}
		if !slices.Contains(batch.Formats, format) {
			// Checked before the run: the summary comes only at its end.
			return withCode(exitUsage, fmt.Errorf("unknown --format %q: use one of %s", format, strings.Join(batch.Formats, ", ")))
		}
		sh, err := shardFrom(shard, shards)
		if err != nil {
			return withCode(exitUsage, err)
		}
		set, err := rules.LoadSet(ruleDirs, only, skip)
		if err != nil {
			return withCode(exitUsage, rulesLoadError(err))
		}
		inputs, err := batch.Discover(args)
		if err != nil {
			return withCode(exitUsage, err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		limits := *lim
		// With a bundle per core already, each is parsed on one goroutine.
		serial := jobs <= 0 || jobs >= runtime.GOMAXPROCS(0)
		opts := batch.Options{
			Jobs: jobs, Timeout: limits.Timeout, Resume: resume, Force: force, Shard: sh,
			Analyze: func(ctx context.Context, p string) (*analyze.Result, error) {
				return analyze.Run(ctx, p, analyze.Options{Limits: limits, Rules: set, Serial: serial})
			},
		}
		if !quiet && term.IsTerminal(int(os.Stderr.Fd())) {
			opts.Progress = newProgress()
		}
		st, err := batch.Run(ctx, inputs, out, opts)
		if err != nil {
			return withCode(exitUsage, err)
		}
		if !quiet {
			fmt.Fprintf(os.Stderr, "%d bundles in this shard: %d analyzed (%d failed, %d incomplete), %d already recorded; results in %s\n",
				st.Inputs, st.Analyzed, st.Failed, st.Incomplete, st.Skipped, out)
			recs, _, err := readResults(out)
			if err != nil {
				return withCode(exitUsage, err)
			}
			if err := batch.Summarize(batch.Merge(recs)).Write(os.Stdout, format); err != nil {
				return withCode(exitUsage, err)
			}
		}
		return batchVerdict(st)
	}
	rootCmd.AddCommand(cmd)

	var sumFormat, sumFailOn string
	sum := &cobra.Command{
		Use:   "summarize RESULTS.jsonl...",
		Short: "Summarize one or many batch results files (shards are merged): which rules fired, how often, where",
		Long: `summarize reads the JSON-lines files that 'triage batch --out' wrote (one
per shard, or several runs) and prints which rules fired, in how many bundles,
with example tickets, the bundles that failed and the slowest ones. A bundle
recorded in several files counts once (its latest record).

Exit codes, as 'triage batch' over the merged records: 0 every bundle is ok;
1 a finding at or above --fail-on (this wins); 2 a results file is missing or
not a batch results file, or an unknown --format or --fail-on; 3 at least one
bundle could not be analyzed (status error), or the files hold no bundle at
all; 4 at least one bundle was analyzed only in part (status incomplete, or a
torn last line left out) and none failed.`,
		Example: `  triage summarize results.jsonl
  triage summarize shard-*.jsonl --format csv > summary.csv
  triage summarize results.jsonl --format html > summary.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failSev, failOn, err := parseFailOn(sumFailOn)
			if err != nil {
				return withCode(exitUsage, err)
			}
			var sets [][]batch.Record
			torn := 0
			for _, p := range args {
				recs, t, err := readResults(p)
				if err != nil {
					return withCode(exitUsage, err)
				}
				if t {
					torn++
				}
				sets = append(sets, recs)
			}
			merged := batch.Merge(sets...)
			if err := batch.Summarize(merged).Write(os.Stdout, sumFormat); err != nil {
				return withCode(exitUsage, err)
			}
			return summaryVerdict(merged, torn, failSev, failOn)
		},
	}
	sum.Flags().StringVar(&sumFormat, "format", "text", "text, json, csv, markdown or html")
	sum.Flags().StringVar(&sumFailOn, "fail-on", "", "exit with code 1 when a bundle has a finding of this severity or worse: critical, high, medium, low or info (default: never)")
	rootCmd.AddCommand(sum)
}

// batchVerdict is the exit status of a batch run: 3 when a bundle of the
// shard could not be analyzed, 4 when one was analyzed only in part, so a
// scheduler never takes a run with unread bundles for a clean one.
func batchVerdict(st batch.Stats) error {
	failed, partial := st.Failed+st.PriorFailed, st.Incomplete+st.PriorIncomplete
	switch {
	case failed > 0:
		return withCode(exitUnreadable, fmt.Errorf("%s could not be analyzed and %s analyzed only in part (status error and incomplete in the results file)",
			wording.Plural(failed, "bundle", "bundles"), wording.Plural(partial, "bundle", "bundles")))
	case partial > 0:
		return withCode(exitIncomplete, fmt.Errorf("%s analyzed only in part (status incomplete in the results file): a rule that did not fire there proves nothing",
			wording.Plural(partial, "bundle", "bundles")))
	}
	return nil
}

// shardFrom reads --shard K/N, or --shards N with the index from
// JOB_COMPLETION_INDEX.
func shardFrom(shard string, shards int) (batch.Shard, error) {
	if shard != "" {
		return batch.ParseShard(shard)
	}
	if shards > 0 {
		idx := os.Getenv("JOB_COMPLETION_INDEX")
		if idx == "" {
			return batch.Shard{}, fmt.Errorf("--shards needs JOB_COMPLETION_INDEX in the environment (or use --shard K/N)")
		}
		k, err := strconv.Atoi(idx)
		if err != nil {
			return batch.Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX=%q is not a number", idx)
		}
		return batch.ParseShard(fmt.Sprintf("%d/%d", k, shards))
	}
	return batch.Shard{Count: 1}, nil
}

// readResults reads a results file; a torn last line is reported on stderr
// and left out, every complete record is kept.
func readResults(p string) (recs []batch.Record, torn bool, err error) {
	recs, err = batch.ReadFile(p)
	if errors.Is(err, batch.ErrTornLine) {
		fmt.Fprintf(os.Stderr, "triage: warning: %v; it was left out of the summary\n", err)
		return recs, true, nil
	}
	return recs, false, err
}

// summaryVerdict is the exit status of summarize: batch's verdict over the
// merged records (a torn last line counts as a bundle read in part, since
// its bundle is missing from the summary), after --fail-on, and 3 when the
// files hold no bundle at all: an empty summary is no all-clear.
func summaryVerdict(recs []batch.Record, torn int, failSev rules.Severity, failOn bool) error {
	if failOn {
		n := 0
		for _, r := range recs {
			for _, f := range r.Findings {
				if sev, err := rules.ParseSeverity(f.Severity); err == nil && sev >= failSev {
					n++
					break
				}
			}
		}
		if n > 0 {
			return withCode(exitFindings, fmt.Errorf("%s with a finding at or above %s (--fail-on %s)",
				wording.Plural(n, "bundle", "bundles"), failSev, failSev))
		}
	}
	if len(recs) == 0 {
		return withCode(exitUnreadable, errors.New("the results files record no bundle: nothing to summarize"))
	}
	var st batch.Stats
	for _, r := range recs {
		switch r.Status {
		case batch.StatusOK:
		case batch.StatusError:
			st.Failed++
		default: // incomplete, or a status this version does not know
			st.Incomplete++
		}
	}
	st.Incomplete += torn
	return batchVerdict(st)
}
