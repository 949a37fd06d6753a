package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/rules"
)

// The explanation quotes the bundle: its text form escapes it like the
// reports, its JSON form is a document.
func TestExplanation(t *testing.T) {
	dir := t.TempDir()
	rule := "id: test.host\ntitle: T\nseverity: low\nlet:\n  name: Host.Hostname\nwhen: name != \"\"\nmessage: m\n"
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := &model.Model{Host: model.Host{Hostname: "evil\x1b[2Jhost"}}
	ex, err := set.Explain(context.Background(), m, "test.host")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Explanation(&b, ex, "text"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") || !strings.Contains(b.String(), `evil\x1b[2Jhost`) {
		t.Errorf("text explanation does not escape the bundle's text:\n%q", b.String())
	}
	b.Reset()
	if err := Explanation(&b, ex, "json"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil || len(doc) == 0 {
		t.Errorf("JSON explanation: %v\n%s", err, b.String())
	}
}
