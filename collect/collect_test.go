package collect

import (
	"archive/tar"
	"bytes"
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
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fsagent/triage/parsers"
)

// fakeRunner answers commands from files named by their mangled command
// line (testdata/<host>/cmd/uname_-a); a program with no file is not
// installed.
type fakeRunner struct {
	dir   string
	calls []string
}

func (f *fakeRunner) programs() map[string]bool {
	out := map[string]bool{}
	ents, _ := os.ReadDir(f.dir)
	for _, e := range ents {
		prog, _, _ := strings.Cut(e.Name(), "_")
		out[prog] = true
	}
	return out
}

func (f *fakeRunner) LookPath(name string) (string, error) {
	if f.programs()[path.Base(name)] {
		return "/usr/bin/" + path.Base(name), nil
	}
	return "", fmt.Errorf("%s: not installed", name)
}

func (f *fakeRunner) Run(ctx context.Context, c Cmd, w io.Writer) RunResult {
	key := Mangle(c.Argv)
	f.calls = append(f.calls, key)
	b, err := os.ReadFile(filepath.Join(f.dir, key))
	if err != nil {
		fmt.Fprintf(w, "%s: unexpected arguments\n", c.Argv[0])
		return RunResult{ExitCode: 1}
	}
	w.Write(b)
	return RunResult{}
}

// fakeOptions collects from a fake host of testdata.
func fakeOptions(t *testing.T, host, goos string) (Options, *fakeRunner) {
	t.Helper()
	fr := &fakeRunner{dir: filepath.Join("testdata", host, "cmd")}
	return Options{
		GOOS: goos, Root: os.DirFS(filepath.Join("testdata", host, "root")), Runner: fr,
		Samples: 2, Interval: time.Millisecond, TempDir: t.TempDir(), Version: "test",
		Now: func() time.Time { return time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC) },
	}, fr
}

// collectTo runs Collect into a file of a temp dir and reads it back.
func collectTo(t *testing.T, o Options) (string, *Manifest, map[string][]byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.tar.gz")
	m, err := CollectFile(context.Background(), out, o)
	if err != nil {
		t.Fatalf("CollectFile: %v", err)
	}
	return out, m, readBundle(t, out)
}

// readBundle returns every file of a collected tar.gz by its path below
// the bundle's root directory, checking that there is one root.
func readBundle(t *testing.T, p string) map[string][]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	root := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		top, rest, ok := strings.Cut(h.Name, "/")
		if !ok || rest == "" {
			t.Fatalf("%s: entry %q is not below a root directory", p, h.Name)
		}
		if root == "" {
			root = top
		} else if top != root {
			t.Fatalf("%s: two roots %q and %q", p, root, top)
		}
		if _, dup := out[rest]; dup {
			t.Errorf("%s: duplicate entry %q", p, rest)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", p, h.Name, err)
		}
		if int64(len(b)) != h.Size {
			t.Errorf("%s: size %d, header says %d", h.Name, len(b), h.Size)
		}
		out[rest] = b
	}
	return out
}

func TestMangle(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"/usr/bin/uname", "-a"}, "uname_-a"},
		{[]string{"lsof", "-b", "-w", "-n", "-P"}, "lsof_-b_-w_-n_-P"},
		{[]string{"ps", "-eo", "pid,ppid,user:32,stat,wchan:32,comm,args"}, "ps_-eo_pid_ppid_user_32_stat_wchan_32_comm_args"},
		{[]string{"fuser", "-v", "-m", "/srv/shadow view"}, "fuser_-v_-m_.srv.shadow_view"},
		{[]string{"slabtop", "-o"}, "slabtop_-o"},
		{[]string{"x", "'quoted'"}, "x_quoted"},
	} {
		if got := Mangle(tc.argv); got != tc.want {
			t.Errorf("Mangle(%q) = %q, want %q", tc.argv, got, tc.want)
		}
	}
}

func TestMissingCommandRecorded(t *testing.T) {
	o := Options{Runner: ExecRunner{}, TempDir: t.TempDir()}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	if p := c.command(context.Background(), "x/none", []string{"triage-no-such-program-xyz", "-a"}, cmdOpts{}); p != "" {
		t.Errorf("a missing program produced output %q", p)
	}
	if len(c.recs) != 1 {
		t.Fatalf("want one record, got %d", len(c.recs))
	}
	r := c.recs[0]
	if r.Path != "" || !strings.Contains(r.Error, "not installed") || r.ExitCode == nil || *r.ExitCode != -1 {
		t.Errorf("record of a missing program: %+v", r)
	}
	if len(c.files) != 0 {
		t.Errorf("a missing program left a file in the bundle: %+v", c.files)
	}
}

func TestOutputCapped(t *testing.T) {
	o := Options{Runner: ExecRunner{}, MaxOutputBytes: 1000}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	p := c.command(context.Background(), "x/big", []string{"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x"}, cmdOpts{})
	r := c.recs[0]
	if r.Error != "" || r.ExitCode == nil || *r.ExitCode != 0 {
		t.Fatalf("record: %+v", r)
	}
	b, _ := os.ReadFile(p)
	if len(b) != 1000 || r.Bytes != 1000 || !r.Truncated || !strings.Contains(r.Note, "199000 more bytes") {
		t.Errorf("kept %d bytes, record %+v", len(b), r)
	}
}

func TestFileTailStartsAtWholeLine(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "line %04d of the log\n", i)
	}
	os.WriteFile(filepath.Join(dir, "messages"), []byte(sb.String()), 0o644)
	o := Options{Root: os.DirFS(dir)}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	p := c.file("var/log/messages", "/messages", tail, 100)
	b, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(b), "line ") || !strings.HasSuffix(string(b), "line 0999 of the log\n") || len(b) > 100 {
		t.Errorf("tail = %q", b)
	}
	if r := c.recs[0]; !r.Truncated || r.Bytes != int64(len(b)) {
		t.Errorf("record %+v", r)
	}
}

func TestFileSkipsFIFOAndRecordsMissing(t *testing.T) {
	dir := t.TempDir()
	if err := mkfifo(filepath.Join(dir, "pipe.log")); err != nil {
		t.Skipf("SKIP: cannot make a FIFO here: %v", err)
	}
	o := Options{Root: os.DirFS(dir)}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	c.file("a/pipe.log", "/pipe.log", tail, 100) // would block forever if opened
	c.file("a/none.log", "/none.log", whole, 100)
	if len(c.recs) != 2 || !strings.Contains(c.recs[0].Skipped, "not a regular file") || c.recs[1].Error != "not found" {
		t.Errorf("records: %+v", c.recs)
	}
	if len(c.files) != 0 {
		t.Errorf("files written: %+v", c.files)
	}
}

func TestInitHeaderOnly(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"lsb", "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\n### END INIT INFO\nPASSWORD=1\n",
			"#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\n### END INIT INFO\n"},
		{"chkconfig", "#!/bin/sh\n# chkconfig: 2345 09 91\n\n# description: y\nPASSWORD=1\n# later\n",
			"#!/bin/sh\n# chkconfig: 2345 09 91\n\n# description: y\n"},
		{"no end", "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\nrun\n", "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\n"},
		{"empty", "", ""},
	} {
		var b bytes.Buffer
		n, err := copyInitHeader(&b, strings.NewReader(tc.in), 1<<20)
		if err != nil || b.String() != tc.want || n != int64(b.Len()) {
			t.Errorf("%s: got %q (%d, %v), want %q", tc.name, b.String(), n, err, tc.want)
		}
	}
}

// wantLinuxRecords are the items the Linux plan attempts on the fake host,
// by bundle path, or by argv/source when nothing was written.
var wantLinuxRecords = []string{
	"proc/slabinfo.1", "proc/slabinfo.2",
	pathUname, pathHostname, pathProcMounts, pathMountinfo, "proc/filesystems", "proc/modules",
	pathMount, pathLsmod, "sos_commands/process/ps_-eo_pid_ppid_user_32_stat_wchan_32_comm_args", pathLsof,
	"sos_commands/filesys/fuser_-v_-m_.home.alice.secure",
	"skipped: fuser -v -m /srv/shadow view", "skipped: fuser -v -m /home/bob/remote",
	"sos_commands/filesys/df_-al", pathDmesg, "var/log/messages", "error: /var/log/syslog",
	"var/log/vormetric/vorvmd_root.log", "var/log/vormetric/vorvmd_root.log.1", "opt/vormetric/DataSecurityExpert/agent/secfs/tmp/secfs.log",
	pathSecfsd, "etc/init.d/nails", "etc/init.d/secfs", pathRPM,
}

// recordKey names a record for comparison with wantLinuxRecords.
func recordKey(r Record) string {
	what := r.Source
	if len(r.Argv) > 0 {
		what = strings.Join(r.Argv, " ")
	}
	switch {
	case r.Path != "":
		return r.Path
	case r.Skipped != "":
		return "skipped: " + what
	default:
		return "error: " + what
	}
}

func TestFakeLinuxManifestComplete(t *testing.T) {
	o, _ := fakeOptions(t, "fakehost", "linux")
	_, m, files := collectTo(t, o)
	var got []string
	for _, r := range m.Records {
		got = append(got, recordKey(r))
		if r.Path != "" {
			if _, ok := files[r.Path]; !ok {
				t.Errorf("record %q has no file in the bundle", r.Path)
			}
			if int64(len(files[r.Path])) != r.Bytes {
				t.Errorf("%s: record says %d bytes, bundle holds %d", r.Path, r.Bytes, len(files[r.Path]))
			}
		}
		if r.Path == "" && r.Error == "" && r.Skipped == "" {
			t.Errorf("record with neither output nor reason: %+v", r)
		}
		if len(r.Argv) > 0 && r.Path != "" && (r.ExitCode == nil || r.Timeout == 0) {
			t.Errorf("command record without exit code or timeout: %+v", r)
		}
	}
	want := append([]string(nil), wantLinuxRecords...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("manifest records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every file of the bundle is in the manifest, and the manifest on
	// disk is the one returned.
	for p := range files {
		if p == ManifestName {
			continue
		}
		found := false
		for _, r := range m.Records {
			found = found || r.Path == p
		}
		if !found {
			t.Errorf("bundle file %q is not in the manifest", p)
		}
	}
	var disk Manifest
	if err := json.Unmarshal(files[ManifestName], &disk); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(disk.Records) != len(m.Records) || disk.OS != "linux" || disk.Options.Samples != 2 {
		t.Errorf("manifest.json differs: %d records, os %q", len(disk.Records), disk.OS)
	}
	if _, ok := files[RedactionName]; ok {
		t.Errorf("redaction.json written without --redact")
	}
}

func TestFakeLinuxNeverTouchesHungOrPrivateMounts(t *testing.T) {
	o, fr := fakeOptions(t, "fakehost", "linux")
	_, m, files := collectTo(t, o)
	for _, call := range fr.calls {
		if strings.HasPrefix(call, "fuser") && call != "fuser_-v_-m_.home.alice.secure" {
			t.Errorf("fuser was run on %s", call)
		}
		if strings.HasPrefix(call, "df") && !strings.Contains(call, "-x_fuse.shadowfs_-x_fuse.sshfs") {
			t.Errorf("df does not exclude the FUSE mounts: %s", call)
		}
	}
	reasons := map[string]string{}
	for _, r := range m.Records {
		if r.Skipped != "" {
			reasons[strings.Join(r.Argv, " ")] = r.Skipped
		}
	}
	if !strings.Contains(reasons["fuser -v -m /srv/shadow view"], "3 requests waiting") {
		t.Errorf("hung FUSE mount not skipped for its waiting requests: %q", reasons)
	}
	if !strings.Contains(reasons["fuser -v -m /home/bob/remote"], "request_wait_answer") {
		t.Errorf("FUSE mount with unknown state not skipped while tasks block in FUSE: %q", reasons)
	}
	if !bytes.Contains(files["var/log/vormetric/vorvmd_root.log.1"], []byte("Agent started on host db01")) {
		t.Errorf("rotated .gz agent log not decompressed: %q", files["var/log/vormetric/vorvmd_root.log.1"])
	}
	if bytes.Contains(files["etc/init.d/nails"], []byte("do-not-collect")) || bytes.Contains(files["etc/init.d/secfs"], []byte("do-not-collect")) {
		t.Errorf("an init script body was collected")
	}
	if !bytes.Contains(files["etc/init.d/nails"], []byte("### END INIT INFO")) {
		t.Errorf("nails header missing: %q", files["etc/init.d/nails"])
	}
}

// identifyAll checks that every collected file is identified by its path
// as an artifact kind, apart from the bookkeeping files and those listed.
func identifyAll(t *testing.T, files map[string][]byte, text ...string) {
	t.Helper()
	if len(parsers.All()) == 0 {
		t.Fatal("no parsers registered")
	}
	keepText := map[string]bool{ManifestName: true, RedactionName: true}
	for _, p := range text {
		keepText[p] = true
	}
	for p, b := range files {
		head := b
		if len(head) > parsers.HeadSize {
			head = head[:parsers.HeadSize]
		}
		id := parsers.Identify("triage-host-20240305-100000/"+p, parsers.NewHead(head))
		if keepText[p] {
			continue
		}
		if id.By != parsers.ByPath || id.Kind == parsers.KindText {
			t.Errorf("%s: identified as %q by %s, want an artifact kind by path", p, id.Kind, id.By)
		}
	}
}

func TestFakeBundlesIdentifiedByPath(t *testing.T) {
	o, _ := fakeOptions(t, "fakehost", "linux")
	_, _, files := collectTo(t, o)
	identifyAll(t, files)
	o.Redact = true
	_, _, files = collectTo(t, o)
	identifyAll(t, files)

	oa, _ := fakeOptions(t, "fakeaix", "aix")
	_, m, files := collectTo(t, oa)
	identifyAll(t, files, "general/errpt")
	want := []string{"general/uname_-a", "general/hostname", "general/oslevel_-s", "filesys/mount", "kernel/genkex",
		"general/ps_-elf", "general/lslpp_-L", "general/errpt", pathSecfsd,
		"var/log/vormetric/vorvmd_root.log", "opt/vormetric/DataSecurityExpert/agent/secfs/tmp/secfs.log"}
	for _, p := range want {
		if _, ok := files[p]; !ok {
			t.Errorf("AIX bundle lacks %s", p)
		}
	}
	lsofSkipped := false
	for _, r := range m.Records {
		lsofSkipped = lsofSkipped || (len(r.Argv) > 0 && r.Argv[0] == "lsof" && r.Skipped != "")
	}
	if !lsofSkipped {
		t.Errorf("AIX without lsof: no record says it was skipped")
	}
}

// TestHostCollection collects on the machine running the test and checks
// that the parsers recognise every file by its path. Tools that are not
// installed are reported loudly; the lead's CI installs lsof, psmisc,
// procps and kmod so that nothing is skipped.
func TestHostCollection(t *testing.T) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		t.Skipf("SKIP: not a Linux host with /proc (%v)", err)
	}
	o := Options{Samples: 2, Interval: 10 * time.Millisecond, TempDir: t.TempDir(), CommandTimeout: 60 * time.Second, Version: "test"}
	_, m, files := collectTo(t, o)
	identifyAll(t, files)
	for _, r := range m.Records {
		if strings.HasPrefix(r.Error, "not installed") {
			t.Logf("SKIPPED PIECE (tool not installed on this host): %s", strings.Join(r.Argv, " "))
		}
		if r.TimedOut {
			t.Errorf("%s timed out on this host: %s", strings.Join(r.Argv, " "), r.Error)
		}
	}
	for _, p := range []string{pathProcMounts, pathMountinfo, "proc/filesystems", pathUname, pathMount} {
		if len(files[p]) == 0 {
			t.Errorf("host bundle: %s missing or empty", p)
		}
	}
	samples := 0
	for _, r := range m.Records {
		if strings.Contains(r.Source, "slabinfo") || len(r.Argv) > 0 && strings.HasSuffix(r.Argv[0], "slabtop") {
			samples++
		}
	}
	if samples != 2 {
		t.Errorf("want 2 slab sample records, got %d", samples)
	}
}

// blockFS is a filesystem whose every call blocks until release is
// closed, like a log directory on a hung NFS server.
type blockFS struct{ release chan struct{} }

func (b blockFS) Open(name string) (fs.File, error) {
	<-b.release
	return nil, fs.ErrNotExist
}

func TestBlockedReadAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	o := Options{Root: blockFS{release}, CommandTimeout: 200 * time.Millisecond}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	if p := c.file("var/log/messages", "/var/log/messages", tail, 100); p != "" {
		t.Errorf("a blocked read produced %q", p)
	}
	c.glob("/var/log/vormetric/*.log*", tail, 100)
	if len(c.recs) != 2 {
		t.Fatalf("records: %+v", c.recs)
	}
	for _, r := range c.recs {
		if !strings.Contains(r.Error, "abandoned") || r.Path != "" {
			t.Errorf("record of a blocked read: %+v", r)
		}
	}
	if !c.recs[0].TimedOut {
		t.Errorf("blocked file read not marked timed out: %+v", c.recs[0])
	}
}

// TestCollectFileToDeviceKeepsTheDevice writes a bundle to /dev/null: the
// device must still be a device afterwards, not a file renamed over it.
func TestCollectFileToDeviceKeepsTheDevice(t *testing.T) {
	st, err := os.Stat(os.DevNull)
	if err != nil || st.Mode().IsRegular() {
		t.Skipf("SKIP: %s is not a device on this machine", os.DevNull)
	}
	o, _ := fakeOptions(t, "fakehost", "linux")
	if _, err := CollectFile(context.Background(), os.DevNull, o); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(os.DevNull)
	if err != nil || after.Mode()&os.ModeDevice == 0 {
		t.Fatalf("%s is no longer a device: %v", os.DevNull, after.Mode())
	}
}

// TestProgressWritesSerialized collects with slab sampling running beside
// the main plan and a plain bytes.Buffer as the progress writer: every
// progress line must be written under the collector's lock (the race
// detector fails this test otherwise), and each record gets exactly one
// whole line.
func TestProgressWritesSerialized(t *testing.T) {
	o, _ := fakeOptions(t, "fakehost", "linux")
	o.Samples = 4
	var progress bytes.Buffer
	o.Progress = &progress
	_, m, _ := collectTo(t, o)
	lines := strings.Split(strings.TrimSuffix(progress.String(), "\n"), "\n")
	if len(lines) != len(m.Records) {
		t.Fatalf("progress has %d lines for %d records", len(lines), len(m.Records))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "collect: ") {
			t.Errorf("progress line %q is not a whole line", l)
		}
	}
}

// blockingLookPath is a Runner whose program search never returns, as
// exec.LookPath does when a $PATH directory sits on a hung NFS mount.
type blockingLookPath struct {
	fakeRunner
	release chan struct{}
}

func (b *blockingLookPath) LookPath(name string) (string, error) {
	<-b.release
	return "", fmt.Errorf("%s: not installed", name)
}

// TestBlockedLookPathAbandoned: finding a program stats every $PATH
// directory; a search that blocks is abandoned at the command timeout and
// recorded, instead of hanging the collector.
func TestBlockedLookPathAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	o := Options{Runner: &blockingLookPath{release: release}, CommandTimeout: 100 * time.Millisecond}.withDefaults()
	c := &collector{o: o, dir: t.TempDir()}
	done := make(chan string, 1)
	go func() {
		done <- c.command(context.Background(), "general/uname_-a", []string{"uname", "-a"}, cmdOpts{})
	}()
	select {
	case p := <-done:
		if p != "" {
			t.Errorf("a blocked program search produced %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the collector hung on a blocked program search")
	}
	if len(c.recs) != 1 || !strings.Contains(c.recs[0].Error, "abandoned") || !c.recs[0].TimedOut || strings.HasPrefix(c.recs[0].Error, "not installed") {
		t.Errorf("records: %+v", c.recs)
	}
}
