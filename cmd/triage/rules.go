package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/report"
	"github.com/fsagent/triage/rules"
)

func init() {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, show, lint and test the rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(exitUsage, errors.New("rules: expected a subcommand: list, show ID, lint [DIR] or test [DIR]"))
		},
	}
	var dirs []string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the rules: id, severity and title",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := rules.LoadSet(dirs, nil, nil)
			if err := report.RuleList(cmd.OutOrStdout(), set.Rules()); err != nil {
				return err
			}
			return loadFailure(cmd.ErrOrStderr(), set, err)
		},
	}
	list.Flags().StringArrayVar(&dirs, "rules", nil, "also load the rules of `DIR` (repeatable); same ids override shipped rules")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a rule's knowledge-base entry: symptoms, cause, diagnosis, resolution",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := rules.LoadSet(dirs, nil, nil)
			r := set.Rule(args[0])
			if r == nil {
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
				}
				return withCode(exitUsage, fmt.Errorf("no rule %q (see `triage rules list`)", args[0]))
			}
			return report.Article(cmd.OutOrStdout(), r, 0)
		},
	}
	show.Flags().StringArrayVar(&dirs, "rules", nil, "also load the rules of `DIR` (repeatable)")
	lint := &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check rule files without a bundle (default: the shipped rules); prints file:line:col: message per problem",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadRulesArg(args)
			if err != nil {
				n := 1
				var le *rules.LoadErrors
				if errors.As(err, &le) {
					n = len(le.Errs)
					for _, e := range le.Errs {
						fmt.Fprintln(cmd.OutOrStdout(), e.Error())
					}
				} else {
					fmt.Fprintln(cmd.OutOrStdout(), err)
				}
				return withCode(exitFindings, fmt.Errorf("%s in the rule files; fix each file:line:col listed above and run the lint again", wording.Plural(n, "problem", "problems")))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d rules OK\n", len(set.Rules()))
			return nil
		},
	}
	test := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the rules' test cases (default: the shipped rules)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := loadRulesArg(args)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
			}
			sum, runErr := set.RunTests(context.Background(), analyze.LoadModel, cmd.OutOrStdout())
			if runErr != nil {
				return withCode(exitUnreadable, runErr)
			}
			if err != nil || sum.Failed > 0 {
				return withCode(exitFindings, errors.New("rule tests failed"))
			}
			return nil
		},
	}
	cmd.AddCommand(list, show, lint, test)
	rootCmd.AddCommand(cmd)
}

// loadRulesArg loads the directory given, or the shipped rules.
func loadRulesArg(args []string) (*rules.Set, error) {
	if len(args) == 1 {
		return rules.LoadDir(args[0])
	}
	return rules.LoadShipped()
}

// loadFailure reports rule files that did not load (the rest were used).
func loadFailure(w io.Writer, set *rules.Set, err error) error {
	for _, n := range set.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if err == nil {
		return nil
	}
	fmt.Fprintln(w, err)
	return withCode(exitFindings, errors.New("some rule files did not load"))
}
