package analyze

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
	"github.com/fsagent/triage/sections"
)

// Options control one analysis.
type Options struct {
	// Limits bound what reading the bundle may cost; bundle.Open gives zero
	// fields their defaults.
	Limits bundle.Limits
	// Rules are evaluated on the model; nil parses only (inventory, facts).
	Rules *rules.Set
	// Patterns are extra line patterns to collect (rule tests use them when
	// they load a model without a whole rule set).
	Patterns []rules.LinePattern
	// Serial parses every file on the goroutine that reads the bundle,
	// none on goroutines of their own. A caller that already runs one
	// analysis per core (triage batch with --jobs at least the number of
	// CPUs) gains nothing from per-file goroutines and pipes: they cost
	// scheduling, copies and collector work on a core another analysis
	// needs.
	Serial bool
}

// Run reads the bundle at path, parses every artifact into the model and
// evaluates the rules. It fails only when the bundle cannot be read at all
// (errors.Is(err, bundle.ErrUnreadable)) or ctx ends; every other problem is
// a warning in the result.
func Run(ctx context.Context, bundlePath string, opts Options) (*Result, error) {
	b, err := bundle.Open(ctx, bundlePath, opts.Limits)
	if err != nil {
		return nil, err
	}
	patterns := append([]rules.LinePattern(nil), opts.Patterns...)
	if opts.Rules != nil {
		patterns = append(patterns, opts.Rules.LinePatterns()...)
	}
	res := &Result{Model: &model.Model{}}
	// Files are parsed on their own goroutines while the walk goes on
	// decompressing, at most one per CPU at a time; their models are merged
	// in bundle order afterwards, so the result does not depend on timing.
	var (
		slots []*parsed
		wg    sync.WaitGroup
		sem   = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	)
	walkErr := b.Walk(ctx, func(e bundle.Entry, r io.Reader) error {
		slot := &parsed{identified: make(chan struct{}), done: make(chan struct{})}
		if e.Size < 0 {
			// The content of a single compressed file declares no size:
			// count what it holds (see the drain below).
			slot.sized = &sectionCounter{r: r}
			r = slot.sized
		}
		prior := slots // the files before this one; never changed again
		slots = append(slots, slot)
		prepare := func(p *parsers.Parser, in *parsers.Input) {
			slot.identify(p.Kind)
			if opts.Serial {
				in.ParseSerially()
			}
			if len(p.Requires) > 0 {
				in.SetDeps(depsOf(prior, p.Requires, true))
				slot.requires = p.Requires
				if b.Rereadable() {
					// Called by the deferred finish, after the walk.
					in.SetReread(func(read func(io.Reader) error) error {
						return b.Reread(ctx, len(prior), e, read)
					})
				}
			}
		}
		if opts.Serial || e.Size >= 0 && e.Size < inlineMax {
			// A small file is parsed right here: a goroutine and a pipe
			// cost more than they save, and a batch of small bundles
			// scales better with one core per bundle.
			slot.art, slot.facts, slot.finish = parseEntry(e, nil, r, patterns, prepare)
			slot.identify("")
			close(slot.done)
			return nil
		}
		sem <- struct{}{}
		pipe := newChunkPipe()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer close(slot.done)
			defer slot.identify("") // in case parseEntry did not get that far
			defer pipe.close()
			slot.art, slot.facts, slot.finish = parseEntry(e, nil, pipe, patterns, prepare)
			if slot.sized != nil {
				_, _ = io.Copy(io.Discard, pipe) // read it all, so its size is known
			}
		}()
		pipe.fill(r)
		return nil
	})
	wg.Wait()
	for _, s := range slots {
		if s.sized != nil {
			s.art.Size = s.sized.n
		}
	}
	finishDeferred(slots)
	res.Warnings = append(res.Warnings, severalHosts(slots)...)
	for i, s := range slots {
		res.Inventory = append(res.Inventory, s.art)
		res.Model.Merge(s.facts)
		slots[i] = nil // the merged model holds the facts now
	}
	res.Bundle = BundleInfo{Path: bundlePath, SHA256: b.SHA256(), Size: b.Size, Format: b.Format}
	res.Warnings = append(b.Warnings(), res.Warnings...)
	res.Others = b.Others()
	if walkErr != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("bundle %s: %w", bundlePath, walkErr)
		}
		res.Warnings = append(res.Warnings, bundle.Warning{Msg: "reading stopped: " + walkErr.Error()})
	}
	if len(res.Inventory) == 0 {
		res.Warnings = append(res.Warnings, bundle.Warning{Msg: "no artifacts found: the bundle holds no readable files"})
	}
	if opts.Rules != nil {
		res.Findings, res.Errors = opts.Rules.Evaluate(ctx, res.Model)
	}
	res.judge(opts.Rules)
	return res, nil
}

// inlineMax is the declared size below which a file is parsed on the
// walking goroutine instead of its own. Measured on the batch benchmark:
// per-file goroutines and pipes only pay for files of megabytes.
const inlineMax = 1 << 20

// readerPool recycles the 64 KiB line buffers of parseEntry: a bundle has
// dozens of small files and a batch thousands of bundles.
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// parsed is one file's slot in bundle order: what parsing it gave, and
// signals that later files wait on (see depsOf).
type parsed struct {
	art        Artifact
	facts      *model.Model
	kind       parsers.Kind
	requires   []parsers.Kind  // the kinds its parser requires
	finish     parsers.Finish  // the work its parser deferred, or nil
	sized      *sectionCounter // counts a file that declares no size
	once       sync.Once
	identified chan struct{} // closed once kind is set
	done       chan struct{} // closed once art, facts and finish are set
}

func (p *parsed) identify(kind parsers.Kind) {
	p.once.Do(func() { p.kind = kind; close(p.identified) })
}

// depsOf gathers the facts of the files of the given kinds among slots,
// for a parser that declared them in Parser.Requires. With wait, it waits
// for each earlier file to be identified and, when of such a kind, parsed:
// the files a parser requires are small (mount tables, df, agent status),
// and waiting makes what a parser sees depend only on the bundle's order,
// never on timing. The facts are copied (Merge clips what it takes over), so
// the files' own models stay as they were.
func depsOf(slots []*parsed, kinds []parsers.Kind, wait bool) *model.Model {
	deps := &model.Model{}
	for _, p := range slots {
		if wait {
			<-p.identified
		}
		if !slices.Contains(kinds, p.kind) && !sectioned(p.kind) {
			continue
		}
		if wait {
			<-p.done
		}
		if p.facts != nil {
			deps.Merge(p.facts)
		}
	}
	return deps
}

// finishDeferred completes, once every file is parsed, the work parsers
// left for when all files of the kinds they require are known (lsof's rows
// inside a guard point named by a later mount table or agent status). One
// file at a time: a parser's finish uses every core itself.
func finishDeferred(slots []*parsed) {
	for _, s := range slots {
		if s.finish == nil {
			continue
		}
		f := s.finish
		s.finish = nil
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.art.Warnings = append(s.art.Warnings, parsers.Warning{Path: s.art.Path, Msg: fmt.Sprintf(
						"%v: finishing this file panicked: %v (please report this with the file); facts found after the walk were dropped\n%s",
						errParserPanic, r, firstFrames(debug.Stack())), Loss: bundle.LossArtifact})
				}
			}()
			s.art.Warnings = append(s.art.Warnings, f(depsOf(slots, s.requires, false), s.facts)...)
		}()
		s.art.Facts = s.facts.FactCount()
	}
}

// LoadModel reads a bundle into a model, collecting the given line patterns,
// without evaluating rules. It is the rules.ModelLoader that `triage rules
// test` uses.
func LoadModel(ctx context.Context, bundleDir string, patterns []rules.LinePattern) (*model.Model, error) {
	res, err := Run(ctx, bundleDir, Options{Patterns: patterns})
	if err != nil {
		return nil, err
	}
	return res.Model, nil
}

// parseEntry identifies one file, parses it into a model of its own and
// collects the lines that rules asked for. A parser that panics costs only
// its own file: the panic becomes a warning. That holds for its Sniff too,
// which runs here on content no parser has vetted yet; on a goroutine of
// its own an unrecovered panic would end the whole process.
// prepare, when not nil, is called once the file is identified, before it
// is parsed.
//
// A file that concatenates outputs (see package sections) is split and each
// section parsed by a call with sec set: the section is then identified by
// the path its header names, and its facts keep the file's path and line
// numbers with the section's name.
func parseEntry(e bundle.Entry, sec *sections.Section, r io.Reader, patterns []rules.LinePattern, prepare func(p *parsers.Parser, in *parsers.Input)) (art Artifact, facts *model.Model, finish parsers.Finish) {
	facts = &model.Model{}
	art = Artifact{Path: e.Path, Size: e.Size, Kind: parsers.KindText, IdentifiedBy: parsers.ByDefault, Warnings: []parsers.Warning{}}
	idPath := e.Path
	if sec != nil {
		idPath = sec.Path()
		art.Section, art.SectionPath, art.Line, art.Note = sec.Name, idPath, sec.Line, sec.Note
		cr := &sectionCounter{r: r}
		r = cr
		defer func() {
			_, _ = io.Copy(io.Discard, cr) // what no parser read still counts
			art.Size = cr.n
			facts.SetSection(sec.Name)
		}()
	}
	defer func() {
		if r := recover(); r != nil {
			art.Warnings = append(art.Warnings, parsers.Warning{Path: e.Path, Msg: fmt.Sprintf(
				"%v: reading this file panicked: %v (please report this with the file); its facts were dropped\n%s",
				errParserPanic, r, firstFrames(debug.Stack())), Loss: bundle.LossArtifact})
			art.Facts, facts, finish = 0, &model.Model{}, nil
		}
	}()
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	headBytes, _ := br.Peek(parsers.HeadSize)
	head := parsers.NewHead(headBytes)
	if sec == nil && !head.Binary {
		if f := sections.Detect(head.Lines); f != "" {
			return parseSectioned(e, f, br, patterns, prepare)
		}
	}
	var id parsers.Identification
	if sec != nil {
		id = identifySection(*sec, head)
	} else {
		id = parsers.Identify(idPath, head)
	}
	art.Kind, art.IdentifiedBy = id.Kind, id.By
	if id.Parser != nil {
		art.Parser = id.Parser.Name
	}

	var wanted []rules.LinePattern
	for _, p := range patterns {
		if p.Match(e.Path) || idPath != e.Path && p.Match(idPath) {
			wanted = append(wanted, p)
		}
	}
	if head.Binary {
		if id.By != parsers.ByDefault {
			art.Warnings = append(art.Warnings, parsers.Warning{Path: e.Path,
				Msg: fmt.Sprintf("named like a %s artifact but the content is binary: skipped", id.Kind), Loss: bundle.LossArtifact})
		}
		art.Kind, art.Parser, art.IdentifiedBy = parsers.KindBinary, "", parsers.ByContent
		return art, facts, nil
	}
	if id.Parser == nil && len(wanted) == 0 {
		return art, facts, nil
	}

	if sec != nil && id.Parser != nil {
		if ws := sectionWarnings(e.Path, *sec, id.Kind, head); len(ws) > 0 {
			// The collector wrote why the output is missing in its place:
			// there is nothing to parse, and the warning says so.
			art.Warnings = append(art.Warnings, ws...)
			art.Empty = true
			id.Parser = nil
		}
	}
	in := parsers.NewInput(e.Path, br)
	if sec != nil {
		in.SetSection(sec.Name, idPath, sec.Body)
	} else if cs, ok := r.(parsers.ChunkSource); ok {
		in.LendChunks(cs) // the pipe under br
	}
	if prepare != nil && id.Parser != nil {
		prepare(id.Parser, in)
	}
	if len(wanted) > 0 {
		in.Observe(func(line int, b []byte) {
			for _, p := range wanted {
				if g := p.Regex.FindSubmatch(b); g != nil {
					lm := model.LineMatch{Src: model.Source{Path: e.Path, Line: line, Text: parsers.Clean(b)}}
					for _, s := range g[1:] {
						lm.Groups = append(lm.Groups, parsers.Clean(s))
					}
					if facts.Lines == nil {
						facts.Lines = map[string][]model.LineMatch{}
					}
					facts.Lines[p.Key] = append(facts.Lines[p.Key], lm)
				}
			}
		})
	}
	if id.Parser != nil {
		if err := runParser(id.Parser, in, facts); err != nil {
			art.Warnings = append(art.Warnings, parsers.Warning{Path: e.Path, Line: in.Line(), Msg: err.Error(), Loss: bundle.LossArtifact})
			facts = &model.Model{Lines: facts.Lines}
		} else {
			finish = in.Deferred()
		}
	}
	in.Drain()
	if err := in.Err(); err != nil {
		in.WarnAt(in.Line(), "read error after line %d: %v", in.Line(), err)
	}
	art.Warnings = append(art.Warnings, in.Warnings()...)
	art.Facts = facts.FactCount()
	return art, facts, finish
}

// errParserPanic marks a parser bug turned into a warning.
var errParserPanic = errors.New("parser failed")

func runParser(p *parsers.Parser, in *parsers.Input, out *model.Model) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s parser panicked at line %d: %v (please report this with the file); its facts were dropped\n%s",
				errParserPanic, p.Name, in.Line(), r, firstFrames(debug.Stack()))
		}
	}()
	p.Parse(in, out)
	return nil
}

// firstFrames keeps a stack trace short enough for a warning.
func firstFrames(stack []byte) string {
	const max = 2000
	if len(stack) > max {
		stack = stack[:max]
	}
	return string(stack)
}

// KindOf returns the kind of the artifact at path p in the inventory, or ""
// when there is none.
func (r *Result) KindOf(p string) parsers.Kind {
	for _, a := range r.Inventory {
		if a.Path == p || path.Clean(a.Path) == path.Clean(p) {
			return a.Kind
		}
	}
	return ""
}
