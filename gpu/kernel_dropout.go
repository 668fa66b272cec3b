package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The dropout family: Dropout and DropoutBackward. Shader: dropout.

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
	ops := operands{p: p}
	src, dst := ops.in(in, "input"), ops.in(out, "output")
	if ops.err != nil {
		return nil, ops.err
	}
	// The scale is rounded to float32 here exactly as cpuref rounds it, so
	// kept elements come out bit-identical (a float32 product is correctly
	// rounded in SPIR-V; a division in the shader would not be).
	scale := 1 / (1 - rate)
	push := vk.Push{}.Uint32(u32(size)).Uint32(salt).Float32(rate).Float32(scale)
	return p.single("dropout", elemWG, push, p.groups(p.plan.Batch*size, elemWG), src, dst)
}
