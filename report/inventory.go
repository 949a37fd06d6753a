package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/parsers"
)

// InventoryJSON writes what `triage inventory --format json` prints: the
// bundle, every artifact with its kind, parser and warnings, the entries
// not parsed and the bundle's own warnings. Empty lists are [], never null.
func InventoryJSON(w io.Writer, res *analyze.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		SchemaVersion string             `json:"schema_version"`
		Bundle        analyze.BundleInfo `json:"bundle"`
		Inventory     []analyze.Artifact `json:"inventory"`
		Others        any                `json:"others"`
		Warnings      any                `json:"warnings"`
	}{analyze.SchemaVersion, res.Bundle, res.Inventory, emptyIfNil(res.Others), emptyIfNil(res.Warnings)})
}

// Inventory writes what `triage inventory` prints: the inventory as a table
// no wider than width (0: as wide as the paths, for a pipe), the path
// column wrapping where it must, then the entries not parsed and every
// warning. Every name and message from the bundle is escaped as in the
// reports.
func Inventory(w io.Writer, res *analyze.Result, width int) error {
	safe := safeText
	fmt.Fprintf(w, "Bundle %s (%s, %s)\n", safe(res.Bundle.Path), safe(res.Bundle.Format), wording.Plural(len(res.Inventory), "artifact", "artifacts"))
	opts := []tablewriter.Option{
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
	}
	if width > 0 {
		// The other six columns take about 60 columns with their borders.
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapBreak),
			tablewriter.WithColumnWidths(tw.NewMapper[int, int]().Set(0, max(24, width-62))))
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header("PATH", "SIZE", "KIND", "PARSER", "BY", "FACTS", "WARNINGS")
	warnings := 0
	for _, a := range res.Inventory {
		warnings += parsers.CountWarnings(a.Warnings)
		if err := t.Append(safe(a.Path), strconv.FormatInt(a.Size, 10), safe(string(a.Kind)), safe(a.Parser), safe(a.IdentifiedBy),
			strconv.Itoa(a.Facts), strconv.Itoa(parsers.CountWarnings(a.Warnings))); err != nil {
			return err
		}
		// A sectioned file's sections are listed under it: the header's
		// line in the file, then the command or file it names.
		for _, s := range a.Sections {
			warnings += parsers.CountWarnings(s.Warnings)
			if err := t.Append(sectionLabel(s), strconv.FormatInt(s.Size, 10), safe(string(s.Kind)), safe(s.Parser), safe(s.IdentifiedBy),
				strconv.Itoa(s.Facts), strconv.Itoa(parsers.CountWarnings(s.Warnings))); err != nil {
				return err
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, o := range res.Others {
		fmt.Fprintf(w, "not parsed: %s (%s)\n", safe(o.Path), safe(otherLine(o)))
	}
	if warnings+len(res.Warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings (%d):\n", warnings+len(res.Warnings))
		for _, wn := range res.Warnings {
			fmt.Fprintf(w, "  %s\n", safe(wn.Error()))
		}
		for _, a := range res.Inventory {
			for _, wn := range a.Warnings {
				fmt.Fprintf(w, "  %s\n", safe(wn.Error()))
			}
			for _, s := range a.Sections {
				for _, wn := range s.Warnings {
					fmt.Fprintf(w, "  %s\n", safe(wn.Error()))
				}
			}
		}
	}
	return nil
}

// sectionLabel is a section's PATH cell: indented under its file, the
// header's line, the command or file it names and the header's note.
func sectionLabel(s analyze.Artifact) string {
	name := s.Section
	if name == "" {
		name = "(text before the first header)"
	}
	if s.Note != "" {
		name += " - " + s.Note
	}
	return "  :" + strconv.Itoa(s.Line) + " " + safeText(name)
}

// emptyIfNil makes an empty list print as [] rather than null in JSON.
func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
