// Package layers holds no code: its test reads the package table of
// docs/architecture.md and checks that every package of the module imports
// only what the table allows, so that the documented one-way layering and
// the code cannot drift apart.
package layers
