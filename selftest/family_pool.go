package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// poolFamilies cover max and average pooling, forward and backward, on
// windows 1-5 with strides 1-3, valid and same.
func poolFamilies() []family {
	return []family{{name: "pool2d", build: poolCases(false)}, {name: "pool2d-backward", build: poolCases(true)}}
}

// poolTol: max pooling only selects, forward, and adds the same DY values
// in the same order backward, so it must match exactly. Average pooling
// sums a window in cpuref's order and multiplies by the reciprocal of the
// count, which Vulkan computes to within 2.5 ulp rather than correctly
// rounded, so it gets the bound of a sum of KH·KW terms (the magnitude run
// bounds the output, as the inputs' absolute values only grow each sum).
func poolTol(kind tensor.PoolKind, g tensor.ConvGeom) func(int) Tol {
	if kind == tensor.MaxPool {
		return nil
	}
	return fixed(SumTol(g.KH * g.KW))
}

func poolCases(backward bool) func(r *rand.Rand) []*opCase {
	return func(r *rand.Rand) []*opCase {
		batch, rows := batchRows(r)
		c := newCase(batch, rows...)
		n := 0
		for _, kind := range []tensor.PoolKind{tensor.MaxPool, tensor.AvgPool} {
			for i, g := range convGeoms(r, false) {
				desc := fmt.Sprintf("%s %s", poolName(kind), geomName(g))
				p := fmt.Sprintf("pool%d.%d ", kind, i)
				x := c.buf(p+"X", tensor.ActivationBuffer, true, g.H, g.W, g.C)
				if backward {
					c.emit(desc, tensor.Pool2DBackward{Kind: kind, Geom: g, X: x,
						DY: c.buf(p+"DY", tensor.GradientBuffer, true, g.OH, g.OW, g.C),
						DX: c.buf(p+"DX", tensor.GradientBuffer, true, g.H, g.W, g.C)}, poolTol(kind, g))
				} else {
					c.emit(desc, tensor.Pool2D{Kind: kind, Geom: g, X: x,
						Y: c.buf(p+"Y", tensor.ActivationBuffer, true, g.OH, g.OW, g.C)}, poolTol(kind, g))
				}
				n++
			}
		}
		c.name = fmt.Sprintf("%d poolings", n)
		return []*opCase{c}
	}
}

func poolName(k tensor.PoolKind) string {
	if k == tensor.MaxPool {
		return "max"
	}
	return "avg"
}
