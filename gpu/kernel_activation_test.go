package gpu

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

var actFns = []tensor.ActFn{tensor.Linear, tensor.ReLU, tensor.LeakyReLU, tensor.Sigmoid, tensor.Tanh, tensor.Softmax,
	tensor.GELU, tensor.SiLU, tensor.ELU, tensor.SELU, tensor.Softplus}

// smoothFns are the activations of shaders/activation.glsl.
var smoothFns = []tensor.ActFn{tensor.GELU, tensor.SiLU, tensor.ELU, tensor.SELU, tensor.Softplus}

// TestActivationParity runs every activation function forward and backward
// (sizes that are not multiples of the workgroup size, softmax over groups
// of 13), plus an in-place forward and a backward whose DX aliases DY,
// within selftest.ActivationTol.
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
				tols[y], tols[dx] = selftest.ActivationTol(fn, false, width), selftest.ActivationTol(fn, true, width)
			}
			inplace := p.AddBuffer("relu_in_place", tensor.ActivationBuffer, true, tensor.Shape{size})
			p.Emit(tensor.Train, tensor.Activation{Fn: tensor.ReLU, X: inplace, Y: inplace, Size: size})
			alias := p.AddBuffer("sigmoid_dx_aliases_dy", tensor.GradientBuffer, true, tensor.Shape{size})
			p.Emit(tensor.Train, tensor.ActivationBackward{Fn: tensor.Sigmoid, X: tensor.NoBuffer, Y: yin, DY: alias, DX: alias, Size: size})
			tols[alias] = selftest.ActivationTol(tensor.Sigmoid, true, 0)
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

// TestSmoothActivationExtremes feeds the smooth activations inputs where a
// naive formula overflows (softplus's e^x, gelu's and silu's tails) or
// cancels (x near 0), forward and backward.
func TestSmoothActivationExtremes(t *testing.T) {
	b := openBackend(t)
	vals := []float32{-1000, -100, -20, -5, -1e-4, 0, 1e-4, 5, 20, 100, 1000}
	n := len(vals)
	p := tensor.NewPlan(1)
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{n})
	dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{n})
	tols := map[tensor.BufferID]tol{}
	for _, fn := range smoothFns {
		y := p.AddBuffer(fmt.Sprintf("y_%v", fn), tensor.ActivationBuffer, true, tensor.Shape{n})
		dx := p.AddBuffer(fmt.Sprintf("dx_%v", fn), tensor.GradientBuffer, true, tensor.Shape{n})
		p.Emit(tensor.Train, tensor.Activation{Fn: fn, X: x, Y: y, Size: n})
		p.Emit(tensor.Train, tensor.ActivationBackward{Fn: fn, X: x, Y: tensor.NoBuffer, DY: dy, DX: dx, Size: n})
		tols[y], tols[dx] = selftest.ActivationTol(fn, false, 0), selftest.ActivationTol(fn, true, 0)
	}
	init := func(id tensor.BufferID, k int) []float32 {
		switch id {
		case x:
			return vals
		case dy:
			return scaled(k, 3, 1)
		}
		return nil
	}
	cpu, gpu := parityRun{plan: p, init: init, steps: steps(1, 1)}.run(t, b)
	compare(t, p, cpu, gpu, exact, tols)
}
