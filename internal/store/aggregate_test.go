package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// seesAggregate lists the folders whose code may take the whole store.Store:
// the wiring, the backends and the conformance suite. Everything else
// declares the few methods it calls.
var seesAggregate = []string{"cmd/ims", "internal/server", "internal/store"}

// TestOnlyTheWiringTakesTheAggregate fails when production code outside
// those folders names store.Store again.
func TestOnlyTheWiringTakesTheAggregate(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || allowed(rel) {
			return nil
		}
		files++
		for _, pos := range aggregateUses(t, path) {
			t.Errorf("%s:%d takes store.Store: declare the methods it calls instead", rel, pos)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("checked %d files: the walk missed the source tree", files)
	}
}

func allowed(rel string) bool {
	for _, dir := range seesAggregate {
		if strings.HasPrefix(rel, dir+"/") {
			return true
		}
	}
	return false
}

// aggregateUses returns the lines of path that name the Store type of
// imslogin/internal/store, under whatever name the file imports it.
func aggregateUses(t *testing.T, path string) []int {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	name := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "imslogin/internal/store" {
			name = "store"
			if imp.Name != nil {
				name = imp.Name.Name
			}
		}
	}
	if name == "" {
		return nil
	}
	var lines []int
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if ok && sel.Sel.Name == "Store" {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name {
				lines = append(lines, fset.Position(sel.Pos()).Line)
			}
		}
		return true
	})
	return lines
}
