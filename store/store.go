//go:build !aix

package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Analysis states. An analysis is queued when accepted, running while a
// worker holds it, and done or failed once its outcome is recorded.
const (
	Queued  = "queued"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// ErrNotFound is returned for an analysis id that does not exist.
var ErrNotFound = errors.New("no such analysis")

// ErrTooLarge is returned by Put when the upload exceeds its limit.
var ErrTooLarge = errors.New("upload larger than the limit")

// Store is the service's directory: bundles and database.
type Store struct {
	dir string
	w   *sql.DB // the one writer connection: SQLite serializes writes anyway
	r   *sql.DB // readers, concurrent with the writer in WAL mode
	// files serializes placing a bundle file with recording it against
	// deleting unreferenced bundle files, so a delete never removes a file
	// an upload is about to reference.
	files sync.Mutex
	now   func() time.Time
}

// Open opens (creating when needed) the store in dir and migrates its
// schema to the current version. Leftovers of a crash are cleaned: partial
// uploads are removed, and analyses that were running go back to the
// queue.
func Open(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "bundles"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("store %s: %w", dir, err)
		}
	}
	dsn := func(extra string) string {
		return "file:" + (&url.URL{Path: filepath.Join(dir, "triage.db")}).EscapedPath() +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)" + extra
	}
	w, err := sql.Open("sqlite", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn(""))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	r.SetMaxOpenConns(8)
	s := &Store{dir: dir, w: w, r: r, now: time.Now}
	if err := s.migrate(); err != nil {
		s.Close()
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	if err := s.recover(); err != nil {
		s.Close()
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.w.Close(), s.r.Close())
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int { return len(migrations) }

func (s *Store) migrate() error {
	if _, err := s.w.Exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("creating the schema table: %w", err)
	}
	var v int
	err := s.w.QueryRow(`SELECT version FROM schema_version`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.w.Exec(`INSERT INTO schema_version VALUES (0)`); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("the database has schema version %d, newer than this triage knows (%d): use a newer triage", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		tx, err := s.w.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrating the schema to version %d: %w", v+1, err)
		}
		if _, err := tx.Exec(`UPDATE schema_version SET version = ?`, v+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrating the schema to version %d: %w", v+1, err)
		}
	}
	return nil
}

// recover undoes what a crash left: running analyses were never recorded,
// so they are queued again; partial uploads in tmp were never
// acknowledged; bundle files no row references were placed by an upload
// that died before it was recorded.
func (s *Store) recover() error {
	if _, err := s.w.Exec(`UPDATE analyses SET status = 'queued' WHERE status = 'running'`); err != nil {
		return fmt.Errorf("requeueing interrupted analyses: %w", err)
	}
	tmp := filepath.Join(s.dir, "tmp")
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		os.Remove(filepath.Join(tmp, e.Name()))
	}
	known := map[string]bool{}
	rows, err := s.w.Query(`SELECT sha256 FROM bundles WHERE purged_at IS NULL`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return err
		}
		known[h] = true
	}
	rows.Close()
	return filepath.WalkDir(filepath.Join(s.dir, "bundles"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if !known[d.Name()] {
			os.Remove(p)
		}
		return nil
	})
}

// ValidSHA256 reports whether h is 64 lower-case hex digits: the only
// strings that ever become a bundle's file name.
func ValidSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// BundlePath is the file of the bundle with sha256 h, or "" when h is not
// a valid digest: no caller-supplied string reaches the file system.
func (s *Store) BundlePath(h string) string {
	if !ValidSHA256(h) {
		return ""
	}
	return filepath.Join(s.dir, "bundles", h[:2], h)
}

// Upload is what Put needs to record an upload.
type Upload struct {
	Ticket   string
	Filename string
}

// Put streams r into the store, hashing it on the way, and queues an
// analysis of it. At most max bytes are read (0: no limit); beyond that
// Put fails with ErrTooLarge and keeps nothing. The same bytes are stored
// once; each upload is its own analysis. The analysis is recorded (and
// the upload may be acknowledged) only once the file is durable.
func (s *Store) Put(ctx context.Context, r io.Reader, max int64, up Upload) (id int64, sha string, size int64, err error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "upload-*")
	if err != nil {
		return 0, "", 0, fmt.Errorf("storing the upload: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	src := r
	if max > 0 {
		src = io.LimitReader(r, max+1)
	}
	size, err = io.Copy(io.MultiWriter(tmp, h), src)
	if err != nil {
		return 0, "", 0, fmt.Errorf("receiving the upload: %w", err)
	}
	if max > 0 && size > max {
		return 0, "", 0, ErrTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return 0, "", 0, fmt.Errorf("storing the upload: %w", err)
	}
	sha = hex.EncodeToString(h.Sum(nil))
	final := s.BundlePath(sha)
	s.files.Lock()
	defer s.files.Unlock()
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return 0, "", 0, fmt.Errorf("storing the upload: %w", err)
	}
	if _, err := os.Stat(final); err != nil {
		if err := os.Rename(tmp.Name(), final); err != nil {
			return 0, "", 0, fmt.Errorf("storing the upload: %w", err)
		}
		syncDir(filepath.Dir(final))
	}
	now := s.now().UnixMilli()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", 0, err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO bundles (sha256, size, stored_at) VALUES (?, ?, ?)
		ON CONFLICT(sha256) DO UPDATE SET purged_at = NULL, stored_at = CASE WHEN purged_at IS NULL THEN stored_at ELSE excluded.stored_at END`,
		sha, size, now); err != nil {
		return 0, "", 0, fmt.Errorf("recording the upload: %w", err)
	}
	res, err := tx.Exec(`INSERT INTO analyses (ticket, filename, sha256, size, source, created_at, status) VALUES (?, ?, ?, ?, 'upload', ?, 'queued')`,
		up.Ticket, up.Filename, sha, size, now)
	if err != nil {
		return 0, "", 0, fmt.Errorf("recording the upload: %w", err)
	}
	id, _ = res.LastInsertId()
	if err := tx.Commit(); err != nil {
		return 0, "", 0, fmt.Errorf("recording the upload: %w", err)
	}
	return id, sha, size, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Job is a queued analysis a worker claimed.
type Job struct {
	ID       int64
	SHA256   string
	Filename string
	Ticket   string
	Path     string // the bundle file
}

// Claim takes the oldest queued analysis and marks it running; ok is false
// when the queue is empty.
func (s *Store) Claim(ctx context.Context) (j Job, ok bool, err error) {
	err = s.w.QueryRowContext(ctx, `UPDATE analyses SET status = 'running', started_at = ?, attempts = attempts + 1
		WHERE id = (SELECT id FROM analyses WHERE status = 'queued' ORDER BY id LIMIT 1)
		RETURNING id, sha256, filename, ticket`, s.now().UnixMilli()).Scan(&j.ID, &j.SHA256, &j.Filename, &j.Ticket)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("claiming a queued analysis: %w", err)
	}
	j.Path = s.BundlePath(j.SHA256)
	return j, true, nil
}

// Release puts a claimed analysis back in the queue without recording an
// outcome: the service is stopping and the analysis was cut short.
func (s *Store) Release(ctx context.Context, id int64) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE analyses SET status = 'queued' WHERE id = ? AND status = 'running'`, id); err != nil {
		return fmt.Errorf("requeueing analysis %d: %w", id, err)
	}
	return nil
}

// Finding is the part of a finding the store indexes.
type Finding struct {
	RuleID   string
	Severity int // rules.Severity
	Subject  string
}

// Outcome is the recorded result of one analysis.
type Outcome struct {
	Error    string // non-empty: the analysis failed
	Host     string
	Complete *bool
	Findings []Finding
	JSON     []byte // the JSON report
	HTML     []byte // the HTML report
	Tool     string
}

// Finish records the outcome of a claimed analysis in one transaction, so
// an analysis is either recorded whole or (after a crash) still queued.
// It records nothing when the analysis is no longer running (deleted
// meanwhile), and says so with ok false.
func (s *Store) Finish(ctx context.Context, id int64, o Outcome) (ok bool, err error) {
	jz, err := gz(o.JSON)
	if err != nil {
		return false, err
	}
	hz, err := gz(o.HTML)
	if err != nil {
		return false, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	status := Done
	if o.Error != "" {
		status = Failed
	}
	worst := -1
	for _, f := range o.Findings {
		worst = max(worst, f.Severity)
	}
	var complete any
	if o.Complete != nil {
		complete = boolInt(*o.Complete)
	}
	res, err := tx.Exec(`UPDATE analyses SET status = ?, finished_at = ?, completions = completions + 1, error = ?,
		host = ?, complete = ?, findings = ?, worst = ?, tool = ? WHERE id = ? AND status = 'running'`,
		status, s.now().UnixMilli(), o.Error, o.Host, complete, len(o.Findings), worst, o.Tool, id)
	if err != nil {
		return false, fmt.Errorf("recording analysis %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.Exec(`DELETE FROM findings WHERE analysis_id = ?`, id); err != nil {
		return false, err
	}
	if err := insertFindings(tx, id, o.Findings); err != nil {
		return false, err
	}
	if o.JSON != nil {
		if _, err := tx.Exec(`INSERT OR REPLACE INTO reports (analysis_id, json, html) VALUES (?, ?, ?)`, id, jz, hz); err != nil {
			return false, fmt.Errorf("recording analysis %d: %w", id, err)
		}
	} else if _, err := tx.Exec(`DELETE FROM reports WHERE analysis_id = ?`, id); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("recording analysis %d: %w", id, err)
	}
	return true, nil
}

func insertFindings(tx *sql.Tx, id int64, fs []Finding) error {
	if len(fs) == 0 {
		return nil
	}
	st, err := tx.Prepare(`INSERT INTO findings (analysis_id, rule_id, severity, subject) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, f := range fs {
		if _, err := st.Exec(id, f.RuleID, f.Severity, f.Subject); err != nil {
			return fmt.Errorf("recording the findings of analysis %d: %w", id, err)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func gz(b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gunzip(b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// Report returns the stored JSON or HTML report ("json" or "html") of an
// analysis; nil when it has none (queued, failed, imported).
func (s *Store) Report(ctx context.Context, id int64, format string) ([]byte, error) {
	col := "json"
	if format == "html" {
		col = "html"
	}
	var z []byte
	err := s.r.QueryRowContext(ctx, `SELECT `+col+` FROM reports WHERE analysis_id = ?`, id).Scan(&z)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the report of analysis %d: %w", id, err)
	}
	return gunzip(z)
}

// Requeue queues the given analyses again (re-analysis with the current
// rules) when their bundle is still stored and they are not already
// pending; it returns how many were queued.
func (s *Store) Requeue(ctx context.Context, ids []int64, ticket string, all bool) (int, error) {
	q := `UPDATE analyses SET status = 'queued' WHERE status IN ('done', 'failed') AND source = 'upload'
		AND sha256 IN (SELECT sha256 FROM bundles WHERE purged_at IS NULL)`
	var args []any
	switch {
	case all:
	case ticket != "":
		q += ` AND ticket = ?`
		args = append(args, ticket)
	case len(ids) > 0:
		// One parameter whatever the number of ids: SQLite bounds the
		// parameters of a statement (32,766), a request body does not.
		list, err := json.Marshal(ids)
		if err != nil {
			return 0, err
		}
		q += ` AND id IN (SELECT value FROM json_each(?))`
		args = append(args, string(list))
	default:
		return 0, nil
	}
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("queueing re-analysis: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteTicket removes every analysis of ticket, with findings and
// reports, and the bundle files no remaining analysis references. It
// returns the number of analyses and bundles removed.
func (s *Store) DeleteTicket(ctx context.Context, ticket string) (analyses, bundles int, err error) {
	s.files.Lock()
	defer s.files.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	res, err := tx.Exec(`DELETE FROM analyses WHERE ticket = ?`, ticket)
	if err != nil {
		return 0, 0, fmt.Errorf("deleting ticket %q: %w", ticket, err)
	}
	n, _ := res.RowsAffected()
	gone, err := orphanBundles(tx)
	if err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("deleting ticket %q: %w", ticket, err)
	}
	for _, h := range gone {
		os.Remove(s.BundlePath(h))
	}
	return int(n), len(gone), nil
}

// orphanBundles deletes the rows of bundles no analysis references and
// returns their digests (the caller removes the files after commit).
func orphanBundles(tx *sql.Tx) ([]string, error) {
	rows, err := tx.Query(`DELETE FROM bundles WHERE sha256 NOT IN (SELECT sha256 FROM analyses) RETURNING sha256`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gone []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		gone = append(gone, h)
	}
	return gone, rows.Err()
}

// Purge removes the files of bundles stored before cutoff whose analyses
// are all finished; analyses, findings and reports are kept. It returns
// how many bundles were removed.
func (s *Store) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	s.files.Lock()
	defer s.files.Unlock()
	rows, err := s.w.QueryContext(ctx, `UPDATE bundles SET purged_at = ? WHERE purged_at IS NULL AND stored_at < ?
		AND sha256 NOT IN (SELECT sha256 FROM analyses WHERE status IN ('queued', 'running')) RETURNING sha256`,
		s.now().UnixMilli(), cutoff.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purging old bundles: %w", err)
	}
	var gone []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err == nil {
			gone = append(gone, h)
		}
	}
	rows.Close()
	for _, h := range gone {
		os.Remove(s.BundlePath(h))
	}
	return len(gone), nil
}
