package nn

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// overflowRows is 32 samples of 4 features for a regression whose targets
// are small (about 1) in rows 0–7 of every 16 and large (about 200) in rows
// 8–15: under a loss scale of 2^16 the large rows' loss gradient
// (2·(ŷ−y)/16 · scale ≈ 25 · 2^16) overflows float16, the small rows'
// (≈ 0.125 · 2^16) does not.
func overflowRows() (x, y *tensor.Tensor) {
	x, y = tensor.New(32, 4), tensor.New(32, 1)
	rng := tensor.NewStream(3, 1)
	for i := 0; i < 32; i++ {
		sum := 0.0
		for j := 0; j < 4; j++ {
			v := rng.Float64()*2 - 1
			x.Data[i*4+j] = float32(v)
			sum += v * float64(j+1)
		}
		y.Data[i] = float32(sum / 4)
		if i%16 >= 8 {
			y.Data[i] += 200
		}
	}
	return x, y
}

// TestMixedParallelMatchesOneProcess trains 2 replicas × batch 8 and one
// process × batch 16 under mixed precision from a loss scale of 2^16, in
// sample order, so that every global batch's overflowing rows are replica
// 1's: its gradient is not finite while replica 0's is. Every replica must
// skip those steps and halve the scale together (their weights stay
// identical), and skip exactly where one process does: each replica's loss
// gradient is scaled by its share of the global batch on the device, so its
// float16 operands are the one process's (without that, a replica's are
// twice as large and it keeps skipping one halving longer). Replica 1 is
// compiled with another initial scale: replica 0's is broadcast with the
// weights.
func TestMixedParallelMatchesOneProcess(t *testing.T) {
	const initial, growth = 1 << 16, 5
	var models []*Model
	build := func(t *testing.T) *Model {
		t.Helper()
		m, err := NewSequential(Dense(8, WithActivation("relu"), WithInputShape(4), WithName("d1")), Dense(1, WithName("out")))
		if err != nil {
			t.Fatal(err)
		}
		scale := float32(initial)
		if len(models) == 2 { // replica 1 starts elsewhere, as if only replica 0 resumed a checkpoint
			scale = 8
		}
		if err := m.CompileWith(&SGDOptimizer{LR: 1e-3}, "mse", nil, WithLossScale(scale, growth)); err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
		return m
	}
	ClearSession()
	x, y := overflowRows()
	ref := build(t)
	init := weightsOf(t, ref)
	o := FitOptions{BatchSize: 16, Epochs: 12, Seed: 3, NoShuffle: true, Verbose: Silent}
	h1, err := ref.Fit(context.Background(), x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	want := weightsOf(t, ref)
	wantScale, err := ref.LossScale()
	if err != nil {
		t.Fatal(err)
	}
	h2, ws := fitReplicasOf(t, build, init, 2, x, y, nil, nil, o)
	for r, m := range models[1:] { // models[0] is ref
		s, err := m.LossScale()
		if err != nil {
			t.Fatal(err)
		}
		if s != wantScale {
			t.Errorf("replica %d ends with loss scale %g, one process with %g: they skipped different steps", r, s, wantScale)
		}
		if r > 0 && !sameWeights(ws[0], ws[r]) {
			t.Errorf("replica %d's weights differ from replica 0's: the replicas made different skip decisions", r)
		}
	}
	// 24 steps: at least the first five skip (2^16 … 2^12 overflow on the
	// large rows, 2^11 does not), and steps after them grow the scale
	// every 5 finite steps.
	if skips := math.Log2(initial / float64(wantScale)); wantScale >= initial || skips != math.Trunc(skips) {
		t.Fatalf("one process ends with loss scale %g from %d: the test needs skipped steps", wantScale, initial)
	}
	// Tolerance: the float16 operands are the same bits in both runs (a
	// share of 1/2 scales exactly), so the runs differ only in the order of
	// float32 additions (two 8-row sums added against one 16-row sum),
	// about 1e-7 relative per step, over 19 finite SGD steps on weights of
	// order 1 with gradients of order 100 times a rate of 1e-4. A skip
	// taken by one run alone, or a replica's rows misplaced, moves the
	// weights by 1e-3 or more.
	const tol = 1e-5
	for i := range want {
		if d := maxAbsDiff(want[i].Data, ws[0][i].Data); d > tol {
			t.Errorf("weight %d: replicas differ from one process by %.3g, want ≤ %g", i, d, tol)
		}
	}
	for e, a := range h1.Metrics["loss"] {
		if b := h2.Metrics["loss"][e]; math.Abs(a-b) > 1e-5*math.Max(1, math.Abs(a)) {
			t.Errorf("epoch %d loss: one process %.7f, replicas %.7f", e+1, a, b)
		}
	}
}

// TestMixedParallelRejectsUnlikeReplicas: a float32 replica beside a
// mixed one is an error on both, before any step.
func TestMixedParallelRejectsUnlikeReplicas(t *testing.T) {
	ClearSession()
	x, y := overflowRows()
	w := newFakeWorld(2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		m, err := NewSequential(Dense(1, WithInputShape(4), WithName("out")))
		if err != nil {
			t.Fatal(err)
		}
		var opts []CompileOption
		if r == 0 {
			opts = append(opts, WithMixedPrecision())
		}
		if err := m.CompileWith(SGD(), "mse", nil, opts...); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			_, errs[r] = m.Fit(context.Background(), x, y, FitOptions{BatchSize: 16, Epochs: 1, Verbose: Silent, Parallel: fakeComm{w: w, rank: r}})
		}(r)
	}
	wg.Wait()
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "not compiled as replica 0") {
			t.Errorf("replica %d: error %v, want the replicas' precisions named as differing", r, err)
		}
	}
}

// TestMixedParallelUnevenMatchesOneProcess is checkParallelMatches's
// dropout classifier in mixed precision on 12 replicas: shares of 2/32 and
// 3/32 of each global batch, and of the last batch's 11 rows one replica
// gets none (it writes no share and contributes zeros).
func TestMixedParallelUnevenMatchesOneProcess(t *testing.T) {
	build := func(t *testing.T) *Model {
		t.Helper()
		m := parallelModel(t)
		if err := m.SetPrecision(PolicyMixedFloat16); err != nil {
			t.Fatal(err)
		}
		return m
	}
	ClearSession()
	x, y := blobs(203)
	o := FitOptions{BatchSize: 32, Epochs: 3, Seed: 11, Verbose: Silent}
	h1, want, h2, ws := fitOneAndReplicas(t, build, 12, x, y, nil, nil, o)
	// Tolerance: a share such as 3/32 or 2/11 is not a power of two, so a
	// replica's loss gradient (its rows' mean times the share times the
	// scale) may differ from one process's in the last float32 bit, which
	// now and then moves a binary16 operand by one step (2^-11 relative)
	// in an element of a gradient product, and Adam's normalisation
	// carries such flips into the weights: measured 4.7e-6 absolute on
	// weights of order 0.1–1 after 21 steps. A replica's rows or share
	// wrong moves them by 1e-2.
	const tol = 5e-5
	for i := range want {
		if d := maxAbsDiff(want[i].Data, ws[0][i].Data); d > tol {
			t.Errorf("weight %d: replicas differ from one process by %.3g, want ≤ %g", i, d, tol)
		}
	}
	for e, a := range h1.Metrics["loss"] {
		if b := h2.Metrics["loss"][e]; math.Abs(a-b) > 1e-5 {
			t.Errorf("epoch %d loss: one process %.7f, replicas %.7f", e+1, a, b)
		}
	}
}
