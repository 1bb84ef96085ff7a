package server

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/server/api"
)

// bodyReaders finds, in the source of the server's packages, the functions that read a request body: those
// that decode JSON, read an upload, spool a firmware image or touch r.Body, and those that call
// one of them (by name, within those packages).
func bodyReaders(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	// The API's handlers are in package api, what they share with the pages in package app, and
	// the device side's endpoints in package device (their handlers' names differ from the
	// others').
	var files []string
	for _, dir := range []string{".", "api", "app", "device"} {
		fs, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	calls := map[string][]string{} // function or method name -> names it calls
	reads := map[string]bool{"decodeJSON": true, "readBody": true, "Decode": true}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			name := fn.Name.Name
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					if x.Sel.Name == "Body" || x.Sel.Name == "FormFile" || x.Sel.Name == "MultipartReader" || x.Sel.Name == "ParseMultipartForm" {
						if id, ok := x.X.(*ast.Ident); ok && id.Name == "r" {
							reads[name] = true
						}
					}
					calls[name] = append(calls[name], x.Sel.Name)
				case *ast.Ident:
					calls[name] = append(calls[name], x.Name)
				}
				return true
			})
		}
	}
	// The API wrappers read no body themselves; a handler that calls one of them is not an
	// upload because of it.
	for changed := true; changed; {
		changed = false
		for name, cs := range calls {
			if reads[name] {
				continue
			}
			if slices.ContainsFunc(cs, func(c string) bool { return reads[c] && c != name }) {
				reads[name], changed = true, true
			}
		}
	}
	return reads
}

// routeHandlers maps "METHOD /path" of the route tables in the source to the names of the
// functions their handler expression names (s.Bearer(s.upload(s.postFirmware)): Bearer, upload,
// postFirmware).
func routeHandlers(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string][]string{}
	for _, f := range []string{"api/routes.go", "api/rollout.go", "device/device.go"} {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) != 3 {
				return true
			}
			m, ok1 := cl.Elts[0].(*ast.BasicLit)
			p, ok2 := cl.Elts[1].(*ast.BasicLit)
			if !ok1 || !ok2 || m.Kind != token.STRING || p.Kind != token.STRING {
				return true
			}
			method, _ := strconv.Unquote(m.Value)
			path, _ := strconv.Unquote(p.Value)
			var names []string
			ast.Inspect(cl.Elts[2], func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					names = append(names, sel.Sel.Name)
				}
				return true
			})
			out[method+" "+path] = names
			return false
		})
	}
	return out
}

// TestOpenAPIRequestBodies walks the route table: every POST, PUT and PATCH whose handler reads
// a request body documents it (requestBody), and none that reads no body claims one.
func TestOpenAPIRequestBodies(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody *struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	reads := bodyReaders(t)
	handlers := routeHandlers(t)
	// The analysis itself must see what it is meant to see, or the test below proves nothing.
	for route, want := range map[string]bool{"POST /api/v1/products": true, "POST /api/v1/releases/{id}/sboms": true,
		"POST /api/v1/releases/{id}/firmware": true, "POST /api/v1/db/update": false, "POST /api/v1/labels/{id}/revoke": true} {
		if got := slices.ContainsFunc(handlers[route], func(n string) bool { return reads[n] }); got != want {
			t.Errorf("%s reads a body: %v, want %v (handler %v)", route, got, want, handlers[route])
		}
	}
	n := 0
	for _, rt := range New(Config{}).routeTable() {
		if rt.Method != "POST" && rt.Method != "PUT" && rt.Method != "PATCH" {
			continue
		}
		key := rt.Method + " " + rt.Path
		names, ok := handlers[key]
		if !ok {
			t.Errorf("%s: not found in the route tables' source", key)
			continue
		}
		takes := slices.ContainsFunc(names, func(n string) bool { return reads[n] })
		op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		switch {
		case takes && (op.RequestBody == nil || len(op.RequestBody.Content) == 0):
			t.Errorf("%s reads a request body (%v) but openapi.json documents no requestBody", key, names)
		case !takes && op.RequestBody != nil:
			t.Errorf("%s reads no request body but openapi.json documents one", key)
		}
		if takes {
			n++
		}
	}
	if n < 20 {
		t.Errorf("only %d operations take a body: the source analysis misses handlers", n)
	}
}
