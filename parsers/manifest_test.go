package parsers

import "testing"

func TestManifestGivesCollectionTime(t *testing.T) {
	const manifest = `{
  "schema_version": "1",
  "tool": "triage 0.1.0-dev",
  "os": "aix",
  "started": "2026-11-22T19:30:01.123456789+01:00",
  "finished": "2026-11-22T19:30:12Z",
  "records": [
    {
      "started": "2026-11-22T19:30:02Z"
    }
  ]
}
`
	id := Identify("bundle-host/manifest.json", NewHead([]byte(manifest)))
	if id.Parser == nil || id.Parser.Name != "collect-manifest" || id.By != ByPath {
		t.Fatalf("Identify = %+v", id)
	}
	m, w := parseString(t, "collect-manifest", "manifest.json", manifest)
	if m.Host.CollectedAt != "2026-11-22T18:30:01Z" || m.Host.OS != "AIX" || len(w) != 0 {
		t.Fatalf("host = %+v, warnings %v", m.Host, w)
	}
	if len(m.Host.Sources) != 1 || m.Host.Sources[0].Line != 5 {
		t.Fatalf("source = %+v", m.Host.Sources)
	}
	_, w = parseString(t, "collect-manifest", "manifest.json", "{\n  \"tool\": \"triage\"\n}\n")
	if len(w) != 1 {
		t.Fatalf("a manifest without a time must warn, got %v", w)
	}
}
