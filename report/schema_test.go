package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// This file holds a small JSON Schema checker, enough for the keywords
// docs/report.schema.json uses (type, required, properties,
// additionalProperties: false, items, enum, const, minimum, $ref to $defs),
// so the report is validated against its published schema without adding a
// dependency. An unknown keyword fails the test rather than being ignored.

var knownKeywords = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "$defs": true,
	"type": true, "required": true, "properties": true, "additionalProperties": true,
	"items": true, "enum": true, "const": true, "minimum": true, "$ref": true,
}

type schemaChecker struct {
	root map[string]any
	errs []string
}

func (c *schemaChecker) fail(at, format string, args ...any) {
	c.errs = append(c.errs, at+": "+fmt.Sprintf(format, args...))
}

func (c *schemaChecker) check(at string, schema map[string]any, v any) {
	keys := make([]string, 0, len(schema))
	for k := range schema {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !knownKeywords[k] {
			c.fail(at, "schema keyword %q is not supported by the test checker", k)
		}
	}
	if ref, ok := schema["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		def, ok := c.root["$defs"].(map[string]any)[name].(map[string]any)
		if !found || !ok {
			c.fail(at, "unresolvable $ref %q", ref)
			return
		}
		c.check(at, def, v)
	}
	if t, ok := schema["type"].(string); ok && !hasType(t, v) {
		c.fail(at, "want %s, got %T (%v)", t, v, v)
		return
	}
	if cv, ok := schema["const"]; ok && !reflect.DeepEqual(cv, v) {
		c.fail(at, "want const %v, got %v", cv, v)
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || reflect.DeepEqual(e, v)
		}
		if !found {
			c.fail(at, "%v is not one of %v", v, enum)
		}
	}
	if m, ok := schema["minimum"].(float64); ok {
		if n, ok := v.(float64); ok && n < m {
			c.fail(at, "%v is below the minimum %v", n, m)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					c.fail(at, "required key %q is missing", r)
				}
			}
		}
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if ap, set := schema["additionalProperties"].(bool); set && !ap {
					c.fail(at, "key %q is not in the schema", k)
				}
				continue
			}
			c.check(at+"."+k, ps, obj[k])
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range arr {
				c.check(fmt.Sprintf("%s[%d]", at, i), items, e)
			}
		}
	}
}

func hasType(t string, v any) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "report.schema.json"))
	if err != nil {
		t.Fatalf("reading the schema: %v", err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("docs/report.schema.json is not JSON: %v", err)
	}
	return s
}

func validate(schema map[string]any, doc []byte) []string {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return []string{"output is not JSON: " + err.Error()}
	}
	c := &schemaChecker{root: schema}
	c.check("$", schema, v)
	return c.errs
}

func TestJSONMatchesSchema(t *testing.T) {
	schema := loadSchema(t)
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, fx.res()); err != nil {
				t.Fatal(err)
			}
			for _, e := range validate(schema, b.Bytes()) {
				t.Error(e)
			}
		})
	}
}

// TestSchemaCheckerRejects makes sure the checker can fail: documents that
// break the schema in each way it checks must be reported.
func TestSchemaCheckerRejects(t *testing.T) {
	schema := loadSchema(t)
	var good bytes.Buffer
	if err := JSON(&good, busyHost()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		mutate func(map[string]any)
		want   string
	}{
		{"missing key", func(d map[string]any) { delete(d, "errors") }, `required key "errors"`},
		{"null list", func(d map[string]any) { d["findings"] = nil }, "want array"},
		{"wrong type", func(d map[string]any) { d["bundle"].(map[string]any)["size"] = "big" }, "$.bundle.size: want integer"},
		{"unknown key", func(d map[string]any) { d["extra"] = 1 }, `key "extra" is not in the schema`},
		{"bad severity", func(d map[string]any) {
			d["findings"].([]any)[0].(map[string]any)["severity"] = "urgent"
		}, "is not one of"},
		{"evidence line not int", func(d map[string]any) {
			f := d["findings"].([]any)[0].(map[string]any)
			f["evidence"].([]any)[0].(map[string]any)["line"] = 1.5
		}, "want integer"},
		{"wrong schema version", func(d map[string]any) { d["schema_version"] = "0" }, "want const"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(good.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			tc.mutate(d)
			b, _ := json.Marshal(d)
			errs := validate(schema, b)
			if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
				t.Errorf("want an error containing %q, got %q", tc.want, errs)
			}
		})
	}
}
