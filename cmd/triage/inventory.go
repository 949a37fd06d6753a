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
)

func init() {
	var format string
	cmd := &cobra.Command{
		Use:   "inventory BUNDLE",
		Short: "List what the bundle holds, identified as which artifact kind, with parse warnings",
		Args:  cobra.ExactArgs(1),
	}
	lim := addLimitFlags(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if format != "text" && format != "json" {
			return withCode(exitUsage, fmt.Errorf("unknown --format %q: use text or json", format))
		}
		res, err := analyze.Run(context.Background(), args[0], analyze.Options{Limits: *lim})
		if err != nil {
			return withCode(exitUnreadable, err)
		}
		if format == "json" {
			return writeInventoryJSON(os.Stdout, res)
		}
		return writeInventoryText(os.Stdout, res)
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

func writeInventoryText(w io.Writer, res *analyze.Result) error {
	fmt.Fprintf(w, "Bundle %s (%s, %d artifacts)\n", res.Bundle.Path, res.Bundle.Format, len(res.Inventory))
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header("PATH", "SIZE", "KIND", "PARSER", "BY", "FACTS", "WARNINGS")
	warnings := 0
	for _, a := range res.Inventory {
		warnings += len(a.Warnings)
		if err := t.Append(a.Path, strconv.FormatInt(a.Size, 10), a.Kind, a.Parser, a.IdentifiedBy,
			strconv.Itoa(a.Facts), strconv.Itoa(len(a.Warnings))); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, o := range res.Others {
		fmt.Fprintf(w, "not parsed: %s (%s)\n", o.Path, describeOther(o.Type, o.Target, o.Note))
	}
	if warnings+len(res.Warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings (%d):\n", warnings+len(res.Warnings))
		for _, wn := range res.Warnings {
			fmt.Fprintf(w, "  %s\n", wn.Error())
		}
		for _, a := range res.Inventory {
			for _, wn := range a.Warnings {
				fmt.Fprintf(w, "  %s\n", wn.Error())
			}
		}
	}
	return nil
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
