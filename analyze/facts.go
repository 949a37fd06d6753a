package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
)

// FactsDocument is what `triage facts` prints: the model the rules see,
// every fact with its source, and the derived facts rules use most.
type FactsDocument struct {
	SchemaVersion string       `json:"schema_version"`
	Bundle        BundleInfo   `json:"bundle"`
	Facts         *model.Model `json:"facts"`
	Derived       Derived      `json:"derived"`
}

// Derived holds the facts computed from the raw ones: guard points (by
// authority), slab growth series and the mount tree.
type Derived struct {
	GuardPoints []knowledge.GuardPoint `json:"guard_points"`
	SlabSeries  []model.SlabSeries     `json:"slab_series"`
	MountTree   []model.MountNode      `json:"mount_tree"`
}

// NewFactsDocument describes model m (the whole result's model, or a part of
// it) of the bundle analyzed in r.
func NewFactsDocument(r *Result, m *model.Model) FactsDocument {
	return FactsDocument{
		SchemaVersion: SchemaVersion,
		Bundle:        r.Bundle,
		Facts:         m,
		Derived: Derived{
			GuardPoints: orEmpty(knowledge.GuardPoints(m)),
			SlabSeries:  orEmpty(m.SlabSeriesAll()),
			MountTree:   orEmpty(m.MountTree()),
		},
	}
}

// Write prints the document as indented JSON.
func (d FactsDocument) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// orEmpty makes an empty list print as [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// FactsOfKinds keeps the facts read from artifacts of the given kinds, for
// `triage facts --kind`; an unknown kind is an error naming the known ones
// and those of this bundle.
func (res *Result) FactsOfKinds(kinds []string) (*model.Model, error) {
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	type where struct{ path, section string }
	paths := map[where]bool{}
	seen := map[string]bool{}
	var note func(a Artifact)
	note = func(a Artifact) {
		seen[string(a.Kind)] = true
		if want[string(a.Kind)] {
			paths[where{a.Path, a.Section}] = true
		}
		for _, s := range a.Sections {
			note(s)
		}
	}
	for _, a := range res.Inventory {
		note(a)
	}
	for _, k := range kinds {
		if !seen[k] && !parsers.Kind(k).Known() {
			var here []string
			for s := range seen {
				here = append(here, s)
			}
			sort.Strings(here)
			return nil, fmt.Errorf("unknown --kind %q: the kinds are %s (this bundle has %s)",
				k, kindList(), strings.Join(here, ", "))
		}
	}
	return res.Model.FilterSources(func(s model.Source) bool { return paths[where{s.Path, s.Section}] }), nil
}

// kindList names the kinds the parsers know, for a message.
func kindList() string {
	var ks []string
	for _, k := range parsers.Kinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}
