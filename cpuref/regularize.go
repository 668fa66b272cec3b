package cpuref

import (
	"github.com/anvil-ml/anvil/tensor"
)

// regularize is a bound tensor.Regularize. The sums Σ|w| and Σw²
// accumulate in float64 per chunk and add in chunk order; the gradient
// term is float32, l1·sign(w) + (2·l2)·w, as the shader computes it.
type regularize struct {
	op                tensor.Regularize
	param, grad, loss []float32
	abs, sq           []float64
}

func (p *program) bindRegularize(o tensor.Regularize) (kernel, error) {
	bs, err := p.need(idRole{o.Param, "Param"}, idRole{o.LossSum, "LossSum"})
	if err != nil {
		return nil, err
	}
	n := numChunks(o.Size, elemChunk)
	k := &regularize{op: o, param: bs[0], loss: bs[1], abs: make([]float64, n), sq: make([]float64, n)}
	if o.Grad != tensor.NoBuffer {
		k.grad = p.bufs[o.Grad]
	}
	return k, nil
}

func (k *regularize) run(a *tensor.StepArgs) {
	l1, l2x2 := k.op.L1, 2*k.op.L2
	parallelFor(len(k.abs), func(i int) {
		lo, hi := chunkBounds(i, k.op.Size, elemChunk)
		var sa, sq float64
		for j, w := range k.param[lo:hi] {
			sa += abs64(float64(w))
			sq += float64(w) * float64(w)
			if k.grad != nil {
				k.grad[lo+j] += l1*sign32(w) + l2x2*w
			}
		}
		k.abs[i], k.sq[i] = sa, sq
	})
	var sa, sq float64
	for i := range k.abs {
		sa += k.abs[i]
		sq += k.sq[i]
	}
	penalty := float32(float64(k.op.L1)*sa + float64(k.op.L2)*sq)
	k.loss[0] += float32(a.Rows) * penalty
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// sign32 is −1, 0 or 1 (the gradient of |w|, 0 at 0 as Keras's is).
func sign32(x float32) float32 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
