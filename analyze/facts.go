package analyze

import (
	"encoding/json"
	"io"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
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
