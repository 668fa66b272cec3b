package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// bindUpSample binds UpSample2D (back false: small is X, big is Y) or
// UpSample2DBackward (back true: small is DX, big is DY). Shaders:
// upsample2d, upsample2d_backward; one invocation per element of the
// output, so no atomics.
func bindUpSample(p *program, smallID, bigID tensor.BufferID, h, w, c, sh, sw int, back bool) (opKernel, error) {
	if err := positive("H, W, C, SH, SW", h, w, c, sh, sw); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	small, big := ops.in(smallID, "the small image"), ops.in(bigID, "the large image")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(h)).Uint32(u32(w)).Uint32(u32(c)).Uint32(u32(sh)).Uint32(u32(sw))
	n := p.plan.Batch * h * w * c
	if back {
		return p.single("upsample2d_backward", elemWG, push, p.groups(n, elemWG), big, small)
	}
	return p.single("upsample2d", elemWG, push, p.groups(n*sh*sw, elemWG), small, big)
}
