// Package batch runs the analyzer over many bundles (a ticket archive) in
// parallel, appending one JSON line per bundle to a results file that
// survives a kill at any moment and can be resumed, and summarizes such
// files.
package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Status values of a Record.
const (
	// StatusOK: the whole bundle was read and every rule ran.
	StatusOK = "ok"
	// StatusIncomplete: the bundle was analyzed, but part of it was not
	// read or a rule could not run (Record.Incomplete says why); its
	// findings are real, its silence is not an all-clear.
	StatusIncomplete = "incomplete"
	// StatusError: the bundle could not be analyzed at all.
	StatusError = "error"
)

// Record is one line of a results file: the outcome of one bundle.
type Record struct {
	Ticket     string `json:"ticket"`
	Bundle     string `json:"bundle"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	DurationMS int64  `json:"duration_ms"`
	Status     string `json:"status"`
	Error      string `json:"error,omitempty"`
	// Fingerprint identifies a directory bundle's content for --resume (a
	// directory has no bytes of its own to hash); empty for a file.
	Fingerprint string          `json:"fingerprint,omitempty"`
	Warnings    int             `json:"warnings"`
	Findings    []RecordFinding `json:"findings"`
	// Incomplete lists why a StatusIncomplete bundle was not analyzed
	// whole, at most maxReasons of them; IncompleteTotal counts them all.
	Incomplete      []RecordReason `json:"incomplete,omitempty"`
	IncompleteTotal int            `json:"incomplete_total,omitempty"`
	// NotEvaluated are the rules that could not look at this bundle (an
	// input they need is missing or was not read whole), by id.
	NotEvaluated []string `json:"not_evaluated,omitempty"`
}

// RecordReason is one reason a bundle's analysis is incomplete, as in the
// JSON report's summary.incomplete.
type RecordReason struct {
	Kind    string `json:"kind"`
	Path    string `json:"path,omitempty"`
	RuleID  string `json:"rule_id,omitempty"`
	Message string `json:"message"`
}

// maxReasons bounds the reasons a record keeps: a bundle of a hundred
// thousand unreadable files must not make a line of megabytes.
const maxReasons = 10

// RecordFinding is the part of a finding a batch summary needs.
type RecordFinding struct {
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"`
	Subject  string `json:"subject,omitempty"`
	Message  string `json:"message"`
}

// key identifies a bundle for --resume: the same path with the same bytes.
func (r Record) key() string { return r.Bundle + "\x00" + r.SHA256 + "\x00" + r.Fingerprint }

// ReadRecords reads every complete line of a results file. A last line
// without its newline (a run killed while writing) is not returned; its
// byte offset is, so a resumed run can cut it off. A complete line that is
// not a valid record is an error naming its line.
func ReadRecords(r io.Reader) (recs []Record, validEnd int64, err error) {
	rr := NewRecordReader(r)
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			return recs, rr.Offset(), nil
		}
		if err != nil {
			return recs, rr.Offset(), err
		}
		recs = append(recs, rec)
	}
}

// MaxRecordLine bounds one line of a results file. A record is a few
// hundred bytes (its findings and reasons are bounded); a longer line is
// not one `triage batch` wrote, and is refused rather than held in memory.
const MaxRecordLine = 16 << 20

// RecordReader reads a results file one record at a time, so that a
// reader of a large file (the service importing one) holds a line, not
// the file.
type RecordReader struct {
	br   *bufio.Reader
	off  int64
	line int
	buf  []byte
}

// NewRecordReader reads records from r.
func NewRecordReader(r io.Reader) *RecordReader {
	return &RecordReader{br: bufio.NewReaderSize(r, 16<<10)}
}

// Next returns the next record. At the end it returns io.EOF; a torn last
// line (bytes after the last newline) is not returned, and Offset then
// says where the complete lines end. A line that is not a valid record,
// or longer than MaxRecordLine, is an error naming its line.
func (rr *RecordReader) Next() (Record, error) {
	for {
		b, err := rr.readLine()
		if err != nil {
			return Record{}, err
		}
		rr.line++
		rr.off += int64(len(b))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return Record{}, fmt.Errorf("line %d: not a result record: %w", rr.line, err)
		}
		return rec, nil
	}
}

// readLine returns the next complete line with its newline; io.EOF when
// only a torn line (or nothing) is left.
func (rr *RecordReader) readLine() ([]byte, error) {
	rr.buf = rr.buf[:0]
	for {
		frag, err := rr.br.ReadSlice('\n')
		if len(rr.buf)+len(frag) > MaxRecordLine {
			return nil, fmt.Errorf("line %d: longer than %d MiB: not a result record", rr.line+1, MaxRecordLine>>20)
		}
		rr.buf = append(rr.buf, frag...)
		switch err {
		case nil:
			return rr.buf, nil
		case bufio.ErrBufferFull:
			continue
		}
		return nil, err
	}
}

// Line is the number of the line the last record came from (or the
// last line read).
func (rr *RecordReader) Line() int { return rr.line }

// Offset is the byte offset just past the last complete line read.
func (rr *RecordReader) Offset() int64 { return rr.off }

// ErrTornLine says a results file ends in an incomplete line: a run that is
// still writing, or was killed mid-write. ReadFile returns it together with
// every complete record; `triage batch --resume` removes the line.
var ErrTornLine = errors.New("the last line is incomplete (a run still writing, or killed; --resume completes it)")

// ReadFile reads a results file (see ReadRecords), naming it in errors. When
// the file ends in a torn line it returns the complete records and an error
// wrapping ErrTornLine, so that the line is reported, not silently dropped.
func ReadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, end, err := ReadRecords(f)
	if err != nil {
		return recs, fmt.Errorf("%s: %w", path, err)
	}
	if st, err := f.Stat(); err == nil && st.Size() > end {
		return recs, fmt.Errorf("%s: %w", path, ErrTornLine)
	}
	return recs, nil
}
