package cpuref

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// rig builds a plan op by op, compiles it on the CPU backend and runs its
// Train routine: a test harness for one op (or a few) at a time.
type rig struct {
	t    testing.TB
	plan *tensor.Plan
	prog tensor.Program
}

func newRig(t testing.TB, batch int) *rig {
	return &rig{t: t, plan: tensor.NewPlan(batch)}
}

// batched adds a batched buffer of size elements per sample.
func (r *rig) batched(name string, size int) tensor.BufferID {
	return r.plan.AddBuffer(name, tensor.ActivationBuffer, true, tensor.Shape{size})
}

// fixed adds an unbatched buffer of size elements.
func (r *rig) fixed(name string, size int) tensor.BufferID {
	return r.plan.AddBuffer(name, tensor.ParamBuffer, false, tensor.Shape{size})
}

func (r *rig) emit(ops ...tensor.Op) {
	for _, op := range ops {
		r.plan.Emit(tensor.Train, op)
	}
}

func (r *rig) compile() {
	r.t.Helper()
	prog, err := New().Compile(r.plan)
	if err != nil {
		r.t.Fatalf("Compile: %v", err)
	}
	r.prog = prog
	if t, ok := r.t.(interface{ Cleanup(func()) }); ok {
		t.Cleanup(func() { prog.Close() })
	}
}

func (r *rig) write(id tensor.BufferID, data []float32) {
	r.t.Helper()
	if err := r.prog.Write(id, data); err != nil {
		r.t.Fatal(err)
	}
}

// read returns the whole buffer.
func (r *rig) read(id tensor.BufferID) []float32 {
	r.t.Helper()
	out := make([]float32, r.plan.Elems(id))
	if err := r.prog.Read(id, out); err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *rig) run(rows int) {
	r.runArgs(tensor.StepArgs{Rows: rows, Step: 1, LearningRate: 0.01, Seed: 7})
}

func (r *rig) runArgs(a tensor.StepArgs) {
	r.t.Helper()
	if err := r.prog.Run(tensor.Train, a); err != nil {
		r.t.Fatalf("Run: %v", err)
	}
}

// sentinel marks every element of a buffer, so that untouched can tell
// which ones an op wrote.
const sentinel = 777

func (r *rig) fillSentinel(id tensor.BufferID) {
	r.write(id, fill(r.plan.Elems(id), sentinel))
}

// untouched fails unless every element of buffer id from index from on
// still holds the sentinel: ops must not write rows past StepArgs.Rows.
func (r *rig) untouched(id tensor.BufferID, from int) {
	r.t.Helper()
	for i, v := range r.read(id)[from:] {
		if v != sentinel {
			r.t.Fatalf("buffer %q element %d (past the valid rows) was written: %v", r.plan.Buffers[id].Name, from+i, v)
		}
	}
}

func fill(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// uniform returns n values in [lo, hi).
func uniform(rng *rand.Rand, n int, lo, hi float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return out
}

// awayFromZero returns n values in ±[gap, 1): for ReLU-like kinks, so that
// a finite-difference step never crosses 0.
func awayFromZero(rng *rand.Rand, n int, gap float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		v := gap + (1-gap)*rng.Float64()
		if rng.IntN(2) == 0 {
			v = -v
		}
		out[i] = float32(v)
	}
	return out
}

// distinct returns n values, a shuffled ramp with steps of 0.01: no ties
// and no near-ties, for max pooling's finite differences.
func distinct(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i, j := range rng.Perm(n) {
		out[i] = float32(j-n/2) * 0.01
	}
	return out
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// checkClose fails when |got−want| > rtol·(|want| + max|want|) for any
// element: relative for large entries, and relative to the vector's scale
// for small ones, where float32 cancellation leaves absolute, not relative,
// error.
func checkClose(t testing.TB, name string, got []float32, want []float64, rtol float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: got %d values, want %d", name, len(got), len(want))
	}
	scale := maxAbs(want)
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(g) || math.Abs(g-w) > rtol*(math.Abs(w)+scale) {
			t.Fatalf("%s[%d] = %v, want %v (rtol %g, scale %g)", name, i, g, w, rtol, scale)
		}
	}
}

// numGrad returns ∂f/∂v by central differences in float64, perturbing v
// in place and restoring it.
func numGrad(v []float64, f func() float64, eps float64) []float64 {
	g := make([]float64, len(v))
	for i := range v {
		orig := v[i]
		v[i] = orig + eps
		up := f()
		v[i] = orig - eps
		down := f()
		v[i] = orig
		g[i] = (up - down) / (2 * eps)
	}
	return g
}

// dot is Σ r⊙y, the scalar whose gradient the backward tests check: its
// gradient with respect to y is r, which is what they feed as DY.
func dot(r, y []float64) float64 {
	s := 0.0
	for i := range y {
		s += r[i] * y[i]
	}
	return s
}

// fdEps is the finite-difference step. The reference forwards are float64,
// so truncation error (∝ eps², up to ~1e-7 relative for log p at p = 0.05
// with this step) and rounding error (∝ 1e-16/eps) both stay far below the
// float32 error of the backend under test.
const fdEps = 1e-5

// gradTol is the tolerance for backend gradients against finite
// differences: the backend computes in float32 (unit roundoff 6e-8), and
// its sums of up to a few hundred terms were measured to lose under 1e-6
// relative to the vector's scale; 1e-5 leaves a margin of ten.
const gradTol = 1e-5

// fwdTol is the tolerance for forward ops against float64 references:
// float32 sums of up to a few thousand products were measured to err by
// under 2e-7 of the output's scale; 1e-6 leaves a margin of five.
const fwdTol = 1e-6

// checkAdjoint compares ⟨grad, dir⟩, a backend gradient projected on a
// random direction, with the same projection computed through the float64
// reference (want). The callers argue that float32 rounding moves it by
// far less than 1e-2 and a wrong block of the gradient by far more.
func checkAdjoint(t *testing.T, what string, grad, dir []float32, want float64) {
	t.Helper()
	if got := dot(f64(grad), f64(dir)); math.Abs(got-want) > 1e-2 {
		t.Errorf("%s = %.6f, through the reference %.6f", what, got, want)
	}
}
