// Command mutate is Anvil's Go mutation tester. It plants gremlins'
// default mutants (operators swapped: boundaries, negated conditions,
// arithmetic, ++/--, unary minus) one at a time in one package and reports
// which ones no test catches.
//
// It differs from running gremlins itself in how it runs them: every test
// of the package is first run alone under coverage, and each mutant is
// then built through a go build overlay (the tree is never edited, so
// workers run side by side) and run against only the tests that execute
// its line. On a package whose whole suite takes 15 s that is several
// times faster, which is what lets the big packages finish on a small
// machine. Results are appended to a file as they come, so a run that is
// cut off resumes where it stopped.
//
// By default a package's mutants meet only its own tests, as with
// gremlins. -tests lets other packages' tests count too: most of tensor's
// op definitions are exercised by cpuref's reference tests, not by
// tensor's own. The summary line says which tests counted.
//
//	go run ./internal/mutate -pkg nn [-tests nn,cmd/train] [-files REGEX] [-workers 2] [-out DIR] [-rerun-lived] [-summary] [-list]
//
// scripts/mutate.sh wraps it; docs/TESTING.md records the figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	pkg := flag.String("pkg", "", "the package directory, relative to the module root (tensor, cpuref, nn)")
	tests := flag.String("tests", "", "comma-separated package directories whose tests count (default: -pkg's own)")
	files := flag.String("files", "", "only the package's files whose base name matches this regular expression")
	workers := flag.Int("workers", 2, "mutants run at once")
	out := flag.String("out", "/tmp/anvil-mutate", "folder for the log, the results file and scratch")
	rerunLived := flag.Bool("rerun-lived", false, "run again the mutants a previous run left LIVED, TIMED OUT or NOT COVERED (after adding tests)")
	factor := flag.Float64("timeout-factor", 10, "a mutant's tests may take this many times their unmutated time")
	list := flag.Bool("list", false, "print the mutants and run nothing")
	summary := flag.Bool("summary", false, "print the recorded verdicts' summary and run nothing")
	flag.Parse()
	if *list {
		if err := printMutants(*pkg, *files); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := run(*pkg, *tests, *files, *out, *workers, *factor, *rerunLived, *summary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// printMutants lists the mutants of the package, one per line.
func printMutants(pkg, files string) error {
	filter, err := compileFilter(files)
	if err != nil {
		return err
	}
	ms, err := enumerate(pkg, filter)
	for _, m := range ms {
		fmt.Printf("%s %s (%s -> %s)\n", m.Kind, m.ID(), m.From, m.To)
	}
	return err
}

// compileFilter compiles -files; empty selects every file.
func compileFilter(files string) (*regexp.Regexp, error) {
	if files == "" {
		return nil, nil
	}
	re, err := regexp.Compile(files)
	if err != nil {
		return nil, fmt.Errorf("mutate: -files %q: %w", files, err)
	}
	return re, nil
}

func run(pkg, tests, files, out string, workers int, factor float64, rerunLived, summaryOnly bool) error {
	if pkg == "" || workers < 1 {
		return fmt.Errorf("mutate: usage: go run ./internal/mutate -pkg DIR [-files REGEX] [-workers N] [-out DIR]")
	}
	filter, err := compileFilter(files)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	absDir, err := filepath.Abs(pkg)
	if err != nil {
		return err
	}
	mutants, err := enumerate(absDir, filter)
	if err != nil {
		return err
	}
	work := filepath.Join(out, "work-"+pkg)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	testPkgs, name := testPackages(pkg, tests)
	store, err := openStore(filepath.Join(out, "results-"+name+".jsonl"), absDir)
	if err != nil {
		return err
	}
	defer store.close()
	todo := store.pending(mutants, rerunLived)
	if !summaryOnly {
		fmt.Fprintf(os.Stderr, "mutate: %s: %d mutants (%d distinct programs to run, the rest known from %s)\n",
			pkg, len(mutants), countKeys(todo), store.path)
	}
	if len(todo) > 0 && !summaryOnly {
		start := time.Now()
		importPath := "github.com/anvil-ml/anvil/" + pkg
		covers, err := coverageMap(ctx, testPkgs, importPath, work, workers)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "mutate: per-test coverage of %d tests in %s\n", len(covers), time.Since(start).Round(time.Second))
		r := &runner{absDir: absDir, importPath: importPath, work: work, covers: covers, minLimit: 30 * time.Second, factor: factor}
		runAll(ctx, r, todo, workers, store)
	}
	return store.summarise(os.Stdout, mutants, pkg+filterNote(files)+testsNote(testPkgs, pkg), ctx.Err() != nil)
}

// runAll runs the distinct programs among todo on the workers and records
// each verdict under every mutant kind that produces that program.
func runAll(ctx context.Context, r *runner, todo []Mutant, workers int, store *store) {
	groups := map[string][]Mutant{}
	var order []string
	for _, m := range todo {
		if _, ok := groups[m.Key()]; !ok {
			order = append(order, m.Key())
		}
		groups[m.Key()] = append(groups[m.Key()], m)
	}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for key := range jobs {
				res := r.run(ctx, w, groups[key][0])
				if ctx.Err() != nil {
					return // interrupted: this verdict is not one
				}
				for _, m := range groups[key] {
					res.Mutant = m
					store.add(res)
				}
			}
		}(w)
	}
	for _, key := range order {
		select {
		case jobs <- key:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
}

// testPackages splits -tests (default: the package itself) and names the
// results file after the mutated package and, where others count too,
// the test packages: verdicts depend on which tests ran.
func testPackages(pkg, tests string) ([]string, string) {
	if tests == "" || tests == pkg {
		return []string{pkg}, pkg
	}
	list := strings.Split(tests, ",")
	return list, pkg + "-by-" + strings.ReplaceAll(strings.Join(list, "+"), "/", "_")
}

func testsNote(testPkgs []string, pkg string) string {
	if len(testPkgs) == 1 && testPkgs[0] == pkg {
		return ""
	}
	return ", tests of " + strings.Join(testPkgs, ", ")
}

func countKeys(ms []Mutant) int {
	seen := map[string]bool{}
	for _, m := range ms {
		seen[m.Key()] = true
	}
	return len(seen)
}

func filterNote(files string) string {
	if files == "" {
		return ""
	}
	return " [" + files + "]"
}
