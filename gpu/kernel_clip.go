package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// Gradient clipping: SumSquares, one workgroup per gradient reducing it to
// one value of the norms buffer (shaders/sum_squares.comp), and
// ClipGradient, elementwise, reading the norms on the device
// (shaders/clip_gradient.comp), so clipping never waits for the host. CPU
// reference: cpuref/clip.go.

func bindSumSquares(p *program, o tensor.SumSquares) (opKernel, error) {
	if err := positive("Size", o.Size); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	x, out := ops.in(o.X, "X"), ops.in(o.Out, "Out")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Size)).Uint32(u32(o.Index))
	return p.single("sum_squares", p.reduceWG(), push, 1, x, out)
}

func bindClipGradient(p *program, o tensor.ClipGradient) (opKernel, error) {
	if err := o.Check(nil); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	grad := ops.in(o.Grad, "Grad")
	var norms *vk.Buffer
	if o.Mode != tensor.ClipByValue {
		norms = ops.in(o.Norms, "Norms")
	}
	if ops.err != nil {
		return nil, ops.err
	}
	if norms == nil {
		// clipvalue reads no norms; a dummy of its own fills the binding.
		var err error
		if norms, err = p.private(1); err != nil {
			return nil, err
		}
	}
	push := vk.Push{}.Uint32(u32(o.Size)).Uint32(uint32(o.Mode)).Float32(o.Limit).Float32(1 / o.Limit).
		Uint32(u32(o.Index)).Uint32(u32(o.Count))
	return p.single("clip_gradient", elemWG, push, p.groups(o.Size, elemWG), grad, norms)
}
