// Package collect gathers a support bundle on a live host, for the
// customer's self-check (`triage collect`, `triage check`): mount tables,
// open files, modules, processes, kernel and agent logs, init scripts,
// package lists and slab samples, written as a tar.gz whose file names the
// parsers recognise by path (the sosreport layout).
//
// Collection must never hang and never harm the host it inspects: every
// command runs with a timeout in a process group of its own that is killed
// as a whole; outputs and files are read up to a cap; nothing ever calls
// stat or statfs on a mount that may be hung; a missing tool or a
// permission error is recorded in manifest.json, never fatal.
package collect

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// ManifestName and RedactionName are the bookkeeping files at the bundle
// root; they are plain text to the analyzer.
const (
	ManifestName  = "manifest.json"
	RedactionName = "redaction.json"
)

// Options control one collection. The zero value collects with the
// defaults on the real host.
type Options struct {
	// GOOS chooses the collection plan: "linux" or "aix". Empty means the
	// running system.
	GOOS string
	// Samples is how many slab samples to take (default 3), Interval the
	// time between two (default 5 s): growth needs a time series.
	Samples  int
	Interval time.Duration
	// StracePID, when set, is traced with strace -f -tt -T for
	// StraceDuration (default 10 s) while the rest is collected.
	StracePID      int
	StraceDuration time.Duration
	// Redact masks host names, IP and MAC addresses and user names
	// consistently in everything collected (see Redactor).
	Redact bool
	// CommandTimeout bounds each command (default 30 s).
	CommandTimeout time.Duration
	// MaxOutputBytes caps one command's output (default 64 MiB),
	// MaxFileBytes one copied file (default 32 MiB), LogTailBytes the tail
	// kept of the system log (default 16 MiB). What is cut is recorded.
	MaxOutputBytes int64
	MaxFileBytes   int64
	LogTailBytes   int64
	// Root is the host's filesystem seen from "/" (default os.DirFS("/")):
	// tests give a fake root.
	Root fs.FS
	// Runner runs commands (default ExecRunner with DefaultExtraPath).
	Runner Runner
	// TempDir holds the spool of raw outputs while collecting (default
	// os.TempDir()); it is removed at the end.
	TempDir string
	// Progress, when set, receives one line per item collected.
	Progress io.Writer
	// Version is the triage version recorded in the manifest.
	Version string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Unprivileged says the collector runs without root, so that a
	// refusal is recorded with the hint "run as root" (default: whether
	// the effective user id is not 0).
	Unprivileged *bool
}

func (o Options) withDefaults() Options {
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.Samples <= 0 {
		o.Samples = 3
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.StraceDuration <= 0 {
		o.StraceDuration = 10 * time.Second
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 30 * time.Second
	}
	if o.MaxOutputBytes <= 0 {
		o.MaxOutputBytes = 64 << 20
	}
	if o.Unprivileged == nil {
		unpriv := os.Geteuid() != 0
		o.Unprivileged = &unpriv
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 32 << 20
	}
	if o.LogTailBytes <= 0 {
		o.LogTailBytes = 16 << 20
	}
	if o.Root == nil {
		o.Root = os.DirFS("/")
	}
	if o.Runner == nil {
		o.Runner = ExecRunner{ExtraPath: DefaultExtraPath}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Record is one item the collector attempted: a command or a file. The
// manifest holds one per item, whether it worked or not.
type Record struct {
	// Path is where the output sits in the bundle, relative to its root
	// directory; empty when nothing was written (a missing command).
	Path string `json:"path,omitempty"`
	// Argv is the command run (argv[0] as found on the host).
	Argv []string `json:"argv,omitempty"`
	// Source is the host file copied ("/proc/mounts").
	Source string `json:"source,omitempty"`
	// Started is when the item began, Duration how long it took.
	Started  time.Time `json:"started"`
	Duration float64   `json:"duration_seconds"`
	// Timeout is the command's time limit.
	Timeout float64 `json:"timeout_seconds,omitempty"`
	// ExitCode is the command's exit status; -1 when it was killed or never
	// ran.
	ExitCode *int `json:"exit_code,omitempty"`
	TimedOut bool `json:"timed_out,omitempty"`
	// Bytes is how much was written to the bundle (before redaction).
	Bytes int64 `json:"bytes"`
	// Truncated says the output or file was cut at a cap; Note says how.
	Truncated bool   `json:"truncated,omitempty"`
	Note      string `json:"note,omitempty"`
	// Skipped says why the item was deliberately not collected.
	Skipped string `json:"skipped,omitempty"`
	// Error is what went wrong: not installed, permission denied, killed.
	Error string `json:"error,omitempty"`
	// Item is the bundle path the item was meant for, when nothing was
	// written (Path empty), so a reader knows what is missing.
	Item string `json:"item,omitempty"`
	// Outcome sums the record up for people and for the analysis: one of
	// OutcomeCollected, OutcomeAbsent, OutcomeNotPermitted,
	// OutcomeTimedOut, OutcomeFailed, OutcomeSkipped.
	Outcome string `json:"outcome"`
	// Hint says what would have got the item ("run as root").
	Hint string `json:"hint,omitempty"`
}

// The outcomes of a Record.
const (
	OutcomeCollected    = "collected"     // written to the bundle (perhaps cut at a cap: Truncated)
	OutcomeAbsent       = "absent"        // the tool or file does not exist on this host
	OutcomeNotPermitted = "not_permitted" // the host refused: permission denied, operation not permitted
	OutcomeTimedOut     = "timed_out"     // stopped at the time limit, or abandoned on a hung filesystem
	OutcomeFailed       = "failed"        // any other failure
	OutcomeSkipped      = "skipped"       // deliberately not collected (unsafe, not applicable)
)

// classify sets r.Outcome from what happened, and for a refusal met
// without root the hint to run as root.
func classify(r *Record, unprivileged bool) {
	low := strings.ToLower(r.Error)
	switch {
	case r.Skipped != "":
		r.Outcome = OutcomeSkipped
	case r.TimedOut:
		r.Outcome = OutcomeTimedOut
	case r.Error == "":
		r.Outcome = OutcomeCollected
	case low == "not found" || low == "no file matches" || strings.HasPrefix(low, "not installed"):
		r.Outcome = OutcomeAbsent
	case refused(low):
		r.Outcome = OutcomeNotPermitted
	default:
		r.Outcome = OutcomeFailed
	}
	if r.Outcome == OutcomeNotPermitted && r.Hint == "" && unprivileged {
		r.Hint = "run as root"
	}
}

// refused reports whether a (lower-case) message is the host refusing
// access rather than something missing or broken.
func refused(low string) bool {
	for _, p := range []string{"permission denied", "operation not permitted", "must be root", "must be superuser", "are not root", "only root", "not permitted"} {
		if strings.Contains(low, p) {
			return true
		}
	}
	return false
}

// refusalIn returns the first line of a command's output that says the
// host refused it, or "". Commands such as dmesg and slabtop print that
// and exit non-zero when run without privileges.
func refusalIn(spool string) string {
	f, err := os.Open(spool)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	for _, l := range strings.Split(string(head[:n]), "\n") {
		if refused(strings.ToLower(l)) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// Manifest is manifest.json: how, when and with what result each item was
// collected.
type Manifest struct {
	SchemaVersion string    `json:"schema_version"`
	Tool          string    `json:"tool"`
	OS            string    `json:"os"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Root          string    `json:"root"` // the bundle's top directory
	Redacted      bool      `json:"redacted"`
	// Unprivileged says the collection ran without root: lsof and fuser
	// then list only the user's own processes, and some items are refused.
	Unprivileged bool `json:"unprivileged"`
	Options      struct {
		Samples         int     `json:"samples"`
		IntervalSeconds float64 `json:"interval_seconds"`
		StracePID       int     `json:"strace_pid,omitempty"`
		StraceSeconds   float64 `json:"strace_seconds,omitempty"`
		TimeoutSeconds  float64 `json:"timeout_per_command_seconds"`
		MaxOutputBytes  int64   `json:"max_output_bytes"`
		MaxFileBytes    int64   `json:"max_file_bytes"`
		LogTailBytes    int64   `json:"log_tail_bytes"`
	} `json:"options"`
	Records []Record `json:"records"`
}

// spooled is one output waiting in the spool directory for the archive.
type spooled struct {
	path  string // in the bundle
	spool string // on disk
}

// collector is the state of one collection.
type collector struct {
	o     Options
	dir   string // spool directory
	mu    sync.Mutex
	recs  []Record
	files []spooled
	seq   int
}

// CollectFile collects into the file at out, written beside it under a
// temporary name and renamed when complete, so a failed run never leaves a
// half bundle that looks whole.
//
// A device or pipe (/dev/stdout, a FIFO) is written in place instead:
// renaming over it would replace the device with a file.
func CollectFile(ctx context.Context, out string, opts Options) (*Manifest, error) {
	if st, err := os.Stat(out); err == nil && !st.Mode().IsRegular() {
		if st.IsDir() {
			return nil, fmt.Errorf("collect: %s is a directory; name the bundle file to write", out)
		}
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("collect: %w", err)
		}
		m, err := Collect(ctx, f, opts)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("collect: write %s: %w", out, cerr)
		}
		return m, err
	}
	dir := filepath.Dir(out)
	f, err := os.CreateTemp(dir, ".triage-collect-*.tar.gz")
	if err != nil {
		return nil, fmt.Errorf("collect: create output in %s: %w", dir, err)
	}
	tmp := f.Name()
	m, err := Collect(ctx, f, opts)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("collect: write %s: %w", out, cerr)
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return m, err
	}
	return m, nil
}

// Collect gathers the bundle and writes it to w as a gzip-compressed tar.
// Problems with single items are recorded in the manifest; an error is
// returned only when the bundle itself cannot be written or ctx ends.
func Collect(ctx context.Context, w io.Writer, opts Options) (*Manifest, error) {
	o := opts.withDefaults()
	dir, err := os.MkdirTemp(o.TempDir, "triage-spool-")
	if err != nil {
		return nil, fmt.Errorf("collect: spool directory: %w", err)
	}
	defer os.RemoveAll(dir)
	c := &collector{o: o, dir: dir}

	m := &Manifest{SchemaVersion: "1", Tool: "triage " + o.Version, OS: o.GOOS, Started: o.Now().UTC(), Redacted: o.Redact,
		Unprivileged: *o.Unprivileged}
	m.Options.Samples = o.Samples
	m.Options.IntervalSeconds = o.Interval.Seconds()
	m.Options.StracePID = o.StracePID
	if o.StracePID > 0 {
		m.Options.StraceSeconds = o.StraceDuration.Seconds()
	}
	m.Options.TimeoutSeconds = o.CommandTimeout.Seconds()
	m.Options.MaxOutputBytes = o.MaxOutputBytes
	m.Options.MaxFileBytes = o.MaxFileBytes
	m.Options.LogTailBytes = o.LogTailBytes

	switch o.GOOS {
	case "aix":
		c.planAIX(ctx)
	default:
		c.planLinux(ctx)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	m.Finished = o.Now().UTC()
	m.Records = c.recs

	var red *Redactor
	if o.Redact {
		red = c.discover()
	}
	host := "host"
	if h := c.hostname(); h != "" {
		host = h
	}
	if red != nil {
		host = red.Line(host)
	}
	m.Root = safeName("triage-" + host + "-" + m.Started.Format("20060102-150405"))
	if err := c.writeArchive(ctx, w, m, red); err != nil {
		return m, err
	}
	return m, nil
}

// safeName keeps a file name to letters, digits and a few marks.
func safeName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// progress prints one line about an item when asked to; the caller holds
// c.mu.
func (c *collector) progress(r Record) {
	if c.o.Progress == nil {
		return
	}
	what := r.Source
	if len(r.Argv) > 0 {
		what = strings.Join(r.Argv, " ")
	}
	status := fmt.Sprintf("%d bytes", r.Bytes)
	switch {
	case r.Skipped != "":
		status = "skipped: " + r.Skipped
	case r.Error != "":
		status = r.Error
	}
	fmt.Fprintf(c.o.Progress, "collect: %-50s %s\n", what, status)
}

// add records an item, and its spooled output when there is one.
func (c *collector) add(r Record, spool string) {
	classify(&r, *c.o.Unprivileged)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
	if spool != "" && r.Path != "" {
		c.files = append(c.files, spooled{path: r.Path, spool: spool})
	}
	// Under the lock: slab sampling and strace add records from their own
	// goroutines, and Progress need not be safe for concurrent writes.
	c.progress(r)
}

// newSpool creates the next spool file.
func (c *collector) newSpool() (*os.File, error) {
	c.mu.Lock()
	c.seq++
	n := c.seq
	c.mu.Unlock()
	return os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("%05d", n)), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
}

// spoolOf returns the spool file holding a bundle path's content, or "".
func (c *collector) spoolOf(p string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.files {
		if f.path == p {
			return f.spool
		}
	}
	return ""
}

// capWriter keeps the first max bytes and counts the rest, so that a
// command never blocks on a full pipe and never fills the disk.
type capWriter struct {
	w       io.Writer
	max, n  int64
	dropped int64
}

func (cw *capWriter) Write(p []byte) (int, error) {
	room := cw.max - cw.n
	if room <= 0 {
		cw.dropped += int64(len(p))
		return len(p), nil
	}
	q := p
	if int64(len(q)) > room {
		q = q[:room]
		cw.dropped += int64(len(p) - len(q))
	}
	n, err := cw.w.Write(q)
	cw.n += int64(n)
	if err != nil {
		return n, err
	}
	return len(p), nil
}

// cmdOpts tune one command.
type cmdOpts struct {
	timeout   time.Duration
	interrupt bool // expected to run until the timeout (strace)
}

// command runs argv and records it; its output goes to bundle path p. It
// returns the spool path (empty when nothing was written).
func (c *collector) command(ctx context.Context, p string, argv []string, co cmdOpts) string {
	r := Record{Path: p, Argv: argv, Started: c.o.Now().UTC()}
	if co.timeout <= 0 {
		co.timeout = c.o.CommandTimeout
	}
	r.Timeout = co.timeout.Seconds()
	exe, err := c.lookPath(argv[0])
	if err != nil {
		r.Path, r.Item = "", p
		r.Error = "not installed: " + err.Error()
		if errors.Is(err, errSearchAbandoned) {
			r.Error, r.TimedOut = err.Error(), true
		}
		neg := -1
		r.ExitCode = &neg
		c.add(r, "")
		return ""
	}
	full := append([]string{exe}, argv[1:]...)
	r.Argv = full
	f, err := c.newSpool()
	if err != nil {
		r.Path, r.Item = "", p
		r.Error = "spool: " + err.Error()
		c.add(r, "")
		return ""
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 64<<10)
	cw := &capWriter{w: bw, max: c.o.MaxOutputBytes}
	start := time.Now()
	res := c.o.Runner.Run(ctx, Cmd{Argv: full, Timeout: co.timeout, Interrupt: co.interrupt}, cw)
	r.Duration = time.Since(start).Seconds()
	if err := bw.Flush(); err != nil && res.Err == nil {
		res.Err = fmt.Errorf("spool: %w", err)
	}
	code := res.ExitCode
	r.ExitCode = &code
	r.Bytes = cw.n
	if cw.dropped > 0 {
		r.Truncated = true
		r.Note = fmt.Sprintf("output cut at %d bytes; %d more bytes discarded", cw.max, cw.dropped)
	}
	switch {
	case res.TimedOut && co.interrupt:
		r.Note = joinNote(r.Note, fmt.Sprintf("stopped after %s as planned", co.timeout))
	case res.TimedOut:
		r.TimedOut = true
		r.Error = fmt.Sprintf("timed out after %s; process group killed", co.timeout)
	}
	if res.Abandoned {
		r.Error = joinNote(r.Error, "process did not exit after SIGKILL (uninterruptible sleep?): abandoned")
	} else if res.Err != nil {
		r.Error = joinNote(r.Error, res.Err.Error())
	}
	if r.Error == "" && code != 0 {
		if line := refusalIn(f.Name()); line != "" {
			r.Error = "not permitted: " + line
			if r.Bytes <= 4096 {
				// The output is only the complaint: in the bundle it would
				// pass for an (empty) artifact of the kind.
				r.Path, r.Item = "", p
				c.add(r, "")
				return ""
			}
		}
	}
	c.add(r, f.Name())
	return f.Name()
}

// errSearchAbandoned marks a program search that lookPath gave up on.
var errSearchAbandoned = errors.New("abandoned")

// lookPath is Runner.LookPath bounded by the command timeout: searching
// $PATH stats a file in each of its directories, and one on a hung network
// mount would block the search, and the collector with it, for good.
func (c *collector) lookPath(name string) (string, error) {
	type result struct {
		path string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		p, err := c.o.Runner.LookPath(name)
		ch <- result{p, err}
	}()
	t := time.NewTimer(c.o.CommandTimeout)
	defer t.Stop()
	select {
	case res := <-ch:
		return res.path, res.err
	case <-t.C:
		return "", fmt.Errorf("%s: searching $PATH did not finish within %s (a directory on a hung filesystem?): %w", name, c.o.CommandTimeout, errSearchAbandoned)
	}
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// fileMode says how a host file is copied.
type fileMode int

const (
	whole      fileMode = iota // the first MaxFileBytes
	tail                       // the last LogTailBytes (or MaxFileBytes for agent logs)
	initHeader                 // the comment header of an init script only
)

// file copies the host file src (an absolute slash path) to bundle path p
// and returns its spool path ("" when nothing was written). A read that
// blocks (a log on a hung network filesystem) is abandoned at the command
// timeout.
func (c *collector) file(p, src string, mode fileMode, limit int64) string {
	type result struct {
		r     Record
		spool string
	}
	ch := make(chan result, 1)
	start := c.o.Now().UTC()
	go c.copyFile(p, src, mode, limit, func(r Record, spool string) { ch <- result{r, spool} })
	t := time.NewTimer(c.o.CommandTimeout)
	defer t.Stop()
	select {
	case res := <-ch:
		c.add(res.r, res.spool)
		if res.r.Path == "" {
			return ""
		}
		return res.spool
	case <-t.C:
		c.add(Record{Source: src, Item: p, Started: start, Duration: c.o.CommandTimeout.Seconds(), TimedOut: true,
			Error: fmt.Sprintf("reading did not finish within %s (hung filesystem?): abandoned", c.o.CommandTimeout)}, "")
		return ""
	}
}

// copyFile does the work of file and hands the record to done, once.
func (c *collector) copyFile(p, src string, mode fileMode, limit int64, done func(Record, string)) {
	r := Record{Path: p, Source: src, Started: c.o.Now().UTC()}
	start := time.Now()
	name := strings.TrimPrefix(path.Clean(src), "/")
	fail := func(msg string) {
		r.Path, r.Item = "", p
		r.Error = msg
		r.Duration = time.Since(start).Seconds()
		done(r, "")
	}
	fi, err := fs.Stat(c.o.Root, name)
	if err != nil {
		fail(describe(err))
		return
	}
	if !fi.Mode().IsRegular() {
		// FIFOs and devices would block or never end.
		r.Path = ""
		r.Skipped = "not a regular file (" + fi.Mode().Type().String() + ")"
		done(r, "")
		return
	}
	in, err := c.o.Root.Open(name)
	if err != nil {
		fail(describe(err))
		return
	}
	defer in.Close()
	out, err := c.newSpool()
	if err != nil {
		fail("spool: " + err.Error())
		return
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 64<<10)

	var src2 io.Reader = in
	gz := strings.HasSuffix(name, ".gz")
	if mode == tail && !gz && fi.Size() > limit {
		if s, ok := in.(io.Seeker); ok {
			if _, err := s.Seek(fi.Size()-limit, io.SeekStart); err == nil {
				br := bufio.NewReader(in)
				// Start at a whole line.
				skipped, _ := br.ReadBytes('\n')
				src2 = br
				r.Truncated = true
				r.Note = fmt.Sprintf("kept the last %d bytes of %d (from the first whole line)", limit-int64(len(skipped)), fi.Size())
			}
		}
	}
	if gz {
		zr, err := gzip.NewReader(io.LimitReader(in, limit*4))
		if err != nil {
			fail("gunzip: " + err.Error())
			return
		}
		defer zr.Close()
		src2 = zr
		r.Note = joinNote(r.Note, "decompressed from "+path.Base(name))
	}
	var n int64
	if mode == initHeader {
		n, err = copyInitHeader(bw, src2, limit)
		r.Note = joinNote(r.Note, "comment header only (### BEGIN INIT INFO block or leading comments)")
	} else {
		n, err = io.Copy(bw, io.LimitReader(src2, limit))
		if err == nil {
			// Read one more byte to know whether the cap cut the file.
			var one [1]byte
			if k, _ := io.ReadFull(src2, one[:]); k > 0 {
				r.Truncated = true
				r.Note = joinNote(r.Note, fmt.Sprintf("cut at %d bytes", limit))
			}
		}
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	r.Bytes = n
	if err != nil {
		r.Error = "read: " + describe(err)
	}
	r.Duration = time.Since(start).Seconds()
	done(r, out.Name())
}

// describe turns a filesystem error into a short message.
func describe(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "not found"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// copyInitHeader writes the LSB block of an init script (everything up to
// "### END INIT INFO"), or, when it has none, its leading comment lines:
// the parser needs only those, and script bodies may hold secrets.
func copyInitHeader(w io.Writer, r io.Reader, limit int64) (int64, error) {
	br := bufio.NewReader(io.LimitReader(r, limit))
	var lines []string
	var n int64
	for len(lines) < 400 {
		l, err := br.ReadString('\n')
		if l != "" {
			lines = append(lines, l)
			if strings.HasPrefix(strings.TrimSpace(l), "### END INIT INFO") {
				for _, x := range lines {
					k, werr := io.WriteString(w, x)
					n += int64(k)
					if werr != nil {
						return n, werr
					}
				}
				return n, nil
			}
		}
		if err != nil {
			break
		}
	}
	for _, x := range lines {
		t := strings.TrimSpace(x)
		if t != "" && !strings.HasPrefix(t, "#") {
			break
		}
		k, err := io.WriteString(w, x)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// glob copies every regular file matching the host pattern into the bundle
// under the same path; a pattern that matches nothing is recorded once.
func (c *collector) glob(pattern string, mode fileMode, limit int64) {
	type result struct {
		matches []string
		err     error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := fs.Glob(c.o.Root, strings.TrimPrefix(pattern, "/"))
		ch <- result{m, err}
	}()
	var matches []string
	var err error
	t := time.NewTimer(c.o.CommandTimeout)
	select {
	case res := <-ch:
		matches, err = res.matches, res.err
	case <-t.C:
		err = fmt.Errorf("listing did not finish within %s (hung filesystem?): abandoned", c.o.CommandTimeout)
	}
	t.Stop()
	if err != nil || len(matches) == 0 {
		r := Record{Source: pattern, Started: c.o.Now().UTC(), Error: "no file matches"}
		if err != nil {
			r.Error = err.Error()
		}
		c.add(r, "")
		return
	}
	sort.Strings(matches)
	for _, mt := range matches {
		c.file(strings.TrimSuffix(mt, ".gz"), "/"+mt, mode, limit)
	}
}

// readSpool returns up to max bytes of a spooled output.
func readSpool(p string, max int64) string {
	if p == "" {
		return ""
	}
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, max))
	return string(b)
}

// hostname is the host's name as collected, for the bundle's directory.
func (c *collector) hostname() string {
	for _, p := range []string{pathHostname, "general/hostname"} {
		if s := strings.TrimSpace(firstLine(readSpool(c.spoolOf(p), 4096))); s != "" && !strings.ContainsAny(s, " \t") {
			return s
		}
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeArchive streams the spooled outputs, the manifest and (when
// redacting) redaction.json into a tar.gz.
func (c *collector) writeArchive(ctx context.Context, w io.Writer, m *Manifest, red *Redactor) error {
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	mtime := m.Started
	put := func(name string, size int64, r io.Reader) error {
		h := &tar.Header{Name: m.Root + "/" + name, Mode: 0o644, Size: size, ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("collect: write %s: %w", name, err)
		}
		if _, err := io.Copy(tw, r); err != nil {
			return fmt.Errorf("collect: write %s: %w", name, err)
		}
		return nil
	}
	for _, f := range c.files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("collect: %w", err)
		}
		name := f.path
		src := f.spool
		if red != nil {
			name = red.Path(name)
			out, err := c.newSpool()
			if err != nil {
				return fmt.Errorf("collect: redact %s: %w", f.path, err)
			}
			err = red.Copy(out, f.spool)
			out.Close()
			if err != nil {
				return fmt.Errorf("collect: redact %s: %w", f.path, err)
			}
			src = out.Name()
		}
		if err := putFile(put, name, src); err != nil {
			return err
		}
		if red != nil {
			os.Remove(src)
		}
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("collect: manifest: %w", err)
	}
	mj = append(mj, '\n')
	if red != nil {
		mj = []byte(red.Text(string(mj)))
	}
	if err := put(ManifestName, int64(len(mj)), strings.NewReader(string(mj))); err != nil {
		return err
	}
	if red != nil {
		rj, err := json.MarshalIndent(red.Summary(), "", "  ")
		if err != nil {
			return fmt.Errorf("collect: redaction summary: %w", err)
		}
		rj = append(rj, '\n')
		if err := put(RedactionName, int64(len(rj)), strings.NewReader(string(rj))); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("collect: finish tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("collect: finish gzip: %w", err)
	}
	return nil
}

// putFile writes one spooled file into the archive with its actual size.
func putFile(put func(string, int64, io.Reader) error, name, spool string) error {
	f, err := os.Open(spool)
	if err != nil {
		return fmt.Errorf("collect: reopen spool for %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("collect: spool for %s: %w", name, err)
	}
	return put(name, fi.Size(), io.LimitReader(f, fi.Size()))
}
