//go:build !aix

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Analysis is one row of the analyses list.
type Analysis struct {
	ID          int64      `json:"id"`
	Ticket      string     `json:"ticket"`
	Filename    string     `json:"filename"`
	SHA256      string     `json:"sha256"`
	Size        int64      `json:"size"`
	Source      string     `json:"source"` // upload or import
	CreatedAt   time.Time  `json:"created_at"`
	Status      string     `json:"status"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Attempts    int        `json:"attempts"`
	Completions int        `json:"completions"`
	Error       string     `json:"error,omitempty"`
	Host        string     `json:"host"`
	// Complete is the report's summary.complete; nil when unknown.
	Complete *bool `json:"complete"`
	Findings int   `json:"findings"`
	// Worst is the worst finding's severity (rules.Severity), -1 for none.
	Worst        int    `json:"-"`
	BundleStored bool   `json:"bundle_stored"`
	Tool         string `json:"tool,omitempty"`
}

// Verdict is the one-word outcome the list shows and filters on:
// pending, failed, incomplete, problems, clean, or unknown (finished, no
// finding, but the report did not say whether it saw everything, so it is
// not called clean).
func (a Analysis) Verdict() string {
	switch {
	case a.Status == Queued || a.Status == Running:
		return "pending"
	case a.Status == Failed:
		return "failed"
	case a.Complete != nil && !*a.Complete:
		return "incomplete"
	case a.Findings > 0:
		return "problems"
	case a.Complete != nil && *a.Complete:
		return "clean"
	}
	return "unknown"
}

// Verdicts are the values of Analysis.Verdict, for filters.
var Verdicts = []string{"problems", "incomplete", "clean", "unknown", "failed", "pending"}

const analysisCols = `a.id, a.ticket, a.filename, a.sha256, a.size, a.source, a.created_at, a.status, a.started_at,
	a.finished_at, a.attempts, a.completions, a.error, a.host, a.complete, a.findings, a.worst, a.tool,
	EXISTS (SELECT 1 FROM bundles b WHERE b.sha256 = a.sha256 AND b.purged_at IS NULL)`

func scanAnalysis(sc interface{ Scan(...any) error }) (Analysis, error) {
	var a Analysis
	var created int64
	var started, finished, complete sql.NullInt64
	err := sc.Scan(&a.ID, &a.Ticket, &a.Filename, &a.SHA256, &a.Size, &a.Source, &created, &a.Status, &started,
		&finished, &a.Attempts, &a.Completions, &a.Error, &a.Host, &complete, &a.Findings, &a.Worst, &a.Tool, &a.BundleStored)
	if err != nil {
		return a, err
	}
	a.CreatedAt = time.UnixMilli(created).UTC()
	if started.Valid {
		t := time.UnixMilli(started.Int64).UTC()
		a.StartedAt = &t
	}
	if finished.Valid {
		t := time.UnixMilli(finished.Int64).UTC()
		a.FinishedAt = &t
	}
	if complete.Valid {
		b := complete.Int64 == 1
		a.Complete = &b
	}
	return a, nil
}

// Get returns one analysis, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Analysis, error) {
	a, err := scanAnalysis(s.r.QueryRowContext(ctx, `SELECT `+analysisCols+` FROM analyses a WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("reading analysis %d: %w", id, err)
	}
	return a, nil
}

// Filter selects analyses; zero fields do not filter.
type Filter struct {
	Ticket  string
	Host    string // substring
	RuleID  string // analyses with a finding of this rule
	MinSev  int    // analyses whose worst finding is at least this severity; -1: any
	Verdict string // one of Verdicts
	From    time.Time
	To      time.Time // exclusive
	// Oldest lists oldest first (ticket history); default newest first.
	Oldest bool
	Offset int
	Limit  int // default 50, at most 500
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Search returns a page of analyses matching f and how many match in all.
func (s *Store) Search(ctx context.Context, f Filter) (page []Analysis, total int, err error) {
	var where []string
	var args []any
	if f.Ticket != "" {
		where, args = append(where, "a.ticket = ?"), append(args, f.Ticket)
	}
	if f.Host != "" {
		where, args = append(where, `a.host LIKE ? ESCAPE '\'`), append(args, "%"+likeEscape(f.Host)+"%")
	}
	if f.RuleID != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM findings x WHERE x.analysis_id = a.id AND x.rule_id = ?)"), append(args, f.RuleID)
	}
	if f.MinSev >= 0 {
		where, args = append(where, "a.worst >= ?"), append(args, f.MinSev)
	}
	switch f.Verdict {
	case "":
	case "pending":
		where = append(where, "a.status IN ('queued', 'running')")
	case "failed":
		where = append(where, "a.status = 'failed'")
	case "incomplete":
		where = append(where, "a.status = 'done' AND a.complete = 0")
	case "problems":
		where = append(where, "a.status = 'done' AND (a.complete IS NULL OR a.complete = 1) AND a.findings > 0")
	case "clean":
		where = append(where, "a.status = 'done' AND a.complete = 1 AND a.findings = 0")
	case "unknown":
		where = append(where, "a.status = 'done' AND a.complete IS NULL AND a.findings = 0")
	default:
		return nil, 0, fmt.Errorf("unknown verdict %q: use one of %s", f.Verdict, strings.Join(Verdicts, ", "))
	}
	if !f.From.IsZero() {
		where, args = append(where, "a.created_at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "a.created_at < ?"), append(args, f.To.UnixMilli())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM analyses a`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("searching analyses: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	order := " ORDER BY a.id DESC"
	if f.Oldest {
		order = " ORDER BY a.created_at, a.id"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+analysisCols+` FROM analyses a`+cond+order+` LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("searching analyses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAnalysis(rows)
		if err != nil {
			return nil, 0, err
		}
		page = append(page, a)
	}
	return page, total, rows.Err()
}

// FindingsOf returns the indexed findings of an analysis.
func (s *Store) FindingsOf(ctx context.Context, id int64) ([]Finding, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT rule_id, severity, subject FROM findings WHERE analysis_id = ? ORDER BY severity DESC, rule_id, subject`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var f Finding
		if err := rows.Scan(&f.RuleID, &f.Severity, &f.Subject); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// RuleCount is how many analyses a rule fired in during one period.
type RuleCount struct {
	RuleID string `json:"rule_id"`
	Period string `json:"period"` // 2026-11, 2026-W48 or 2026-11-30
	Count  int    `json:"analyses"`
}

// PeriodTotal is how many analyses finished in one period, the base of a
// rule's rate.
type PeriodTotal struct {
	Period string `json:"period"`
	Count  int    `json:"analyses"`
}

var periodFormats = map[string]string{"month": "%Y-%m", "week": "%Y-W%W", "day": "%Y-%m-%d"}

// RuleStats counts, per period ("month", "week" or "day") since from, the
// analyses each rule fired in, and the finished analyses of each period.
func (s *Store) RuleStats(ctx context.Context, period string, from time.Time) ([]RuleCount, []PeriodTotal, error) {
	pf, ok := periodFormats[period]
	if !ok {
		return nil, nil, fmt.Errorf("unknown period %q: use month, week or day", period)
	}
	expr := `strftime('` + pf + `', a.created_at / 1000, 'unixepoch')`
	rows, err := s.r.QueryContext(ctx, `SELECT f.rule_id, `+expr+` AS p, COUNT(DISTINCT a.id) FROM findings f
		JOIN analyses a ON a.id = f.analysis_id WHERE a.created_at >= ? GROUP BY f.rule_id, p ORDER BY f.rule_id, p`, from.UnixMilli())
	if err != nil {
		return nil, nil, fmt.Errorf("rule statistics: %w", err)
	}
	var counts []RuleCount
	for rows.Next() {
		var c RuleCount
		if err := rows.Scan(&c.RuleID, &c.Period, &c.Count); err != nil {
			rows.Close()
			return nil, nil, err
		}
		counts = append(counts, c)
	}
	rows.Close()
	rows, err = s.r.QueryContext(ctx, `SELECT `+expr+` AS p, COUNT(*) FROM analyses a
		WHERE a.created_at >= ? AND a.status IN ('done', 'failed') GROUP BY p ORDER BY p`, from.UnixMilli())
	if err != nil {
		return nil, nil, fmt.Errorf("rule statistics: %w", err)
	}
	defer rows.Close()
	var totals []PeriodTotal
	for rows.Next() {
		var t PeriodTotal
		if err := rows.Scan(&t.Period, &t.Count); err != nil {
			return nil, nil, err
		}
		totals = append(totals, t)
	}
	return counts, totals, rows.Err()
}

// StatusCounts returns how many analyses are in each state.
func (s *Store) StatusCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM analyses GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Imported is one analysis made elsewhere (a `triage batch` record).
type Imported struct {
	Ticket   string
	Filename string
	SHA256   string
	Size     int64
	Created  time.Time
	Error    string // non-empty: the analysis failed
	Complete *bool
	Findings []Finding
}

// Import records analyses made elsewhere, in one transaction. A record
// already imported (same ticket, bundle name and sha256) is skipped, so
// importing a results file twice adds nothing. It returns how many were
// added and skipped.
func (s *Store) Import(ctx context.Context, recs []Imported) (added, skipped int, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	for _, r := range recs {
		var one int
		err := tx.QueryRow(`SELECT 1 FROM analyses WHERE source = 'import' AND ticket = ? AND filename = ? AND sha256 = ? LIMIT 1`,
			r.Ticket, r.Filename, r.SHA256).Scan(&one)
		if err == nil {
			skipped++
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, err
		}
		status := Done
		if r.Error != "" {
			status = Failed
		}
		worst := -1
		for _, f := range r.Findings {
			worst = max(worst, f.Severity)
		}
		var complete any
		if r.Complete != nil {
			complete = boolInt(*r.Complete)
		}
		created := r.Created
		if created.IsZero() {
			created = s.now()
		}
		res, err := tx.Exec(`INSERT INTO analyses (ticket, filename, sha256, size, source, created_at, status, finished_at,
			completions, error, complete, findings, worst) VALUES (?, ?, ?, ?, 'import', ?, ?, ?, 1, ?, ?, ?, ?)`,
			r.Ticket, r.Filename, r.SHA256, r.Size, created.UnixMilli(), status, created.UnixMilli(), r.Error, complete, len(r.Findings), worst)
		if err != nil {
			return 0, 0, fmt.Errorf("importing %s: %w", r.Filename, err)
		}
		id, _ := res.LastInsertId()
		if err := insertFindings(tx, id, r.Findings); err != nil {
			return 0, 0, err
		}
		added++
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("importing: %w", err)
	}
	return added, skipped, nil
}

// Previous returns the id of the ticket's last finished upload before
// analysis a (by creation, then id), 0 when none: what the analysis page
// offers to compare with, found by the ticket index however long the
// ticket's history.
func (s *Store) Previous(ctx context.Context, a Analysis) (int64, error) {
	var id int64
	created := a.CreatedAt.UnixMilli()
	err := s.r.QueryRowContext(ctx, `SELECT id FROM analyses WHERE ticket = ? AND status = 'done' AND source = 'upload'
		AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT 1`,
		a.Ticket, created, created, a.ID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("the analysis before %d of ticket %s: %w", a.ID, a.Ticket, err)
	}
	return id, nil
}
