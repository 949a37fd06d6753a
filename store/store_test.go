//go:build !aix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func put(t *testing.T, s *Store, body, ticket string) (int64, string) {
	t.Helper()
	id, sha, _, err := s.Put(context.Background(), strings.NewReader(body), 0, Upload{Ticket: ticket, Filename: "b.tgz"})
	if err != nil {
		t.Fatal(err)
	}
	return id, sha
}

func TestPutStoresOnceByDigest(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	id1, sha1 := put(t, s, "bundle bytes", "T1")
	id2, sha2 := put(t, s, "bundle bytes", "T2")
	if id1 == id2 || sha1 != sha2 {
		t.Fatalf("two uploads of one bundle: ids %d %d, sha %s %s", id1, id2, sha1, sha2)
	}
	if !ValidSHA256(sha1) {
		t.Errorf("sha %q", sha1)
	}
	data, err := os.ReadFile(s.BundlePath(sha1))
	if err != nil || string(data) != "bundle bytes" {
		t.Fatalf("stored file: %q %v", data, err)
	}
	n := 0
	filepath.WalkDir(filepath.Join(dir, "bundles"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	if n != 1 {
		t.Errorf("%d files stored for one bundle uploaded twice", n)
	}
	if _, _, _, err := s.Put(context.Background(), strings.NewReader("0123456789"), 5, Upload{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized upload: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Errorf("tmp not cleaned: %d files", len(ents))
	}
}

func TestBundlePathRefusesNonDigests(t *testing.T) {
	s := open(t, t.TempDir())
	for _, h := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63) + "/", strings.Repeat("0", 65)} {
		if p := s.BundlePath(h); p != "" {
			t.Errorf("BundlePath(%q) = %q", h, p)
		}
	}
}

// TestCrashRequeuesAndFinishesOnce simulates kill -9 while an analysis
// runs: reopening queues it again, and it is recorded exactly once.
func TestCrashRequeuesAndFinishesOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := put(t, s, "a", "T")
	j, ok, err := s.Claim(ctx)
	if err != nil || !ok || j.ID != id {
		t.Fatalf("claim: %v %v %+v", ok, err, j)
	}
	if _, ok, _ := s.Claim(ctx); ok {
		t.Fatal("a running analysis was claimed twice")
	}
	if err := s.Release(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if j2, ok, _ := s.Claim(ctx); !ok || j2.ID != id {
		t.Fatal("a released analysis was not queued again")
	}
	os.WriteFile(filepath.Join(dir, "tmp", "upload-partial"), []byte("x"), 0o600)
	s.Close() // the process dies with the analysis running

	s = open(t, dir)
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Error("a partial upload survived the restart")
	}
	j, ok, err = s.Claim(ctx)
	if err != nil || !ok || j.ID != id {
		t.Fatalf("after restart: %v %v %+v", ok, err, j)
	}
	if ok, err := s.Finish(ctx, j.ID, Outcome{Host: "h", JSON: []byte(`{}`), HTML: []byte("<p>"), Findings: []Finding{{RuleID: "r", Severity: 3}}}); !ok || err != nil {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, _ := s.Finish(ctx, j.ID, Outcome{}); ok {
		t.Error("a finished analysis was recorded twice")
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != Done || a.Completions != 1 || a.Attempts != 3 || a.Worst != 3 || a.Verdict() != "problems" {
		t.Errorf("after crash and restart: %+v verdict %s", a, a.Verdict())
	}
	if js, _ := s.Report(ctx, id, "json"); string(js) != "{}" {
		t.Errorf("report %q", js)
	}
}

func TestMigrationIsVersioned(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	var v int
	if err := s.r.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("version %d %v", v, err)
	}
	s.Close()
	s2 := open(t, dir) // reopening applies nothing twice
	s2.w.Exec(`UPDATE schema_version SET version = 99`)
	s2.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer schema was not refused: %v", err)
	}
}

func TestDeletePurgeImportSearch(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	idA, shaA := put(t, s, "A", "T1")
	_, shaShared := put(t, s, "shared", "T1")
	put(t, s, "shared", "T2")
	for range 3 {
		j, ok, _ := s.Claim(ctx)
		if !ok {
			t.Fatal("queue empty too early")
		}
		c := true
		s.Finish(ctx, j.ID, Outcome{Host: "db01", Complete: &c, JSON: []byte(`{}`)})
	}
	// Delete T1: its own bundle goes, the one T2 still uses stays.
	na, nb, err := s.DeleteTicket(ctx, "T1")
	if err != nil || na != 2 || nb != 1 {
		t.Fatalf("delete: %d analyses %d bundles %v", na, nb, err)
	}
	if _, err := os.Stat(s.BundlePath(shaA)); !os.IsNotExist(err) {
		t.Error("the deleted ticket's bundle is still on disk")
	}
	if _, err := os.Stat(s.BundlePath(shaShared)); err != nil {
		t.Error("a bundle another ticket uses was deleted")
	}
	if _, err := s.Get(ctx, idA); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted analysis: %v", err)
	}
	// Purge: the file goes, the analysis and its report stay.
	now = now.Add(48 * time.Hour)
	n, err := s.Purge(ctx, now.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	page, total, err := s.Search(ctx, Filter{Ticket: "T2", MinSev: -1})
	if err != nil || total != 1 || page[0].BundleStored || page[0].Verdict() != "clean" {
		t.Fatalf("after purge: %+v %d %v", page, total, err)
	}
	if js, _ := s.Report(ctx, page[0].ID, "json"); js == nil {
		t.Error("purge removed a report")
	}
	if n, _ := s.Requeue(ctx, nil, "T2", false); n != 0 {
		t.Error("a purged bundle was queued for re-analysis")
	}
	// Import twice: the second adds nothing.
	f := false
	recs := []Imported{{Ticket: "K1", Filename: "x.tgz", SHA256: "ab", Findings: []Finding{{RuleID: "av.audit-slab-leak", Severity: 3}}},
		{Ticket: "K2", Filename: "y.tgz", SHA256: "cd", Complete: &f}, {Ticket: "K3", Filename: "z.tgz", Error: "unreadable"}}
	if a, sk, err := s.Import(ctx, recs); a != 3 || sk != 0 || err != nil {
		t.Fatalf("import: %d %d %v", a, sk, err)
	}
	if a, sk, _ := s.Import(ctx, recs); a != 0 || sk != 3 {
		t.Errorf("re-import: added %d skipped %d", a, sk)
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{RuleID: "av.audit-slab-leak", MinSev: -1}, 1},
		{Filter{MinSev: 3}, 1},
		{Filter{MinSev: 4}, 0},
		{Filter{Verdict: "incomplete", MinSev: -1}, 1},
		{Filter{Verdict: "failed", MinSev: -1}, 1},
		{Filter{Verdict: "clean", MinSev: -1}, 1},
		{Filter{Host: "db0", MinSev: -1}, 1},
		{Filter{Host: "%", MinSev: -1}, 0},
		{Filter{MinSev: -1, From: now.Add(-time.Hour)}, 3}, // the imports, recorded now
		{Filter{MinSev: -1, To: now.Add(-time.Hour)}, 1},
	} {
		if _, total, err := s.Search(ctx, tc.f); err != nil || total != tc.want {
			t.Errorf("Search(%+v) = %d, %v; want %d", tc.f, total, err, tc.want)
		}
	}
	counts, totals, err := s.RuleStats(ctx, "month", time.Time{})
	if err != nil || len(counts) != 1 || counts[0].Period != "2026-11" || len(totals) != 1 || totals[0].Count != 4 {
		t.Errorf("stats: %+v %+v %v", counts, totals, err)
	}
	if _, _, err := s.Search(ctx, Filter{Verdict: "bogus"}); err == nil {
		t.Error("unknown verdict accepted")
	}
}

// Previous finds the ticket's last finished upload before an analysis,
// past any page size of the ticket's history.
func TestPreviousFinishedUpload(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	var ids []int64
	for i := 0; i < 3; i++ {
		id, _ := put(t, s, fmt.Sprintf("bundle %d", i), "T")
		ids = append(ids, id)
	}
	other, _ := put(t, s, "other ticket", "U")
	// Finish the first two; the third stays queued.
	for range 2 {
		j, ok, err := s.Claim(ctx)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if ok, err := s.Finish(ctx, j.ID, Outcome{JSON: []byte(`{}`)}); !ok || err != nil {
			t.Fatalf("finish: %v %v", ok, err)
		}
	}
	for _, tc := range []struct {
		id   int64
		want int64
	}{{ids[0], 0}, {ids[1], ids[0]}, {ids[2], ids[1]}, {other, 0}} {
		a, err := s.Get(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Previous(ctx, a); err != nil || got != tc.want {
			t.Errorf("previous of %d: %d (%v), want %d", tc.id, got, err, tc.want)
		}
	}
}

// TestRequeueManyIDs names more analyses than SQLite allows parameters in
// one statement (32,766): the ids travel as one JSON parameter.
func TestRequeueManyIDs(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	id, _ := put(t, s, "bundle", "T1")
	j, ok, err := s.Claim(ctx)
	if err != nil || !ok {
		t.Fatal("nothing to claim", err)
	}
	if _, err := s.Finish(ctx, j.ID, Outcome{JSON: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 40000)
	for i := range ids {
		ids[i] = int64(i) + 1000
	}
	ids[len(ids)/2] = id
	n, err := s.Requeue(ctx, ids, "", false)
	if err != nil || n != 1 {
		t.Fatalf("Requeue of 40,000 ids: %d, %v; want 1 queued", n, err)
	}
	if a, _ := s.Get(ctx, id); a.Status != Queued {
		t.Errorf("analysis %d is %s, want queued", id, a.Status)
	}
}
