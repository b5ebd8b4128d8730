package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoHandWrittenErrorStatus keeps every error answer in errors.go: a
// handler that writes an error status itself would bypass the error table
// and its route's style. The only statuses written elsewhere are successes,
// the CORS preflight's 204 and the readiness probe's 503.
func TestNoHandWrittenErrorStatus(t *testing.T) {
	allowed := map[string]bool{"StatusOK": true, "StatusCreated": true, "StatusNoContent": true, "StatusFound": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "errors.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			switch sel.Sel.Name {
			case "AbortWithStatusJSON", "AbortWithStatus", "JSON", "Data", "Status":
			default:
				return true
			}
			status := statusName(call.Args[0])
			if status == "" || allowed[status] || (name == "diag.go" && status == "StatusServiceUnavailable") {
				return true
			}
			t.Errorf("%s: %s(http.%s, …) writes an error status by hand; pass an error to the route's writer (errors.go)",
				fset.Position(call.Pos()), sel.Sel.Name, status)
			return true
		})
	}
}

// statusName is X for an argument http.X, "" for anything else.
func statusName(arg ast.Expr) string {
	sel, ok := arg.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "http" {
		return ""
	}
	return sel.Sel.Name
}
