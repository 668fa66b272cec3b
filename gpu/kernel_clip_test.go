package gpu

import (
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestClipParity clips four gradients (sizes around the workgroup size and
// one large enough for many strided shares per invocation) by each mode,
// with limits below and above their norms, against cpuref.
// Tolerance: selftest.ClipTol.
func TestClipParity(t *testing.T) {
	b := openBackend(t)
	sizes := []int{1, 65, 1000, 70_000}
	for _, mode := range []tensor.ClipMode{tensor.ClipByValue, tensor.ClipByNorm, tensor.ClipByGlobalNorm} {
		for _, c := range []float32{0.3, 1e3} {
			p := tensor.NewPlan(1)
			norms := p.AddBuffer("norms", tensor.StateBuffer, false, tensor.Shape{len(sizes)})
			var grads []tensor.BufferID
			for i, n := range sizes {
				g := p.AddBuffer("grad", tensor.GradientBuffer, false, tensor.Shape{n})
				grads = append(grads, g)
				if mode != tensor.ClipByValue {
					p.Emit(tensor.Train, tensor.SumSquares{X: g, Size: n, Out: norms, Index: i, Count: len(sizes)})
				}
			}
			for i, n := range sizes {
				p.Emit(tensor.Train, tensor.ClipGradient{Grad: grads[i], Size: n, Mode: mode, Limit: c, Norms: norms,
					Index: i, Count: len(sizes)})
			}
			cpu, gpu := parityRun{plan: p, steps: steps(1, 1)}.run(t, b)
			compare(t, p, cpu, gpu, selftest.ClipTol, nil)
		}
	}
}
