package gpu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// tuneCase is a plan with one product and the three kernels of one
// convolution, the shapes the tuner tunes, at a short batch.
func tuneCase(t *testing.T) opCase {
	g, err := tensor.NewConvGeom(9, 9, 5, 3, 3, 2, 2, 7, tensor.Same)
	must(t, err)
	return newMultiCase(3, 3, matMulPart(20, 30, 40, false, true, tensor.BatchM, 3),
		convFwdPart(g, 3), convDataPart(g, 3), convFilterPart(g, 3))
}

// captureWarnings collects tuneWarn's messages for the test's duration.
func captureWarnings(t *testing.T) *[]string {
	var got []string
	save := tuneWarn
	tuneWarn = func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }
	t.Cleanup(func() { tuneWarn = save })
	return &got
}

// readTuneFile parses the one tuning cache in dir.
func readTuneFile(t *testing.T, dir string) (string, tuneFile) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	must(t, err)
	if len(paths) != 1 {
		t.Fatalf("tuning caches in %s: %v, want one", dir, paths)
	}
	data, err := os.ReadFile(paths[0])
	must(t, err)
	var f tuneFile
	must(t, json.Unmarshal(data, &f))
	return paths[0], f
}

// tuneFresh turns tuning on, with an empty cache folder (which it
// returns) and the given budget, both undone when t ends.
func tuneFresh(t *testing.T, budget time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("ANVIL_TUNE", "on")
	t.Setenv("ANVIL_TUNE_DIR", dir)
	save := tuneBudgetCPU
	tuneBudgetCPU = budget
	t.Cleanup(func() { tuneBudgetCPU = save })
	return dir
}

// TestTuneCache follows the tuner's life on this device: the first
// compile times candidates and writes a cache; later compiles, on the same
// backend and on a new one, time nothing, choose the same and compute
// bit-identical results; a corrupt file or a cached choice that is no
// candidate is ignored with a warning and tuned again; every result
// matches the CPU backend.
func TestTuneCache(t *testing.T) {
	// Room for every shape on a loaded machine: a budget cut is tested by
	// TestTuneBudget.
	dir := tuneFresh(t, time.Minute)
	warnings := captureWarnings(t)
	c := tuneCase(t)
	in := c.inputs(5)

	b := openBackend(t)
	before := tuneTimings.Load()
	first := c.runGPU(t, b, in)
	if tuneTimings.Load() == before {
		t.Fatal("the first compile timed nothing")
	}
	path, f := readTuneFile(t, dir)
	if len(f.Choices) != 4 || f.Format != tuneFormat {
		t.Fatalf("cache %s: format %q, %d choices; want %q and 4", path, f.Format, len(f.Choices), tuneFormat)
	}
	c.check(t, b)

	// Reused: the same backend, then a new one reading the file.
	again := func(b *Backend) {
		t.Helper()
		before := tuneTimings.Load()
		got := c.runGPU(t, b, in)
		if n := tuneTimings.Load() - before; n != 0 {
			t.Errorf("a compile of cached shapes timed %d candidates", n)
		}
		if !reflect.DeepEqual(got, first) {
			t.Error("a compile of cached shapes computed different results")
		}
		if _, f2 := readTuneFile(t, dir); !reflect.DeepEqual(f2, f) {
			t.Errorf("cached choices changed: %+v, then %+v", f.Choices, f2.Choices)
		}
	}
	again(b)
	must(t, b.Close())
	if _, err := os.Stat(strings.TrimSuffix(path, ".json") + ".pipelines"); err != nil {
		t.Errorf("no pipeline cache after Close: %v", err)
	}
	again(openBackend(t))
	if len(*warnings) > 0 {
		t.Fatalf("warnings: %q", *warnings)
	}

	// A corrupt file, then a cached choice that is no candidate.
	bogus := f
	bogus.Choices = map[string]gemmChoice{}
	for k := range f.Choices {
		bogus.Choices[k] = gemmChoice{Tile: gemmTile{BM: 7, BN: 7, BK: 1, TM: 7, TN: 7}, Splits: 1}
	}
	bogusData, err := json.Marshal(bogus)
	must(t, err)
	for _, bad := range [][]byte{[]byte("{not json"), bogusData} {
		must(t, os.WriteFile(path, bad, 0o644))
		*warnings = nil
		b := openBackend(t)
		before := tuneTimings.Load()
		c.check(t, b)
		if tuneTimings.Load() == before {
			t.Errorf("%.10q: nothing was tuned again", bad)
		}
		if len(*warnings) == 0 || !strings.Contains(strings.Join(*warnings, "\n"), path) {
			t.Errorf("%.10q: warnings %q, want one naming %s", bad, *warnings, path)
		}
		if _, f2 := readTuneFile(t, dir); len(f2.Choices) != 4 || f2.Format != tuneFormat {
			t.Errorf("%.10q: the cache was not rewritten: %+v", bad, f2)
		}
	}
}

// TestTuneOff checks that ANVIL_TUNE=off times nothing and writes no
// choices: the heuristic decides.
func TestTuneOff(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ANVIL_TUNE", "off")
	t.Setenv("ANVIL_TUNE_DIR", dir)
	b := openBackend(t)
	before := tuneTimings.Load()
	tuneCase(t).check(t, b)
	if n := tuneTimings.Load() - before; n != 0 {
		t.Errorf("ANVIL_TUNE=off timed %d candidates", n)
	}
	if paths, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(paths) != 0 {
		t.Errorf("ANVIL_TUNE=off wrote %v", paths)
	}
}

// TestTuneBudget checks a spent budget: the shape that had the whole
// budget and could not finish caches the heuristic's choice (it never
// would finish), the shapes after it keep the heuristic uncached, and a
// later compile tunes those.
func TestTuneBudget(t *testing.T) {
	dir := tuneFresh(t, time.Nanosecond)
	b := openBackend(t)
	c := tuneCase(t)
	c.check(t, b)
	_, f := readTuneFile(t, dir)
	if len(f.Choices) != 1 {
		t.Fatalf("a spent budget cached %d choices, want 1 (the first shape's heuristic)", len(f.Choices))
	}
	first := c.plan.Routines[tensor.Train][0].(tensor.MatMul)
	m, n, k := first.M*c.plan.Batch, first.N, first.K // BatchM
	tile, err := chooseTile(b.Info(), m, n)
	must(t, err)
	want := gemmChoice{Tile: tile, Splits: chooseSplits(b.Info(), tile, m, n, k)}
	if got, ok := f.Choices[tuneKey(first, c.plan.Batch)]; !ok || got != want {
		t.Errorf("cached %v; want the MatMul's heuristic choice %v", f.Choices, want)
	}
	tuneBudgetCPU = time.Minute
	must(t, b.Close())
	b = openBackend(t)
	c.check(t, b)
	if _, f2 := readTuneFile(t, dir); len(f2.Choices) != 4 || !reflect.DeepEqual(f2.Choices[tuneKey(first, c.plan.Batch)], f.Choices[tuneKey(first, c.plan.Batch)]) {
		t.Errorf("a later compile cached %v; want 4 choices, the first unchanged", f2.Choices)
	}
}
