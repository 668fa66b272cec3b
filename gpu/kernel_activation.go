package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The activation family: Activation and ActivationBackward. Shaders:
// activation, activation_backward.

// checkAct validates an activation's function and sizes and returns how
// many items one sample holds for the shader's grid: groups for softmax,
// elements otherwise.
func checkAct(fn tensor.ActFn, size, width int) (int, error) {
	if err := positive("Size", size); err != nil {
		return 0, err
	}
	if !fn.Valid() {
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
func actPush(fn tensor.ActFn, size, width int, alpha float32) vk.Push {
	return vk.Push{}.Uint32(u32(size)).Uint32(u32(max(width, 1))).Uint32(uint32(fn)).Float32(alpha)
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
	switch {
	case o.Fn == tensor.Linear:
	case o.Fn.BackwardReadsY():
		y = ops.in(o.Y, "Y")
	default:
		x = ops.in(o.X, "X")
	}
	dy, dx := ops.in(o.DY, "DY"), ops.in(o.DX, "DX")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("activation_backward", elemWG, actPush(o.Fn, o.Size, o.Width, o.Alpha),
		p.groups(p.plan.Batch*items, elemWG), x, y, dy, dx)
}
