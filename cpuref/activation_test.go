package cpuref

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// refAct applies fn to x in float64; softmax works on groups of width.
func refAct(fn tensor.ActFn, x []float64, width int, alpha float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		switch fn {
		case tensor.Linear:
			y[i] = v
		case tensor.ReLU:
			y[i] = math.Max(v, 0)
		case tensor.LeakyReLU:
			y[i] = v
			if v < 0 {
				y[i] = alpha * v
			}
		case tensor.Sigmoid:
			y[i] = 1 / (1 + math.Exp(-v))
		case tensor.Tanh:
			y[i] = math.Tanh(v)
		case tensor.GELU: // Keras's exact form, via the normal CDF
			y[i] = v * (1 + math.Erf(v/math.Sqrt2)) / 2
		case tensor.SiLU:
			y[i] = v / (1 + math.Exp(-v))
		case tensor.ELU:
			y[i] = v
			if v <= 0 {
				y[i] = math.Exp(v) - 1
			}
		case tensor.SELU:
			y[i] = 1.05070098 * v
			if v <= 0 {
				y[i] = 1.05070098 * 1.67326324 * (math.Exp(v) - 1)
			}
		case tensor.Softplus:
			y[i] = math.Log(1 + math.Exp(v))
		}
	}
	if fn == tensor.Softmax {
		for g := 0; g < len(x); g += width {
			sum := 0.0
			for _, v := range x[g : g+width] {
				sum += math.Exp(v)
			}
			for j := g; j < g+width; j++ {
				y[j] = math.Exp(x[j]) / sum
			}
		}
	}
	return y
}

var allActs = []tensor.ActFn{tensor.Linear, tensor.ReLU, tensor.LeakyReLU, tensor.Sigmoid, tensor.Tanh, tensor.Softmax,
	tensor.GELU, tensor.SiLU, tensor.ELU, tensor.SELU, tensor.Softplus}

// actCases: size per sample, softmax width, batch, rows. The last spans
// several chunks.
var actCases = []struct{ size, width, batch, rows int }{
	{1, 1, 1, 1},
	{15, 5, 3, 2},
	{14, 7, 4, 3},
	{7001, 7001, 3, 3},
}

func TestActivation(t *testing.T) {
	for i, ac := range actCases {
		for _, fn := range allActs {
			for _, inPlace := range []bool{false, true} {
				if inPlace && fn == tensor.Softmax {
					continue // the contract forbids it
				}
				t.Run(fmt.Sprintf("%v/%+v/inplace=%v", fn, ac, inPlace), func(t *testing.T) {
					r := newRig(t, ac.batch)
					x := r.batched("x", ac.size)
					y := x
					if !inPlace {
						y = r.batched("y", ac.size)
					}
					op := tensor.Activation{Fn: fn, X: x, Y: y, Size: ac.size, Width: ac.width, Alpha: 0.3}
					r.emit(op)
					r.compile()
					n := ac.rows * ac.size
					// Logits up to ±8 make softmax's max subtraction matter.
					xv := uniform(newRand(uint64(1000+i)), r.plan.Elems(x), -8, 8)
					copy(xv[n:], fill(len(xv)-n, sentinel))
					r.write(x, xv)
					if !inPlace {
						r.fillSentinel(y)
					}
					r.run(ac.rows)
					// exp, tanh and the softmax sum are done in float64 and rounded
					// once or twice to float32.
					checkClose(t, "Y", r.read(y), refAct(fn, f64(xv[:n]), ac.width, 0.3), fwdTol)
					r.untouched(y, n)
				})
			}
		}
	}
}

// TestActivationBackward checks each derivative against central
// differences of L = Σ R⊙Fn(X), feeding the backward op the forward's Y.
func TestActivationBackward(t *testing.T) {
	for i, ac := range actCases[:3] {
		for _, fn := range allActs {
			for _, inPlace := range []bool{false, true} {
				if inPlace && fn == tensor.Softmax {
					continue
				}
				t.Run(fmt.Sprintf("%v/%+v/inplace=%v", fn, ac, inPlace), func(t *testing.T) {
					testActBackward(t, fn, ac.size, ac.width, ac.batch, ac.rows, inPlace, uint64(1100+i))
				})
			}
		}
	}
}

func testActBackward(t *testing.T, fn tensor.ActFn, size, width, batch, rows int, inPlace bool, seed uint64) {
	r := newRig(t, batch)
	x, y, dy := r.batched("x", size), r.batched("y", size), r.batched("dy", size)
	dx := dy
	if !inPlace {
		dx = r.batched("dx", size)
	}
	r.emit(tensor.Activation{Fn: fn, X: x, Y: y, Size: size, Width: width, Alpha: 0.3},
		tensor.ActivationBackward{Fn: fn, X: x, Y: y, DY: dy, DX: dx, Size: size, Width: width, Alpha: 0.3})
	r.compile()
	rng := newRand(seed)
	n := rows * size
	// Inputs at least 0.05 from 0, so no finite-difference step crosses
	// ReLU's kink.
	xv := awayFromZero(rng, r.plan.Elems(x), 0.05)
	for i := range xv {
		xv[i] *= 3
	}
	rv := uniform(rng, r.plan.Elems(dy), -1, 1)
	copy(rv[n:], fill(len(rv)-n, sentinel))
	r.write(x, xv)
	r.write(dy, rv)
	if !inPlace {
		r.fillSentinel(dx)
	}
	r.run(rows)
	x64, r64 := f64(xv[:n]), f64(rv[:n])
	loss := func() float64 { return dot(r64, refAct(fn, x64, width, 0.3)) }
	checkClose(t, "DX", r.read(dx), numGrad(x64, loss, fdEps), gradTol)
	r.untouched(dx, n)
}

// TestSoftmaxLargeLogits checks that logits far beyond e^88 (float32's
// overflow) still give a finite, exact softmax thanks to the max shift.
func TestSoftmaxLargeLogits(t *testing.T) {
	r := newRig(t, 1)
	x, y := r.batched("x", 3), r.batched("y", 3)
	r.emit(tensor.Activation{Fn: tensor.Softmax, X: x, Y: y, Size: 3, Width: 3})
	r.compile()
	r.write(x, []float32{1000, 1000, -1000})
	r.run(1)
	checkClose(t, "Y", r.read(y), []float64{0.5, 0.5, 0}, 1e-7)
}

// TestSigmoidSaturates feeds sigmoid inputs whose exponential overflows
// float64 (|x| > 709.8): 1/(1+e^−x) for x ≥ 0 and e^x/(1+e^x) below must
// each stay on their own side, or e^x/(1+e^x) gives ∞/∞ = NaN at +1000.
// Keras's sigmoid saturates to exactly 1 and 0 there.
func TestSigmoidSaturates(t *testing.T) {
	r := newRig(t, 1)
	x, y := r.batched("x", 4), r.batched("y", 4)
	r.emit(tensor.Activation{Fn: tensor.Sigmoid, X: x, Y: y, Size: 4, Width: 1})
	r.compile()
	r.write(x, []float32{1000, -1000, 3e38, -3e38})
	r.run(1)
	checkClose(t, "Y", r.read(y), []float64{1, 0, 1, 0}, 0)
}

// TestActivationGradAtZero pins each derivative at exactly x = 0, where
// the branches of a kinked activation meet and finite differences cannot
// say which one applies. The values are the one-sided derivatives
// PyTorch's and JAX's autodiff take there (the x ≤ 0 branch, as Anvil's
// oracle test replays them): ReLU 0, LeakyReLU α = 0.3, ELU 1, SELU
// λ·α = 1.05070098·1.67326324 (TF's SeluGrad alone takes λ), and the
// smooth ones their value: sigmoid 1/4, tanh 1, gelu Φ(0) = 1/2, silu 1/2,
// softplus 1/2.
func TestActivationGradAtZero(t *testing.T) {
	want := map[tensor.ActFn]float64{
		tensor.Linear: 1, tensor.ReLU: 0, tensor.LeakyReLU: 0.3, tensor.Sigmoid: 0.25, tensor.Tanh: 1,
		tensor.GELU: 0.5, tensor.SiLU: 0.5, tensor.ELU: 1, tensor.SELU: 1.05070098 * 1.67326324,
		tensor.Softplus: 0.5,
	}
	for fn, w := range want {
		t.Run(fn.String(), func(t *testing.T) {
			r := newRig(t, 1)
			x, y, dy, dx := r.batched("x", 1), r.batched("y", 1), r.batched("dy", 1), r.batched("dx", 1)
			r.emit(tensor.Activation{Fn: fn, X: x, Y: y, Size: 1, Width: 1, Alpha: 0.3},
				tensor.ActivationBackward{Fn: fn, X: x, Y: y, DY: dy, DX: dx, Size: 1, Width: 1, Alpha: 0.3})
			r.compile()
			r.write(x, []float32{0})
			r.write(dy, []float32{1})
			r.run(1)
			// One float32 rounding of a value near 1.
			checkClose(t, "DX", r.read(dx), []float64{w}, 1e-7)
		})
	}
}
