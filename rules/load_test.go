package rules

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fsagent/triage/internal/pathglob"
)

// Every broken file under testdata/broken gives exactly these errors, and
// all of them come back from one load.
func TestLoadDirBrokenExactMessages(t *testing.T) {
	want := []string{
		"testdata/broken/bad-expr.yaml:5:11: when: unknown name OpenFilesUnderr (did you mean OpenFilesUnder?)",
		"testdata/broken/bad-field.yaml:9:8: when: type GuardPoint has no field Pathh (did you mean Path?)",
		"testdata/broken/bad-foreach.yaml:4:11: for_each: expected an expression that yields a list, got Host",
		`testdata/broken/bad-glob.yaml:6:12: lines loads: bad glob: glob "ncs/[a-z.load": malformed pattern "[a-z.load" (unclosed [ or trailing \)`,
		`testdata/broken/bad-id.yaml:1:5: id "GDE_Busy": expected area.name in lower case, letters, digits and '-' (like gde.guardpoint-busy)`,
		"testdata/broken/bad-let.yaml:5:24: let open: cannot use int as argument (type string) to call OpenFilesUnder",
		"testdata/broken/bad-message.yaml:8:28: message: type GuardPoint has no field Pth (did you mean Path?)",
		"testdata/broken/bad-regex.yaml:5:42: lines loads: bad regex: missing closing ): `nss /poolact=(\\w+`",
		`testdata/broken/bad-severity.yaml:3:11: severity "hihg": expected one of info, low, medium, high, critical`,
		"testdata/broken/bad-type.yaml:4:7: when: expected bool, but got int",
		`testdata/broken/dup-id-b.yaml:2:5: duplicate id "test.duplicate": already defined in testdata/broken/dup-id-a.yaml:1`,
		`testdata/broken/missing-field.yaml:1:1: missing required field "when" (a boolean expression)`,
		"testdata/broken/syntax.yaml:5:1: YAML syntax error: found unexpected end of stream",
		`testdata/broken/unknown-field.yaml:6:1: unknown field "resolutoin" (did you mean "resolution"?)`,
	}
	set, err := LoadDir("testdata/broken")
	var le *LoadErrors
	if !errors.As(err, &le) {
		t.Fatalf("LoadDir(testdata/broken) error = %v, want *LoadErrors", err)
	}
	var got []string
	for _, e := range le.Errs {
		got = append(got, e.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Only the first of the duplicates loads cleanly; no broken rule is
	// kept for evaluation.
	var ids []string
	for _, r := range set.Rules() {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "test.duplicate" {
		t.Errorf("clean rules = %v, want [test.duplicate]", ids)
	}
}

// Inline cases: each rule text gives exactly one error.
func TestLoadErrorsInline(t *testing.T) {
	const head = "id: t.x\ntitle: T\nseverity: low\n"
	cases := []struct {
		name, text, want string
	}{
		{"field twice", head + "when: true\nwhen: false\nmessage: m\n",
			`r.yaml:5:1: field "when" appears twice (first at line 4)`},
		{"not a mapping", "- a\n- b\n",
			`r.yaml:1:1: expected a rule (a mapping with id, title, severity, when and message), got a list`},
		{"empty file", "# nothing\n",
			`r.yaml: empty file: expected a rule (a mapping with id, title, severity, when and message)`},
		{"unknown field, nothing close", head + "when: true\nmessage: m\nzzzzzzzz: 1\n",
			`r.yaml:6:1: unknown field "zzzzzzzz" (known fields: id, title, severity, applies_to, needs, params, lines, for_each, let, when, evidence, aggregates, message, summary, symptoms, cause, diagnosis, resolution, caveats, references, tests)`},
		{"title not text", "id: t.x\ntitle: [a]\nseverity: low\nwhen: true\nmessage: m\n",
			`r.yaml:2:8: title: expected text, got a list`},
		{"param shadows builtin", head + "params:\n  len: 3\nwhen: true\nmessage: m\n",
			`r.yaml:5:3: params: name "len" is a built-in function; pick another name`},
		{"let shadows model", head + "let:\n  within: 1\nwhen: true\nmessage: m\n",
			`r.yaml:5:3: let: name "within" is a name already defined; pick another name`},
		{"bad param value", head + "params:\n  x: {a: 1}\nwhen: true\nmessage: m\n",
			`r.yaml:5:6: params x: expected a number, text, boolean or a list of one of them, got a mapping`},
		{"lines missing regex", head + "lines:\n  l: {files: x}\nwhen: true\nmessage: m\n",
			`r.yaml:5:6: lines l: missing required field "regex" (an RE2 regular expression)`},
		{"lines unknown key", head + "lines:\n  l: {files: x, regexp: y, regex: z}\nwhen: true\nmessage: m\n",
			`r.yaml:5:17: lines l: unknown field "regexp" (expected one of files, regex)`},
		{"glob double star inside", head + "lines:\n  l: {files: 'a/**/b', regex: z}\nwhen: true\nmessage: m\n",
			`r.yaml:5:14: lines l: bad glob: glob "a/**/b": "**" is only allowed as the leading component`},
		{"unclosed template", head + "when: true\nmessage: 'a {{ 1 + 2'\n",
			`r.yaml:5:13: message: unclosed {{: expected }} after the expression`},
		{"empty template", head + "when: true\nmessage: 'a {{ }} b'\n",
			`r.yaml:5:13: message: empty {{ }}: expected an expression inside`},
		{"tab in the indentation", head + "when: true\nmessage: m\nlet:\n\tx: 1\n",
			`r.yaml:7:1: YAML syntax error: a tab in the indentation; YAML indents with spaces only, so replace the tab with spaces`},
		{"flow mapping error on its own line", head + "when: true\nmessage: m\nparams: {a: 1 b: 2}\n",
			`r.yaml:6:1: YAML syntax error: did not find expected ',' or '}'`},
		{"evidence of the wrong type", head + "when: true\nmessage: m\nevidence: 42\n",
			`r.yaml:6:11: evidence: expected a fact, a Source or a list of them (anything with a Src field), got int`},
		{"misspelt field of a fact", head + "for_each: Mounts\nwhen: it.Fstype == \"x\"\nmessage: m\n",
			`r.yaml:5:10: when: type Mount has no field Fstype (did you mean FSType?)`},
		{"double-quoted expression", head + "when: \"len(Mountz) > 0\"\nmessage: m\n",
			`r.yaml:4:12: when: unknown name Mountz (did you mean Mounts?)`},
		{"folded message, second line", head + "for_each: Mounts\nwhen: true\nmessage: >-\n  mount {{ it.Path }}\n  of type {{ it.FSTyp }}\n",
			`r.yaml:8:17: message: type Mount has no field FSTyp (did you mean FSType?)`},
		{"comment cuts expression", head + "let:\n  n: filter(Mounts, # != nil)\nwhen: true\nmessage: m\n",
			`r.yaml:5:19: let n: unexpected token EOF (a ' #' in a plain YAML value starts a comment: quote the expression)`},
		{"test case without expect", head + "when: true\nmessage: m\ntests:\n  - files: {mount: x}\n",
			`r.yaml:7:5: tests item: missing required field "expect" (fire or quiet)`},
		{"test case bundle and files", head + "when: true\nmessage: m\ntests:\n  - {bundle: a, files: {m: x}, expect: fire}\n",
			`r.yaml:7:5: tests item: expected exactly one of bundle or files`},
		{"test case bad expect", head + "when: true\nmessage: m\ntests:\n  - {bundle: a, expect: fires}\n",
			`r.yaml:7:25: tests expect "fires": expected fire or quiet`},
		{"test file escapes", head + "when: true\nmessage: m\ntests:\n  - {files: {../x: y}, expect: fire}\n",
			`r.yaml:7:14: tests files: path "../x": expected a relative path inside the bundle`},
		{"test evidence without a line", head + "when: true\nmessage: m\ntests:\n  - {bundle: a, expect: fire, evidence: [lsof.out:3, lsof.out]}\n",
			`r.yaml:7:54: tests evidence "lsof.out": expected path:line, a bundle path and a line number`},
		{"test evidence line zero", head + "when: true\nmessage: m\ntests:\n  - {bundle: a, expect: fire, evidence: \"x:0\"}\n",
			`r.yaml:7:41: tests evidence "x:0": expected path:line with a line number of 1 or more after the last colon`},
		{"quiet case with a subject", head + "when: true\nmessage: m\ntests:\n  - {bundle: a, expect: quiet, subject: /data}\n",
			"r.yaml:7:5: tests item: an `expect: quiet` case has no finding to check count, message_contains, subject or evidence against"},
		{"reference without title", head + "when: true\nmessage: m\nreferences:\n  - {url: 'http://x'}\n",
			`r.yaml:7:5: references item: missing required field "title"`},
		{"for_each not a list", head + "for_each: len(Mounts)\nwhen: true\nmessage: m\n",
			`r.yaml:4:11: for_each: expected an expression that yields a list, got int`},
		{"now is disabled", head + "when: now() != nil\nmessage: m\n",
			`r.yaml:4:7: when: unknown name now`},
		{"needs unknown kind, close", head + "needs: [lsoof]\nwhen: true\nmessage: m\n",
			`r.yaml:4:9: needs: unknown artifact kind "lsoof" (did you mean "lsof"?)`},
		{"needs unknown kind in a group", head + "needs: [mount, [lsof, zzzz]]\nwhen: true\nmessage: m\n",
			`r.yaml:4:23: needs: unknown artifact kind "zzzz" (known kinds: agent-log, agent-status, df, filesystems, fuser, host, init-script, kernel-log, lsof, modules, mount, packages, processes, services, slab, strace)`},
		{"needs text is no kind", head + "needs: [text]\nwhen: true\nmessage: m\n",
			`r.yaml:4:9: needs: unknown artifact kind "text" (known kinds: agent-log, agent-status, df, filesystems, fuser, host, init-script, kernel-log, lsof, modules, mount, packages, processes, services, slab, strace)`},
		{"needs not a list", head + "needs: lsof\nwhen: true\nmessage: m\n",
			`r.yaml:4:8: needs: expected a list of artifact kinds (like [mount, [lsof, fuser]]), got "lsof"`},
		{"needs empty group", head + "needs: [[]]\nwhen: true\nmessage: m\n",
			`r.yaml:4:9: needs: an empty list of alternatives; name at least one artifact kind`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var errs LoadErrors
			loadFS(fstest.MapFS{"r.yaml": {Data: []byte(tc.text)}}, func(s string) string { return s }, "", &errs)
			var got []string
			for _, e := range errs.Errs {
				got = append(got, e.Error())
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("got %q\nwant [%q]", got, tc.want)
			}
		})
	}
}

// A rule file that uses every feature loads without error, and typed lets
// carry element types into the expressions after them.
func TestLoadGood(t *testing.T) {
	set, err := LoadDir("testdata/good")
	if err != nil {
		t.Fatalf("LoadDir(testdata/good): %v", err)
	}
	var ids []string
	for _, r := range set.Rules() {
		ids = append(ids, r.ID)
	}
	want := "test.guardpoint-busy,test.hung-task,test.init-order-conflict,test.lines-typed,test.nested-mount,test.slab-growth,test.unsupported-version"
	if strings.Join(ids, ",") != want {
		t.Errorf("ids = %s, want %s", strings.Join(ids, ","), want)
	}
	r := set.Rule("test.guardpoint-busy")
	if r.Severity != High || r.Title != "Processes hold files inside a guard point" || strings.Join(r.Tags, ",") != "gde,linux,aix" {
		t.Errorf("rule fields: %+v", r)
	}
	if len(r.KB.Resolution) != 1 || r.KB.Summary == "" || len(r.Tests) != 1 || r.Tests[0].Expect != "quiet" || r.Tests[0].Count != -1 {
		t.Errorf("rule KB/tests: %+v %+v", r.KB, r.Tests)
	}
	if !strings.HasSuffix(r.File, "guardpoint-busy.yaml") || r.Dir != "testdata/good" {
		t.Errorf("File=%q Dir=%q", r.File, r.Dir)
	}
	pats := set.LinePatterns()
	if len(pats) != 2 || pats[0].Key != "test.hung-task/blocked" || pats[1].Key != "test.lines-typed/loads" {
		t.Errorf("LinePatterns = %+v", pats)
	}
}

func TestLinePatternMatch(t *testing.T) {
	cases := []struct {
		glob, path string
		want       bool
	}{
		{"*.load", "etc/opt/novell/ncs/vol1.load", true},
		{"**/ncs/*.load", "etc/opt/novell/ncs/vol1.load", true},
		{"ncs/*.load", "etc/opt/novell/ncs/vol1.load", true},
		{"ncs/*.load", "etc/opt/novell/other/vol1.load", false},
		{"**/messages", "var/log/messages", true},
		{"**/messages", "var/log/messages.1", false},
		{"/var/log/messages", "var/log/messages", true},
		{"/var/log/messages", "host/var/log/messages", false},
		{"messages", "./var/log/messages", true},
		{"*.load", "vol1.load/", true},
		// Case-insensitive, as parser paths are (package pathglob).
		{"**/ncs/*.load", "ETC/NCS/VOL1.LOAD", true},
	}
	for _, c := range cases {
		g, err := pathglob.Compile(c.glob)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.glob, err)
		}
		p := LinePattern{Files: c.glob, glob: g}
		if got := p.Match(c.path); got != c.want {
			t.Errorf("%q.Match(%q) = %v, want %v", c.glob, c.path, got, c.want)
		}
	}
}

func TestLoadSetOverridesAndFilters(t *testing.T) {
	shipped := fstest.MapFS{
		"a.yaml": {Data: []byte("id: t.a\ntitle: shipped a\nseverity: low\nwhen: true\nmessage: a\n")},
		"b.yaml": {Data: []byte("id: t.b\ntitle: shipped b\nseverity: low\nwhen: true\nmessage: b\n")},
		"c.yaml": {Data: []byte("id: u.c\ntitle: shipped c\nseverity: low\nwhen: true\nmessage: c\n")},
	}
	set, err := loadSet(shipped, "", []string{"testdata/override"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := set.Rule("t.a"); r == nil || r.Title != "override of a" || r.Severity != Critical {
		t.Errorf("t.a not overridden: %+v", r)
	}
	if len(set.Notes) != 1 || set.Notes[0] != "rule t.a from testdata/override/a.yaml overrides the one from rules.d/a.yaml" {
		t.Errorf("notes = %q", set.Notes)
	}
	if len(set.Rules()) != 3 {
		t.Errorf("%d rules, want 3", len(set.Rules()))
	}

	set, err = loadSet(shipped, "", nil, []string{"t.*"}, []string{"t.b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules()) != 1 || set.Rules()[0].ID != "t.a" {
		t.Errorf("only t.* skip t.b: %v", set.Rules())
	}

	_, err = loadSet(shipped, "", nil, []string{"t.a", "t.zz"}, []string{"nope"})
	want := "--only: \"t.zz\" matches no rule id (see `triage rules list`)\n--skip: \"nope\" matches no rule id (see `triage rules list`)"
	if err == nil || err.Error() != want {
		t.Errorf("unknown ids: err = %v\nwant %s", err, want)
	}
}
