package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// block is one covered statement block of a coverage profile.
type block struct {
	file                                 string // base name
	startLine, startCol, endLine, endCol int
}

// contains says whether the token at line:col lies inside the block.
func (b block) contains(file string, line, col int) bool {
	if file != b.file {
		return false
	}
	after := line > b.startLine || (line == b.startLine && col >= b.startCol)
	before := line < b.endLine || (line == b.endLine && col < b.endCol)
	return after && before
}

// testCover is what one test, run alone, executes and how long it takes.
type testCover struct {
	pkg     string // the test's package directory
	name    string
	blocks  []block
	elapsed time.Duration
}

// coverageMap runs every test of the test packages alone under coverage
// and records which blocks of the mutated package (importPath) each one
// executes. Mutants are then run against only the tests that reach them;
// a test that does not execute a line cannot see a change to it.
func coverageMap(ctx context.Context, testPkgs []string, importPath, work string, workers int) ([]testCover, error) {
	var all []testCover
	for _, pkg := range testPkgs {
		covers, err := packageCoverage(ctx, pkg, importPath, work, workers)
		if err != nil {
			return nil, err
		}
		all = append(all, covers...)
	}
	return all, nil
}

// packageCoverage is coverageMap for the tests of one package.
func packageCoverage(ctx context.Context, pkg, importPath, work string, workers int) ([]testCover, error) {
	bin := filepath.Join(work, "cover-"+strings.ReplaceAll(pkg, "/", "_")+".test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-vet=off", "-cover", "-covermode=set",
		"-coverpkg="+importPath, "-o", bin, "./"+pkg)
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mutate: building %s's tests with coverage: %w\n%s", pkg, err, out)
	}
	list, err := exec.CommandContext(ctx, bin, "-test.list", ".*").Output()
	if err != nil {
		return nil, fmt.Errorf("mutate: listing %s's tests: %w", pkg, err)
	}
	names := strings.Fields(string(list))
	covers := make([]testCover, len(names))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				covers[i] = coverOne(ctx, bin, pkg, work, names[i])
			}
		}()
	}
	for i := range names {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return covers, ctx.Err()
}

// coverOne runs one test alone. A test that fails on the unmutated code
// still counts with what it covered: the mutant run reports it, since
// every failure kills.
func coverOne(ctx context.Context, bin, pkg, work, name string) testCover {
	profile := filepath.Join(work, "cover-"+strings.ReplaceAll(pkg, "/", "_")+"-"+name+".out")
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^"+name+"$", "-test.count=1",
		"-test.coverprofile="+profile)
	cmd.Dir = pkg
	start := time.Now()
	out, err := cmd.CombinedOutput()
	tc := testCover{pkg: pkg, name: name, elapsed: time.Since(start)}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mutate: note: %s %s fails on the unmutated code: %v\n%s", pkg, name, err, tail(out, 20))
	}
	tc.blocks, _ = readProfile(profile)
	os.Remove(profile)
	return tc
}

// readProfile reads the executed blocks of a coverage profile
// ("path/file.go:l.c,l.c statements count" lines).
func readProfile(path string) ([]block, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var blocks []block
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		colon := strings.LastIndex(line, ".go:")
		if colon < 0 {
			continue
		}
		var b block
		var stmts, count int
		if _, err := fmt.Sscanf(line[colon+4:], "%d.%d,%d.%d %d %d",
			&b.startLine, &b.startCol, &b.endLine, &b.endCol, &stmts, &count); err != nil || count == 0 {
			continue
		}
		b.file = filepath.Base(line[:colon+3])
		blocks = append(blocks, b)
	}
	return blocks, sc.Err()
}

// reaching lists the tests that execute the mutant's token.
func reaching(covers []testCover, m Mutant) []testCover {
	var out []testCover
	for _, tc := range covers {
		for _, b := range tc.blocks {
			if b.contains(m.File, m.Line, m.Col) {
				out = append(out, tc)
				break
			}
		}
	}
	return out
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}
