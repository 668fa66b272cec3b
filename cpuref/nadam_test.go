package cpuref

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// The float64 references below follow Keras 3's documented update rules,
// written out from keras/src/optimizers (not from this package's code):
//
// AdamW: var ← var − var·wd·lr, then Adam on the decayed var.
// Nadam: u_t = β1(1 − 0.5·0.96^t), Π_t = Π_{t−1}·u_t (Π_0 = 1),
// m ← m + (g−m)(1−β1), v ← v + (g²−v)(1−β2),
// m̂ = u_{t+1}·m/(1 − Π_t·u_{t+1}) + (1−u_t)·g/(1 − Π_t),
// v̂ = v/(1 − β2^t), var ← var − lr·m̂/(√v̂ + ε).

// optSeq is a multi-step run: a parameter of n elements, a new gradient
// and a new learning rate every step.
type optSeq struct {
	p0    []float64
	grads [][]float64
	lrs   []float64
}

func newOptSeq(n, steps int, seed uint64) optSeq {
	rnd := newRand(seed)
	s := optSeq{p0: make([]float64, n)}
	for i, v := range uniform(rnd, n, -1, 1) {
		s.p0[i] = float64(v)
	}
	for range steps {
		g := make([]float64, n)
		for i, v := range uniform(rnd, n, -2, 2) {
			g[i] = float64(v)
		}
		s.grads = append(s.grads, g)
		s.lrs = append(s.lrs, float64(float32(0.001+0.05*rnd.Float64())))
	}
	return s
}

func f32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// run applies op step by step and compares the parameter with ref's after
// every step, within tol relative to max(1, |want|).
func (s optSeq) run(t *testing.T, op func(r *rig, p, g tensor.BufferID, n int) tensor.Op,
	ref func(p, g []float64, lr float64, step int), tol float64) {
	t.Helper()
	n := len(s.p0)
	r := newRig(t, 1)
	p, g := r.fixed("p", n), r.fixed("g", n)
	r.emit(op(r, p, g, n))
	r.compile()
	r.write(p, f32s(s.p0))
	want := append([]float64(nil), s.p0...)
	for i, grad := range s.grads {
		// The reference sees the float32 inputs the backend sees.
		gq := make([]float64, n)
		for j, v := range f32s(grad) {
			gq[j] = float64(v)
		}
		r.write(g, f32s(grad))
		r.runArgs(tensor.StepArgs{Rows: 1, Step: uint64(i + 1), LearningRate: float32(s.lrs[i])})
		ref(want, gq, s.lrs[i], i+1)
		got := r.read(p)
		for j := range want {
			if d := math.Abs(float64(got[j]) - want[j]); d > tol*math.Max(1, math.Abs(want[j])) {
				t.Fatalf("step %d: p[%d] = %.9g, want %.9g (off by %.3g)", i+1, j, got[j], want[j], d)
			}
		}
	}
}

// adamRef is Keras's Adam with decoupled weight decay wd (0: plain Adam).
func adamRef(b1, b2, eps, wd float64, n int) func(p, g []float64, lr float64, step int) {
	m, v := make([]float64, n), make([]float64, n)
	return func(p, g []float64, lr float64, step int) {
		t := float64(step)
		alpha := lr * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t))
		for i := range p {
			p[i] -= p[i] * wd * lr
			m[i] += (g[i] - m[i]) * (1 - b1)
			v[i] += (g[i]*g[i] - v[i]) * (1 - b2)
			p[i] -= alpha * m[i] / (math.Sqrt(v[i]) + eps)
		}
	}
}

// nadamRef is Keras 3's Nadam.
func nadamRef(b1, b2, eps float64, n int) func(p, g []float64, lr float64, step int) {
	m, v := make([]float64, n), make([]float64, n)
	prod := 1.0
	u := func(s float64) float64 { return b1 * (1 - 0.5*math.Pow(0.96, s)) }
	return func(p, g []float64, lr float64, step int) {
		t := float64(step)
		ut, ut1 := u(t), u(t+1)
		prod *= ut
		prod1 := prod * ut1
		for i := range p {
			m[i] += (g[i] - m[i]) * (1 - b1)
			v[i] += (g[i]*g[i] - v[i]) * (1 - b2)
			mhat := ut1*m[i]/(1-prod1) + (1-ut)*g[i]/(1-prod)
			vhat := v[i] / (1 - math.Pow(b2, t))
			p[i] -= lr * mhat / (math.Sqrt(vhat) + eps)
		}
	}
}

// seqTol: each step does a handful of float32 roundings (6e-8 each) on
// values of order 1, and β, ε, lr and 0.96 are float32 constants whose
// rounding the reference does not share; 40 steps with updates of up to
// ~0.05 stay within 2e-5 of max(1, |p|). A wrong term (a missing bias
// correction or decay, the schedule's 0.96 left out) moves p by 1e-3 or
// more within the first steps.
const seqTol = 2e-5

func TestAdamWSequence(t *testing.T) {
	for _, wd := range []float64{0.004, 0.1} {
		s := newOptSeq(37, 40, 1401)
		s.run(t, func(r *rig, p, g tensor.BufferID, n int) tensor.Op {
			return tensor.AdamUpdate{Param: p, Grad: g, M: r.fixed("m", n), V: r.fixed("v", n), Size: n,
				Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, WeightDecay: float32(wd)}
		}, adamRef(0.9, 0.999, 1e-7, wd, 37), seqTol)
	}
}

func TestNadamSequence(t *testing.T) {
	for _, b1 := range []float64{0.9, 0.5} {
		s := newOptSeq(41, 40, 1402)
		s.run(t, func(r *rig, p, g tensor.BufferID, n int) tensor.Op {
			return tensor.NadamUpdate{Param: p, Grad: g, M: r.fixed("m", n), V: r.fixed("v", n),
				Product: r.fixed("u", tensor.NadamProductSize), Size: n, Beta1: float32(b1), Beta2: 0.999, Epsilon: 1e-7}
		}, nadamRef(b1, 0.999, 1e-7, 41), seqTol)
	}
}

// TestNadamFirstStep checks step 1 by hand: u_1 = 0.9(1−0.48) = 0.468,
// u_2 = 0.9(1−0.5·0.9216) = 0.48528, Π_1 = 0.468, Π_1·u_2 = 0.22711;
// g = 1: m = 0.1, v = 0.001, m̂ = 0.48528·0.1/0.77289 + 0.532/0.532 =
// 1.0627881, v̂ = 1, p = 1 − 0.01·1.0627881/(1+1e-7) = 0.98937212.
func TestNadamFirstStep(t *testing.T) {
	r := newRig(t, 1)
	p, g := r.fixed("p", 1), r.fixed("g", 1)
	u := r.fixed("u", tensor.NadamProductSize)
	r.emit(tensor.NadamUpdate{Param: p, Grad: g, M: r.fixed("m", 1), V: r.fixed("v", 1), Product: u, Size: 1,
		Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	r.compile()
	r.write(p, []float32{1})
	r.write(g, []float32{1})
	r.write(u, []float32{7, 7}) // Π_0 is 1 at step 1 whatever the buffer holds
	r.runArgs(tensor.StepArgs{Rows: 1, Step: 1, LearningRate: 0.01})
	checkClose(t, "Param", r.read(p), []float64{1 - 0.01*(0.48528*0.1/(1-0.468*0.48528)+1)/(1+1e-7)}, 1e-6)
	checkClose(t, "Product", r.read(u)[1:], []float64{0.468}, 1e-6)
}

// TestNadamTinyGradients: as TestAdamTinyGradients for Nadam, whose ε sits
// beside √v̂ the same way: with gradients from 1e-9 to 1e-4 it changes
// each update by up to ~30×, so ε dropped, doubled or moved fails.
func TestNadamTinyGradients(t *testing.T) {
	grads := []float64{1e-9, -3e-9, 1e-8, -1e-7, 2e-7, 1e-6, -1e-5, 1e-4}
	n := len(grads)
	r := newRig(t, 1)
	p, g := r.fixed("p", n), r.fixed("g", n)
	r.emit(tensor.NadamUpdate{Param: p, Grad: g, M: r.fixed("m", n), V: r.fixed("v", n),
		Product: r.fixed("u", tensor.NadamProductSize), Size: n, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	r.compile()
	gq := make([]float64, n)
	for i, v := range f32s(grads) {
		gq[i] = float64(v)
	}
	r.write(g, f32s(grads))
	want, ref := make([]float64, n), nadamRef(0.9, 0.999, 1e-7, n)
	for step := 1; step <= 3; step++ {
		r.runArgs(tensor.StepArgs{Rows: 1, Step: uint64(step), LearningRate: 0.01})
		ref(want, gq, float64(float32(0.01)), step)
		// From p = 0, each element relative to itself (see TestAdamTinyGradients).
		got := r.read(p)
		for i := range want {
			if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*math.Abs(want[i]) {
				t.Fatalf("step %d: p[%d] (g = %g) = %g, want %g", step, i, grads[i], got[i], want[i])
			}
		}
	}
}
