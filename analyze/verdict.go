package analyze

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

// The kinds of reason an analysis is incomplete (Reason.Kind).
const (
	// ReasonArchive: the archive is truncated, corrupt or cannot be opened.
	ReasonArchive = bundle.LossArchive
	// ReasonArtifact: a file was cut short or could not be read or parsed.
	ReasonArtifact = bundle.LossArtifact
	// ReasonLimit: a limit stopped the reading of a file or of the bundle.
	ReasonLimit = bundle.LossLimit
	// ReasonRule: a rule failed or ran out of time, so its problem may be
	// present but unreported.
	ReasonRule = "rule"
	// ReasonCoverage: nothing in the bundle was identified as an artifact,
	// so no rule could look at anything.
	ReasonCoverage = "coverage"
)

// reasonOrder ranks the kinds of Reason for reports, the widest loss first.
var reasonOrder = map[string]int{ReasonArchive: 0, ReasonLimit: 1, ReasonArtifact: 2, ReasonRule: 3, ReasonCoverage: 4}

// Reason is one thing that keeps an analysis from being complete: part of
// the bundle that was not read, or a rule that could not run. A complete
// analysis has none, and only then does "no known problems" mean that.
type Reason struct {
	Kind    string `json:"kind"`    // ReasonArchive, ReasonArtifact, ReasonLimit, ReasonRule or ReasonCoverage
	Path    string `json:"path"`    // the file or archive concerned; "" for the bundle or a rule
	RuleID  string `json:"rule_id"` // for ReasonRule
	Message string `json:"message"`
}

// Coverage statuses of a rule (RuleCoverage.Status).
const (
	// CoverageFired: the rule found its problem.
	CoverageFired = "fired"
	// CoverageEvaluated: the rule looked at every kind of artifact it
	// needs and did not fire: the problem is not in this bundle.
	CoverageEvaluated = "evaluated"
	// CoverageNotEvaluated: an artifact the rule needs is missing or was
	// not read whole, or the rule failed: the problem may be present.
	CoverageNotEvaluated = "not_evaluated"
)

// RuleCoverage says whether one rule could look at this bundle, and if
// not, why ("no open-file listing (lsof/fuser) in the bundle").
type RuleCoverage struct {
	RuleID string `json:"rule_id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	// Missing are the needed kinds of which the bundle holds no artifact
	// at all (one per unmet group of the rule's needs), so a collector can
	// say why it did not gather them.
	Missing []parsers.Kind `json:"-"`
}

// Complete reports whether the whole bundle was read and every rule ran:
// only then is an empty list of findings an all-clear. Rules that lack
// their inputs do not make an analysis incomplete; Coverage names them.
func (r *Result) Complete() bool { return len(r.Incomplete) == 0 }

// NotEvaluated lists the coverage entries of the rules that could not look
// at the bundle.
func (r *Result) NotEvaluated() []RuleCoverage {
	var out []RuleCoverage
	for _, c := range r.Coverage {
		if c.Status == CoverageNotEvaluated {
			out = append(out, c)
		}
	}
	return out
}

// kindNouns name each artifact kind for a reader, for coverage reasons.
var kindNouns = map[parsers.Kind]string{
	parsers.KindMount:       "mount table",
	parsers.KindDF:          "df listing",
	parsers.KindAgentStatus: "agent status",
	parsers.KindLsof:        "open-file listing",
	parsers.KindFuser:       "open-file listing",
	parsers.KindModules:     "module list",
	parsers.KindStrace:      "strace output",
	parsers.KindSlab:        "slab statistics",
	parsers.KindAgentLog:    "agent log",
	parsers.KindKernelLog:   "kernel log",
	parsers.KindInitScript:  "init script",
	parsers.KindFilesystems: "filesystem list",
	parsers.KindProcesses:   "process list",
	parsers.KindPackages:    "package list",
	parsers.KindHost:        "host identity",
	parsers.KindServices:    "service list",
}

// describeKinds says "open-file listing (lsof/fuser)" or "mount table, df
// listing or agent status (mount/df/agent-status)".
func describeKinds(kinds []parsers.Kind) string {
	var nouns, ids []string
	for _, k := range kinds {
		ids = append(ids, string(k))
		n := kindNouns[k]
		if n == "" {
			n = string(k)
		}
		if !slices.Contains(nouns, n) {
			nouns = append(nouns, n)
		}
	}
	s := nouns[0]
	if len(nouns) > 1 {
		s = strings.Join(nouns[:len(nouns)-1], ", ") + " or " + nouns[len(nouns)-1]
	}
	return s + " (" + strings.Join(ids, "/") + ")"
}

// judge fills Incomplete and Coverage from what was read and what the
// rules did. set may be nil (inventory, facts): then there is no coverage.
func (r *Result) judge(set *rules.Set) {
	r.Incomplete = []Reason{}
	r.Coverage = []RuleCoverage{}
	// damaged maps a file to the first loss that concerns it.
	damaged := map[string]string{}
	files := make(map[string]bool, len(r.Inventory))
	for _, a := range r.Inventory {
		files[a.Path] = true
	}
	// bundleCut: a loss not about one file read (an archive broke off, a
	// limit stopped the walk): absent files may be in the part not read.
	bundleCut := false
	for _, w := range r.Warnings {
		if w.Loss == "" {
			continue
		}
		r.Incomplete = append(r.Incomplete, Reason{Kind: w.Loss, Path: w.Path, Message: w.Msg})
		if !files[w.Path] {
			bundleCut = true
		} else if _, seen := damaged[w.Path]; !seen {
			damaged[w.Path] = w.Msg
		}
	}
	identified := 0
	for _, a := range r.Artifacts() {
		if a.Kind != parsers.KindText && a.Kind != parsers.KindBinary {
			identified++
		}
		lost := false
		for _, w := range a.Warnings {
			if w.Loss == "" {
				continue
			}
			lost = true
			r.Incomplete = append(r.Incomplete, Reason{Kind: w.Loss, Path: a.Path, Message: w.Msg})
			// A section's loss is its own; the file's other sections
			// were read (a loss of the whole file is keyed by its path).
			if _, seen := damaged[artifactKey(a)]; !seen {
				damaged[artifactKey(a)] = w.Msg
			}
		}
		if !lost && damagedMsg(a, damaged) == "" && unparsable(a) && !refusal(a) {
			// A file named like an artifact of which no line made sense
			// is unreadable, not an artifact that shows nothing wrong.
			msg := fmt.Sprintf("this %s artifact yielded nothing: every line drew a warning (%s; the first: %s)",
				a.Kind, wording.Plural(parsers.CountWarnings(a.Warnings), "warning", "warnings"), a.Warnings[0].Msg)
			r.Incomplete = append(r.Incomplete, Reason{Kind: ReasonArtifact, Path: a.Path, Message: msg})
			damaged[artifactKey(a)] = msg
		}
	}
	for _, e := range r.Errors {
		r.Incomplete = append(r.Incomplete, Reason{Kind: ReasonRule, RuleID: e.RuleID,
			Message: "the rule could not be evaluated, so its problem may be present but unreported: " + e.Msg})
	}
	switch {
	case len(r.Inventory) == 0:
		r.Incomplete = append(r.Incomplete, Reason{Kind: ReasonCoverage,
			Message: "no file was read from the bundle, so nothing was analyzed"})
	case identified == 0:
		r.Incomplete = append(r.Incomplete, Reason{Kind: ReasonCoverage, Message: fmt.Sprintf(
			"no artifact was identified: none of the %s read is a known support-bundle artifact (`triage inventory` lists them), so no rule could look at anything", wording.Plural(len(r.Inventory), "file", "files"))})
	}
	// Worst first: a broken archive explains the files cut short in it.
	slices.SortStableFunc(r.Incomplete, func(a, b Reason) int { return reasonOrder[a.Kind] - reasonOrder[b.Kind] })
	if set != nil {
		r.Coverage = coverage(r, set, damaged, bundleCut)
		r.RuleNotes = append([]string{}, set.Notes...)
	}
}

// coverage decides, for each rule of set, whether it fired, was evaluated
// with its inputs present and whole, or could not be evaluated and why.
func coverage(r *Result, set *rules.Set, damaged map[string]string, bundleCut bool) []RuleCoverage {
	fired := map[string]bool{}
	for _, f := range r.Findings {
		fired[f.RuleID] = true
	}
	failed := map[string]string{}
	for _, e := range r.Errors {
		if _, ok := failed[e.RuleID]; !ok {
			failed[e.RuleID] = e.Msg
		}
	}
	// whole and cut list, per kind, the artifacts read completely and
	// those not read whole.
	// warned lists those read whole but with warnings about some lines.
	// empty lists those the collector said it could not gather.
	whole := map[parsers.Kind]int{}
	cut := map[parsers.Kind][]Artifact{}
	warned := map[parsers.Kind][]Artifact{}
	empty := map[parsers.Kind][]Artifact{}
	arts := r.Artifacts()
	for _, a := range arts {
		if a.Empty || refusal(a) {
			empty[a.Kind] = append(empty[a.Kind], a)
			continue
		}
		if damagedMsg(a, damaged) != "" {
			cut[a.Kind] = append(cut[a.Kind], a)
			continue
		}
		whole[a.Kind]++
		if len(a.Warnings) > 0 {
			warned[a.Kind] = append(warned[a.Kind], a)
		}
	}
	var out []RuleCoverage
	for _, rule := range set.Rules() {
		c := RuleCoverage{RuleID: rule.ID, Status: CoverageEvaluated}
		var absent, missing, partial, collector []string
		var noisy []Artifact
		for _, group := range rule.Needs {
			n := 0
			var bad []Artifact
			for _, k := range group {
				n += whole[k]
				bad = append(bad, cut[k]...)
				noisy = append(noisy, warned[k]...)
			}
			switch {
			case n > 0 && len(bad) > 0:
				partial = append(partial, cutText(bad, damaged))
			case n > 0:
			case len(bad) > 0:
				missing = append(missing, describeKinds(group)+" not read whole: "+cutText(bad, damaged))
			default:
				absent = append(absent, describeKinds(group))
				c.Missing = append(c.Missing, group...)
				for _, k := range group {
					for _, a := range empty[k] {
						if len(a.Warnings) > 0 {
							collector = append(collector, a.Warnings[0].Msg)
						}
					}
				}
			}
		}
		for _, lp := range rule.Lines {
			// As for needed kinds: files that were not read whole leave the
			// rule unevaluated when they are all it had to read.
			n := 0
			var bad []Artifact
			for _, a := range arts {
				if !lp.Match(a.Path) && (a.SectionPath == "" || !lp.Match(a.SectionPath)) {
					continue
				}
				if damagedMsg(a, damaged) != "" {
					bad = append(bad, a)
				} else {
					n++
				}
			}
			switch {
			case n > 0 && len(bad) > 0:
				partial = append(partial, cutText(bad, damaged))
			case n > 0:
			case len(bad) > 0:
				missing = append(missing, "file matching "+lp.Files+" not read whole: "+cutText(bad, damaged))
			default:
				absent = append(absent, "file matching "+lp.Files)
			}
		}
		if len(absent) > 0 {
			s := "no " + orList(absent) + " in the bundle"
			if bundleCut {
				s = "no " + orList(absent) + " in what was read of the bundle"
			}
			if len(collector) > 0 {
				s += " (" + strings.Join(collector, "; ") + ")"
			}
			missing = append([]string{s}, missing...)
		}
		switch {
		case fired[rule.ID]:
			c.Status = CoverageFired
			if len(partial)+len(missing) > 0 {
				c.Reason = "fired on partial input: " + strings.Join(append(missing, partial...), "; ")
			}
		case failed[rule.ID] != "":
			c.Status = CoverageNotEvaluated
			c.Reason = "the rule failed: " + failed[rule.ID]
		case len(missing) > 0:
			c.Status = CoverageNotEvaluated
			c.Reason = strings.Join(missing, "; ")
		case len(partial) > 0:
			c.Reason = "evaluated, but some input was not read whole: " + strings.Join(partial, "; ")
		case len(noisy) > 0:
			c.Reason = "evaluated; some lines of its input were not understood: " + warnedText(noisy)
		}
		out = append(out, c)
	}
	return out
}

// unparsable reports whether a parsed artifact yielded no fact at all and
// only warnings: its parser understood none of its lines.
func unparsable(a Artifact) bool {
	return a.Parser != "" && !a.Empty && a.Facts == 0 && len(a.Warnings) > 0 &&
		a.Kind != parsers.KindText && a.Kind != parsers.KindBinary && len(a.Sections) == 0
}

// refusal reports whether an artifact holds only the host's refusal to
// give it ("fopen /proc/slabinfo: Permission denied"): the collector could
// not gather it, so for coverage it is absent, and the analysis is no less
// complete than for a bundle without the file.
func refusal(a Artifact) bool {
	if !unparsable(a) {
		return false
	}
	for _, w := range a.Warnings {
		low := strings.ToLower(w.Msg)
		if !strings.Contains(low, "permission denied") && !strings.Contains(low, "not permitted") {
			return false
		}
	}
	return true
}

// artifactKey names one artifact among the damaged: a section of a
// sectioned file by its file and section, anything else by its path.
func artifactKey(a Artifact) string {
	if a.Section != "" {
		return a.Path + "\x00" + a.Section
	}
	return a.Path
}

// damagedMsg is why an artifact was not read whole: the loss of its own
// (a section), else that of its file; "" when it was.
func damagedMsg(a Artifact, damaged map[string]string) string {
	if m, ok := damaged[artifactKey(a)]; ok {
		return m
	}
	return damaged[a.Path]
}

// firstClause shortens a loss message for a coverage reason, which names
// the file; the whole message is among the incomplete reasons. "file
// truncated after 64 MiB: it is larger than ..." becomes "file truncated
// after 64 MiB".
func firstClause(msg string) string {
	end := len(msg)
	for _, sep := range []string{": ", " (", "; "} {
		if i := strings.Index(msg, sep); i > 0 && i < end {
			end = i
		}
	}
	return msg[:end]
}

// orList joins "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// warnedText names the first artifact with warnings and counts the rest:
// "lsof.out (lsof, 3 warnings, see the warnings); 2 more files with warnings".
func warnedText(arts []Artifact) string {
	first := arts[0]
	s := fmt.Sprintf("%s (%s, %s, see the warnings)", first.Path, first.Kind, wording.Plural(parsers.CountWarnings(first.Warnings), "warning", "warnings"))
	if len(arts) > 1 {
		s += fmt.Sprintf("; %s with warnings", wording.Plural(len(arts)-1, "more file", "more files"))
	}
	return s
}

// cutText names the artifacts that were not read whole and why, keeping
// the message of the first one only ("sos_commands/process/lsof_-b_M_-n_-l
// (lsof): file truncated after 64.0 MiB ...").
func cutText(arts []Artifact, damaged map[string]string) string {
	first := arts[0]
	s := fmt.Sprintf("%s (%s): %s", first.Path, first.Kind, firstClause(damagedMsg(first, damaged)))
	if len(arts) > 1 {
		names := make([]string, 0, len(arts)-1)
		for _, a := range arts[1:] {
			names = append(names, path.Base(a.Path))
		}
		s += fmt.Sprintf("; also %s", strings.Join(names, ", "))
	}
	return s
}
