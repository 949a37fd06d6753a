// Package rulesd ships the knowledge base: the rule files of this
// directory, embedded in the binary so that triage needs no files beside it.
package rulesd

import "embed"

// files embeds the whole directory rather than "*.yaml" alone: a pattern
// that matches nothing is a build error, and the directory must build
// while it holds no rule yet. The rules loader reads only *.yaml and *.yml.
//
//go:embed *
var files embed.FS

// FS returns the shipped rule files, at the root of the returned FS.
func FS() embed.FS { return files }
