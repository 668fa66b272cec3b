package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// The activation family: Activation, ActivationBackward, Dropout and
// DropoutBackward. Shaders: activation, activation_backward, dropout.

// checkAct validates an activation's function and sizes and returns how
// many items one sample holds for the shader's grid: groups for softmax,
// elements otherwise.
func checkAct(fn tensor.ActFn, size, width int) (int, error) {
	if err := positive("Size", size); err != nil {
		return 0, err
	}
	if fn < tensor.Linear || fn > tensor.Softmax {
		return 0, fmt.Errorf("unknown activation %v", fn)
	}
	if fn == tensor.Softmax {
		if width <= 0 || size%width != 0 {
			return 0, fmt.Errorf("softmax Width %d must be positive and divide Size %d", width, size)
		}
		return size / width, nil
	}
	return size, nil
}

// actPush is the push block both activation shaders share.
func actPush(fn tensor.ActFn, size, width int, alpha float32) Push {
	return Push{}.Uint32(u32(size)).Uint32(u32(max(width, 1))).Uint32(uint32(fn)).Float32(alpha)
}

func bindActivation(p *program, o tensor.Activation) (opKernel, error) {
	items, err := checkAct(o.Fn, o.Size, o.Width)
	if err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, y := ops.in(o.X, "X"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("activation", elemWG, actPush(o.Fn, o.Size, o.Width, o.Alpha),
		p.groups(p.plan.Batch*items, elemWG), x, y)
}

func bindActivationBackward(p *program, o tensor.ActivationBackward) (opKernel, error) {
	items, err := checkAct(o.Fn, o.Size, o.Width)
	if err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, y := ops.opt(o.X), ops.opt(o.Y)
	switch o.Fn {
	case tensor.ReLU, tensor.LeakyReLU:
		x = ops.in(o.X, "X")
	case tensor.Sigmoid, tensor.Tanh, tensor.Softmax:
		y = ops.in(o.Y, "Y")
	}
	dy, dx := ops.in(o.DY, "DY"), ops.in(o.DX, "DX")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("activation_backward", elemWG, actPush(o.Fn, o.Size, o.Width, o.Alpha),
		p.groups(p.plan.Batch*items, elemWG), x, y, dy, dx)
}

func bindDropout(p *program, o tensor.Dropout) (opKernel, error) {
	return bindDropoutKernel(p, o.X, o.Y, o.Size, o.Rate, o.Salt)
}

func bindDropoutBackward(p *program, o tensor.DropoutBackward) (opKernel, error) {
	return bindDropoutKernel(p, o.DY, o.DX, o.Size, o.Rate, o.Salt)
}

// bindDropoutKernel binds the shader both directions share: the mask is a
// pure function of (seed, step, salt, element index), recomputed rather
// than stored.
func bindDropoutKernel(p *program, in, out tensor.BufferID, size int, rate float32, salt uint32) (opKernel, error) {
	if err := positive("Size", size); err != nil {
		return nil, err
	}
	if !(rate >= 0 && rate < 1) {
		return nil, fmt.Errorf("dropout rate %v must be in [0, 1)", rate)
	}
	if uint64(p.plan.Batch)*uint64(size) > 1<<32 {
		return nil, fmt.Errorf("dropout over %d×%d elements overflows the 32-bit element index", p.plan.Batch, size)
	}
	ops := operands{p: p}
	src, dst := ops.in(in, "input"), ops.in(out, "output")
	if ops.err != nil {
		return nil, ops.err
	}
	// The scale is rounded to float32 here exactly as cpuref rounds it, so
	// kept elements come out bit-identical (a float32 product is correctly
	// rounded in SPIR-V; a division in the shader would not be).
	scale := 1 / (1 - rate)
	push := Push{}.Uint32(u32(size)).Uint32(salt).Float32(rate).Float32(scale)
	return p.single("dropout", elemWG, push, p.groups(p.plan.Batch*size, elemWG), src, dst)
}
