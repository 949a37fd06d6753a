package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/report"
)

func init() {
	var format string
	cmd := &cobra.Command{
		Use:   "inventory BUNDLE",
		Short: "List what the bundle holds, identified as which artifact kind, with parse warnings",
		Long: `inventory reads a bundle (a directory or an archive) like analyze does, but
evaluates no rule: it lists every file with the artifact kind it was
identified as (and whether by its path or its content), the parser that read
it, how many facts it gave, the entries that were not parsed (links, unsafe
names, nested archives beyond --max-depth) and every warning.

Exit codes: 0 success; 2 usage error; 3 the bundle cannot be read at all.`,
		Example: `  triage inventory sosreport-db01.tar.xz
  triage inventory ./bundle --format json | jq '.inventory[] | select(.kind == "lsof")'`,
		Args: oneBundle,
	}
	lim := addLimitFlags(cmd.Flags())
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if format != "text" && format != "json" {
			return withCode(exitUsage, fmt.Errorf("unknown --format %q: use text or json", format))
		}
		res, err := analyze.Run(context.Background(), args[0], analyze.Options{Limits: *lim})
		if err != nil {
			return bundleReadError(args[0], err)
		}
		if format == "json" {
			return writeInventoryJSON(os.Stdout, res)
		}
		return writeInventoryText(os.Stdout, res, reportWidth(true, os.Stdout))
	}
	rootCmd.AddCommand(cmd)
}

func writeInventoryJSON(w io.Writer, res *analyze.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		SchemaVersion string             `json:"schema_version"`
		Bundle        analyze.BundleInfo `json:"bundle"`
		Inventory     []analyze.Artifact `json:"inventory"`
		Others        any                `json:"others"`
		Warnings      any                `json:"warnings"`
	}{analyze.SchemaVersion, res.Bundle, res.Inventory, nonNil(res.Others), nonNil(res.Warnings)})
}

// writeInventoryText prints the inventory as a table no wider than width
// (0: as wide as the paths, for a pipe), the path column wrapping where it
// must, then the
// entries not parsed and every warning. Every name and message from the
// bundle goes through report.SafeText.
func writeInventoryText(w io.Writer, res *analyze.Result, width int) error {
	safe := report.SafeText
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
		warnings += len(a.Warnings)
		if err := t.Append(safe(a.Path), strconv.FormatInt(a.Size, 10), safe(string(a.Kind)), safe(a.Parser), safe(a.IdentifiedBy),
			strconv.Itoa(a.Facts), strconv.Itoa(len(a.Warnings))); err != nil {
			return err
		}
		// A sectioned file's sections are listed under it: the header's
		// line in the file, then the command or file it names.
		for _, s := range a.Sections {
			warnings += len(s.Warnings)
			if err := t.Append(sectionLabel(s), strconv.FormatInt(s.Size, 10), safe(string(s.Kind)), safe(s.Parser), safe(s.IdentifiedBy),
				strconv.Itoa(s.Facts), strconv.Itoa(len(s.Warnings))); err != nil {
				return err
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, o := range res.Others {
		fmt.Fprintf(w, "not parsed: %s (%s)\n", safe(o.Path), safe(describeOther(o.Type, o.Target, o.Note)))
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
	return "  :" + strconv.Itoa(s.Line) + " " + report.SafeText(name)
}

func describeOther(typ, target, note string) string {
	s := typ
	if target != "" {
		s += " -> " + target
	}
	if note != "" {
		s += ": " + note
	}
	return s
}

// nonNil makes an empty list print as [] rather than null in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
