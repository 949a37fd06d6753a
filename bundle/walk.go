package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fsagent/triage/internal/wording"
	"github.com/mholt/archives"
	"golang.org/x/text/unicode/norm"
)

// Open checks that path is a directory or a supported archive or compressed
// file and tells its format from its content. It reads only the first bytes;
// Walk reads the rest. The error wraps ErrUnreadable when the bundle cannot
// be read at all.
func Open(ctx context.Context, path string, lim Limits) (*Bundle, error) {
	b := &Bundle{Path: path, lim: lim.withDefaults()}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &unreadableError{path, "no such file or directory"}
		}
		return nil, &unreadableError{path, "cannot be read (" + errText(err) + ")"}
	}
	if fi.IsDir() {
		dir, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, &unreadableError{path, "cannot be read (" + errText(err) + ")"}
		}
		b.Format, b.dir = "directory", dir
		return b, nil
	}
	if !fi.Mode().IsRegular() {
		return nil, &unreadableError{path, "not a regular file or a directory"}
	}
	if fi.Size() == 0 {
		return nil, &unreadableError{path, "empty upload (0 bytes)"}
	}
	b.Size, b.mod = fi.Size(), fi.ModTime()
	f, err := os.Open(path)
	if err != nil {
		return nil, &unreadableError{path, "cannot be read (" + errText(err) + ")"}
	}
	defer f.Close()
	k, looks, _, err := sniffBundle(f, false)
	if err != nil {
		return nil, &unreadableError{path, err.Error()}
	}
	if !k.known() {
		if looks != "plain text" {
			return nil, &unreadableError{path, "not a supported archive (content looks like " + looks + ")"}
		}
		k = plainFile
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.kind, b.Format = k, k.String()
	return b, nil
}

// sniffBundle tells the bundle file's format, decompressing the start of a
// compressed file to see whether a tar is inside. With keep, the decoder of
// a compressed file is returned for the first Walk to go on with (see
// sniffed); otherwise it is closed.
func sniffBundle(r io.Reader, keep bool) (kind, string, *sniffed, error) {
	sw := &swapReader{r: r}
	br := bufio.NewReaderSize(sw, 4096)
	head, _ := br.Peek(sniffLen)
	k := sniff(head, true)
	if !k.known() {
		return k, describe(head), nil, nil
	}
	if k.comp == "" {
		return k, "", nil, nil
	}
	s := &sniffed{raw: sw}
	var dec io.ReadCloser
	var err error
	if k.comp == "gz" {
		// The walk's reader of gzip members, so that the walk can go on
		// with it; gaps met in the head are told to the walk.
		var g *gzipMembers
		g, err = newGzipMembers(br, func(at, n int64) { s.gaps = append(s.gaps, [2]int64{at, n}) })
		if err == nil {
			dec, s.gz = g, g
		}
	} else {
		dec, err = decompressor(k.comp, br)
	}
	if err != nil {
		return k, "", nil, fmt.Errorf("corrupt %s data (%s)", k.comp, errText(err))
	}
	s.dec, s.out = dec, bufio.NewReaderSize(dec, 4096)
	dh, derr := s.out.Peek(sniffLen)
	if len(dh) == 0 && derr != nil && derr != io.EOF {
		dec.Close()
		return k, "", nil, fmt.Errorf("corrupt %s data (%s)", k.comp, errText(derr))
	}
	if isTar(dh, true) {
		k.arch = "tar"
	}
	if !keep {
		dec.Close()
		s = nil
	}
	return k, "", s, nil
}

// Walk streams every regular file of the bundle once, in archive order
// (lexical order for a directory), to fn. Files of nested archives and
// compressed files are reported under the archive's path, up to
// Limits.MaxDepth; fn is not called for the archive itself. Walk returns an
// error only when ctx ends or fn fails; every other problem, limits included,
// is in Warnings and the walk goes on where it safely can.
func (b *Bundle) Walk(ctx context.Context, fn WalkFunc) error {
	b.warnings, b.others, b.root, b.sha = nil, nil, "", ""
	wctx, cancel := context.WithTimeout(ctx, b.lim.Timeout)
	defer cancel()
	w := &walker{
		b: b, ctx: wctx, parent: ctx, lim: b.lim, fn: fn,
		names: map[string]byte{}, fold: map[string]string{}, clash: map[string]bool{},
	}
	var err error
	if b.Format == "directory" {
		err = w.walkDir(w.newLayer("", 0, "directory"), b.dir)
	} else {
		err = w.walkFile()
	}
	if w.rootSeen && !w.rootBad {
		b.root = w.rootCand
	}
	return w.result(err)
}

const (
	nameFile byte = iota + 1
	nameDir
	nameArchive
)

// walker is the state of one Walk.
type walker struct {
	b       *Bundle
	ctx     context.Context // parent plus the Timeout
	parent  context.Context
	lim     Limits
	fn      WalkFunc
	total   int64
	entries int
	stop    error // set once: a global limit or the parent context's end

	names map[string]byte   // every path met: file, directory or archive
	fold  map[string]string // case- and Unicode-folded path -> first path
	clash map[string]bool   // file/directory clashes already reported

	rootCand string
	rootSeen bool
	rootBad  bool
}

// layer is one archive (or the bundle directory) being read.
type layer struct {
	path    string // in-bundle path of the archive, "" for the bundle itself
	depth   int
	format  string
	links   map[string]string // symlinks met so far: clean name -> target
	seen    map[string]bool   // regular files met so far
	stream  bool              // a read error ends the archive (tar)
	metered bool              // entry readers are decompressor outputs (zip, 7z)
	st      *layerStats
	entries int
	pre     io.ReadCloser // the decoder of the bundle file, already open (see walkFile)
}

func (w *walker) newLayer(p string, depth int, format string) *layer {
	return &layer{path: p, depth: depth, format: format, links: map[string]string{},
		seen: map[string]bool{}, st: &layerStats{}}
}

// rawEntry is an entry as an archive or directory stores it, not yet trusted.
type rawEntry struct {
	name  string
	mode  fs.FileMode
	hard  bool
	link  string
	size  int64
	mtime time.Time
	open  func() (io.ReadCloser, error)
}

func fromArchives(fi archives.FileInfo) rawEntry {
	e := rawEntry{name: fi.NameInArchive, mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime(),
		link: fi.LinkTarget, open: func() (io.ReadCloser, error) { return fi.Open() }}
	if h, ok := fi.Header.(*tar.Header); ok && h.Typeflag == tar.TypeLink {
		e.hard = true
	}
	return e
}

// errSkipped marks an entry refused for its name (a directory walk then
// skips what is under it).
var errSkipped = errors.New("entry skipped")

func (w *walker) result(err error) error {
	if err == nil {
		return nil
	}
	var fe *fnError
	if errors.As(err, &fe) {
		return fe
	}
	if perr := w.parent.Err(); perr != nil {
		return perr
	}
	var le *limitError
	if !errors.As(err, &le) {
		w.lose(LossArchive, "", "reading stopped ("+errText(err)+")")
	}
	return nil
}

func (w *walker) warn(p, msg string) { w.lose("", p, msg) }

// lose records a warning about content that was not read (see Warning.Loss).
func (w *walker) lose(loss, p, msg string) {
	if utf8.RuneCountInString(p) > maxDisplayRunes {
		p = string([]rune(p)[:maxDisplayRunes]) + "…"
	}
	w.b.warnings = append(w.b.warnings, Warning{Path: p, Msg: msg, Loss: loss})
}

func (w *walker) other(o Other) int {
	w.b.others = append(w.b.others, o)
	return len(w.b.others) - 1
}

// checkStop says whether the walk must stop: a global limit was reached, the
// time is up, or the caller's context ended.
func (w *walker) checkStop() error {
	if w.stop != nil {
		return w.stop
	}
	if w.ctx.Err() == nil {
		return nil
	}
	if err := w.parent.Err(); err != nil {
		w.stop = err
		return err
	}
	return w.stopWith("", &limitError{global: true,
		msg: "reading stopped: the time limit of " + w.lim.Timeout.String() + " was reached (limit --timeout; raise it only for a bundle you trust)"})
}

func (w *walker) stopWith(p string, le *limitError) error {
	if w.stop == nil {
		w.stop = le
		w.lose(LossLimit, p, le.msg)
	}
	return w.stop
}

// walkFile reads the bundle file, hashing every byte of it.
func (w *walker) walkFile() error {
	b := w.b
	f, closeFile, err := b.openFile()
	if err != nil {
		w.lose(LossArchive, "", "cannot open the bundle ("+errText(err)+")")
		return nil
	}
	defer closeFile()
	h := sha256.New()
	l := w.newLayer("", 0, b.Format)
	var werr error
	if b.kind.comp == "" && (b.kind.arch == "zip" || b.kind.arch == "7z") {
		werr = w.openArchive(l, b.kind, nil, f, b.Size, filepath.Base(b.Path))
		if w.parent.Err() == nil {
			_, err = f.Seek(0, io.SeekStart)
			if err == nil {
				_, err = io.CopyBuffer(h, f, copyBuf(b.Size))
			}
		}
	} else {
		pend := b.sniffed
		b.sniffed = nil
		if b.kind.comp == "xz" {
			// The blocks of a multi-block xz file are decoded in place on
			// every core; the hash then reads the whole file below.
			if p := newXzParallel(f, b.Size, &l.st.in); p != nil {
				l.pre = p
			}
		}
		if b.kind.comp == "bz2" {
			// So are the blocks of a bzip2 file, once found (bz2par.go).
			if p := newBz2Parallel(f, b.Size, &l.st.in); p != nil {
				l.pre = p
			}
		}
		if pend != nil && l.pre == nil {
			// Go on with the decoder that sniffed the bundle in
			// OpenReaderAt rather than opening another one.
			if l.pre, err = pend.resume(f, h, &l.st.in, w.gzipGap(l)); err != nil {
				w.warn("", "cannot compute the bundle's SHA-256 ("+errText(err)+")")
				return nil
			}
		} else if pend != nil {
			pend.dec.Close()
		}
		var src io.Reader = io.TeeReader(f, h)
		if b.again {
			src = f
		}
		werr = w.openArchive(l, b.kind, src, nil, b.Size, filepath.Base(b.Path))
		if w.parent.Err() == nil && !b.again {
			_, err = io.CopyBuffer(h, f, copyBuf(b.Size)) // the bytes the walk did not need
		}
	}
	switch {
	case w.parent.Err() != nil, b.again:
	case err != nil:
		w.warn("", "cannot compute the bundle's SHA-256 ("+errText(err)+")")
	default:
		b.sha = hex.EncodeToString(h.Sum(nil))
	}
	return werr
}

// decodedBufSize is the buffer for the output of a decoder whose input is
// size bytes (0 when not known): 32 KiB, less for a small file, whose
// walk it would otherwise cost most of the memory of (the fuzz targets walk
// uploads of a few hundred bytes thousands of times a second).
func decodedBufSize(size int64) int {
	if size <= 0 {
		return 32 << 10
	}
	return int(max(min(size*16, 32<<10), 4<<10))
}

// compressedBufSize is the read-ahead buffer for a decoder's input of size
// bytes (0 when not known): 64 KiB, less for a small file.
func compressedBufSize(size int64) int {
	if size <= 0 {
		return 64 << 10
	}
	return int(max(min(size, 64<<10), 512))
}

// copyBuf is a buffer to copy n bytes with: io.Copy's 32 KiB would be most
// of what a walk of a small upload allocates.
func copyBuf(n int64) []byte { return make([]byte, max(min(n, 32<<10), 512)) }

// openArchive reads one archive or compressed file into layer l: from the
// stream src (or the decoder l.pre already opened on it), or from ra (size
// bytes) for zip and 7z. base names the content
// of a single compressed file. Only stop errors come back; the rest are
// warnings.
//
// A decoder that panics on damaged input (a corrupt zip entry can make the
// zip library dereference nil) costs only this archive: the panic becomes
// the same "truncated or corrupt" warning as a read error.
func (w *walker) openArchive(l *layer, k kind, src io.Reader, ra io.ReaderAt, size int64, base string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = w.endLayer(l, &readError{err: fmt.Errorf("the decoder failed: %v", r)})
		}
	}()
	top := l.path == ""
	switch {
	case k == plainFile:
		// One plain-text file uploaded as it is: a bundle of that file.
		l.format = "file"
		src = &meter{w: w, r: src, st: l.st, path: l.path}
		if looksLikeArchiveName(base) {
			w.warn(Escape(base), "named like an archive or compressed file, but it holds plain text: read as a single text file")
		}
		err := w.handleEntry(l, rawEntry{name: base, mode: 0o644, size: size,
			open: func() (io.ReadCloser, error) { return io.NopCloser(src), nil }})
		if errors.Is(err, errSkipped) {
			err = nil
		}
		return w.endLayer(l, err)
	case k.comp != "":
		l.format = k.comp
		var dec io.ReadCloser
		var err error
		switch {
		case l.pre != nil:
			dec = l.pre
		case k.comp == "gz":
			dec, err = newGzipMembers(&countReader{r: src, n: &l.st.in}, w.gzipGap(l))
		case k.comp == "xz":
			// Read front to back (nested, or no index to split by): the
			// container here, its blocks by internal/lzma2 ahead of the
			// walk (xzstream.go).
			dec = newXzStreamReader(&countReader{r: src, n: &l.st.in})
		case k.comp == "zst":
			// klauspost's zstd decoder reads its input unbuffered: three
			// bytes for each block's header, then the block (36,000 reads
			// of the file for a 48 MB bundle). The buffer sits below the
			// count, so the ratio limit still counts what the decoder
			// consumed, and the hash sees every byte once (what was read
			// ahead is not read again by the copy after the walk).
			dec, err = decompressor(k.comp, &countReader{r: bufio.NewReaderSize(src, compressedBufSize(size)), n: &l.st.in})
		default:
			dec, err = decompressor(k.comp, &countReader{r: src, n: &l.st.in})
		}
		if err != nil {
			return w.endLayer(l, &readError{err: err})
		}
		defer dec.Close()
		br := bufio.NewReaderSize(&meter{w: w, r: dec, st: l.st, ratio: true, path: l.path}, decodedBufSize(size))
		head, _ := br.Peek(sniffLen)
		if isTar(head, top) {
			l.format = "tar." + k.comp
			return w.extractTar(l, br)
		}
		err = w.handleEntry(l, rawEntry{name: innerName(base, k.comp), mode: 0o644, size: -1,
			open: func() (io.ReadCloser, error) { return io.NopCloser(br), nil }})
		if errors.Is(err, errSkipped) {
			err = nil
		}
		return w.endLayer(l, err)
	case k.arch == "tar":
		l.format = "tar"
		if top { // count the raw bytes of a plain tar bundle
			src = &meter{w: w, r: src, st: l.st, path: l.path}
		}
		return w.extractTar(l, src)
	default:
		l.format = k.arch
		l.metered = true
		var ex archives.Extractor = archives.Zip{}
		if k.arch == "7z" {
			ex = archives.SevenZip{}
		}
		sr := io.NewSectionReader(&countReaderAt{ra: ra, n: &l.st.in}, 0, size)
		if k.arch == "7z" {
			if err := check7z(sr, size, w.lim.MaxEntries); err != nil {
				if le := (*limitError)(nil); !errors.As(err, &le) {
					err = &readError{err: err}
				}
				return w.endLayer(l, err)
			}
		}
		err := ex.Extract(w.ctx, sr, func(_ context.Context, fi archives.FileInfo) error {
			if err := w.handleEntry(l, fromArchives(fi)); !errors.Is(err, errSkipped) {
				return err
			}
			return nil
		})
		if k.arch == "zip" && err != nil && l.entries == 0 && w.salvageable(err) {
			return w.endLayer(l, w.salvageZip(l, sr, size, err))
		}
		return w.endLayer(l, err)
	}
}

// gzipGap reports bytes between the gzip members of layer l that are not
// gzip data.
func (w *walker) gzipGap(l *layer) func(at, n int64) {
	return func(at, n int64) {
		w.lose(LossArtifact, l.path, fmt.Sprintf("%s at byte %d of the gzip data are not gzip data; skipped, and the gzip members after them were read",
			wording.Plural(int(n), "byte", "bytes"), at))
	}
}

// extractTar walks a tar stream once, in order. A read error ends it.
func (w *walker) extractTar(l *layer, r io.Reader) error {
	l.stream = true
	err := archives.Tar{}.Extract(w.ctx, r, func(_ context.Context, fi archives.FileInfo) error {
		if err := w.handleEntry(l, fromArchives(fi)); !errors.Is(err, errSkipped) {
			return err
		}
		return nil
	})
	return w.endLayer(l, err)
}

// endLayer turns the end of one archive into a warning, or passes a stop up.
func (w *walker) endLayer(l *layer, err error) error {
	if err == nil || errors.Is(err, errSkipped) {
		return nil
	}
	if serr := w.checkStop(); serr != nil {
		return serr
	}
	var fe *fnError
	if errors.As(err, &fe) {
		return fe
	}
	var le *limitError
	if errors.As(err, &le) {
		if le.global {
			return err
		}
		w.lose(LossLimit, l.path, le.msg)
		return nil
	}
	what := l.format + " archive"
	if !strings.Contains(l.format, "tar") && l.format != "zip" && l.format != "7z" && l.format != "directory" {
		what = l.format + " data"
	}
	if l.format == "directory" {
		w.lose(LossArchive, l.path, "the directory cannot be read completely ("+errText(err)+")")
		return nil
	}
	w.lose(LossArchive, l.path, fmt.Sprintf("%s is truncated or corrupt (%s); %s before the damage were read, the rest is skipped",
		what, errText(err), wording.Plural(l.entries, "entry", "entries")))
	return nil
}

// handleEntry checks one entry's name and type and passes a regular file on.
func (w *walker) handleEntry(l *layer, e rawEntry) error {
	if err := w.checkStop(); err != nil {
		return err
	}
	w.entries++
	l.entries++
	if w.entries > w.lim.MaxEntries {
		return w.stopWith(l.path, &limitError{global: true, msg: fmt.Sprintf(
			"reading stopped: the bundle holds more than %d entries (limit --max-entries; raise it only for a bundle you trust)", w.lim.MaxEntries)})
	}
	name, problem := cleanName(e.name)
	if problem != "" {
		shown := joinPath(l.path, Escape(e.name))
		w.warn(shown, "unsafe name ("+problem+"); entry skipped")
		w.other(Other{Path: shown, Type: "unsafe", Target: Escape(e.link), Note: "skipped: " + problem})
		return errSkipped
	}
	if name == "" {
		return nil // the archive's own "." entry
	}
	if !utf8.ValidString(name) {
		name = sanitizeUTF8(name)
		w.warn(joinPath(l.path, name), `name is not valid UTF-8; kept with each bad byte written as \xNN`)
	}
	full := joinPath(l.path, name)
	if l.path == "" {
		w.noteRoot(name, e.mode.IsDir())
	}
	var typ, what string
	switch {
	case e.hard:
		w.hardlink(l, name, full, e.link)
		return nil
	case e.mode.IsDir():
		w.addDir(full)
		return nil
	case e.mode&fs.ModeSymlink != 0:
		l.links[name] = e.link
		o := Other{Path: full, Type: "symlink", Target: Escape(e.link)}
		if _, why := resolveLink(l.links, name, e.link); why != "" {
			w.warn(full, "symlink "+why+"; not followed")
			o.Note = "not followed: " + why
		}
		w.other(o)
		return nil
	case e.mode&fs.ModeCharDevice != 0:
		typ, what = "device", "character device"
	case e.mode&fs.ModeDevice != 0:
		typ, what = "device", "block device"
	case e.mode&fs.ModeNamedPipe != 0:
		typ, what = "fifo", "FIFO"
	case e.mode&fs.ModeSocket != 0:
		typ, what = "socket", "socket"
	case !e.mode.IsRegular():
		typ, what = "other", "special file"
	}
	if typ != "" {
		w.warn(full, what+" skipped; never opened")
		w.other(Other{Path: full, Type: typ, Note: "not opened"})
		return nil
	}
	l.seen[name] = true
	return w.handleFile(l, w.addFile(full), e)
}

func (w *walker) hardlink(l *layer, name, full, target string) {
	o := Other{Path: full, Type: "hardlink", Target: Escape(target)}
	t, why := cleanName(target)
	switch {
	case why != "":
		o.Note = "not followed: points outside the bundle (" + why + ")"
		w.warn(full, "hardlink to "+Escape(target)+" points outside the bundle ("+why+"); not followed")
	case t == name:
		o.Note = "not followed: links to itself"
		w.warn(full, "hardlink to itself; not followed")
	case !l.seen[t]:
		o.Note = "not followed: the target is not an earlier file of the archive"
	default:
		o.Note = "same content as " + joinPath(l.path, t)
	}
	w.other(o)
}

func (w *walker) noteRoot(name string, isDir bool) {
	first, _, nested := strings.Cut(name, "/")
	switch {
	case !nested && !isDir:
		w.rootBad = true
	case !w.rootSeen:
		w.rootSeen, w.rootCand = true, first
	case first != w.rootCand:
		w.rootBad = true
	}
}

func foldKey(p string) string { return strings.ToLower(norm.NFC.String(p)) }

// addFile records a file's path and returns the path it is kept under:
// a duplicate gets "~2", "~3", ... appended.
func (w *walker) addFile(full string) string {
	key := foldKey(full)
	if t, ok := w.names[full]; ok {
		n := 2
		cand := full + "~2"
		for ; w.names[cand] != 0; n++ {
			cand = full + "~" + strconv.Itoa(n+1)
		}
		if t == nameFile {
			w.warn(full, "duplicate name; this copy is kept as "+cand)
		} else {
			w.warn(full, "a file and a directory have the same name; the file is kept as "+cand)
		}
		full = cand
	} else if prev, ok := w.fold[key]; ok && prev != full {
		w.warn(full, "differs from "+prev+" only in letter case or Unicode form; both kept")
	}
	w.names[full] = nameFile
	if _, ok := w.fold[key]; !ok {
		w.fold[key] = full
	}
	w.addParents(full)
	return full
}

func (w *walker) addDir(full string) {
	if t, ok := w.names[full]; ok {
		if t == nameFile && !w.clash[full] {
			w.clash[full] = true
			w.warn(full, "a file and a directory have the same name; both kept")
		}
		return
	}
	w.names[full] = nameDir
	w.addParents(full)
}

func (w *walker) addParents(full string) {
	for p := path.Dir(full); p != "." && p != "/"; p = path.Dir(p) {
		t, ok := w.names[p]
		if !ok {
			w.names[p] = nameDir
			continue
		}
		if t == nameFile && !w.clash[p] {
			w.clash[p] = true
			w.warn(p, "a file and a directory have the same name; both kept")
		}
		return
	}
}

// handleFile opens a regular file: a nested archive is walked in turn,
// anything else goes to fn.
func (w *walker) handleFile(l *layer, full string, e rawEntry) error {
	rc, err := e.open()
	if err != nil {
		if l.stream {
			return &readError{err: err}
		}
		w.lose(LossArtifact, full, "cannot be read ("+errText(err)+"); skipped")
		return nil
	}
	defer rc.Close()
	var src io.Reader = rc
	switch {
	case l.metered:
		src = &meter{w: w, r: rc, st: l.st, ratio: true, path: l.path}
	case l.format == "directory":
		src = &meter{w: w, r: rc, st: l.st, path: l.path}
	}
	fr := &fileReader{w: w, r: src, left: w.lim.MaxFileBytes}
	br := bufio.NewReaderSize(fr, 4096)
	head, _ := br.Peek(sniffLen)
	if k := sniff(head, false); k.known() {
		return w.nested(l, full, k, br, fr, rc)
	}
	ferr := w.fn(Entry{Path: full, Size: e.size, Mode: e.mode, ModTime: e.mtime}, br)
	return w.afterFile(l, full, fr, ferr)
}

// afterFile reports what happened while fn read a file.
func (w *walker) afterFile(l *layer, full string, fr *fileReader, ferr error) error {
	if err := w.checkStop(); err != nil {
		return err
	}
	if ferr != nil {
		var re *readError
		var le *limitError
		if !errors.As(ferr, &re) && !errors.As(ferr, &le) {
			return &fnError{path: full, err: ferr}
		}
	}
	if fr.truncated {
		w.lose(LossLimit, full, "file truncated after "+wording.Bytes(w.lim.MaxFileBytes)+
			": it is larger than the per-file limit (limit --max-file-bytes; raise it only for a bundle you trust)")
	}
	if fr.err != nil {
		var le *limitError
		if errors.As(fr.err, &le) {
			w.lose(LossLimit, full, "cut short: a limit stopped the reading inside this file; only its beginning was read")
			return fr.err // ends this archive; endLayer reports it once
		}
		if l.stream {
			w.lose(LossArtifact, full, "cut short: the archive breaks off inside this file ("+errText(fr.err)+"); only its beginning was read")
			return fr.err // ends this archive; endLayer reports it once
		}
		w.lose(LossArtifact, full, "read error ("+errText(fr.err)+"); the file may be incomplete: if the upload was cut short, ask for the bundle again")
	}
	return nil
}

// nested walks an archive or compressed file found inside the bundle.
func (w *walker) nested(l *layer, full string, k kind, br *bufio.Reader, fr *fileReader, rc io.ReadCloser) error {
	w.names[full] = nameArchive
	idx := w.other(Other{Path: full, Type: "archive"})
	if l.depth+1 > w.lim.MaxDepth {
		note := fmt.Sprintf("not inspected: archive nested deeper than %d levels (limit --max-depth; raise it only for a bundle you trust)", w.lim.MaxDepth)
		w.b.others[idx].Note = note
		w.lose(LossLimit, full, k.String()+" "+note)
		return nil
	}
	nl := w.newLayer(full, l.depth+1, k.String())
	var ra io.ReaderAt
	var size int64
	if k.comp == "" && (k.arch == "zip" || k.arch == "7z") {
		if f, ok := rc.(*os.File); ok { // a file of a directory bundle: read it in place
			st, err := f.Stat()
			if err != nil {
				w.lose(LossArtifact, full, "cannot be read ("+errText(err)+"); skipped")
				return nil
			}
			ra, size = f, st.Size()
		} else {
			max := min(w.lim.MaxBufferBytes, w.lim.MaxFileBytes)
			buf, err := io.ReadAll(io.LimitReader(br, max+1))
			if err != nil {
				w.b.others[idx].Note = "not inspected: read error"
				return w.afterFile(l, full, fr, nil)
			}
			if int64(len(buf)) > max {
				note := "not inspected: a nested " + k.arch + " must be held in memory and this one is larger than " +
					wording.Bytes(max) + " (limit --max-buffer-bytes; raise it only for a bundle you trust)"
				w.b.others[idx].Note = note
				w.lose(LossLimit, full, note)
				return nil
			}
			ra, size = bytes.NewReader(buf), int64(len(buf))
		}
	}
	err := w.openArchive(nl, k, br, ra, size, path.Base(full))
	w.b.others[idx].Note = "opened as " + nl.format
	if err != nil {
		return err
	}
	if fr.truncated {
		w.lose(LossLimit, full, "archive file truncated after "+wording.Bytes(w.lim.MaxFileBytes)+
			": it is larger than the per-file limit (limit --max-file-bytes; raise it only for a bundle you trust)")
	}
	if fr.err != nil && l.stream {
		return fr.err
	}
	return nil
}

// walkDir walks a directory bundle in lexical order without following links.
func (w *walker) walkDir(l *layer, root string) error {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if serr := w.checkStop(); serr != nil {
			return serr
		}
		if p == root {
			return err
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			w.lose(LossArtifact, Escape(rel), "cannot be read ("+errText(err)+"); skipped")
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			w.lose(LossArtifact, Escape(rel), "cannot be read ("+errText(err)+"); skipped")
			return nil
		}
		e := rawEntry{name: rel, mode: info.Mode(), size: info.Size(), mtime: info.ModTime(),
			open: func() (io.ReadCloser, error) { return openNoFollow(p) }}
		if info.Mode()&fs.ModeSymlink != 0 {
			e.link, _ = os.Readlink(p)
		}
		herr := w.handleEntry(l, e)
		if errors.Is(herr, errSkipped) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		return herr
	})
	return w.endLayer(l, err)
}

// errText is the innermost cause of err, escaped for display.
func errText(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	return Escape(err.Error())
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
