package parsers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fsagent/triage/model"
)

// The jc project (github.com/kellyjonbrazil/jc) keeps real command outputs
// as test fixtures beside the records it extracts from them (X.out and
// X.json). TestJCFixtures parses each fixture of a format triage reads and
// counts how many of jc's record values triage's facts hold too: a check of
// parser fidelity against a peer's test suite. None of jc's files are in
// this repository: point TRIAGE_JC_FIXTURES at a copy of jc's
// tests/fixtures directory to run it.
//
// Only the fields both tools model are compared (jc's mount "options" and
// triage's Mount.Options, not jc's df "capacity_percent" that triage does
// not keep). Records are matched by a key field in order, so a record triage
// dropped costs all its values.

// jcFormat is one kind of fixture and how its records map onto facts.
type jcFormat struct {
	globs  []string          // fixture outputs, relative to the fixtures directory
	parser string            // the parser triage should pick (it is identified as in a bundle)
	key    string            // the jc field that pairs records
	fields map[string]string // jc field -> triage record field
	facts  func(m *model.Model) []map[string]string
	// prep adjusts a jc record before comparing: jc splits some values
	// that triage keeps whole (findmnt's key=value options).
	prep func(rec map[string]any)
}

// jcOutOfScope are the fixture folders of systems triage does not read
// bundles of (it reads Linux and AIX hosts).
var jcOutOfScope = []string{"freebsd", "osx-", "macos",
	"generic/mount-parens-in-filesystem.out", // macOS mount: "/dev/disk3s1s1 on / (apfs, ...)"
}

func itoa(n int) string       { return strconv.Itoa(n) }
func i64toa(n int64) string   { return strconv.FormatInt(n, 10) }
func join(s []string) string  { return strings.Join(s, ",") }
func trimPct(s string) string { return strings.TrimSuffix(s, "%") }

func mountRecords(m *model.Model) []map[string]string {
	var out []map[string]string
	for _, x := range m.Mounts {
		out = append(out, map[string]string{"device": x.Device, "path": x.Path, "fstype": x.FSType, "options": join(x.Options),
			"id": itoa(x.ID), "parent_id": itoa(x.ParentID), "root": x.Root})
	}
	return out
}

// mergeKV adds jc's kv_options ({"mode": "755"}) to its options as the
// "mode=755" that findmnt printed.
func mergeKV(rec map[string]any) {
	kv, _ := rec["kv_options"].(map[string]any)
	opts, _ := rec["options"].([]any)
	for k, v := range kv {
		s, _ := jcValue(v)
		opts = append(opts, k+"="+s)
	}
	if opts != nil {
		rec["options"] = opts
	}
}

var jcFormats = []jcFormat{
	{globs: []string{"aix-*/mount.out"}, parser: "aix-mount", key: "mount_point",
		fields: map[string]string{"filesystem": "device", "mount_point": "path", "type": "fstype", "options": "options"},
		facts:  mountRecords},
	{globs: []string{"*/mount.out", "*/mount2.out", "generic/mount-*.out"}, parser: "mount", key: "mount_point",
		fields: map[string]string{"filesystem": "device", "mount_point": "path", "type": "fstype", "options": "options"},
		facts:  mountRecords},
	{globs: []string{"*/findmnt.out", "*/findmnt-a.out", "*/findmnt-l.out"}, parser: "findmnt", key: "target",
		fields: map[string]string{"target": "path", "source": "device", "fstype": "fstype", "options": "options"},
		prep:   mergeKV,
		facts: func(m *model.Model) []map[string]string {
			// findmnt's SOURCE[/subdir] is Device and Root in the model.
			out := mountRecords(m)
			for i, x := range m.Mounts {
				if x.Root != "" && x.Root != "/" {
					out[i]["device"] = x.Device + "[" + x.Root + "]"
				}
			}
			return out
		}},
	{globs: []string{"linux-proc/pid_mountinfo"}, parser: "mountinfo", key: "mount_point",
		fields: map[string]string{"mount_point": "path", "mount_source": "device", "fs_type": "fstype", "mount_id": "id",
			"parent_id": "parent_id", "root": "root"},
		facts: mountRecords},
	{globs: []string{"*/df.out", "*/df-h.out", "*/df-hh.out", "generic/df-*.out"}, parser: "df", key: "mounted_on",
		fields: map[string]string{"filesystem": "filesystem", "mounted_on": "mounted_on", "1k_blocks": "size", "size": "size",
			"512_blocks": "size", "used": "used", "available": "avail", "use_percent": "use_pct"},
		facts: func(m *model.Model) []map[string]string {
			var out []map[string]string
			for _, x := range m.DF {
				out = append(out, map[string]string{"filesystem": x.Filesystem, "mounted_on": x.MountedOn, "size": humanBytes(x.Size),
					"used": humanBytes(x.Used), "avail": humanBytes(x.Avail), "use_pct": trimPct(x.UsePct)})
			}
			return out
		}},
	{globs: []string{"*/lsmod.out", "linux-proc/modules"}, parser: "lsmod", key: "module",
		fields: map[string]string{"module": "name", "size": "size", "used": "refcount", "by": "used_by", "used_by": "used_by", "status": "state"},
		facts: func(m *model.Model) []map[string]string {
			var out []map[string]string
			for _, x := range m.Modules {
				out = append(out, map[string]string{"name": x.Name, "size": i64toa(x.Size), "refcount": itoa(x.RefCount),
					"used_by": join(x.UsedBy), "state": x.State})
			}
			return out
		}},
	{globs: []string{"*/lsof.out", "*/lsof-sudo.out"}, parser: "lsof", key: "pid",
		fields: map[string]string{"command": "command", "pid": "pid", "tid": "tid", "user": "user", "fd": "fd", "type": "type",
			"device": "device", "size_off": "size_off", "node": "node", "name": "name"},
		facts: func(m *model.Model) []map[string]string {
			var out []map[string]string
			for _, x := range m.OpenFiles.Facts() {
				// lsof's notes are part of jc's name: put them back.
				name := x.Name
				if x.Deleted {
					name += " (deleted)"
				}
				if x.Error != "" {
					name += " (" + x.Error + ")"
				}
				r := map[string]string{"command": x.Command, "pid": itoa(x.PID), "user": x.User, "fd": x.FD, "type": x.Type,
					"device": x.Device, "size_off": strings.TrimPrefix(x.SizeOff, "0t"), "node": x.Node, "name": name}
				if x.TID != 0 {
					r["tid"] = itoa(x.TID)
				}
				out = append(out, r)
			}
			return out
		}},
	{globs: []string{"*/ps-ef.out", "*/ps-axu.out"}, parser: "ps", key: "pid",
		fields: map[string]string{"pid": "pid", "ppid": "ppid", "user": "user", "uid": "user", "stat": "state", "cmd": "args", "command": "args"},
		facts: func(m *model.Model) []map[string]string {
			var out []map[string]string
			for _, x := range m.Processes {
				out = append(out, map[string]string{"pid": itoa(x.PID), "ppid": itoa(x.PPID), "user": x.User, "state": x.State, "args": x.Args})
			}
			return out
		}},
	{globs: []string{"*/dpkg-l.out", "*/dpkg-l-codes.out", "*/dpkg-l-columns500.out"}, parser: "dpkg", key: "name",
		fields: map[string]string{"codes": "state", "name": "name", "version": "version", "architecture": "arch"},
		// A multi-arch name ("libc6:amd64") is Name and Arch in the model.
		prep: func(rec map[string]any) {
			if n, ok := rec["name"].(string); ok {
				if i := strings.IndexByte(n, ':'); i > 0 {
					rec["name"] = n[:i]
				}
			}
		},
		facts: func(m *model.Model) []map[string]string {
			var out []map[string]string
			for _, x := range m.Packages {
				out = append(out, map[string]string{"state": x.State, "name": x.Name, "version": x.Version, "arch": x.Arch})
			}
			return out
		}},
	{globs: []string{"*/uname-a.out", "*/uname-a2.out", "generic/uname-a*.out"}, parser: "uname", key: "node_name",
		fields: map[string]string{"kernel_name": "os", "node_name": "hostname", "kernel_release": "kernel", "machine": "arch"},
		facts: func(m *model.Model) []map[string]string {
			h := m.Host
			return []map[string]string{{"os": h.OS, "hostname": h.Hostname, "kernel": h.Kernel, "arch": h.Arch}}
		}},
	{globs: []string{"linux-proc/slabinfo"}, parser: "slabinfo", key: "name",
		fields: map[string]string{"name": "cache", "active_objs": "active", "num_objs": "num", "obj_size": "size"},
		facts: func(m *model.Model) []map[string]string {
			var out []map[string]string
			for _, x := range m.Slabs {
				out = append(out, map[string]string{"cache": x.Cache, "active": i64toa(x.ActiveObjs), "num": i64toa(x.NumObjs), "size": i64toa(x.ObjSize)})
			}
			return out
		}},
	{globs: []string{"linux-proc/filesystems"}, parser: "proc-filesystems", key: "filesystem",
		fields: map[string]string{"filesystem": "name", "nodev": "nodev"},
		facts: func(m *model.Model) []map[string]string {
			var out []map[string]string
			for _, x := range m.Filesystems {
				out = append(out, map[string]string{"name": x.Name, "nodev": strconv.FormatBool(x.NoDev)})
			}
			return out
		}},
}

// humanBytes turns df -h's "1.9G" into bytes the way jc does (powers of
// 1024, truncated), so that the same value compares equal; other text is
// returned as it is.
func humanBytes(s string) string {
	if len(s) < 2 {
		return s
	}
	mult := map[byte]float64{'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40, 'P': 1 << 50}[s[len(s)-1]]
	f, err := strconv.ParseFloat(s[:len(s)-1], 64)
	if mult == 0 || err != nil {
		return s
	}
	return strconv.FormatInt(int64(f*mult), 10)
}

// sameValue compares a jc value with triage's; option lists compare as
// sets (findmnt and jc may order key=value options differently).
func sameValue(field, jc, triage string) bool {
	if jc == triage {
		return true
	}
	if field != "options" {
		return false
	}
	a, b := strings.Split(jc, ","), strings.Split(triage, ",")
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// jcValue is a jc value as text: numbers without a trailing ".0", lists
// joined with commas; ok is false for null, which is not counted.
func jcValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case []any:
		var parts []string
		for _, e := range x {
			s, _ := jcValue(e)
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), true
	}
	return fmt.Sprint(v), true
}

// jcScore compares jc's records with triage's: values jc has, values
// triage has equal, and a few examples of misses.
func jcScore(f jcFormat, records []map[string]any, facts []map[string]string) (ok, total int, misses []string) {
	queue := map[string][]map[string]string{}
	for _, r := range facts {
		k := r[f.fields[f.key]]
		queue[k] = append(queue[k], r)
	}
	for _, rec := range records {
		if f.prep != nil {
			f.prep(rec)
		}
		kv, _ := jcValue(rec[f.key])
		var got map[string]string
		if q := queue[kv]; len(q) > 0 {
			got, queue[kv] = q[0], q[1:]
		}
		for jf, tf := range f.fields {
			want, has := jcValue(rec[jf])
			if !has {
				continue
			}
			total++
			if got != nil && sameValue(tf, want, got[tf]) {
				ok++
			} else if len(misses) < 5 {
				g := "<no record>"
				if got != nil {
					g = strconv.Quote(got[tf])
				}
				misses = append(misses, fmt.Sprintf("%s=%q: got %s", jf, want, g))
			}
		}
	}
	return ok, total, misses
}

// TestJCFixtures reports, per fixture, the share of jc's record values that
// triage recovers, and holds the whole to 99%.
func TestJCFixtures(t *testing.T) {
	dir := os.Getenv("TRIAGE_JC_FIXTURES")
	if dir == "" {
		t.Skip("SKIP: TRIAGE_JC_FIXTURES is not set: the parser fidelity check against jc's fixtures did not run (set it to a copy of jc's tests/fixtures directory)")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("TRIAGE_JC_FIXTURES=%s: %v", dir, err)
	}
	var allOK, allTotal int
	var lines []string
	seen := map[string]bool{} // each fixture once, by the first format naming it
	for _, f := range jcFormats {
		for _, g := range f.globs {
			matches, err := filepath.Glob(filepath.Join(dir, g))
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(matches)
			for _, out := range matches {
				if seen[out] {
					continue
				}
				seen[out] = true
				rel, _ := filepath.Rel(dir, out)
				if slices.ContainsFunc(jcOutOfScope, func(p string) bool { return strings.HasPrefix(rel, p) }) {
					continue // not a Linux or AIX capture
				}
				jsonPath := strings.TrimSuffix(out, ".out") + ".json"
				raw, err := os.ReadFile(out)
				js, jerr := os.ReadFile(jsonPath)
				if err != nil || jerr != nil {
					t.Logf("%-45s skipped: %v %v", rel, err, jerr)
					continue
				}
				var records []map[string]any
				if err := json.Unmarshal(js, &records); err != nil {
					var one map[string]any
					if err2 := json.Unmarshal(js, &one); err2 != nil {
						t.Logf("%-45s skipped: %s is not a list of records: %v", rel, filepath.Base(jsonPath), err)
						continue
					}
					records = []map[string]any{one}
				}
				// Identified as in a bundle: a wrong guess costs the values.
				id := Identify(rel, NewHead(raw[:min(len(raw), HeadSize)]))
				m := &model.Model{}
				parser := "(none)"
				if id.Parser != nil {
					parser = id.Parser.Name
					id.Parser.Parse(NewInputString(rel, string(raw)), m)
				}
				ok, total, misses := jcScore(f, records, f.facts(m))
				allOK += ok
				allTotal += total
				pct := 100.0
				if total > 0 {
					pct = 100 * float64(ok) / float64(total)
				}
				line := fmt.Sprintf("%-42s %-16s %6d/%-6d %6.2f%%", rel, parser, ok, total, pct)
				if parser != f.parser {
					line += " (identified as " + parser + ", not " + f.parser + ")"
				}
				if len(misses) > 0 {
					line += "  e.g. " + strings.Join(misses, "; ")
				}
				lines = append(lines, line)
			}
		}
	}
	if allTotal == 0 {
		t.Fatalf("no jc fixture found under %s (it should be jc's tests/fixtures directory)", dir)
	}
	pct := 100 * float64(allOK) / float64(allTotal)
	t.Logf("jc fixtures: %d of %d record values recovered (%.2f%%)\n%s", allOK, allTotal, pct, strings.Join(lines, "\n"))
	if pct < 99 {
		t.Errorf("triage recovers %.2f%% of jc's record values, below the 99%% goal", pct)
	}
}
