package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fsagent/triage/internal/wording"
	"github.com/fsagent/triage/rules"
)

// supportedArchives names what a bundle may be, for error messages.
const supportedArchives = "a directory or an archive (tar, tar.gz, tar.xz, tar.zst, zip, 7z)"

// bundleReadError turns analyze.Run's error for a bundle that cannot be read
// at all into one sentence that says what to do, with exit code 3.
func bundleReadError(path string, err error) error {
	if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
		return withCode(exitUnreadable, fmt.Errorf("%w; check the path", err))
	}
	return withCode(exitUnreadable, fmt.Errorf("%w; triage reads %s: if the upload is damaged, ask for the bundle again", err, supportedArchives))
}

// oneBundle is the Args check of the commands that read one bundle: a
// missing or extra argument is a usage error that says what was expected.
func oneBundle(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return withCode(exitUsage, fmt.Errorf("%s needs a BUNDLE: %s; see '%s --help'", cmd.Name(), supportedArchives, cmd.CommandPath()))
	case len(args) > 1:
		return withCode(exitUsage, fmt.Errorf("%s reads one BUNDLE at a time, got %d arguments (use 'triage batch' for many); see '%s --help'", cmd.Name(), len(args), cmd.CommandPath()))
	}
	return nil
}

func init() {
	// A bad flag names the help of the command it was given to, not the
	// root's.
	rootCmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return withCode(exitUsage, fmt.Errorf("%w; see '%s --help'", err, cmd.CommandPath()))
	})
}

// rulesLoadError words rules.LoadSet's error for the terminal: a bad
// --only or --skip value is one sentence; problems in rule files are
// listed one per line, as file:line:col: message, with what to do last.
func rulesLoadError(err error) error {
	var le *rules.LoadErrors
	if !errors.As(err, &le) || len(le.Errs) == 0 {
		return fmt.Errorf("loading rules: %w", err)
	}
	var flagErrs, fileErrs []string
	for _, e := range le.Errs {
		if strings.HasPrefix(e.File, "--") {
			flagErrs = append(flagErrs, e.Error())
		} else {
			fileErrs = append(fileErrs, "  "+e.Error())
		}
	}
	if len(fileErrs) == 0 {
		return errors.New(strings.Join(flagErrs, "; "))
	}
	msg := fmt.Sprintf("%s in the rule files:\n%s\nfix them and check with 'triage rules lint DIR'",
		wording.Plural(len(fileErrs), "problem", "problems"), strings.Join(fileErrs, "\n"))
	if len(flagErrs) > 0 {
		msg = strings.Join(flagErrs, "; ") + "\n" + msg
	}
	return errors.New(msg)
}
