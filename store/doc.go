// Package store keeps the desk service's state in one directory: uploaded
// bundles as files named by their sha256 (stored once, never extracted)
// and an embedded SQLite database (pure Go, modernc.org/sqlite) holding the
// analyses, their findings and reports, and the queue of analyses still to
// run. The queue lives in the database, so an upload that was acknowledged
// survives a crash and is analyzed exactly once.
//
// The SQLite driver does not build for AIX; the package is empty there and
// `triage serve` is not part of the AIX binary.
package store
