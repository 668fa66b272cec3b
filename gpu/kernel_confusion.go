package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The confusion family: ConfusionCounts. One dispatch of one workgroup per
// bin, each summing its counts in integers (exact, so parity with cpuref is
// exact). Its shared array holds 16 bytes per invocation, four times
// reduceWG's float, hence the smaller workgroup where shared memory is
// short. Shader: confusion.

func bindConfusion(p *program, o tensor.ConfusionCounts) (opKernel, error) {
	ops := operands{p: p}
	pred, target, counts := ops.in(o.Pred, "Pred"), ops.in(o.Target, "Target"), ops.in(o.Counts, "Counts")
	if ops.err != nil {
		return nil, ops.err
	}
	byMax := uint32(0)
	if o.ByMax {
		byMax = 1
	}
	push := vk.Push{}.Uint32(uint32(o.Mode)).Uint32(u32(o.Size)).Uint32(u32(max(o.Width, 1))).
		Uint32(u32(o.Bins)).Float32(o.Threshold).Uint32(byMax).Uint32(u32(max(o.K, 0)))
	wg := p.reduceWG()
	for wg > 1 && wg*16 > p.dev.Info().MaxSharedMemory {
		wg /= 2
	}
	return p.single("confusion", wg, push, p.groups(o.Bins, 1), pred, target, counts)
}
