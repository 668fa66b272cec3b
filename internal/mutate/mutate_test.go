package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const fixture = `package p

func f(a, b int) int {
	if a < b && a != -b {
		a++
	}
	return a*b + a%b
}
`

// TestFileMutantsMatchGremlinsTable writes out by hand what gremlins'
// default mutators make of the fixture.
func TestFileMutantsMatchGremlinsTable(t *testing.T) {
	ms, err := fileMutants("f.go", []byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Kind+" "+m.ID()+" "+m.From+">"+m.To)
	}
	want := []string{
		"CONDITIONALS_BOUNDARY f.go:4:7 <><=",
		"CONDITIONALS_NEGATION f.go:4:7 <>>=",
		"CONDITIONALS_NEGATION f.go:4:16 !=>==",
		"INVERT_NEGATIVES f.go:4:19 ->+",
		"ARITHMETIC_BASE f.go:4:19 ->+",
		"INCREMENT_DECREMENT f.go:5:4 ++>--",
		"ARITHMETIC_BASE f.go:7:10 *>/",
		"ARITHMETIC_BASE f.go:7:13 +>-",
		"ARITHMETIC_BASE f.go:7:16 %>*",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("mutants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The two kinds that turn "-" into "+" are one program.
	if ms[3].Key() != ms[4].Key() || ms[0].Key() == ms[1].Key() {
		t.Errorf("keys: %q %q, %q %q", ms[3].Key(), ms[4].Key(), ms[0].Key(), ms[1].Key())
	}
}

func TestApplyReplacesOnlyTheToken(t *testing.T) {
	ms, _ := fileMutants("f.go", []byte(fixture))
	out, err := apply([]byte(fixture), ms[2]) // != -> ==
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(fixture, "a != -b", "a == -b", 1)
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := apply([]byte(strings.Replace(fixture, "!=", "==", 1)), ms[2]); err == nil {
		t.Error("a mutant applied to a changed file should be refused")
	}
}

func TestBlockContainsIsHalfOpen(t *testing.T) {
	b := block{file: "f.go", startLine: 3, startCol: 10, endLine: 5, endCol: 2}
	for _, c := range []struct {
		file      string
		line, col int
		want      bool
	}{
		{"f.go", 3, 10, true}, {"f.go", 3, 9, false}, {"f.go", 4, 1, true},
		{"f.go", 5, 1, true}, {"f.go", 5, 2, false}, {"g.go", 4, 1, false},
	} {
		if got := b.contains(c.file, c.line, c.col); got != c.want {
			t.Errorf("contains(%s:%d:%d) = %v", c.file, c.line, c.col, got)
		}
	}
}

func TestReadProfileKeepsExecutedBlocks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.out")
	profile := "mode: set\n" +
		"github.com/x/p/f.go:3.10,5.2 2 1\n" +
		"github.com/x/p/f.go:7.1,8.3 1 0\n" +
		"github.com/x/p/g.go:1.1,2.2 1 1\n"
	if err := os.WriteFile(p, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	bs, err := readProfile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []block{{"f.go", 3, 10, 5, 2}, {"g.go", 1, 1, 2, 2}}
	if len(bs) != len(want) || bs[0] != want[0] || bs[1] != want[1] {
		t.Errorf("blocks %v, want %v", bs, want)
	}
	covers := []testCover{{name: "TestA", blocks: bs}, {name: "TestB"}}
	if got := reaching(covers, Mutant{File: "f.go", Line: 4, Col: 3}); len(got) != 1 || got[0].name != "TestA" {
		t.Errorf("reaching: %v", got)
	}
	if got := reaching(covers, Mutant{File: "f.go", Line: 7, Col: 5}); len(got) != 0 {
		t.Errorf("a block that never ran reaches %v", got)
	}
}

func TestVerdictReadsGoTestOutput(t *testing.T) {
	fail := errors.New("exit status 1")
	for _, c := range []struct {
		out     string
		err     error
		ctx     bool
		verdict string
		by      string
	}{
		{"ok  \tx\t0.1s\n", nil, false, Lived, ""},
		{"--- FAIL: TestShape (0.00s)\n    --- FAIL: TestShape/sub (0.00s)\nFAIL\n", fail, false, Killed, "TestShape"},
		{"panic: test timed out after 30s\n", fail, false, TimedOut, ""},
		{"", fail, true, TimedOut, ""},
		{"FAIL\tgithub.com/x/p [build failed]\n", fail, false, NotViable, "does not compile"},
		{"panic: boom\nFAIL\tx\t0.1s\n", fail, false, Killed, "exit: exit status 1"},
	} {
		v, by := verdict([]byte(c.out), c.err, c.ctx)
		if v != c.verdict || by != c.by {
			t.Errorf("verdict(%q) = %q, %q; want %q, %q", c.out, v, by, c.verdict, c.by)
		}
	}
}

// TestPendingResumesAndReruns checks which mutants a run takes up: those
// with no verdict, or a verdict on an older version of their file; and,
// when rerunning after new tests, also those that lived, timed out or
// were not covered, but never those already killed or not viable.
func TestPendingResumesAndReruns(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := openStore(filepath.Join(dir, "results.jsonl"), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	mutant := func(line int) Mutant {
		return Mutant{Kind: "ARITHMETIC_BASE", File: "a.go", Line: line, Col: 1, From: "+", To: "-"}
	}
	verdicts := []string{Killed, Lived, TimedOut, NotViable, NotCovered}
	var all []Mutant
	for i, v := range verdicts {
		s.add(Result{Mutant: mutant(i + 1), Verdict: v})
		all = append(all, mutant(i+1))
	}
	all = append(all, mutant(len(verdicts)+1)) // never run
	s.latest["ARITHMETIC_BASE "+mutant(1).Key()] = record{Result: Result{Mutant: mutant(1), Verdict: Killed}, Source: "older"}
	lines := func(ms []Mutant) (out []int) {
		for _, m := range ms {
			out = append(out, m.Line)
		}
		return out
	}
	if got := lines(s.pending(all, false)); !slices.Equal(got, []int{1, 6}) {
		t.Errorf("resume takes up lines %v, want [1 6] (a verdict on an older file, and one never run)", got)
	}
	if got := lines(s.pending(all, true)); !slices.Equal(got, []int{1, 2, 3, 5, 6}) {
		t.Errorf("rerun takes up lines %v, want [1 2 3 5 6]", got)
	}
}
