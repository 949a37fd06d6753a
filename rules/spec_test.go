package rules

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fsagent/triage/parsers"
)

// The complete example of rules.d/README.md loads without an error, so the
// spec never shows a rule the loader rejects.
func TestReadmeExampleLoads(t *testing.T) {
	data, err := os.ReadFile("../rules.d/README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "```yaml\n")
	if start < 0 {
		t.Fatal("README has no ```yaml example")
	}
	text = text[start+len("```yaml\n"):]
	example := text[:strings.Index(text, "```")]
	var errs LoadErrors
	rules := loadFS(fstest.MapFS{"example.yaml": {Data: []byte(example)}}, func(s string) string { return s }, "", &errs)
	if len(errs.Errs) > 0 || len(rules) != 1 {
		t.Fatalf("README example: %v", errs.err())
	}
	if rules[0].ID != "gde.guardpoint-busy" || len(rules[0].Tests) != 2 {
		t.Errorf("README example loaded as %+v", rules[0])
	}
}

// rules.schema.json names the same fields, and the same required ones, as
// the loader.
func TestSchemaMatchesLoader(t *testing.T) {
	data, err := os.ReadFile("../rules.d/rules.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	var props, loader, required []string
	for k := range schema.Properties {
		props = append(props, k)
	}
	for _, f := range fields {
		loader = append(loader, f.name)
		if f.required {
			required = append(required, f.name)
		}
	}
	sort.Strings(props)
	sort.Strings(loader)
	sort.Strings(required)
	sort.Strings(schema.Required)
	if strings.Join(props, ",") != strings.Join(loader, ",") {
		t.Errorf("schema properties %v, loader fields %v", props, loader)
	}
	if strings.Join(schema.Required, ",") != strings.Join(required, ",") {
		t.Errorf("schema required %v, loader required %v", schema.Required, required)
	}
}

// The schema's list of artifact kinds for `needs:` is the parsers
// registry's, so an editor accepts exactly what lint accepts.
func TestSchemaKindsMatchRegistry(t *testing.T) {
	data, err := os.ReadFile("../rules.d/rules.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs struct {
			Kind struct {
				Enum []string `json:"enum"`
			} `json:"kind"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range parsers.Kinds() {
		if k != parsers.KindText {
			want = append(want, string(k))
		}
	}
	got := append([]string(nil), schema.Defs.Kind.Enum...)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("schema kinds %v, registry kinds %v", got, want)
	}
}

// Every shipped rule declares what it needs, so that the report can say
// for each one whether it could look at a bundle.
func TestShippedRulesDeclareNeeds(t *testing.T) {
	set, err := LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range set.Rules() {
		if len(r.Needs) == 0 {
			t.Errorf("%s: no needs: line", r.File)
		}
	}
	if r := set.Rule("gde.guardpoint-busy"); r == nil || fmt.Sprint(r.Needs) != "[[mount df agent-status] [lsof fuser]]" {
		t.Errorf("gde.guardpoint-busy needs %v", r.Needs)
	}
}
