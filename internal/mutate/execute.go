package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Verdicts, spelled as gremlins prints them so that one summary reads
// both tools' logs.
const (
	Killed     = "KILLED"
	Lived      = "LIVED"
	TimedOut   = "TIMED OUT"
	NotViable  = "NOT VIABLE"
	NotCovered = "NOT COVERED"
)

// Result is what running one mutant showed.
type Result struct {
	Mutant
	Verdict string
	By      string   // the first test that failed, for KILLED
	Tests   []string // the tests run (those that reach the mutant)
	Seconds float64
}

// runner runs mutants of one package, each against the tests that reach it.
type runner struct {
	absDir     string // the mutated package's directory
	importPath string // the mutated package's import path
	work       string // scratch folder of this run
	covers     []testCover
	minLimit   time.Duration // the least time any mutant's tests get
	factor     float64       // times the unmutated tests' own time
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

// run plants one mutant through a build overlay (the source tree is never
// touched, so several workers can run at once) and runs the reaching
// tests, one test package after another until one kills it.
func (r *runner) run(ctx context.Context, worker int, m Mutant) Result {
	res := Result{Mutant: m}
	byPkg, order := groupByPackage(reaching(r.covers, m))
	if len(order) == 0 {
		res.Verdict = NotCovered
		return res
	}
	overlay, err := r.writeOverlay(worker, m)
	if err != nil {
		res.Verdict, res.By = NotViable, err.Error()
		return res
	}
	start := time.Now()
	for _, pkg := range order {
		var names []string
		var budget time.Duration
		for _, tc := range byPkg[pkg] {
			names = append(names, regexp.QuoteMeta(tc.name))
			res.Tests = append(res.Tests, pkg+"."+tc.name)
			budget += tc.elapsed
		}
		res.Verdict, res.By = r.goTest(ctx, overlay, pkg, names, time.Duration(float64(budget)*r.factor)+r.minLimit)
		if res.Verdict != Lived {
			if res.Verdict == Killed && len(order) > 1 {
				res.By = pkg + "." + res.By
			}
			break
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res
}

// goTest runs the named tests of one package with the mutant in place.
func (r *runner) goTest(ctx context.Context, overlay, pkg string, names []string, limit time.Duration) (string, string) {
	// The go command's own -timeout makes a hung test panic with a clear
	// message; the context is the backstop, with time for the build.
	cctx, cancel := context.WithTimeout(ctx, limit+3*time.Minute)
	defer cancel()
	// No vet (a vet complaint is not a failing test), no DWARF (a fifth
	// of the CPU time of building a package's tests), and the mutated
	// package built without optimisation or inlining: a quarter less
	// build time for nn, where the build is most of a mutant's cost. Its
	// meaning is the same (at amd64's default GOAMD64=v1 Go fuses no
	// float operations either way), and the heavy arithmetic lives in
	// packages built as usual.
	cmd := exec.CommandContext(cctx, "go", "test", "-overlay", overlay, "-vet=off", "-ldflags=-w", "-count=1",
		"-gcflags="+r.importPath+"=-N -l",
		"-failfast", "-timeout", limit.Round(time.Second).String(),
		"-run", "^("+strings.Join(names, "|")+")$", "./"+pkg)
	out, err := cmd.CombinedOutput()
	return verdict(out, err, cctx.Err() != nil)
}

// groupByPackage splits tests by package, packages in first-seen order.
func groupByPackage(tests []testCover) (map[string][]testCover, []string) {
	by := map[string][]testCover{}
	var order []string
	for _, tc := range tests {
		if _, ok := by[tc.pkg]; !ok {
			order = append(order, tc.pkg)
		}
		by[tc.pkg] = append(by[tc.pkg], tc)
	}
	return by, order
}

// verdict reads go test's outcome.
func verdict(out []byte, err error, killedByContext bool) (string, string) {
	switch {
	case err == nil:
		return Lived, ""
	case killedByContext || bytes.Contains(out, []byte("panic: test timed out")):
		return TimedOut, ""
	case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
		return NotViable, "does not compile"
	}
	if m := failLine.FindSubmatch(out); m != nil {
		return Killed, string(m[1])
	}
	return Killed, "exit: " + err.Error()
}

// writeOverlay writes the mutated file and the overlay that substitutes it.
func (r *runner) writeOverlay(worker int, m Mutant) (string, error) {
	orig := filepath.Join(r.absDir, m.File)
	src, err := os.ReadFile(orig)
	if err != nil {
		return "", err
	}
	mutated, err := apply(src, m)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(r.work, fmt.Sprintf("worker%d", worker))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	mf := filepath.Join(dir, m.File)
	if err := os.WriteFile(mf, mutated, 0o644); err != nil {
		return "", err
	}
	spec, err := json.Marshal(map[string]map[string]string{"Replace": {orig: mf}})
	if err != nil {
		return "", err
	}
	ov := filepath.Join(dir, "overlay.json")
	return ov, os.WriteFile(ov, spec, 0o644)
}
