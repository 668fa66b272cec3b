package gpu

import (
	"math"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The optimizer family: SGDUpdate, AdamUpdate, RMSpropUpdate, elementwise
// over one parameter. The learning rate and step come from the step
// arguments; everything else is fixed when the plan compiles. Constants
// such as 1−β are rounded to float32 here exactly as cpuref rounds them.
// Shaders: sgd, adam, rmsprop.

func bindSGD(p *program, o tensor.SGDUpdate) (opKernel, error) {
	if err := positive("Size", o.Size); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	param, grad := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad")
	v := ops.optOut(o.Velocity)
	if o.Momentum != 0 {
		v = ops.in(o.Velocity, "Velocity (needed when Momentum is not 0)")
	}
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Size)).Float32(o.Momentum).Uint32(b2u(o.Nesterov)).Uint32(b2u(o.Momentum != 0))
	return p.single("sgd", elemWG, push, p.groups(o.Size, elemWG), param, grad, v)
}

func bindAdam(p *program, o tensor.AdamUpdate) (opKernel, error) {
	if err := positive("Size", o.Size); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	param, grad, m, v := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad"), ops.in(o.M, "M"), ops.in(o.V, "V")
	if ops.err != nil {
		return nil, ops.err
	}
	// ln β is fixed, so it is taken here in float64; the shader needs only
	// t·ln β for the bias corrections of step t.
	ln1 := float32(math.Log(float64(o.Beta1)))
	ln2 := float32(math.Log(float64(o.Beta2)))
	push := vk.Push{}.Uint32(u32(o.Size)).Float32(1 - o.Beta1).Float32(1 - o.Beta2).Float32(o.Epsilon).
		Float32(ln1).Float32(ln2)
	return p.single("adam", elemWG, push, p.groups(o.Size, elemWG), param, grad, m, v)
}

func bindRMSprop(p *program, o tensor.RMSpropUpdate) (opKernel, error) {
	if err := positive("Size", o.Size); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	param, grad, ms := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad"), ops.in(o.MeanSquare, "MeanSquare")
	v := ops.optOut(o.Velocity)
	if o.Momentum != 0 {
		v = ops.in(o.Velocity, "Velocity (needed when Momentum is not 0)")
	}
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Size)).Float32(o.Rho).Float32(1 - o.Rho).Float32(o.Momentum).Float32(o.Epsilon).
		Uint32(b2u(o.Momentum != 0))
	return p.single("rmsprop", elemWG, push, p.groups(o.Size, elemWG), param, grad, ms, v)
}
