package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
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
			if err := writeRuleList(cmd.OutOrStdout(), set); err != nil {
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
			writeRuleArticle(cmd.OutOrStdout(), r)
			return nil
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

func writeRuleList(w io.Writer, set *rules.Set) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header("ID", "SEVERITY", "TITLE")
	for _, r := range set.Rules() {
		if err := t.Append(report.SafeText(r.ID), r.Severity.String(), report.SafeText(r.Title)); err != nil {
			return err
		}
	}
	return t.Render()
}

// writeRuleArticle prints a rule as a knowledge-base article.
func writeRuleArticle(w io.Writer, r *rules.Rule) {
	fmt.Fprintf(w, "%s\n%s\n\n", r.Title, strings.Repeat("=", min(len(r.Title), 78)))
	fmt.Fprintf(w, "Rule:     %s\nSeverity: %s\n", r.ID, r.Severity)
	if len(r.Tags) > 0 {
		fmt.Fprintf(w, "Applies:  %s\n", strings.Join(r.Tags, ", "))
	}
	fmt.Fprintf(w, "File:     %s\n", r.File)
	prose := func(title, text string) {
		if strings.TrimSpace(text) != "" {
			fmt.Fprintf(w, "\n%s\n%s\n%s\n", title, strings.Repeat("-", len(title)), wrapText(strings.TrimSpace(text), 78, ""))
		}
	}
	list := func(title string, items []string, numbered bool) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
		for i, it := range items {
			mark := "-"
			if numbered {
				mark = fmt.Sprintf("%d.", i+1)
			}
			fmt.Fprintf(w, "%s %s\n", mark, wrapText(strings.TrimSpace(it), 78-len(mark)-1, strings.Repeat(" ", len(mark)+1)))
		}
	}
	prose("Summary", r.KB.Summary)
	list("Symptoms", r.KB.Symptoms, false)
	prose("Cause", r.KB.Cause)
	list("Diagnosis", r.KB.Diagnosis, true)
	list("Resolution", r.KB.Resolution, true)
	list("Caveats", r.KB.Caveats, false)
	if len(r.KB.References) > 0 {
		var refs []string
		for _, ref := range r.KB.References {
			s := ref.Title
			if ref.URL != "" {
				s += " <" + ref.URL + ">"
			}
			if ref.Doc != "" {
				s += " (" + ref.Doc + ")"
			}
			refs = append(refs, s)
		}
		list("References", refs, false)
	}
	fmt.Fprintf(w, "\nDetection\n---------\n")
	if r.ForEach != "" {
		fmt.Fprintf(w, "for each: %s\n", strings.TrimSpace(r.ForEach))
	}
	for _, l := range r.Let {
		fmt.Fprintf(w, "let %s = %s\n", l.Name, strings.TrimSpace(l.Expr))
	}
	fmt.Fprintf(w, "fires when: %s\n", strings.TrimSpace(r.When))
	for _, e := range r.Evidence {
		fmt.Fprintf(w, "evidence: %s\n", strings.TrimSpace(e))
	}
	for _, lp := range r.Lines {
		fmt.Fprintf(w, "reads lines of %s matching %s\n", lp.Files, lp.Regex)
	}
	if len(r.Tests) > 0 {
		fmt.Fprintf(w, "tests: %d case(s) (`triage rules test`)\n", len(r.Tests))
	}
}

// wrapText folds each line of text at width columns; continuation lines
// (and the lines after the first) start with indent. Words longer than the
// width stay whole; indented lines are left alone.
func wrapText(text string, width int, indent string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		words := strings.Fields(line)
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			out = append(out, line) // indented: a command or an example, kept as written
			continue
		}
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		cur := words[0]
		for _, word := range words[1:] {
			if len(cur)+1+len(word) > width {
				out = append(out, cur)
				cur = word
				continue
			}
			cur += " " + word
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n"+indent)
}
