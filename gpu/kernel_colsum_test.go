package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestColSplitFor checks the split's shape rules: one slice where each
// invocation would add at most colOnePass positions, or where the channel
// blocks alone fill colTargetGroups workgroups; otherwise slices up to
// that target; lanes the smallest power of two covering the channels, up
// to colMaxLanes.
func TestColSplitFor(t *testing.T) {
	for _, tc := range []struct {
		m, c, wg int
		want     colSplit
	}{
		{32, 128, 256, colSplit{32, 1}},            // a dense layer at batch 32: 4 positions per invocation
		{256, 128, 256, colSplit{32, 1}},           // at batch 256: 32, still one pass
		{512, 128, 256, colSplit{32, 1}},           // colOnePass positions per invocation: one pass
		{520, 128, 256, colSplit{32, 16}},          // 65 per invocation: cut, ⌊520/32⌋ slices
		{4096, 128, 256, colSplit{32, 128}},        // 4 blocks × ⌈512/4⌉ slices
		{32 * 32 * 32, 32, 256, colSplit{32, 512}}, // a convolution's bias: one block × the target
		{1 << 20, 1 << 14, 256, colSplit{32, 1}},   // 512 blocks fill the device alone
		{1 << 20, 1000, 256, colSplit{32, 16}},     // 32 blocks (the last of 8 channels) × ⌈512/32⌉ slices
		{6000, 1, 256, colSplit{1, 1}},             // one channel, the whole workgroup on it: 23 per invocation
		{40000, 1, 256, colSplit{1, 39}},           // 156 per invocation: cut into slices of 1024 or more
		{5, 13, 256, colSplit{16, 1}},
		{4096, 5, 128, colSplit{8, 64}},
	} {
		if got := colSplitFor(tc.m, tc.c, tc.wg); got != tc.want {
			t.Errorf("colSplitFor(m=%d, c=%d, wg=%d) = %+v, want %+v", tc.m, tc.c, tc.wg, got, tc.want)
		}
	}
}

// colsumPlan is a plan of the column reductions, a BiasGrad, a
// BatchNormBackward and a LayerNormParamGrad, over the same outer×c
// positions per sample, and the buffers the tests compare.
type colsumPlan struct {
	p                             *tensor.Plan
	dbias, inv, dx, dgamma, dbeta tensor.BufferID
	stats, lnGamma, lnBeta        tensor.BufferID
}

func newColsumPlan(batch, outer, c int) colsumPlan {
	p := tensor.NewPlan(batch)
	dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{outer, c})
	b := colsumPlan{p: p, dbias: p.AddBuffer("dbias", tensor.GradientBuffer, false, tensor.Shape{c})}
	p.Emit(tensor.Train, tensor.BiasGrad{DY: dy, DBias: b.dbias, Outer: outer, C: c})
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
	gamma := p.AddBuffer("gamma", tensor.ParamBuffer, false, tensor.Shape{c})
	mean := p.AddBuffer("mean", tensor.StateBuffer, false, tensor.Shape{c})
	b.inv = p.AddBuffer("invstd", tensor.StateBuffer, false, tensor.Shape{c})
	b.dx = p.AddBuffer("dx", tensor.GradientBuffer, true, tensor.Shape{outer, c})
	b.dgamma = p.AddBuffer("dgamma", tensor.GradientBuffer, false, tensor.Shape{c})
	b.dbeta = p.AddBuffer("dbeta", tensor.GradientBuffer, false, tensor.Shape{c})
	p.Emit(tensor.Train, tensor.BatchNormBackward{X: x, DY: dy, Gamma: gamma, Mean: mean, InvStd: b.inv,
		DX: b.dx, DGamma: b.dgamma, DBeta: b.dbeta, Outer: outer, C: c})
	b.stats = p.AddBuffer("ln_stats", tensor.ActivationBuffer, true, tensor.Shape{outer, 2})
	b.lnGamma = p.AddBuffer("ln_dgamma", tensor.GradientBuffer, false, tensor.Shape{c})
	b.lnBeta = p.AddBuffer("ln_dbeta", tensor.GradientBuffer, false, tensor.Shape{c})
	p.Emit(tensor.Train, tensor.LayerNormParamGrad{X: x, Stats: b.stats, DY: dy, DGamma: b.lnGamma, DBeta: b.lnBeta,
		Outer: outer, C: c})
	return b
}

// check runs one step of rows valid samples on cpuref and the GPU and
// compares them. The GPU's sums take a different order from before (a
// strided share of at most ⌈m/(slices·plane)⌉ positions per invocation, a
// tree over the plane position lanes, an ordered sum of the slices), but
// still a chain of fewer than m float32 additions per term: the typical
// error stays within ReduceTol's √m·ε·√m·scale argument (scale 1 for DBias,
// |dy| ≤ 1; 3 for the batch-norm sums, BatchNormBackwardTol; 4 for the
// layer-norm ones, whose statistics are random, means in [0.5, 1.5) and
// rstd in [0.5, 1.5), so |xhat| < 2.5·1.5). It returns
// the GPU's buffers and the split the program chose.
func (b colsumPlan) check(t *testing.T, bk *Backend, outer, c, rows int) ([][]float32, colSplit) {
	t.Helper()
	init := func(id tensor.BufferID, n int) []float32 {
		if id == b.inv || id == b.stats {
			return positive01(n, 10+uint64(id))
		}
		return nil
	}
	cpu, gpu := parityRun{plan: b.p, init: init, steps: steps(1, rows)}.run(t, bk)
	m := rows * outer
	sums, dxTol := selftest.BatchNormBackwardTol(m)
	compare(t, b.p, cpu, gpu, exact, map[tensor.BufferID]tol{
		b.dbias: selftest.ReduceTol(m, 1), b.dgamma: sums, b.dbeta: sums, b.dx: dxTol,
		b.lnGamma: selftest.ReduceTol(m, 4), b.lnBeta: selftest.ReduceTol(m, 1),
	})
	prog := compileGPU(t, bk, b.p)
	s := colSplitFor(b.p.Batch*outer, c, prog.reduceWG())
	// Each reduction takes one dispatch, plus colsum_merge with several
	// slices; BatchNormBackward one more to apply its sums.
	want := 4
	if s.slices > 1 {
		want = 7
	}
	if got := prog.cmds[tensor.Train].Counts().Dispatches; got != want {
		t.Errorf("split %+v: %d dispatches, want %d", s, got, want)
	}
	return gpu, s
}

// TestColumnReductionParity runs the column reductions on shapes
// that take one pass and shapes cut into slices: channels a multiple of
// the lanes or not (37 = 32 + 5 and 300 = 9·32 + 12 leave idle lanes in
// the last block; one channel takes the whole workgroup), valid positions
// not a multiple of the slices (their lengths differ by one), and a batch
// of 4096 of which 3 rows are valid, so that most slices are empty. Both
// paths must appear on a device with 256-invocation reductions (lavapipe,
// and every desktop GPU).
func TestColumnReductionParity(t *testing.T) {
	bk := openBackend(t)
	paths := map[bool]bool{}
	for _, tc := range []struct{ batch, rows, outer, c int }{
		{5, 5, 1, 37},        // 5 positions: one pass
		{7, 7, 1, 300},       // one pass, 10 blocks
		{7, 3, 300, 37},      // 65 slices of 2100 positions, 900 valid
		{3, 2, 200, 300},     // 18 slices of 600, 400 valid
		{4096, 3, 1, 5},      // 32 slices, 3 positions valid
		{2, 1, 20000, 1},     // one channel: 39 slices of 40000, 20000 valid
		{2, 2, 1000, 1},      // one channel, 2000 positions: one pass
		{32, 32, 1, 128},     // a dense layer at batch 32: one pass
		{256, 200, 1, 128},   // at batch 256: one pass
		{1024, 1000, 1, 128}, // at batch 1024: 32 slices, 1000 valid
	} {
		t.Run(fmt.Sprintf("batch=%d/rows=%d/outer=%d/c=%d", tc.batch, tc.rows, tc.outer, tc.c), func(t *testing.T) {
			_, s := newColsumPlan(tc.batch, tc.outer, tc.c).check(t, bk, tc.outer, tc.c, tc.rows)
			paths[s.slices > 1] = true
		})
	}
	if bk.dev.Info().MaxWorkgroupInvocations >= maxReduceWG && (!paths[false] || !paths[true]) {
		t.Errorf("the cases took only one path (sliced: %v)", paths[true])
	}
}

// TestColumnReductionManyGroups reduces more channel blocks than
// specMinGroups (65,537 blocks of 32 channels), so that the grid is capped
// and the workgroups' loop over work items goes round twice. So many
// blocks fill any device without slices, and with slices the work items
// (blocks·⌈512/blocks⌉) stay under 1024 (colSplitFor), so only the
// one-pass path can need it.
func TestColumnReductionManyGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bk := openBackend(t)
	const c = specMinGroups*colMaxLanes + 5
	_, s := newColsumPlan(2, 1, c).check(t, bk, 1, c, 2)
	if s.slices != 1 || s.lanes != colMaxLanes {
		t.Errorf("split %+v, want %d lanes and one slice", s, colMaxLanes)
	}
}

// TestColumnReductionDeterministic compiles and runs the same sliced
// reductions twice: the split comes from the shape alone and every sum
// has a fixed order, so the results must agree bit for bit.
func TestColumnReductionDeterministic(t *testing.T) {
	bk := openBackend(t)
	b := newColsumPlan(7, 300, 37)
	first, s := b.check(t, bk, 300, 37, 5)
	if s.slices == 1 {
		t.Fatalf("split %+v: the case should take slices", s)
	}
	second, _ := b.check(t, bk, 300, 37, 5)
	sameBits(t, b.p, first, second)
}
