package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// clipFamilies: gradient clipping by value, by each gradient's norm and by
// the global norm, over three gradients of random sizes with the norms of
// SumSquares kept on the device, every written buffer within ClipTol.
func clipFamilies() []family {
	return []family{{name: "clip", build: clipCases}}
}

func clipCases(r *rand.Rand) []*opCase {
	var cs []*opCase
	for _, mode := range []tensor.ClipMode{tensor.ClipByValue, tensor.ClipByNorm, tensor.ClipByGlobalNorm} {
		c := newCase(1, 1)
		c.name = "clip"
		sizes := []int{between(r, 1, 300), between(r, 1, 3000), between(r, 1, 30_000)}
		limit := float32(0.5 + 20*r.Float64()) // below or above the norms, by the draw
		norms := c.buf("norms", tensor.StateBuffer, false, len(sizes))
		var grads []tensor.BufferID
		for i, n := range sizes {
			g := c.buf(fmt.Sprintf("grad %d", i), tensor.GradientBuffer, false, n)
			grads = append(grads, g)
			if mode != tensor.ClipByValue {
				c.emit(fmt.Sprintf("SumSquares size %d", n), tensor.SumSquares{X: g, Size: n, Out: norms, Index: i,
					Count: len(sizes)}, fixed(ClipTol))
			}
		}
		for i, n := range sizes {
			c.emit(fmt.Sprintf("ClipGradient mode %d limit %.3g size %d", mode, limit, n), tensor.ClipGradient{Grad: grads[i],
				Size: n, Mode: mode, Limit: limit, Norms: norms, Index: i, Count: len(sizes)}, fixed(ClipTol))
		}
		cs = append(cs, c)
	}
	return cs
}
