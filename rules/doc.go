// Package rules loads, lints and evaluates the YAML rules of the knowledge
// base. A rule file is parsed with yaml.v3 (so every problem has its file,
// line and column, and all of them are reported together), its expressions
// are compiled and type-checked against the model when it loads, and it
// reaches the model only through the explicit function table of funcs.go.
// Evaluate turns a frozen model into findings with bounded evidence;
// RunCase and RunTests run a rule's own test cases. The rule format is
// documented in rules.d/README.md, the package's place in the pipeline in
// docs/architecture.md.
package rules
