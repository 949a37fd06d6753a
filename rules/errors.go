package rules

import (
	"fmt"
	"sort"
	"strings"
)

// LoadError is one problem found while loading a rule file. It names the
// place in the file so that an editor (or a person) can jump to it.
type LoadError struct {
	File string
	Line int // 1-based; 0 when the problem is about the file as a whole
	Col  int // 1-based
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, max(e.Col, 1), e.Msg)
}

// LoadErrors collects every problem of every rule file loaded together, so
// that one `triage rules lint` run shows them all instead of the first one.
type LoadErrors struct {
	Errs []*LoadError
}

func (e *LoadErrors) Error() string {
	var b strings.Builder
	for i, err := range e.Errs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find each LoadError.
func (e *LoadErrors) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, err := range e.Errs {
		out[i] = err
	}
	return out
}

func (e *LoadErrors) add(file string, line, col int, format string, args ...any) {
	e.Errs = append(e.Errs, &LoadError{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// sorted orders the errors by file, line and column, so output is stable.
func (e *LoadErrors) sorted() {
	sort.SliceStable(e.Errs, func(i, j int) bool {
		a, b := e.Errs[i], e.Errs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// err returns nil when nothing was collected, so callers can return it
// directly without a typed-nil interface.
func (e *LoadErrors) err() error {
	if len(e.Errs) == 0 {
		return nil
	}
	e.sorted()
	return e
}
