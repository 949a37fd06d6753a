package collect

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/parsers"
)

// Counts are the records of a manifest by outcome.
type Counts struct {
	Collected, Absent, NotPermitted, TimedOut, Failed, Skipped int
	// Cut counts the collected items cut at a size cap.
	Cut int
}

// Count sums the manifest's records up by outcome.
func (m *Manifest) Count() Counts {
	var c Counts
	for _, r := range m.Records {
		switch r.Outcome {
		case OutcomeCollected:
			c.Collected++
		case OutcomeAbsent:
			c.Absent++
		case OutcomeNotPermitted:
			c.NotPermitted++
		case OutcomeTimedOut:
			c.TimedOut++
		case OutcomeSkipped:
			c.Skipped++
		default:
			c.Failed++
		}
		if r.Truncated {
			c.Cut++
		}
	}
	return c
}

// what names a record's item: the bundle path it was (or was meant to be)
// written to, else the host file or command.
func (r Record) what() string {
	switch {
	case r.Path != "":
		return r.Path
	case r.Item != "":
		return r.Item
	case r.Source != "":
		return r.Source
	case len(r.Argv) > 0:
		return strings.Join(r.Argv, " ")
	}
	return "(item)"
}

// missingLine says in one line why an item is missing or partial.
func (r Record) missingLine() string {
	s := fmt.Sprintf("%s: %s", r.what(), strings.ReplaceAll(r.Outcome, "_", " "))
	switch {
	case r.Error != "":
		s += " (" + r.Error + ")"
	case r.Skipped != "":
		s += " (" + r.Skipped + ")"
	}
	if r.Hint != "" {
		s += "; " + r.Hint
	}
	return s
}

// WriteSummary tells the user what was collected and, item by item, what
// could not be: absent on this host, not permitted (with "run as root"
// where that is the cure), timed out, or failed.
func (m *Manifest) WriteSummary(w io.Writer, out string) {
	c := m.Count()
	fmt.Fprintf(w, "collect: %s: %d collected, %d absent on this host, %d not permitted, %d timed out, %d failed, %d skipped as unsafe or not applicable, %d cut at a size cap (details in manifest.json)\n",
		wording.Plural(len(m.Records), "item", "items"), c.Collected, c.Absent, c.NotPermitted, c.TimedOut, c.Failed, c.Skipped, c.Cut)
	for _, r := range m.Records {
		if r.Outcome == OutcomeNotPermitted || r.Outcome == OutcomeTimedOut || r.Outcome == OutcomeFailed {
			fmt.Fprintf(w, "collect:   %s\n", r.missingLine())
		}
	}
	if m.Unprivileged {
		fmt.Fprintln(w, "collect: not run as root: lsof and fuser list only your own processes and some items are refused; run as root (sudo) for a complete bundle")
	}
	fmt.Fprintf(w, "collect: bundle written to %s\n", out)
}

// Explain adds to the coverage of an analysis of this manifest's bundle
// why the collector did not gather what a rule needed: "this host: dmesg
// not permitted (...); run as root". A self-check then tells the customer
// which problems could not be checked and what to do about it.
func (m *Manifest) Explain(res *analyze.Result) {
	byKind := map[parsers.Kind][]string{}
	for _, r := range m.Records {
		if r.Outcome == OutcomeCollected {
			continue
		}
		k := parsers.Identify(r.what(), nil).Kind
		if k == parsers.KindText || k == parsers.KindBinary {
			continue
		}
		line := r.missingLine()
		if !slices.Contains(byKind[k], line) {
			byKind[k] = append(byKind[k], line)
		}
	}
	for i, c := range res.Coverage {
		var why []string
		for _, k := range c.Missing {
			for _, l := range byKind[k] {
				if !slices.Contains(why, l) {
					why = append(why, l)
				}
			}
		}
		if len(why) > 0 {
			res.Coverage[i].Reason += "; on this host: " + strings.Join(why, "; ")
		}
	}
}
