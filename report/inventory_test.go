package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/parsers"
)

func TestInventory(t *testing.T) {
	res := &analyze.Result{
		Bundle: analyze.BundleInfo{Path: "up\x1b[2Jload.tgz", Format: "tar.gz"},
		Inventory: []analyze.Artifact{
			{Path: "lsof.out", Size: 90_112, Kind: parsers.KindLsof, Parser: "lsof", IdentifiedBy: parsers.ByPath, Facts: 3},
			{Path: "evil\x1b[31m.txt", Size: 12, Kind: parsers.KindText, IdentifiedBy: parsers.ByDefault,
				Warnings: []parsers.Warning{{Path: "evil\x1b[31m.txt", Line: 2, Msg: "bad \u202e line"}}},
		},
	}
	var b bytes.Buffer
	if err := Inventory(&b, res, 100); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("a raw control character reached the inventory:\n%q", out)
	}
	for _, want := range []string{`Bundle up\x1b[2Jload.tgz (tar.gz, 2 artifacts)`, "lsof.out", "90112", `evil\x1b[31m.txt`, "Warnings (1):", `bad \u202e line`} {
		if !strings.Contains(out, want) {
			t.Errorf("inventory lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := InventoryJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Inventory []struct{ Kind string } `json:"inventory"`
		Others    []any                   `json:"others"`
		Warnings  []any                   `json:"warnings"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Inventory) != 2 || doc.Inventory[0].Kind != "lsof" || doc.Others == nil || doc.Warnings == nil {
		t.Errorf("inventory JSON: %s", b.String())
	}
}
