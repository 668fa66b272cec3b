package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// regularizeFamilies: Keras's L1, L2 and L1L2 weight penalties over
// weights of random sizes, with the gradient (Train) and without (Eval),
// two steps with a short last batch, within RegularizeTol.
func regularizeFamilies() []family {
	return []family{{name: "regularize", build: regularizeCases}}
}

func regularizeCases(r *rand.Rand) []*opCase {
	c := newCase(4, 4, 2)
	c.name, c.steps = "regularize", 2
	loss := c.buf("loss_sum", tensor.AccumulatorBuffer, false, 1)
	for _, f := range []struct {
		l1, l2 float32
		grad   bool
	}{{0.01, 0, true}, {0, 0.01, true}, {0.01, 0.01, true}, {0.05, 0.2, false}} {
		n := between(r, 1, 20_000)
		w := c.buf("w", tensor.ParamBuffer, false, n)
		g := tensor.NoBuffer
		if f.grad {
			g = c.buf("g", tensor.GradientBuffer, false, n)
		}
		c.emit(fmt.Sprintf("Regularize l1 %v l2 %v size %d grad %v", f.l1, f.l2, n, f.grad),
			tensor.Regularize{Param: w, Grad: g, LossSum: loss, Size: n, L1: f.l1, L2: f.l2}, fixed(RegularizeTol))
	}
	return []*opCase{c}
}
