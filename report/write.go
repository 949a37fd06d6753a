package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/fsagent/triage/analyze"
)

// Formats lists the report formats Write knows, in the order help shows
// them.
var Formats = []string{"text", "json", "markdown", "html"}

// ParseFormat reads a format name as a user types it: one of Formats, in
// any case, or "md" for markdown. The error names the formats there are.
func ParseFormat(name string) (string, error) {
	f := strings.ToLower(strings.TrimSpace(name))
	if f == "md" {
		f = "markdown"
	}
	for _, known := range Formats {
		if f == known {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: use one of %s", name, strings.Join(Formats, ", "))
}

// Write renders the report of res in format (one of Formats, as
// ParseFormat returns it). opts.Tool names the program in every format;
// Color, Width and Verbose shape the text report only.
func Write(w io.Writer, format string, res *analyze.Result, opts TextOptions) error {
	var with []Option
	if opts.Tool != (Tool{}) {
		with = append(with, WithTool(opts.Tool.Name, opts.Tool.Version))
	}
	switch format {
	case "text":
		return Text(w, res, opts)
	case "json":
		return JSON(w, res, with...)
	case "markdown":
		return Markdown(w, res, with...)
	case "html":
		return HTML(w, res, with...)
	}
	_, err := ParseFormat(format)
	return err
}
