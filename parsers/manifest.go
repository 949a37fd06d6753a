package parsers

import (
	"regexp"
	"strings"
	"time"

	"github.com/fsagent/triage/model"
)

// The manifest that `triage collect` writes at the root of its bundles says
// when the bundle was collected and on which OS. Only its top-level fields
// matter here; they come first and two spaces in, as collect indents it.
var manifestField = regexp.MustCompile(`^  "(started|os|tool)": "([^"]*)"`)

func init() {
	Register(&Parser{
		Name:  "collect-manifest",
		Kind:  KindHost,
		Doc:   "manifest.json written by `triage collect`: collection time and OS",
		Paths: []string{"manifest.json"},
		Sniff: func(h *Head) bool {
			for _, l := range h.NonBlank(4) {
				if strings.HasPrefix(l, `"tool": "triage`) {
					return true
				}
			}
			return false
		},
		Parse: parseManifest,
	})
}

func parseManifest(in *Input, out *model.Model) {
	found := false
	for in.Next() {
		m := manifestField.FindStringSubmatch(in.Text())
		if m == nil {
			if strings.HasPrefix(in.Text(), `  "records"`) {
				break // per-command records follow; their times are not the bundle's
			}
			continue
		}
		switch m[1] {
		case "started":
			if t, err := time.Parse(time.RFC3339Nano, m[2]); err == nil {
				out.Host.CollectedAt = t.UTC().Format(time.RFC3339)
				out.Host.Sources = append(out.Host.Sources, in.Src())
				found = true
			} else {
				in.Warnf("collection time %q is not an RFC 3339 time", m[2])
			}
		case "os":
			switch m[2] {
			case "linux":
				out.Host.OS = "Linux"
			case "aix":
				out.Host.OS = "AIX"
			}
		}
	}
	if !found {
		in.WarnAt(0, "no collection time found in the manifest")
	}
}
