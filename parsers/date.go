package parsers

import (
	"strings"
	"time"

	"github.com/fsagent/triage/model"
)

// dateLayouts are the ways `date` prints the time: its default in the C
// locale, with a numeric zone, with a single-digit day, and ISO forms.
var dateLayouts = []string{
	time.UnixDate,                    // Fri Nov 20 02:10:00 UTC 2026
	"Mon Jan _2 15:04:05 -0700 2006", // a numeric zone
	"Mon Jan 2 15:04:05 MST 2006",    // single space before a one-digit day
	"Mon _2 Jan 15:04:05 MST 2006",   // some locales put the day first
	time.RFC3339Nano,
	"2006-01-02 15:04:05",
}

func init() {
	Register(&Parser{
		Name:  "date",
		Kind:  KindHost,
		Doc:   "the output of `date` saved with the bundle: when it was collected",
		Paths: []string{"sos_commands/date/date", "sos_commands/general/date", "date", "date.out", "date.txt"},
		Parse: parseDate,
	})
}

func parseDate(in *Input, out *model.Model) {
	for in.Next() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, line); err == nil {
				out.Host.CollectedAt = t.UTC().Format(time.RFC3339)
				out.Host.Sources = append(out.Host.Sources, in.Src())
				return
			}
		}
		in.Warnf("not a date as `date` prints it: %q", line)
		return
	}
}
