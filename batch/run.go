package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/fsagent/triage/analyze"
)

// AnalyzeFunc analyzes one bundle. The CLI passes analyze.Run with the rule
// set bound; tests pass fakes that hang or panic.
type AnalyzeFunc func(ctx context.Context, path string) (*analyze.Result, error)

// Progress is told about the run as it goes; the CLI draws a bar with it.
type Progress interface {
	Start(total int)
	Done(rec Record)
	Finish()
}

// Options control a batch run.
type Options struct {
	Jobs    int           // parallel workers; 0 means one per CPU
	Timeout time.Duration // per bundle; 0 means no limit beyond the bundle's own
	// Grace is how long a bundle that ignores its timeout may keep its worker
	// before the run records it as timed out and moves on.
	Grace    time.Duration
	Resume   bool // skip bundles already in the results file
	Force    bool // overwrite an existing results file
	Shard    Shard
	Analyze  AnalyzeFunc
	Progress Progress
}

// Stats counts what a run did.
type Stats struct {
	Inputs   int // bundles given, after sharding
	Skipped  int // already recorded (--resume)
	Analyzed int
	Failed   int // analyzed in this run with status error
	// Incomplete counts the bundles analyzed in this run with status
	// incomplete.
	Incomplete int
	// PriorFailed and PriorIncomplete count the skipped bundles (--resume)
	// whose earlier record is an error or incomplete: the results file
	// still holds them, so the run is not a clean one.
	PriorFailed, PriorIncomplete int
	Dropped                      int // torn last line removed on --resume
}

// Clean reports whether every bundle of the shard, analyzed now or
// recorded earlier, has status ok.
func (s Stats) Clean() bool {
	return s.Failed+s.Incomplete+s.PriorFailed+s.PriorIncomplete == 0
}

// ErrResultsExist is returned when the results file exists and the run is
// neither a resume nor allowed to overwrite it.
var ErrResultsExist = errors.New("results file exists")

// Run analyzes the inputs and appends one record per bundle to the results
// file at out as each completes. Every input of the shard ends with exactly
// one record, whatever happens to the bundle. Records are written with one
// write call per line, so a run killed at any moment leaves only complete
// lines and at most one torn last line, which --resume removes.
func Run(ctx context.Context, inputs []Input, out string, opts Options) (Stats, error) {
	var st Stats
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	var mine []Input
	for _, in := range inputs {
		if opts.Shard.Owns(in) {
			mine = append(mine, in)
		}
	}
	st.Inputs = len(mine)

	done := map[string]string{} // record key -> its status
	donePaths := map[string]bool{}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if opts.Resume {
		recs, dropped, err := trimTorn(out)
		if err != nil {
			return st, err
		}
		st.Dropped = dropped
		for _, r := range recs {
			done[r.key()] = r.Status
			donePaths[r.Bundle] = true
		}
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	if !opts.Resume && !opts.Force {
		if _, err := os.Stat(out); err == nil {
			return st, fmt.Errorf("%s: %w; pass --resume to continue that run or --force to start over", out, ErrResultsExist)
		}
	}
	f, err := os.OpenFile(out, flag, 0o644)
	if err != nil {
		return st, err
	}
	defer f.Close()

	var todo []Input
	for _, in := range mine {
		if donePaths[in.Path] {
			sum, _, _ := fileSHA256(in.Path)
			fp, _ := dirFingerprint(in.Path)
			if status, ok := done[Record{Bundle: in.Path, SHA256: sum, Fingerprint: fp}.key()]; ok {
				st.Skipped++
				switch status {
				case StatusError:
					st.PriorFailed++
				case StatusIncomplete:
					st.PriorIncomplete++
				}
				continue
			}
		}
		todo = append(todo, in)
	}
	if opts.Progress != nil {
		opts.Progress.Start(len(todo))
		defer opts.Progress.Finish()
	}

	jobs := make(chan Input)
	results := make(chan Record)
	var wg sync.WaitGroup
	for i := 0; i < opts.Jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range jobs {
				results <- analyzeOne(ctx, in, opts)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, in := range todo {
			select {
			case jobs <- in:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var writeErr error
	for rec := range results {
		line, err := json.Marshal(rec)
		if err == nil {
			_, err = f.Write(append(line, '\n'))
		}
		if err != nil && writeErr == nil {
			writeErr = fmt.Errorf("writing %s: %w", out, err)
		}
		st.Analyzed++
		switch rec.Status {
		case StatusError:
			st.Failed++
		case StatusIncomplete:
			st.Incomplete++
		}
		if opts.Progress != nil {
			opts.Progress.Done(rec)
		}
	}
	if writeErr != nil {
		return st, writeErr
	}
	if err := f.Sync(); err != nil {
		return st, err
	}
	return st, ctx.Err()
}

// analyzeOne produces the one record of one bundle, never failing: errors,
// timeouts and panics become an error record.
func analyzeOne(parent context.Context, in Input, opts Options) (rec Record) {
	rec = Record{Ticket: in.Ticket, Bundle: in.Path, Status: StatusOK, Findings: []RecordFinding{}}
	start := time.Now()
	defer func() { rec.DurationMS = time.Since(start).Milliseconds() }()
	if st, err := os.Stat(in.Path); err == nil && st.Mode().IsRegular() {
		rec.Size = st.Size()
	}
	// Fingerprinted before the analysis, so a directory changed while it
	// is read is analyzed again on --resume.
	rec.Fingerprint, _ = dirFingerprint(in.Path)
	// The analysis hashes the bundle as it reads it; a bundle that could not
	// be read is hashed here, so --resume recognises error records too.
	defer func() {
		if rec.SHA256 == "" && rec.Size > 0 {
			rec.SHA256, _, _ = fileSHA256(in.Path)
		}
	}()

	// Exactly one child context per bundle, always cancelled: a long run
	// has one parent for every bundle.
	var ctx context.Context
	var cancel context.CancelFunc
	if opts.Timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, opts.Timeout)
	} else {
		ctx, cancel = context.WithCancel(parent)
	}
	defer cancel()

	type outcome struct {
		res *analyze.Result
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- outcome{err: fmt.Errorf("internal error while analyzing (please report it): %v", r)}
			}
		}()
		res, err := opts.Analyze(ctx, in.Path)
		ch <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-ch:
	case <-ctx.Done():
		select {
		case o = <-ch:
		case <-time.After(opts.Grace):
			o.err = ctx.Err()
		}
	}
	if o.err == nil && ctx.Err() != nil {
		o.err = ctx.Err()
	}
	if o.err != nil {
		rec.Status = StatusError
		rec.Error = o.err.Error()
		if errors.Is(o.err, context.DeadlineExceeded) && opts.Timeout > 0 {
			rec.Error = fmt.Sprintf("timed out after %s (raise --timeout)", opts.Timeout)
		}
		return rec
	}
	res := o.res
	rec.SHA256 = res.Bundle.SHA256
	switch {
	case len(res.Inventory) == 0:
		rec.Status = StatusError
		rec.Error = "no artifacts found: nothing in the bundle could be analyzed"
	case !res.Complete():
		rec.Status = StatusIncomplete
		rec.IncompleteTotal = len(res.Incomplete)
		for _, x := range res.Incomplete[:min(len(res.Incomplete), maxReasons)] {
			rec.Incomplete = append(rec.Incomplete, RecordReason(x))
		}
	}
	for _, c := range res.NotEvaluated() {
		rec.NotEvaluated = append(rec.NotEvaluated, c.RuleID)
	}
	rec.Warnings = len(res.Warnings)
	for _, a := range res.Inventory {
		rec.Warnings += len(a.Warnings)
	}
	for _, f := range res.Findings {
		rec.Findings = append(rec.Findings, RecordFinding{RuleID: f.RuleID, Severity: f.Severity.String(), Subject: f.Subject, Message: f.Message})
	}
	return rec
}

// fileSHA256 hashes a regular file; directories have no hash.
func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// dirFingerprint identifies the content of a directory bundle, for
// --resume: the SHA-256 of the sorted list of its entries' relative paths,
// types, sizes and modification times (links are not followed). Adding,
// removing, renaming or rewriting a file changes it. The bytes themselves
// are not read: that would read every directory of a ticket archive twice.
// A file (or a missing path) has no fingerprint: its sha256 identifies it.
func dirFingerprint(p string) (string, error) {
	st, err := os.Lstat(p)
	if err != nil || !st.IsDir() {
		return "", err
	}
	h := sha256.New()
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(h, "error %s: %v\n", q, err)
			return nil
		}
		rel, _ := filepath.Rel(p, q)
		info, err := d.Info()
		if err != nil {
			fmt.Fprintf(h, "%q unreadable\n", filepath.ToSlash(rel))
			return nil
		}
		fmt.Fprintf(h, "%q %v %d %d\n", filepath.ToSlash(rel), info.Mode().Type(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", err
	}
	return "tree-sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// trimTorn reads an existing results file for --resume and cuts off a torn
// last line. A missing file is an empty one.
func trimTorn(p string) ([]Record, int, error) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if os.IsNotExist(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	recs, end, err := ReadRecords(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w (fix or remove that line to resume)", p, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	dropped := 0
	if st.Size() > end {
		dropped = 1
		if err := f.Truncate(end); err != nil {
			return nil, 0, err
		}
	}
	return recs, dropped, nil
}
