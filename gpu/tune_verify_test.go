package gpu

import (
	"strings"
	"testing"
	"time"

	"github.com/anvil-ml/anvil/tensor"
)

// preparedRuns compiles c's one product once per candidate the device
// tunes among, as the tuner does, fills them with the verification
// inputs and runs each once.
func preparedRuns(t *testing.T, b *Backend, c opCase, kMax int) (tensor.Op, []*tuneRun) {
	t.Helper()
	tu := tunerOf(b.dev)
	op := c.plan.Routines[tensor.Train][0]
	mm := op.(tensor.MatMul)
	var runs []*tuneRun
	for _, ch := range gemmCandidates(b.Info(), mm.M*c.plan.Batch, mm.N, kMax, true) {
		r, err := tu.prepare(c.plan, op, ch)
		must(t, err)
		t.Cleanup(func() { r.prog.Close() })
		runs = append(runs, r)
	}
	if len(runs) < 2 {
		t.Fatalf("%d candidates; the test needs two", len(runs))
	}
	if !fillExact(runs, kMax) {
		t.Fatal("fillExact failed")
	}
	for _, r := range runs {
		must(t, r.time(false))
	}
	return op, runs
}

// TestTuneVerify checks the tuner's verification of candidates: correct
// candidates agree; one whose output is wrong in a single element by one
// unit is rejected with a warning naming the element; a coop candidate
// with nothing to be verified against is rejected, and without exact
// inputs so is every coop candidate, but not the others.
func TestTuneVerify(t *testing.T) {
	b := openBackend(t)
	warnings := captureWarnings(t)
	c := matMulCase(20, 30, 40, false, true, tensor.BatchM, 3, 3)
	op, runs := preparedRuns(t, b, c, 40)
	verifyRuns(op, runs, true)
	for _, r := range runs {
		if r.failed {
			t.Fatalf("candidate %v rejected: %q", r.choice, *warnings)
		}
	}
	if len(*warnings) > 0 {
		t.Fatalf("warnings: %q", *warnings)
	}

	// One element of the second candidate off by one.
	bad := runs[1]
	_, outs := scratchIO(bad.prog.plan)
	v := make([]float32, bad.prog.plan.Elems(outs[0]))
	must(t, bad.prog.Read(outs[0], v))
	v[7]++
	must(t, bad.prog.Write(outs[0], v))
	verifyRuns(op, runs, true)
	if !bad.failed || runs[0].failed {
		t.Errorf("wrong candidate failed: %v, reference failed: %v", bad.failed, runs[0].failed)
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], "rejected") || !strings.Contains((*warnings)[0], "[7]") {
		t.Errorf("warnings %q, want one rejecting element [7]", *warnings)
	}

	// Coop candidates: the second run labelled as one (its program is
	// what matters to verifyRuns, and it is correct again).
	must(t, bad.prog.Run(tensor.Train, bad.args))
	coop := bad.choice
	coop.Tile.Coop = true
	for _, exact := range []bool{true, false} {
		*warnings = nil
		bad.failed, bad.choice = false, coop
		runs[0].failed = exact // with exact inputs, no reference
		verifyRuns(op, runs[:2], exact)
		if !bad.failed || len(*warnings) != 1 || !strings.Contains((*warnings)[0], "no verified result") {
			t.Errorf("exact=%v: coop candidate without a reference: failed %v, warnings %q", exact, bad.failed, *warnings)
		}
		if !exact && runs[0].failed {
			t.Error("without exact inputs a non-coop candidate was rejected")
		}
	}
}

// TestFillExactLimits checks the verification inputs: integers in
// [-span, span] with every value present, span 1 where 4·kMax would pass
// 2^24, and no verification (with a warning) past 2^24 terms.
func TestFillExactLimits(t *testing.T) {
	for _, span := range []int{1, 2} {
		seen := map[float32]bool{}
		for i := range 1000 {
			v := exactValue(3, i, span)
			if v != float32(int(v)) || v < float32(-span) || v > float32(span) {
				t.Fatalf("exactValue(3, %d, %d) = %v", i, span, v)
			}
			seen[v] = true
		}
		if len(seen) != 2*span+1 {
			t.Errorf("span %d: values %v", span, seen)
		}
	}
	warnings := captureWarnings(t)
	if fillExact(nil, exactLimit+1) || len(*warnings) != 1 {
		t.Errorf("kMax past 2^24: verified anyway, warnings %q", *warnings)
	}
}

// TestTuneHalfMatMul tunes a binary16 MatMul: it is timed as one (its
// cache key says float16), every candidate, coop tiles included where the
// device has them, passes verification, and the result matches cpuref.
// On a GPU with tensor cores this is the test that the tuner may choose
// a coop tile only after seeing it compute the right product.
func TestTuneHalfMatMul(t *testing.T) {
	dir := tuneFresh(t, time.Minute)
	warnings := captureWarnings(t)
	b := openBackend(t)
	if n := len(coopNamed(t, b)); n > 0 {
		t.Logf("%d coop candidates take part", n)
	}
	checkHalf(t, b, matMulCase(256, 256, 256, false, false, tensor.BatchNone, 1, 1))
	if len(*warnings) > 0 {
		t.Fatalf("warnings: %q", *warnings)
	}
	_, f := readTuneFile(t, dir)
	for key, c := range f.Choices {
		t.Logf("%s: %v", key, c)
		if !strings.HasSuffix(key, " float16") {
			t.Errorf("cache key %q does not say float16", key)
		}
	}
	if len(f.Choices) != 1 {
		t.Errorf("%d cached choices, want the product's", len(f.Choices))
	}
}
