package selftest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// layerNormFamilies: forward, input gradient and weight gradients of
// layer normalization.
func layerNormFamilies() []family {
	return []family{{name: "layernorm", build: layerNormCases}}
}

// LayerNormTol is the tolerance of layer normalization's outputs on
// inputs in [-1, 1): the GPU sums a position's c values (or, for the
// weight gradients, `terms` positions' values) serially in float32 and
// divides by a square root Vulkan rounds to within a few ulp, cpuref sums
// in float64 and rounds once (Rel covers rstd, up to 1/√ε, to a few
// ulp). xhat reaches √c in magnitude, so each
// rounding of a sum of `terms` values is bounded by terms·ε·√c; 8 of those
// leave room for the mean, variance and rstd each carrying one.
func LayerNormTol(c, terms int) Tol {
	return Tol{Abs: 8 * float64(terms) * Eps32 * math.Sqrt(float64(c)), Rel: 16 * Eps32}
}

// layerNormCases: the three ops over random sizes, C from 1 (xhat 0).
func layerNormCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "layernorm"
	for i, ch := range []int{1, between(r, 2, 20), between(r, 30, 90)} {
		outer := between(r, 1, 12)
		p := fmt.Sprintf("ln%d ", i)
		x := c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch)
		gamma, beta := c.buf(p+"gamma", tensor.ParamBuffer, false, ch), c.buf(p+"beta", tensor.ParamBuffer, false, ch)
		stats := c.buf(p+"stats", tensor.ActivationBuffer, true, outer, 2)
		dy := c.buf(p+"DY", tensor.GradientBuffer, true, outer, ch)
		desc := fmt.Sprintf("outer %d channels %d", outer, ch)
		c.emit("LayerNorm "+desc, tensor.LayerNorm{X: x, Gamma: gamma, Beta: beta, Stats: stats,
			Y: c.buf(p+"Y", tensor.ActivationBuffer, true, outer, ch), Outer: outer, C: ch, Epsilon: 1e-3},
			fixed(LayerNormTol(ch, ch)))
		c.emit("LayerNormBackward "+desc, tensor.LayerNormBackward{X: x, Stats: stats, Gamma: gamma, DY: dy,
			DX: c.buf(p+"DX", tensor.GradientBuffer, true, outer, ch), Outer: outer, C: ch},
			fixed(LayerNormTol(ch, 4*ch)))
		c.emit("LayerNormParamGrad "+desc, tensor.LayerNormParamGrad{X: x, Stats: stats, DY: dy,
			DGamma: c.buf(p+"dgamma", tensor.GradientBuffer, false, ch),
			DBeta:  c.buf(p+"dbeta", tensor.GradientBuffer, false, ch), Outer: outer, C: ch},
			func(rows int) Tol { return LayerNormTol(ch, 2*rows*outer) })
	}
	return []*opCase{c}
}
