package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The augmentation and preprocessing family: Transform2D, RandomContrast2D,
// their backward ops, Rescale, Normalize and NormalizeBackward. Shaders:
// augment_transform(_backward), augment_contrast(_backward), rescale,
// normalize. Each draws its random parameters
// from the step's seed and step (StepArgs) in the shader, so the recorded
// step replays unchanged.

func bindTransform2D(p *program, o tensor.Transform2D) (opKernel, error) {
	ops := operands{p: p}
	x, y := ops.in(o.X, "X"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("augment_transform", elemWG, transformPush(o), p.groups(p.plan.Batch*o.OH*o.OW*o.C, elemWG), x, y)
}

// bindTransform2DBackward gathers each input element's gradient; the
// shader shares the forward's push constants and map (augment.glsl).
func bindTransform2DBackward(p *program, o tensor.Transform2DBackward) (opKernel, error) {
	ops := operands{p: p}
	dy, dx := ops.in(o.DY, "DY"), ops.in(o.DX, "DX")
	if ops.err != nil {
		return nil, ops.err
	}
	f := o.Op
	return p.single("augment_transform_backward", elemWG, transformPush(f), p.groups(p.plan.Batch*f.H*f.W*f.C, elemWG), dy, dx)
}

// transformPush is the push-constant block of augment.glsl.
func transformPush(o tensor.Transform2D) vk.Push {
	a, b, c, d := o.HeightLo, o.HeightHi, o.WidthLo, o.WidthHi
	if o.Kind == tensor.AugmentFixed {
		// The fixed transform is computed once here, as cpuref computes
		// it, and travels in the four factor slots.
		a, b, c, d = tensor.FixedTransform(o.H, o.W, o.OH, o.OW)
	}
	same := uint32(0)
	if o.SameZoom {
		same = 1
	}
	return vk.Push{}.Uint32(u32(o.H)).Uint32(u32(o.W)).Uint32(u32(o.C)).Uint32(u32(o.OH)).Uint32(u32(o.OW)).
		Uint32(uint32(o.Kind)).Uint32(uint32(o.Interp)).Uint32(uint32(o.Fill)).Uint32(o.Salt).Uint32(same).
		Float32(a).Float32(b).Float32(c).Float32(d).Float32(o.FillValue)
}

func bindRandomContrast2D(p *program, o tensor.RandomContrast2D) (opKernel, error) {
	ops := operands{p: p}
	x, y := ops.in(o.X, "X"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Pixels)).Uint32(u32(o.C)).Uint32(o.Salt).
		Float32(o.Lo).Float32(o.Hi).Float32(o.Min).Float32(o.Max)
	return p.single("augment_contrast", elemWG, push, p.groups(p.plan.Batch*o.C, elemWG), x, y)
}

func bindRandomContrast2DBackward(p *program, o tensor.RandomContrast2DBackward) (opKernel, error) {
	ops := operands{p: p}
	x, dy, dx := ops.in(o.X, "X"), ops.in(o.DY, "DY"), ops.in(o.DX, "DX")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Pixels)).Uint32(u32(o.C)).Uint32(o.Salt).
		Float32(o.Lo).Float32(o.Hi).Float32(o.Min).Float32(o.Max)
	return p.single("augment_contrast_backward", elemWG, push, p.groups(p.plan.Batch*o.C, elemWG), x, dy, dx)
}

func bindRescale(p *program, o tensor.Rescale) (opKernel, error) {
	ops := operands{p: p}
	x, y := ops.in(o.X, "X"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Size)).Float32(o.Scale).Float32(o.Offset)
	return p.single("rescale", elemWG, push, p.groups(p.plan.Batch*o.Size, elemWG), x, y)
}

// bindNormalize binds Normalize (mean set) or NormalizeBackward (mean
// NoBuffer: the shader skips the subtraction).
func bindNormalize(p *program, in, out, mean, variance tensor.BufferID, size, width, inner int) (opKernel, error) {
	ops := operands{p: p}
	src, dst, v := ops.in(in, "input"), ops.in(out, "output"), ops.in(variance, "Variance")
	m, withMean := v, uint32(0)
	if mean != tensor.NoBuffer {
		m, withMean = ops.in(mean, "Mean"), 1
	}
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(size)).Uint32(u32(width)).Uint32(u32(inner)).Uint32(withMean)
	return p.single("normalize", elemWG, push, p.groups(p.plan.Batch*size, elemWG), src, m, v, dst)
}
