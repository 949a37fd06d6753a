package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
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
			m, err = factsOfKinds(res, kinds)
			if err != nil {
				return withCode(exitUsage, err)
			}
		}
		return analyze.NewFactsDocument(res, m).Write(os.Stdout)
	}
	rootCmd.AddCommand(cmd)
}

// factsOfKinds keeps the facts read from artifacts of the given kinds.
func factsOfKinds(res *analyze.Result, kinds []string) (*model.Model, error) {
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	type where struct{ path, section string }
	paths := map[where]bool{}
	seen := map[string]bool{}
	var note func(a analyze.Artifact)
	note = func(a analyze.Artifact) {
		seen[string(a.Kind)] = true
		if want[string(a.Kind)] {
			paths[where{a.Path, a.Section}] = true
		}
		for _, s := range a.Sections {
			note(s)
		}
	}
	for _, a := range res.Inventory {
		note(a)
	}
	for _, k := range kinds {
		if !seen[k] && !parsers.Kind(k).Known() {
			var here []string
			for s := range seen {
				here = append(here, s)
			}
			sort.Strings(here)
			return nil, fmt.Errorf("unknown --kind %q: the kinds are %s (this bundle has %s)",
				k, kindList(), strings.Join(here, ", "))
		}
	}
	return res.Model.FilterSources(func(s model.Source) bool { return paths[where{s.Path, s.Section}] }), nil
}

// kindList names the kinds the parsers know, for a message.
func kindList() string {
	var ks []string
	for _, k := range parsers.Kinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}
