// Package analyze runs the pipeline on one bundle: open it, identify and
// parse every artifact into the model, evaluate the rules, and return
// everything a report needs.
package analyze

import (
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

// SchemaVersion is the version of the JSON report and facts documents.
// Bump it when a field changes meaning or disappears.
const SchemaVersion = "1"

// BundleInfo identifies the bundle that was read.
type BundleInfo struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	Format string `json:"format"` // "directory", "tar.gz", "zip", ...
}

// Artifact is one file of the bundle as identified and parsed, or one
// section of a file that concatenates outputs (a supportconfig or AIX snap
// file): such a file is listed with the kind of its collector and its
// sections under it, each identified and parsed as an artifact of its own.
type Artifact struct {
	Path string `json:"path"`
	// Section is the command or file named by the section's header, Note
	// what the header adds ("Last 500 Lines", "File not found") and Line
	// the header's line in the file; only set for a section.
	Section string `json:"section,omitempty"`
	// SectionPath is the path that names the section's content the way a
	// file of its own would be named ("proc/mounts", "lsmod_sort"): what
	// identified it and what the file globs of rules' `lines:` match.
	SectionPath  string            `json:"section_path,omitempty"`
	Note         string            `json:"note,omitempty"`
	Line         int               `json:"line,omitempty"`
	Size         int64             `json:"size"`
	Kind         parsers.Kind      `json:"kind"`
	Parser       string            `json:"parser,omitempty"`
	IdentifiedBy string            `json:"identified_by"`
	Facts        int               `json:"facts"`
	Warnings     []parsers.Warning `json:"warnings"`
	// Sections are the sections of a sectioned file, in file order.
	Sections []Artifact `json:"sections,omitempty"`
	// Empty says the collector wrote, in place of the output, that it
	// could not gather it (a file not found, a command that did not run):
	// for coverage the artifact is absent, its warning says why.
	Empty bool `json:"empty,omitempty"`
}

// Result is the outcome of analyzing one bundle.
type Result struct {
	Bundle    BundleInfo `json:"bundle"`
	Inventory []Artifact `json:"inventory"`
	// Warnings are problems with the bundle as a whole or with entries that
	// were never parsed (unsafe names, links, limits, corrupt archives).
	Warnings []bundle.Warning `json:"warnings"`
	// Others are the entries that were listed but not parsed: nested
	// archives, links, devices, entries skipped for safety or limits.
	Others   []bundle.Other    `json:"others"`
	Model    *model.Model      `json:"-"`
	Findings []rules.Finding   `json:"findings"`
	Errors   []rules.EvalError `json:"errors"`
	// Incomplete lists why the analysis did not see the whole bundle or
	// could not run every rule; empty means Complete.
	Incomplete []Reason `json:"incomplete"`
	// Coverage says, per rule evaluated, whether it fired, was evaluated
	// with its inputs present, or could not be evaluated and why.
	Coverage []RuleCoverage `json:"coverage"`
	// RuleNotes tell about the rule set: a --rules rule that replaced a
	// shipped one of the same id.
	RuleNotes []string `json:"rule_notes"`
}
