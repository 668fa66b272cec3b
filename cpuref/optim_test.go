package cpuref

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// Every optimizer test starts from p = [1, −2] and feeds these gradients.
var optGrads = [][]float32{{0.5, -1}, {0.25, 2}, {-0.5, 0.1}}

// optTol: the backend does each update in float32 (a handful of roundings
// of 6e-8 per step, plus β and lr rounded to float32), the expected values
// are float64; three steps stay within 1e-6 of the parameters' scale. A
// wrong term (a missing bias correction, say) moves them by 1e-3 or more.
const optTol = 1e-6

// runOptimizer applies op (with Param and Grad set here) for each step and
// returns the parameters after each.
func runOptimizer(t *testing.T, build func(r *rig, p, g tensor.BufferID) tensor.Op, lr float32) [][]float32 {
	r := newRig(t, 3)
	p, g := r.fixed("p", 2), r.fixed("g", 2)
	r.emit(build(r, p, g))
	r.compile()
	r.write(p, []float32{1, -2})
	var out [][]float32
	for step, grad := range optGrads {
		r.write(g, grad)
		r.runArgs(tensor.StepArgs{Rows: 2, Step: uint64(step + 1), LearningRate: lr})
		out = append(out, r.read(p))
	}
	return out
}

func TestSGD(t *testing.T) {
	cases := []struct {
		name     string
		momentum float32
		nesterov bool
		want     [][]float64
	}{
		// p −= 0.1·g: [1−0.05, −2+0.1], then [0.95−0.025, −1.9−0.2], then [0.925+0.05, −2.1−0.01].
		{"plain", 0, false, [][]float64{{0.95, -1.9}, {0.925, -2.1}, {0.975, -2.11}}},
		// v = 0.9v − 0.1g; p += v. v1 = [−0.05, 0.1]; v2 = [−0.045−0.025, 0.09−0.2] = [−0.07, −0.11];
		// v3 = [−0.063+0.05, −0.099−0.01] = [−0.013, −0.109].
		{"momentum", 0.9, false, [][]float64{{0.95, -1.9}, {0.88, -2.01}, {0.867, -2.119}}},
		// p += 0.9v − 0.1g with the new v: step 1 adds [−0.045−0.05, 0.09+0.1] = [−0.095, 0.19];
		// step 2 adds [−0.063−0.025, −0.099−0.2]; step 3 adds [−0.0117+0.05, −0.0981−0.01].
		{"nesterov", 0.9, true, [][]float64{{0.905, -1.81}, {0.817, -2.109}, {0.8553, -2.2171}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runOptimizer(t, func(r *rig, p, g tensor.BufferID) tensor.Op {
				v := tensor.NoBuffer
				if c.momentum != 0 {
					v = r.fixed("v", 2)
				}
				return tensor.SGDUpdate{Param: p, Grad: g, Velocity: v, Size: 2, Momentum: c.momentum, Nesterov: c.nesterov}
			}, 0.1)
			for i := range c.want {
				checkClose(t, "Param", got[i], c.want[i], optTol)
			}
		})
	}
}

func TestAdam(t *testing.T) {
	got := runOptimizer(t, func(r *rig, p, g tensor.BufferID) tensor.Op {
		return tensor.AdamUpdate{Param: p, Grad: g, M: r.fixed("m", 2), V: r.fixed("v", 2), Size: 2,
			Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
	}, 0.01)
	// Step 1: m = 0.1g = [0.05, −0.1], v = 0.001g² = [0.00025, 0.001],
	// α = 0.01·√(1−0.999)/(1−0.9) = 0.0031623, p −= m·α/(√v+1e-7):
	// 1 − 0.05·0.0031623/0.0158115 = 0.99000006. Steps 2 and 3 likewise,
	// with α = 0.01·√(1−0.999^t)/(1−0.9^t).
	want := [][]float64{
		{0.9900000632451532, -1.9900000316226767},
		{0.9806783196098896, -1.993661061715039},
		{0.9795704935700095, -1.9967737909394456},
	}
	for i := range want {
		checkClose(t, "Param", got[i], want[i], optTol)
	}
}

func TestRMSprop(t *testing.T) {
	cases := []struct {
		name     string
		momentum float32
		want     [][]float64
	}{
		// ms = 0.1g² = [0.025, 0.1]; step = 0.01g/√(ms+1e-7):
		// 1 − 0.005/0.1581142 = 0.9683773.
		{"plain", 0, [][]float64{
			{0.9683772866436797, -1.9683772392096925},
			{0.9536331166702025, -1.9969486648656696},
			{0.9758006498100135, -1.9984528067895082}}},
		// v = 0.5v + step; p −= v: step 1 as above, then the velocity carries half.
		{"momentum", 0.5, [][]float64{
			{0.9683772866436797, -1.9683772392096925},
			{0.9378217599920423, -1.981137284470516},
			{0.9447115298060346, -1.9890214490247664}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runOptimizer(t, func(r *rig, p, g tensor.BufferID) tensor.Op {
				v := tensor.NoBuffer
				if c.momentum != 0 {
					v = r.fixed("v", 2)
				}
				return tensor.RMSpropUpdate{Param: p, Grad: g, MeanSquare: r.fixed("ms", 2), Velocity: v, Size: 2,
					Rho: 0.9, Momentum: c.momentum, Epsilon: 1e-7}
			}, 0.01)
			for i := range c.want {
				checkClose(t, "Param", got[i], c.want[i], optTol)
			}
		})
	}
}

// TestOptimizerLarge runs SGD over a parameter of several chunks and checks
// every element was updated.
func TestOptimizerLarge(t *testing.T) {
	const n = 3*elemChunk + 17
	r := newRig(t, 1)
	p, g := r.fixed("p", n), r.fixed("g", n)
	r.emit(tensor.SGDUpdate{Param: p, Grad: g, Velocity: tensor.NoBuffer, Size: n})
	r.compile()
	gv := uniform(newRand(1700), n, -1, 1)
	r.write(g, gv)
	r.runArgs(tensor.StepArgs{Rows: 1, Step: 1, LearningRate: 0.5})
	want := make([]float64, n)
	for i, v := range gv {
		want[i] = -0.5 * float64(v)
	}
	checkClose(t, "Param", r.read(p), want, 1e-7) // one float32 multiply
}

// TestAdamTinyGradients feeds gradients from 1e-9 to 1e-4, where √v is
// comparable to ε and ε changes each update by a factor of up to ~30: a
// missing or misplaced ε moves the parameters by far more than optTol. The
// expected values follow Keras's documented update, with its defaults
// written out here (β1 0.9, β2 0.999, ε 1e-7):
// α_t = lr·√(1−β2^t)/(1−β1^t), m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
// p ← p − α_t·m/(√v + ε).
func TestAdamTinyGradients(t *testing.T) {
	const beta1, beta2, eps, lr = 0.9, 0.999, 1e-7, 0.01
	grads := []float32{1e-9, -3e-9, 1e-8, -1e-7, 2e-7, 1e-6, -1e-5, 1e-4}
	n := len(grads)
	r := newRig(t, 1)
	p, g := r.fixed("p", n), r.fixed("g", n)
	r.emit(tensor.AdamUpdate{Param: p, Grad: g, M: r.fixed("m", n), V: r.fixed("v", n), Size: n,
		Beta1: beta1, Beta2: beta2, Epsilon: eps})
	r.compile()
	r.write(g, grads)
	want, m, v := make([]float64, n), make([]float64, n), make([]float64, n)
	for step := 1; step <= 3; step++ {
		r.runArgs(tensor.StepArgs{Rows: 1, Step: uint64(step), LearningRate: lr})
		alpha := lr * math.Sqrt(1-math.Pow(beta2, float64(step))) / (1 - math.Pow(beta1, float64(step)))
		for i, gi := range grads {
			gv := float64(gi)
			m[i] = beta1*m[i] + (1-beta1)*gv
			v[i] = beta2*v[i] + (1-beta2)*gv*gv
			want[i] -= alpha * m[i] / (math.Sqrt(v[i]) + eps)
		}
		// Starting from p = 0 each element's update is its own scale:
		// compare element by element, relative to itself, to 1e-5 (a few
		// float32 roundings per step, with β and ε rounded to float32;
		// dropping ε changes the smallest by 3000%, the 1e-5 one by 3%).
		got := r.read(p)
		for i := range want {
			if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*math.Abs(want[i]) {
				t.Fatalf("step %d: p[%d] (g = %g) = %g, want %g", step, i, grads[i], got[i], want[i])
			}
		}
	}
}

// TestRMSpropTinyGradients: as TestAdamTinyGradients for RMSprop, whose ε
// (Keras: 1e-7, inside the square root) dominates ms = (1−ρ)·g² for these
// gradients: p ← p − lr·g/√(ms + ε), ms ← ρ·ms + (1−ρ)·g², ρ = 0.9.
func TestRMSpropTinyGradients(t *testing.T) {
	const rho, eps, lr = 0.9, 1e-7, 0.01
	grads := []float32{1e-6, -3e-5, 1e-4, -1e-3}
	n := len(grads)
	r := newRig(t, 1)
	p, g := r.fixed("p", n), r.fixed("g", n)
	r.emit(tensor.RMSpropUpdate{Param: p, Grad: g, MeanSquare: r.fixed("ms", n), Velocity: tensor.NoBuffer, Size: n,
		Rho: rho, Epsilon: eps})
	r.compile()
	r.write(g, grads)
	want, ms := make([]float64, n), make([]float64, n)
	for step := 1; step <= 3; step++ {
		r.runArgs(tensor.StepArgs{Rows: 1, Step: uint64(step), LearningRate: lr})
		for i, gi := range grads {
			gv := float64(gi)
			ms[i] = rho*ms[i] + (1-rho)*gv*gv
			want[i] -= lr * gv / math.Sqrt(ms[i]+eps)
		}
		got := r.read(p)
		for i := range want {
			if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*math.Abs(want[i]) {
				t.Fatalf("step %d: p[%d] (g = %g) = %g, want %g", step, i, grads[i], got[i], want[i])
			}
		}
	}
}
