package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
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
			return report.InventoryJSON(os.Stdout, res)
		}
		return report.Inventory(os.Stdout, res, reportWidth(true, os.Stdout))
	}
	rootCmd.AddCommand(cmd)
}
