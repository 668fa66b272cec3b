package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

var actFns = []tensor.ActFn{tensor.Linear, tensor.ReLU, tensor.LeakyReLU, tensor.Sigmoid, tensor.Tanh, tensor.Softmax}

// Tolerances of the activations, against cpuref's float64-then-rounded
// results:
//   - linear, relu and leaky_relu, both directions, select or do one
//     correctly rounded float32 multiply: bit-identical.
//   - sigmoid, tanh and softmax forward use the shader's exp, which the
//     Vulkan spec bounds by 3+2|x| ulp (≤ 11 ulp for |x| ≤ 4 here), then an
//     add and a division (2.5 ulp): under 16 ulp of a value ≤ 1, so 4e-6
//     absolute. Softmax also sums Width exps in float32 (Width·ε more).
//   - sigmoid and tanh backward are two or three float32 products of the
//     same inputs, but a driver may fuse 1−y·y into one fma: 2 ulp.
//   - softmax backward takes a Width-term dot product in float32 where
//     cpuref uses float64: Width·ε·|dy| ≈ 2e-6 for Width 13 and |dy| ≤ 1.
var (
	actForwardTol = map[tensor.ActFn]tol{tensor.Sigmoid: {Abs: 4e-6}, tensor.Tanh: {Abs: 4e-6},
		tensor.Softmax: {Abs: 4e-6}}
	actBackwardTol = map[tensor.ActFn]tol{tensor.Sigmoid: {Abs: 2 * eps32, Rel: 2 * eps32},
		tensor.Tanh: {Abs: 2 * eps32, Rel: 2 * eps32}, tensor.Softmax: {Abs: 4e-6}}
)

// TestActivationParity runs every activation function forward and backward
// (sizes that are not multiples of the workgroup size, softmax over groups
// of 13), plus an in-place forward and a backward whose DX aliases DY.
func TestActivationParity(t *testing.T) {
	b := openBackend(t)
	const size, width, alpha = 130, 13, 0.3
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{size})
			yin := p.AddBuffer("y_in", tensor.ActivationBuffer, true, tensor.Shape{size})
			dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{size})
			tols := map[tensor.BufferID]tol{}
			for _, fn := range actFns {
				y := p.AddBuffer(fmt.Sprintf("y_%v", fn), tensor.ActivationBuffer, true, tensor.Shape{size})
				dx := p.AddBuffer(fmt.Sprintf("dx_%v", fn), tensor.GradientBuffer, true, tensor.Shape{size})
				p.Emit(tensor.Train, tensor.Activation{Fn: fn, X: x, Y: y, Size: size, Width: width, Alpha: alpha})
				p.Emit(tensor.Train, tensor.ActivationBackward{Fn: fn, X: x, Y: yin, DY: dy, DX: dx, Size: size, Width: width, Alpha: alpha})
				tols[y], tols[dx] = actForwardTol[fn], actBackwardTol[fn]
			}
			inplace := p.AddBuffer("relu_in_place", tensor.ActivationBuffer, true, tensor.Shape{size})
			p.Emit(tensor.Train, tensor.Activation{Fn: tensor.ReLU, X: inplace, Y: inplace, Size: size})
			alias := p.AddBuffer("sigmoid_dx_aliases_dy", tensor.GradientBuffer, true, tensor.Shape{size})
			p.Emit(tensor.Train, tensor.ActivationBackward{Fn: tensor.Sigmoid, X: tensor.NoBuffer, Y: yin, DY: alias, DX: alias, Size: size})
			tols[alias] = actBackwardTol[tensor.Sigmoid]
			init := func(id tensor.BufferID, n int) []float32 {
				switch id {
				case x:
					return scaled(n, 1, 4) // covers sigmoid's and tanh's curved range
				case yin:
					return scaled(n, 2, 1)
				}
				return nil
			}
			cpu, gpu := parityRun{plan: p, init: init, steps: steps(1, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, tols)
		})
	}
}

// TestTanhSigmoidExtremes feeds inputs where a naive tanh overflows
// (e^x for x > 88) and where sigmoid saturates.
func TestTanhSigmoidExtremes(t *testing.T) {
	b := openBackend(t)
	vals := []float32{-1000, -100, -89, -20, -1e-4, 0, 1e-4, 20, 89, 100, 1000}
	p := tensor.NewPlan(1)
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{len(vals)})
	tn := p.AddBuffer("tanh", tensor.ActivationBuffer, true, tensor.Shape{len(vals)})
	sg := p.AddBuffer("sigmoid", tensor.ActivationBuffer, true, tensor.Shape{len(vals)})
	p.Emit(tensor.Train, tensor.Activation{Fn: tensor.Tanh, X: x, Y: tn, Size: len(vals)})
	p.Emit(tensor.Train, tensor.Activation{Fn: tensor.Sigmoid, X: x, Y: sg, Size: len(vals)})
	init := func(id tensor.BufferID, n int) []float32 {
		if id == x {
			return vals
		}
		return nil
	}
	cpu, gpu := parityRun{plan: p, init: init, steps: steps(1, 1)}.run(t, b)
	// Near 0, tanh's (1−e)/(1+e) with e = e^−2|x| cancels: a few ulp of 1
	// absolute, which is why the tolerance is absolute.
	compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{tn: {Abs: 4e-6}, sg: {Abs: 4e-6}})
}
