package cpuref

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// regRun applies one Regularize over w with the gradient starting at g0,
// rows valid samples and LossSum starting at 0.5, and returns the loss sum
// and the gradient.
func regRun(t *testing.T, w, g0 []float32, l1, l2 float32, rows int) (float32, []float32) {
	t.Helper()
	n := len(w)
	r := newRig(t, 8)
	p, g, loss := r.fixed("w", n), r.fixed("g", n), r.fixed("loss", 1)
	r.emit(tensor.Regularize{Param: p, Grad: g, LossSum: loss, Size: n, L1: l1, L2: l2})
	r.compile()
	r.write(p, w)
	r.write(g, g0)
	r.write(loss, []float32{0.5})
	r.runArgs(tensor.StepArgs{Rows: rows, Step: 1, LearningRate: 0.1})
	return r.read(loss)[0], r.read(g)
}

// penaltyRef is Keras's L1L2 penalty in float64: l1·Σ|w| + l2·Σw².
func penaltyRef(w []float32, l1, l2 float64) float64 {
	var p float64
	for _, v := range w {
		x := float64(v)
		p += l1*math.Abs(x) + l2*x*x
	}
	return p
}

// TestRegularizeAgainstReference: the loss gains rows·P and the gradient
// l1·sign(w) + 2·l2·w, for L1, L2 and L1L2 with Keras's default 0.01 and
// other factors, over a parameter of several chunks with an exact zero
// (whose L1 gradient is 0). Tolerance 1e-6 relative: P is a float64 sum
// rounded once, the gradient one float32 multiply-add of a value ≤ 1.
func TestRegularizeAgainstReference(t *testing.T) {
	w := uniform(newRand(5), 2*elemChunk+3, -1, 1)
	w[7] = 0
	g0 := uniform(newRand(6), len(w), -1, 1)
	for _, c := range []struct{ l1, l2 float32 }{{0.01, 0}, {0, 0.01}, {0.01, 0.01}, {0.3, 0.002}} {
		loss, g := regRun(t, w, g0, c.l1, c.l2, 5)
		want := 0.5 + 5*penaltyRef(w, float64(c.l1), float64(c.l2))
		if d := math.Abs(float64(loss) - want); d > 1e-6*want {
			t.Errorf("l1 %v l2 %v: loss sum %v, want %v", c.l1, c.l2, loss, want)
		}
		wantG := make([]float64, len(w))
		for i, v := range w {
			x := float64(v)
			s := 0.0
			if x > 0 {
				s = 1
			} else if x < 0 {
				s = -1
			}
			wantG[i] = float64(g0[i]) + float64(c.l1)*s + 2*float64(c.l2)*x
		}
		checkClose(t, "Grad", g, wantG, 1e-6)
	}
}

// TestRegularizeFiniteDifference checks the gradient the op adds against
// central differences of the loss sum the op itself reports (rows 1):
// (P(w+h) − P(w−h))/2h, h = 1e-2 on weights at least 0.05 from 0 so that
// |w| is smooth there. P is a float32 of order 0.1 (ulp 7e-9), so the
// difference quotient is good to ~1e-6 absolute against gradients ≥ 0.01.
func TestRegularizeFiniteDifference(t *testing.T) {
	w := []float32{0.5, -0.25, 0.75, -0.9, 0.05, 0.3}
	const h = 1e-2
	l1, l2 := float32(0.01), float32(0.05)
	_, g := regRun(t, w, make([]float32, len(w)), l1, l2, 1)
	for i := range w {
		up := append([]float32(nil), w...)
		down := append([]float32(nil), w...)
		up[i] += h
		down[i] -= h
		lu, _ := regRun(t, up, make([]float32, len(w)), l1, l2, 1)
		ld, _ := regRun(t, down, make([]float32, len(w)), l1, l2, 1)
		fd := (float64(lu) - float64(ld)) / (float64(up[i]) - float64(down[i]))
		if d := math.Abs(fd - float64(g[i])); d > 2e-5 {
			t.Errorf("w[%d] = %v: gradient %v, finite difference %v", i, w[i], g[i], fd)
		}
	}
}

// TestRegularizeEvalOnly: without Grad (the Eval routine) only the loss
// changes.
func TestRegularizeEvalOnly(t *testing.T) {
	r := newRig(t, 4)
	p, loss := r.fixed("w", 2), r.fixed("loss", 1)
	r.emit(tensor.Regularize{Param: p, Grad: tensor.NoBuffer, LossSum: loss, Size: 2, L2: 0.5})
	r.compile()
	r.write(p, []float32{1, -2})
	r.runArgs(tensor.StepArgs{Rows: 3, Step: 1})
	checkClose(t, "LossSum", r.read(loss), []float64{3 * 0.5 * 5}, 1e-7)
}
