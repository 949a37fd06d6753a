package rules

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	rulesd "github.com/fsagent/triage/rules.d"
)

// LoadShipped loads the rules embedded in the binary. When the program runs
// inside a source tree that has rules.d on disk, test bundles are resolved
// there.
func LoadShipped() (*Set, error) {
	var errs LoadErrors
	dir := findShippedDir()
	rules := loadFS(rulesd.FS(), func(name string) string { return path.Join("rules.d", name) }, dir, &errs)
	return newSet(rules), errs.err()
}

// findShippedDir looks for the repository's rules.d directory from the
// working directory upwards, for `bundle:` paths of shipped rule tests.
func findShippedDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "rules.d")
		if st, err := os.Stat(filepath.Join(cand, "embed.go")); err == nil && !st.IsDir() {
			return cand
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// LoadDir loads every *.yaml and *.yml file at the top of dir. All problems
// of all files come back together in one *LoadErrors, with the rules that
// loaded cleanly.
func LoadDir(dir string) (*Set, error) {
	var errs LoadErrors
	st, err := os.Stat(dir)
	if err != nil {
		errs.add(dir, 0, 0, "cannot read rule directory: %v", err)
		return newSet(nil), errs.err()
	}
	if !st.IsDir() {
		errs.add(dir, 0, 0, "expected a directory of rule files")
		return newSet(nil), errs.err()
	}
	rules := loadFS(os.DirFS(dir), func(name string) string { return filepath.Join(dir, name) }, dir, &errs)
	return newSet(rules), errs.err()
}

// LoadSet loads the shipped rules, then each --rules directory in order: a
// rule whose id is already loaded replaces it (and a note says so). Then
// only (when not empty) keeps the rules it names and skip removes the ones
// it names. Names are ids or globs ("gde.*"); a name that matches no rule
// is an error, since a typo would otherwise silently change the run.
func LoadSet(dirs []string, only, skip []string) (*Set, error) {
	return loadSet(rulesd.FS(), findShippedDir(), dirs, only, skip)
}

// loadSet is LoadSet with the shipped rules given, for tests.
func loadSet(shipped fs.FS, shippedDir string, dirs []string, only, skip []string) (*Set, error) {
	var errs LoadErrors
	byID := map[string]*Rule{}
	var notes []string
	add := func(rules []*Rule) {
		for _, r := range rules {
			if r.ID == "" {
				continue
			}
			if prev, ok := byID[r.ID]; ok {
				notes = append(notes, fmt.Sprintf("rule %s from %s overrides the one from %s", r.ID, r.File, prev.File))
			}
			byID[r.ID] = r
		}
	}
	add(loadFS(shipped, func(name string) string { return path.Join("rules.d", name) }, shippedDir, &errs))
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() {
			errs.add(dir, 0, 0, "--rules: expected a directory of rule files")
			continue
		}
		add(loadFS(os.DirFS(dir), func(name string) string { return filepath.Join(dir, name) }, dir, &errs))
	}
	keep := map[string]bool{}
	if len(only) == 0 {
		for id := range byID {
			keep[id] = true
		}
	}
	for _, pat := range only {
		ids, err := matchIDs(pat, byID)
		if err != nil {
			errs.add("--only", 0, 0, "%v", err)
		}
		for _, id := range ids {
			keep[id] = true
		}
	}
	for _, pat := range skip {
		ids, err := matchIDs(pat, byID)
		if err != nil {
			errs.add("--skip", 0, 0, "%v", err)
		}
		for _, id := range ids {
			delete(keep, id)
		}
	}
	var rules []*Rule
	for id := range keep {
		rules = append(rules, byID[id])
	}
	s := newSet(rules)
	s.Notes = notes
	return s, errs.err()
}

// matchIDs lists the loaded ids a name or glob selects.
func matchIDs(pat string, byID map[string]*Rule) ([]string, error) {
	if _, ok := byID[pat]; ok {
		return []string{pat}, nil
	}
	if _, err := path.Match(pat, ""); err != nil {
		return nil, fmt.Errorf("%q: malformed glob", pat)
	}
	var out []string
	for id := range byID {
		if ok, _ := path.Match(pat, id); ok {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q matches no rule id (see `triage rules list`)", pat)
	}
	sort.Strings(out)
	return out, nil
}

// ShippedFS is the embedded rule directory, for callers that list it.
func ShippedFS() fs.FS { return rulesd.FS() }
