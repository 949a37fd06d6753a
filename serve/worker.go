//go:build !aix

package serve

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
	"github.com/fsagent/triage/store"
)

// work claims queued analyses and runs them, one at a time, until ctx
// ends. A worker only ever holds a stored file: uploads are received by
// the HTTP handlers, so a slow client never holds a worker.
func (s *Server) work(ctx context.Context) {
	poll := time.NewTicker(2 * time.Second) // in case a wake-up was missed
	defer poll.Stop()
	for ctx.Err() == nil {
		j, ok, err := s.st.Claim(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claiming an analysis", "err", err)
			}
			ok = false
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			case <-poll.C:
			}
			continue
		}
		s.run(ctx, j)
	}
}

// notify wakes an idle worker after an upload or a re-analysis request.
func (s *Server) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run analyzes one claimed bundle and records the outcome. When ctx ends
// first (shutdown) nothing is recorded and the analysis goes back to the
// queue (were that to fail too, the next start requeues it).
func (s *Server) run(ctx context.Context, j store.Job) {
	start := time.Now()
	o := s.outcome(ctx, j)
	if ctx.Err() != nil {
		if err := s.st.Release(context.WithoutCancel(ctx), j.ID); err != nil {
			s.log.Error("requeueing an interrupted analysis", "id", j.ID, "err", err)
		}
		return
	}
	// Recording must not be cut by a shutdown that begins meanwhile.
	ok, err := s.st.Finish(context.WithoutCancel(ctx), j.ID, o)
	switch {
	case err != nil:
		s.log.Error("recording an analysis", "id", j.ID, "err", err)
	case !ok:
		s.log.Info("analysis deleted while it ran; result dropped", "id", j.ID)
	default:
		s.log.Info("analyzed", "id", j.ID, "ticket", j.Ticket, "findings", len(o.Findings),
			"failed", o.Error != "", "duration", time.Since(start).Round(time.Millisecond))
	}
}

// outcome runs the analysis and builds what the store records. A panic
// costs only this analysis.
func (s *Server) outcome(ctx context.Context, j store.Job) (o store.Outcome) {
	o.Tool = "triage " + s.cfg.Version
	defer func() {
		if r := recover(); r != nil {
			o = store.Outcome{Tool: o.Tool, Error: fmt.Sprintf("the analysis panicked: %v (please report this with the bundle)\n%.2000s", r, debug.Stack())}
		}
	}()
	if j.Path == "" {
		return store.Outcome{Tool: o.Tool, Error: "the stored bundle's name is not a sha256"}
	}
	// Reports and errors name the uploaded file, never where the store
	// keeps it.
	name := j.Filename
	if name == "" {
		name = "upload-" + j.SHA256[:12]
	}
	res, err := analyze.Run(ctx, j.Path, analyze.Options{Limits: s.cfg.Limits, Rules: s.cfg.Rules})
	if err != nil {
		o.Error = strings.ReplaceAll(err.Error(), j.Path, name)
		return o
	}
	res.Bundle.Path = name
	opt := report.WithTool("triage", s.cfg.Version)
	doc := report.NewDocument(res, opt)
	var js, page bytes.Buffer
	if err := doc.Write(&js); err != nil {
		o.Error = err.Error()
		return o
	}
	if err := report.HTML(&page, res, opt); err != nil {
		o.Error = err.Error()
		return o
	}
	o.JSON, o.HTML = js.Bytes(), page.Bytes()
	complete := doc.Summary.Complete
	o.Host, o.Complete = doc.Host.Hostname, &complete
	for _, f := range doc.Findings {
		sev, err := rules.ParseSeverity(f.Severity)
		if err != nil {
			sev = rules.Info
		}
		o.Findings = append(o.Findings, store.Finding{RuleID: f.RuleID, Severity: int(sev), Subject: f.Subject})
	}
	if len(res.Inventory) == 0 {
		// As `triage analyze` exits 3: nothing read is no all-clear.
		o.Error = "no artifacts found in the bundle, so nothing was analyzed; ask for a bundle with the collected files"
	}
	return o
}
