package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Mutant is one small deliberate bug: the operator token at a position of
// a source file replaced by another.
type Mutant struct {
	Kind   string // gremlins' name for the operator family
	File   string // base name, inside the package directory
	Line   int
	Col    int // 1-based byte column of the token
	Offset int // byte offset of the token in the file
	From   string
	To     string
}

// ID names the mutant the way the logs print it, e.g. "compile.go:41:37".
func (m Mutant) ID() string { return fmt.Sprintf("%s:%d:%d", m.File, m.Line, m.Col) }

// Key identifies the code a mutant produces: two kinds that replace the
// same token by the same one (gremlins' ARITHMETIC_BASE and
// INVERT_NEGATIVES both turn "-" into "+") are one program, run once.
func (m Mutant) Key() string { return m.ID() + " " + m.To }

// operators are gremlins' five default mutators (v0.6.0): for each kind,
// what each token becomes. Using the same table keeps kill rates
// comparable with the runs made with gremlins itself.
var operators = []struct {
	kind string
	swap map[token.Token]token.Token
}{
	{"CONDITIONALS_BOUNDARY", map[token.Token]token.Token{
		token.GEQ: token.GTR, token.GTR: token.GEQ, token.LEQ: token.LSS, token.LSS: token.LEQ}},
	{"CONDITIONALS_NEGATION", map[token.Token]token.Token{
		token.EQL: token.NEQ, token.NEQ: token.EQL, token.GEQ: token.LSS,
		token.GTR: token.LEQ, token.LEQ: token.GTR, token.LSS: token.GEQ}},
	{"INCREMENT_DECREMENT", map[token.Token]token.Token{token.INC: token.DEC, token.DEC: token.INC}},
	{"INVERT_NEGATIVES", map[token.Token]token.Token{token.SUB: token.ADD}},
	{"ARITHMETIC_BASE", map[token.Token]token.Token{
		token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO,
		token.QUO: token.MUL, token.REM: token.MUL}},
}

// enumerate lists the mutants of the package's non-test Go files whose
// base name matches files (nil: all), in file and position order.
func enumerate(dir string, files *regexp.Regexp) ([]Mutant, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var all []Mutant
	for _, p := range paths {
		base := filepath.Base(p)
		if strings.HasSuffix(base, "_test.go") || (files != nil && !files.MatchString(base)) {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ms, err := fileMutants(base, src)
		if err != nil {
			return nil, fmt.Errorf("mutate: %s: %w", p, err)
		}
		all = append(all, ms...)
	}
	return all, nil
}

// fileMutants lists one file's mutants. Only the operator of an
// expression or statement is mutated, as gremlins does: the "-" of a
// negative literal in a constant is a unary expression too.
func fileMutants(name string, src []byte) ([]Mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []Mutant
	ast.Inspect(f, func(n ast.Node) bool {
		tok, pos, ok := operatorOf(n)
		if !ok {
			return true
		}
		p := fset.Position(pos)
		for _, op := range operators {
			if to, ok := op.swap[tok]; ok {
				out = append(out, Mutant{Kind: op.kind, File: name, Line: p.Line, Col: p.Column,
					Offset: p.Offset, From: tok.String(), To: to.String()})
			}
		}
		return true
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out, nil
}

// operatorOf returns the operator token of the node kinds gremlins mutates.
func operatorOf(n ast.Node) (token.Token, token.Pos, bool) {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		return n.Op, n.OpPos, true
	case *ast.UnaryExpr:
		return n.Op, n.OpPos, true
	case *ast.IncDecStmt:
		return n.Tok, n.TokPos, true
	}
	return token.ILLEGAL, token.NoPos, false
}

// apply returns src with the mutant's token replaced.
func apply(src []byte, m Mutant) ([]byte, error) {
	end := m.Offset + len(m.From)
	if end > len(src) || string(src[m.Offset:end]) != m.From {
		return nil, fmt.Errorf("mutate: %s: no %q at byte %d (file changed since enumeration?)", m.ID(), m.From, m.Offset)
	}
	out := make([]byte, 0, len(src)+1)
	out = append(out, src[:m.Offset]...)
	out = append(out, m.To...)
	return append(out, src[end:]...), nil
}
