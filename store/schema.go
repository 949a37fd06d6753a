//go:build !aix

package store

// migrations are the schema changes, one per version, applied in order at
// Open. A shipped migration never changes: a new version appends one.
var migrations = []string{
	// 1: bundles, analyses (with their queue state), findings, reports.
	`
CREATE TABLE bundles (
	sha256    TEXT PRIMARY KEY,
	size      INTEGER NOT NULL,
	stored_at INTEGER NOT NULL,
	purged_at INTEGER
);
CREATE TABLE analyses (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket      TEXT NOT NULL DEFAULT '',
	filename    TEXT NOT NULL DEFAULT '',
	sha256      TEXT NOT NULL DEFAULT '',
	size        INTEGER NOT NULL DEFAULT 0,
	source      TEXT NOT NULL DEFAULT 'upload',
	created_at  INTEGER NOT NULL,
	status      TEXT NOT NULL,
	started_at  INTEGER,
	finished_at INTEGER,
	attempts    INTEGER NOT NULL DEFAULT 0,
	completions INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	host        TEXT NOT NULL DEFAULT '',
	complete    INTEGER,
	findings    INTEGER NOT NULL DEFAULT 0,
	worst       INTEGER NOT NULL DEFAULT -1,
	tool        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX analyses_created ON analyses(created_at);
CREATE INDEX analyses_ticket ON analyses(ticket, created_at);
CREATE INDEX analyses_host ON analyses(host);
CREATE INDEX analyses_status ON analyses(status, id);
CREATE INDEX analyses_sha ON analyses(sha256);
CREATE TABLE findings (
	analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
	rule_id     TEXT NOT NULL,
	severity    INTEGER NOT NULL,
	subject     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX findings_rule ON findings(rule_id, analysis_id);
CREATE INDEX findings_analysis ON findings(analysis_id);
CREATE TABLE reports (
	analysis_id INTEGER PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
	json        BLOB NOT NULL,
	html        BLOB
);
`,
}
