package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/fsagent/triage/"

// root is the module's root directory, two levels up from here.
var root = filepath.Join("..", "..")

// allowed reads the package table of docs/architecture.md: package ->
// the packages of this module it may import; nil means anything.
func allowed(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile("`([^`]+)`")
	out := map[string][]string{}
	in := false
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| package | holds |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(out) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("docs/architecture.md: package table row with %d cells: %q", len(cells), line)
		}
		name := code.FindStringSubmatch(cells[0])
		if name == nil {
			t.Fatalf("docs/architecture.md: no `package` in the first cell of %q", line)
		}
		imports := strings.TrimSpace(cells[2])
		switch imports {
		case "anything":
			out[name[1]] = nil
			continue
		case "nothing":
			out[name[1]] = []string{}
			continue
		}
		var list []string
		for _, m := range code.FindAllStringSubmatch(imports, -1) {
			list = append(list, m[1])
		}
		out[name[1]] = list
	}
	if len(out) < 10 {
		t.Fatalf("docs/architecture.md: found %d packages in the table; is it still there?", len(out))
	}
	return out
}

// imports lists, per package directory of the module, the module packages
// its non-test files import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if im := strings.TrimPrefix(path, module); im != path && !contains(out[pkg], im) {
				out[pkg] = append(out[pkg], im)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestImportsFollowArchitecture(t *testing.T) {
	table := allowed(t)
	got := imports(t)
	var pkgs []string
	for p := range got {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		if strings.HasPrefix(pkg, "testdata") || pkg == "." {
			continue
		}
		may, listed := table[pkg]
		if !listed {
			t.Errorf("package %s is not in the package table of docs/architecture.md: add a row saying what it holds and what it may import", pkg)
			continue
		}
		if may == nil {
			continue
		}
		for _, im := range got[pkg] {
			if !contains(may, im) {
				t.Errorf("package %s imports %s, which docs/architecture.md does not allow (it may import: %s)", pkg, im, strings.Join(may, ", "))
			}
		}
	}
	for pkg := range table {
		if _, ok := got[pkg]; !ok {
			t.Errorf("docs/architecture.md lists package %s, which does not exist", pkg)
		}
	}
}

// TestHelpersOnce keeps the wording helpers in one place: a function that
// pluralizes or formats byte sizes outside internal/wording is a copy that
// will drift ("4.0 KiB" here, "4 KiB" there).
func TestHelpersOnce(t *testing.T) {
	dup := regexp.MustCompile(`(?i)^(plural(ize)?|human(ize)?(bytes|size)|(format|pretty)?bytes(ize|string)?|sizeh)$`)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.Contains(filepath.ToSlash(p), "internal/wording/") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil && dup.MatchString(fd.Name.Name) {
				t.Errorf("%s: func %s repeats a helper of internal/wording (Plural, Bytes): use that one", p, fd.Name.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
