package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
)

func init() {
	var kinds []string
	cmd := &cobra.Command{
		Use:   "facts BUNDLE",
		Short: "Print the normalized model of a bundle as JSON: the facts rules see, each with its source line",
		Long: `facts reads a bundle and prints, as one JSON object, the normalized facts the
rules are evaluated on (mounts, open files, modules, processes, log events,
...), each with its source: the path in the bundle, the line number and the
line itself. "derived" holds what is computed from them: guard points, slab
growth series and the mount tree. Use it to see why a rule did or did not
fire, or to write a new rule. Text from the bundle is shown cleaned, as
rules see it: invalid UTF-8 becomes U+FFFD and control characters (terminal
escapes included) become visible \xNN escapes.

Exit codes: 0 success; 2 usage error (an unknown --kind); 3 the bundle cannot
be read at all.`,
		Example: `  triage facts ./bundle --kind mount,lsof
  triage facts upload.tar.gz | jq '.derived.guard_points'`,
		Args: oneBundle,
	}
	lim := addLimitFlags(cmd.Flags())
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only facts read from artifacts of these kinds (mount, lsof, modules, ...)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		res, err := analyze.Run(context.Background(), args[0], analyze.Options{Limits: *lim})
		if err != nil {
			return bundleReadError(args[0], err)
		}
		m := res.Model
		if len(kinds) > 0 {
			m, err = res.FactsOfKinds(kinds)
			if err != nil {
				return withCode(exitUsage, err)
			}
		}
		return analyze.NewFactsDocument(res, m).Write(os.Stdout)
	}
	rootCmd.AddCommand(cmd)
}
