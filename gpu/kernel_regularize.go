package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// bindRegularize binds a Regularize to one workgroup of
// shaders/regularize.comp, which adds the penalty's gradient and sums the
// penalty into the loss on the device. CPU reference: cpuref/regularize.go.
func bindRegularize(p *program, o tensor.Regularize) (opKernel, error) {
	if err := o.Check(nil); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	param, loss := ops.in(o.Param, "Param"), ops.in(o.LossSum, "LossSum")
	var grad *vk.Buffer
	if o.Grad != tensor.NoBuffer {
		grad = ops.in(o.Grad, "Grad")
	}
	if ops.err != nil {
		return nil, ops.err
	}
	if grad == nil {
		// The Eval routine's penalty has no gradient: a dummy of its own
		// fills the binding.
		var err error
		if grad, err = p.private(1); err != nil {
			return nil, err
		}
	}
	push := vk.Push{}.Uint32(u32(o.Size)).Float32(o.L1).Float32(o.L2).Float32(2 * o.L2).Uint32(b2u(o.Grad != tensor.NoBuffer))
	return p.single("regularize", p.reduceWG(), push, 1, param, grad, loss)
}
