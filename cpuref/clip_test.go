package cpuref

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// clipRig runs SumSquares over every gradient (for the norm modes), then
// ClipGradient on each, as nn lowers clipping, and returns the clipped
// gradients.
func clipRig(t *testing.T, grads [][]float32, mode tensor.ClipMode, c float32) [][]float32 {
	t.Helper()
	r := newRig(t, 1)
	n := len(grads)
	norms := r.fixed("norms", n)
	var ids []tensor.BufferID
	for i, g := range grads {
		id := r.fixed("g", len(g))
		ids = append(ids, id)
		if mode != tensor.ClipByValue {
			r.emit(tensor.SumSquares{X: id, Size: len(g), Out: norms, Index: i, Count: n})
		}
	}
	for i, g := range grads {
		r.emit(tensor.ClipGradient{Grad: ids[i], Size: len(g), Mode: mode, Limit: c, Norms: norms, Index: i, Count: n})
	}
	r.compile()
	for i, g := range grads {
		r.write(ids[i], g)
	}
	r.runArgs(tensor.StepArgs{Rows: 1, Step: 1, LearningRate: 0.1})
	var out [][]float32
	for _, id := range ids {
		out = append(out, r.read(id))
	}
	return out
}

// clipRef is Keras's clipping in float64: clipvalue clamps each element;
// clipnorm scales each gradient by c/max(‖g‖, c); global_clipnorm scales
// all by c·min(1/N, 1/c), N the norm of all of them together.
func clipRef(grads [][]float32, mode tensor.ClipMode, c float64) [][]float64 {
	norm := func(gs ...[]float32) float64 {
		s := 0.0
		for _, g := range gs {
			for _, v := range g {
				s += float64(v) * float64(v)
			}
		}
		return math.Sqrt(s)
	}
	global := norm(grads...)
	var out [][]float64
	for _, g := range grads {
		o := make([]float64, len(g))
		for i, v := range g {
			x := float64(v)
			switch mode {
			case tensor.ClipByValue:
				o[i] = math.Min(math.Max(x, -c), c)
			case tensor.ClipByNorm:
				o[i] = x * c / math.Max(norm(g), c)
			case tensor.ClipByGlobalNorm:
				o[i] = x * c * math.Min(1/global, 1/c)
			}
		}
		out = append(out, o)
	}
	return out
}

// TestClipAgainstReference: three gradients (one of several chunks, one
// all zero) under each mode with limits below, between and above their
// norms. Tolerance 1e-6 relative: the float32 result is one multiply and
// a division off the float64 one, the norms a float64 sum rounded once.
func TestClipAgainstReference(t *testing.T) {
	rnd := newRand(77)
	grads := [][]float32{uniform(rnd, 2*elemChunk+5, -1, 1), uniform(rnd, 7, -3, 3), make([]float32, 4)}
	for _, mode := range []tensor.ClipMode{tensor.ClipByValue, tensor.ClipByNorm, tensor.ClipByGlobalNorm} {
		for _, c := range []float32{0.5, 5, 1e4} {
			got := clipRig(t, grads, mode, c)
			want := clipRef(grads, mode, float64(c))
			for i := range want {
				checkClose(t, "clipped", got[i], want[i], 1e-6)
			}
		}
	}
}

// TestClipBoundaries: a gradient whose norm is exactly the limit keeps
// its value (Keras's g·c/max(‖g‖, c) with ‖g‖ = c), one just above
// shrinks, values exactly at ±c are kept, and a zero gradient stays zero
// with no NaN (Keras's guard against sqrt(0)).
func TestClipBoundaries(t *testing.T) {
	g := []float32{3, 4} // ‖g‖ = 5 exactly
	for _, mode := range []tensor.ClipMode{tensor.ClipByNorm, tensor.ClipByGlobalNorm} {
		if got := clipRig(t, [][]float32{g}, mode, 5)[0]; got[0] != 3 || got[1] != 4 {
			t.Errorf("mode %d, norm = limit: got %v, want [3 4] unchanged", mode, got)
		}
		got := clipRig(t, [][]float32{g}, mode, 4.5)[0]
		checkClose(t, "just above", got, []float64{3 * 0.9, 4 * 0.9}, 1e-6)
		if got := clipRig(t, [][]float32{{0, 0}}, mode, 1)[0]; got[0] != 0 || got[1] != 0 {
			t.Errorf("mode %d, zero gradient: got %v", mode, got)
		}
	}
	got := clipRig(t, [][]float32{{-2, 2, 2.5, -2.5, 1}}, tensor.ClipByValue, 2)[0]
	checkClose(t, "clipvalue", got, []float64{-2, 2, 2, -2, 1}, 0)
	inf := float32(math.Inf(1))
	if got := clipRig(t, [][]float32{{inf, 1}}, tensor.ClipByGlobalNorm, 1)[0]; !math.IsNaN(float64(got[1])) {
		t.Errorf("global norm inf: got %v, want NaN as Keras gives", got)
	}
}
