package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The mixed-precision family (tensor/ops_mixed.go): Cast, the loss-scaling
// ops, and the choice of the binary16 MatMul. Shaders: cast, cast_f16,
// loss_scale_apply, unscale_grad, copy_buffer, revert_if_found,
// loss_scale_update, and the _f16(_sg) variants of matmul and the three
// convolutions; the conversions in float16.glsl. Float16 buffers hold two
// bytes per value (VK_KHR_16bit_storage), written only by cast_f16 and read
// only by the _f16 products.

// needFloat16 fails on a device without 16-bit storage buffers.
func needFloat16(p *program, what string) error {
	if !p.dev.Info().Float16 {
		return fmt.Errorf("gpu: %s needs 16-bit storage buffers (VK_KHR_16bit_storage, shaderFloat16), which %s lacks; "+
			"train in float32 (without mixed precision) on this device", what, p.dev.Info().Name)
	}
	return nil
}

// matmulShader is the GEMM shader base name for o's operand types.
func matmulShader(p *program, o tensor.MatMul) (string, error) {
	if p.plan.Buffers[o.A].DType != tensor.Float16 {
		return "matmul", nil
	}
	return halfShader(p, "matmul", o.A), needFloat16(p, "a float16 MatMul")
}

// halfShader is base, or its _f16 variant when operand a (and so, by the
// plan's checks, the other operand) is Float16. Only a Cast writes
// Float16 and it fails on devices without 16-bit storage, so a plan whose
// convolutions read Float16 has failed to compile before it gets here.
func halfShader(p *program, base string, a tensor.BufferID) string {
	if p.plan.Buffers[a].DType == tensor.Float16 {
		return base + "_f16"
	}
	return base
}

// elemCount is the dispatch's item count and the push flag of a
// per-sample (batched) or whole-buffer operation.
func elemCount(p *program, size int, batched bool) (int, uint32) {
	if batched {
		return p.plan.Batch * size, 1
	}
	return size, 0
}

func bindCast(p *program, o tensor.Cast) (opKernel, error) {
	ops := operands{p: p}
	x, y := ops.in(o.X, "X"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	shader := "cast"
	if p.plan.Buffers[o.Y].DType == tensor.Float16 {
		shader = "cast_f16"
		if err := needFloat16(p, "a float16 Cast"); err != nil {
			return nil, err
		}
	}
	n, perSample := elemCount(p, o.Size, o.Batched)
	return p.single(shader, elemWG, vk.Push{}.Uint32(u32(o.Size)).Uint32(perSample), p.groups(n, elemWG), x, y)
}

func bindApplyLossScale(p *program, o tensor.ApplyLossScale) (opKernel, error) {
	ops := operands{p: p}
	x, s := ops.in(o.X, "X"), ops.in(o.LossScale, "LossScale")
	if ops.err != nil {
		return nil, ops.err
	}
	n, perSample := elemCount(p, o.Size, o.Batched)
	return p.single("loss_scale_apply", elemWG, vk.Push{}.Uint32(u32(o.Size)).Uint32(perSample), p.groups(n, elemWG), x, s)
}

func bindUnscaleGrad(p *program, o tensor.UnscaleGrad) (opKernel, error) {
	ops := operands{p: p}
	g, s, f := ops.in(o.Grad, "Grad"), ops.in(o.LossScale, "LossScale"), ops.in(o.Found, "Found")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("unscale_grad", elemWG, vk.Push{}.Uint32(u32(o.Size)), p.groups(o.Size, elemWG), g, s, f)
}

func bindCopyBuffer(p *program, o tensor.CopyBuffer) (opKernel, error) {
	ops := operands{p: p}
	x, y := ops.in(o.X, "X"), ops.in(o.Y, "Y")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("copy_buffer", elemWG, vk.Push{}.Uint32(u32(o.Size)), p.groups(o.Size, elemWG), x, y)
}

func bindRevertIfFound(p *program, o tensor.RevertIfFound) (opKernel, error) {
	ops := operands{p: p}
	b, y, f := ops.in(o.Backup, "Backup"), ops.in(o.Y, "Y"), ops.in(o.Found, "Found")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("revert_if_found", elemWG, vk.Push{}.Uint32(u32(o.Size)), p.groups(o.Size, elemWG), b, y, f)
}

func bindUpdateLossScale(p *program, o tensor.UpdateLossScale) (opKernel, error) {
	ops := operands{p: p}
	s, f := ops.in(o.LossScale, "LossScale"), ops.in(o.Found, "Found")
	if ops.err != nil {
		return nil, ops.err
	}
	return p.single("loss_scale_update", 1, vk.Push{}.Float32(float32(o.GrowthSteps)), 1, s, f)
}
