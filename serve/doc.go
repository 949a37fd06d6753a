// Package serve is the support desk's web service (`triage serve`): upload
// a bundle once, read its report at a stable link, follow a ticket's
// bundles over time, compare two analyses, and search across all of them.
// Pages are rendered on the server and work without JavaScript; the JSON
// API under /api/v1/ is described by the OpenAPI document it serves.
//
// Analyses run in this process on a bounded pool of workers fed by the
// queue in the store, so an accepted upload survives a crash and is
// analyzed once. Like the store, the package is empty on AIX.
package serve
