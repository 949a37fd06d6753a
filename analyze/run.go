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
	"sync"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
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
		prior := slots // the files before this one; never changed again
		slots = append(slots, slot)
		prepare := func(kind string, in *parsers.Input) {
			slot.identify(kind)
			if kind == "lsof" {
				slot.keptUnder = limitOpenFiles(prior, in)
			}
		}
		if e.Size >= 0 && e.Size < inlineMax {
			// A small file is parsed right here: a goroutine and a pipe
			// cost more than they save, and a batch of small bundles
			// scales better with one core per bundle.
			slot.art, slot.facts = parseEntry(e, r, patterns, prepare)
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
			slot.art, slot.facts = parseEntry(e, pipe, patterns, prepare)
		}()
		pipe.fill(r)
		return nil
	})
	wg.Wait()
	filtered := map[int][]string{} // inventory index of an lsof file -> the directories it kept
	for i, s := range slots {
		if s.keptUnder != nil {
			filtered[len(res.Inventory)] = s.keptUnder
		}
		res.Inventory = append(res.Inventory, s.art)
		res.Model.Merge(s.facts)
		slots[i] = nil // the merged model holds the facts now
	}
	res.Bundle = BundleInfo{Path: bundlePath, SHA256: b.SHA256(), Size: b.Size, Format: b.Format}
	res.Warnings = b.Warnings()
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
	warnLateGuardPoints(res, filtered)
	if opts.Rules != nil {
		res.Findings, res.Errors = opts.Rules.Evaluate(ctx, res.Model)
	}
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
// signals that later files wait on (see limitOpenFiles).
type parsed struct {
	keptUnder  []string // lsof only: the directories its rows were limited to
	art        Artifact
	facts      *model.Model
	kind       string
	once       sync.Once
	identified chan struct{} // closed once kind is set
	done       chan struct{} // closed once art and facts are set
}

func (p *parsed) identify(kind string) {
	p.once.Do(func() { p.kind = kind; close(p.identified) })
}

// guardSourceKinds are the artifact kinds that name guard points.
var guardSourceKinds = map[string]bool{"mount": true, "df": true, "agent-status": true}

// limitOpenFiles lets an lsof file keep only the rows inside a possible
// guard point when a mount table came before it in the bundle: lsof is by
// far the largest artifact of a busy host and rules only ask it about guard
// points (model.OpenFilesUnder). It waits for the earlier mount, df and
// agent-status files, which are small, so the choice depends only on the
// bundle's order, never on timing. Without an earlier mount table every row
// naming a path is kept, as the guard points are not known yet. Rows left
// out are counted in a LogStats fact of kind "lsof".
func limitOpenFiles(prior []*parsed, in *parsers.Input) (keptUnder []string) {
	known := &model.Model{}
	for _, p := range prior {
		<-p.identified
		if !guardSourceKinds[p.kind] {
			continue
		}
		<-p.done
		if p.facts != nil {
			known.AgentStatus = append(known.AgentStatus, p.facts.AgentStatus...)
			known.Mounts = append(known.Mounts, p.facts.Mounts...)
			known.DF = append(known.DF, p.facts.DF...)
		}
	}
	if len(known.Mounts) == 0 {
		// Guard points unknown yet: keep every row naming a path, which
		// any directory may ask for; sockets, pipes and anonymous inodes
		// never lie inside one.
		in.KeepOpenFilesUnder([]string{"/"})
		return nil
	}
	keptUnder = append([]string{}, knowledge.GuardPointCandidates(known)...) // non-nil: filtered, even to nothing
	in.KeepOpenFilesUnder(keptUnder)
	return keptUnder
}

// warnLateGuardPoints names, on an lsof artifact that kept only the rows
// under the guard points known when it was read, every guard point of the
// finished model that lies outside those directories: its rows were not
// kept, so a rule cannot see processes inside it. Only a bundle whose agent
// status comes after lsof and whose mount table lacks the guard point can
// cause this; the warning keeps it from passing silently.
func warnLateGuardPoints(res *Result, filtered map[int][]string) {
	gps := knowledge.GuardPoints(res.Model)
	for i, dirs := range filtered {
		for _, g := range gps {
			inside := false
			for _, d := range dirs {
				if model.Within(g.Path, d) {
					inside = true
					break
				}
			}
			if !inside {
				a := &res.Inventory[i]
				a.Warnings = append(a.Warnings, parsers.Warning{Path: a.Path, Msg: fmt.Sprintf(
					"guard point %s became known only after this file was read, so its rows were not kept; open files inside it are not reported (put the agent status or mount table before lsof in the bundle)", g.Path)})
			}
		}
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
func parseEntry(e bundle.Entry, r io.Reader, patterns []rules.LinePattern, prepare func(kind string, in *parsers.Input)) (art Artifact, facts *model.Model) {
	facts = &model.Model{}
	art = Artifact{Path: e.Path, Size: e.Size, Kind: parsers.KindText, IdentifiedBy: parsers.ByDefault, Warnings: []parsers.Warning{}}
	defer func() {
		if r := recover(); r != nil {
			art.Warnings = append(art.Warnings, parsers.Warning{Path: e.Path, Msg: fmt.Sprintf(
				"%v: reading this file panicked: %v (please report this with the file); its facts were dropped\n%s",
				errParserPanic, r, firstFrames(debug.Stack()))})
			art.Facts, facts = 0, &model.Model{}
		}
	}()
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	headBytes, _ := br.Peek(parsers.HeadSize)
	head := parsers.NewHead(headBytes)
	id := parsers.Identify(e.Path, head)
	art.Kind, art.IdentifiedBy = id.Kind, id.By
	if id.Parser != nil {
		art.Parser = id.Parser.Name
	}

	var wanted []rules.LinePattern
	for _, p := range patterns {
		if p.Match(e.Path) {
			wanted = append(wanted, p)
		}
	}
	if head.Binary {
		if id.By != parsers.ByDefault {
			art.Warnings = append(art.Warnings, parsers.Warning{Path: e.Path,
				Msg: fmt.Sprintf("named like a %s artifact but the content is binary: skipped", id.Kind)})
		}
		art.Kind, art.Parser, art.IdentifiedBy = "binary", "", parsers.ByContent
		return art, facts
	}
	if id.Parser == nil && len(wanted) == 0 {
		return art, facts
	}

	in := parsers.NewInput(e.Path, br)
	if prepare != nil && id.Parser != nil {
		prepare(id.Kind, in)
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
			in.WarnAt(in.Line(), "%v", err)
			facts = &model.Model{Lines: facts.Lines}
		}
	}
	in.Drain()
	if err := in.Err(); err != nil {
		in.WarnAt(in.Line(), "read error after line %d: %v", in.Line(), err)
	}
	art.Warnings = append(art.Warnings, in.Warnings()...)
	art.Facts = facts.FactCount()
	return art, facts
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
func (r *Result) KindOf(p string) string {
	for _, a := range r.Inventory {
		if a.Path == p || path.Clean(a.Path) == path.Clean(p) {
			return a.Kind
		}
	}
	return ""
}
