package diff

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/report"
)

// maxReportBytes bounds a JSON report read from disk: reports are bounded
// by design (evidence samples), so anything larger is not one.
const maxReportBytes = 256 << 20

// Load reads one side of a comparison from path: a JSON report (a file
// whose first non-blank byte is '{'), or else a bundle, which is analyzed
// here with opts. The error of an unreadable bundle wraps
// bundle.ErrUnreadable as analyze.Run's does.
func Load(ctx context.Context, path string, opts analyze.Options, ropts ...report.Option) (*Report, error) {
	if isJSONFile(path) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxReportBytes+1))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if len(data) > maxReportBytes {
			return nil, fmt.Errorf("%s: larger than %d MiB, not a JSON report", path, maxReportBytes>>20)
		}
		return Parse(data, path)
	}
	res, err := analyze.Run(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	return FromDocument(report.NewDocument(res, ropts...), path)
}

// isJSONFile reports whether path is a regular file that starts (after
// blanks) with '{'.
func isJSONFile(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head, _ := bufio.NewReader(f).Peek(512)
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	return len(head) > 0 && head[0] == '{'
}
