package tensor

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// declaredOps parses this package's Go files (not its tests) and returns
// the names of the types with an Accesses method: the op types.
func declaredOps(t *testing.T) []string {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range pkgs["tensor"].Files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "Accesses" {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			names = append(names, typ.(*ast.Ident).Name)
		}
	}
	sort.Strings(names)
	return names
}

// TestAllOpsListsEveryOp fails when an op type is declared in tensor but
// missing from AllOps (or listed twice), so the backends' kernel-coverage
// tests cannot miss it.
func TestAllOpsListsEveryOp(t *testing.T) {
	declared := declaredOps(t)
	if len(declared) < 20 {
		t.Fatalf("found only %d op types (%v): is the parse looking at the right files?", len(declared), declared)
	}
	var listed []string
	for _, op := range AllOps() {
		listed = append(listed, reflect.TypeOf(op).Name())
	}
	sort.Strings(listed)
	if !reflect.DeepEqual(declared, listed) {
		t.Errorf("op types declared: %v\nAllOps lists:       %v", declared, listed)
	}
}

// TestEveryOpChecksItself: each op type must implement Checker, so that
// Validate is the whole contract, and its zero value (sizes 0) must be
// rejected with an error, never a panic.
func TestEveryOpChecksItself(t *testing.T) {
	for _, op := range AllOps() {
		if _, ok := op.(Checker); !ok {
			t.Errorf("%T does not implement Checker", op)
			continue
		}
		p, _, _ := checkPlan()
		p.Emit(Train, op)
		if err := p.Validate(); err == nil {
			t.Errorf("the zero %T validated", op)
		}
	}
}
