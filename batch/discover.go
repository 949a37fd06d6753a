package batch

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Input is one bundle to analyze and the ticket it belongs to.
type Input struct {
	Ticket string
	Path   string
}

// archiveExts are the names a bundle file usually has inside a ticket
// directory. Content decides the format later; names only decide which
// files of a ticket are bundles rather than, say, a screenshot.
var archiveExts = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".zip", ".7z", ".gz", ".xz", ".zst", ".bz2"}

func isArchiveName(name string) bool {
	n := strings.ToLower(name)
	for _, e := range archiveExts {
		if strings.HasSuffix(n, e) {
			return true
		}
	}
	return false
}

// Discover turns the command-line PATHs into bundles:
//   - a file is one bundle; its ticket is its parent directory's name when
//     that directory was found inside a ticket archive, else its name
//     without extension;
//   - a directory is a ticket archive laid out as DIR/<ticket>/<files>: each
//     archive file inside a ticket directory is a bundle of that ticket, and a
//     ticket directory without archive files is itself a bundle (an already
//     unpacked upload); archive files directly in DIR are bundles too;
//   - anything else is tried as a glob.
//
// The result is sorted and free of duplicates, so every run and every shard
// sees the same list.
func Discover(paths []string) ([]Input, error) {
	var out []Input
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			ins, err := discoverDir(p)
			if err != nil {
				return nil, err
			}
			out = append(out, ins...)
		case err == nil:
			out = append(out, Input{Ticket: ticketOf(p), Path: p})
		default:
			matches, gerr := filepath.Glob(p)
			if gerr != nil || len(matches) == 0 {
				return nil, fmt.Errorf("%s: no such file, directory or matching glob", p)
			}
			more, err := Discover(matches)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	uniq := out[:0]
	for i, in := range out {
		if i == 0 || in.Path != out[i-1].Path {
			uniq = append(uniq, in)
		}
	}
	return uniq, nil
}

func discoverDir(dir string) ([]Input, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Input
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.Type().IsRegular() && isArchiveName(e.Name()):
			out = append(out, Input{Ticket: ticketOf(p), Path: p})
		case e.IsDir():
			files, err := os.ReadDir(p)
			if err != nil {
				return nil, err
			}
			found := false
			for _, f := range files {
				if f.Type().IsRegular() && isArchiveName(f.Name()) {
					out = append(out, Input{Ticket: e.Name(), Path: filepath.Join(p, f.Name())})
					found = true
				}
			}
			if !found && len(files) > 0 {
				out = append(out, Input{Ticket: e.Name(), Path: p})
			}
		}
	}
	return out, nil
}

func ticketOf(p string) string {
	base := filepath.Base(p)
	lower := strings.ToLower(base)
	for _, e := range archiveExts {
		if strings.HasSuffix(lower, e) {
			return base[:len(base)-len(e)]
		}
	}
	return base
}

// Shard is one share of the inputs: Index in [0, Count).
type Shard struct {
	Index, Count int
}

// ParseShard reads "K/N" (K counted from 0, as a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX is).
func ParseShard(s string) (Shard, error) {
	var sh Shard
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.Index, &sh.Count); err != nil || sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return Shard{}, fmt.Errorf("bad --shard %q: want K/N with 0 <= K < N, e.g. 0/4", s)
	}
	return sh, nil
}

// Owns reports whether the shard takes the input. The choice hashes the
// ticket and the bundle's file name, not the absolute path, so copies of
// one job that mount the shared archive at different places agree.
func (s Shard) Owns(in Input) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(in.Ticket + "\x00" + filepath.Base(in.Path)))
	return int(h.Sum64()%uint64(s.Count)) == s.Index
}
