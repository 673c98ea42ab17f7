// Command codestats prints the size of a Go tree: product and test lines
// (non-blank), packages, and the longest functions. `make code-stats`
// runs it on the working tree and, given REV, on that commit too.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type fn struct {
	name  string
	lines int
}

func main() {
	top := flag.Int("top", 10, "how many of the longest functions to list")
	flag.Parse()
	root := flag.Arg(0)
	if root == "" {
		root = "."
	}
	var prod, test, files int
	pkgs := map[string]bool{}
	var fns []fn
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (n == "testdata" || n == "vendor" || n == "node_modules" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		n := 0
		for _, l := range bytes.Split(src, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				n++
			}
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasSuffix(path, "_test.go") {
			test += n
			return nil
		}
		prod += n
		pkgs[filepath.Dir(rel)] = true
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return fmt.Errorf("parse %s: %w", rel, err)
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil {
				name := fd.Name.Name
				if fd.Recv != nil && len(fd.Recv.List) > 0 {
					t := fd.Recv.List[0].Type
					if s, ok := t.(*ast.StarExpr); ok {
						t = s.X
					}
					if id, ok := t.(*ast.Ident); ok {
						name = id.Name + "." + name
					}
				}
				lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
				fns = append(fns, fn{fmt.Sprintf("%s %s", rel, name), lines})
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "codestats:", err)
		os.Exit(1)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].lines > fns[j].lines })
	fmt.Printf("go files %d, packages %d, product lines %d, test lines %d (non-blank)\n", files, len(pkgs), prod, test)
	fmt.Printf("longest functions:\n")
	for _, f := range fns[:min(*top, len(fns))] {
		fmt.Printf("  %4d  %s\n", f.lines, f.name)
	}
}
