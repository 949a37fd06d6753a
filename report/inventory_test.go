package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// A file that draws more warnings than its list keeps is counted with all
// of them, in the inventory table, the JSON summary and the verdict: the
// closing "N more warnings not shown" stands for N, not for one.
func TestWarningsBeyondTheListAreCounted(t *testing.T) {
	const bad = 350
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF     NODE NAME\n")
	b.WriteString("bash     4242 root  cwd    DIR  253,0     4096 10977282 /data\n")
	for i := 0; i < bad; i++ {
		b.WriteString("this line is not an lsof row at all\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "lsof.out"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := analyze.Run(context.Background(), dir, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var lsof *analyze.Artifact
	for i := range res.Inventory {
		if res.Inventory[i].Kind == parsers.KindLsof {
			lsof = &res.Inventory[i]
		}
	}
	if lsof == nil || len(lsof.Warnings) >= bad {
		t.Fatalf("want the lsof file's warnings capped below %d: %+v", bad, lsof)
	}
	if got := parsers.CountWarnings(lsof.Warnings); got != bad {
		t.Errorf("CountWarnings = %d, want %d", got, bad)
	}
	var out bytes.Buffer
	if err := Inventory(&out, res, 0); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("Warnings (%d):", bad+len(res.Warnings)); !strings.Contains(out.String(), want) {
		t.Errorf("the inventory does not say %q:\n%s", want, firstLinesOf(out.String(), 12))
	}
	out.Reset()
	if err := JSON(&out, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary struct{ Warnings int } `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Warnings != bad+len(res.Warnings) {
		t.Errorf("summary.warnings = %d, want %d", doc.Summary.Warnings, bad+len(res.Warnings))
	}
}

func firstLinesOf(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
