package gpu

import (
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestRegularizeParity runs L1, L2 and L1L2 penalties (one without a
// gradient, as the Eval routine has) over weights of sizes around the
// workgroup size and a large one, two steps with a short last batch,
// against cpuref. Tolerance: selftest.RegularizeTol.
func TestRegularizeParity(t *testing.T) {
	b := openBackend(t)
	p := tensor.NewPlan(4)
	loss := p.AddBuffer("loss_sum", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	for _, c := range []struct {
		n      int
		l1, l2 float32
		grad   bool
	}{{1, 0.01, 0, true}, {65, 0, 0.01, true}, {1000, 0.01, 0.01, true}, {70_000, 0.002, 0.3, true}, {300, 0.01, 0.01, false}} {
		w := p.AddBuffer("w", tensor.ParamBuffer, false, tensor.Shape{c.n})
		g := tensor.NoBuffer
		if c.grad {
			g = p.AddBuffer("g", tensor.GradientBuffer, false, tensor.Shape{c.n})
		}
		p.Emit(tensor.Train, tensor.Regularize{Param: w, Grad: g, LossSum: loss, Size: c.n, L1: c.l1, L2: c.l2})
	}
	args := []tensor.StepArgs{{Rows: 4, Step: 1}, {Rows: 3, Step: 2}}
	cpu, gpu := parityRun{plan: p, steps: args}.run(t, b)
	compare(t, p, cpu, gpu, selftest.RegularizeTol, nil)
}
