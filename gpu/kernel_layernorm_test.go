package gpu

import (
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestLayerNormAndUpSampleParity runs the three layer-normalization ops against
// cpuref within selftest.LayerNormTol (float32 serial sums on the GPU,
// float64 in cpuref), and UpSample2D with its backward, which copy and add
// in the same order on both backends: bit-identical.
func TestLayerNormAndUpSampleParity(t *testing.T) {
	b := openBackend(t)
	const outer, c, h, w, sh, sw = 4, 37, 3, 5, 2, 3
	for _, s := range shapes {
		t.Run(shapeName(s.batch, s.rows), func(t *testing.T) {
			p := tensor.NewPlan(s.batch)
			x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			g := p.AddBuffer("gamma", tensor.ParamBuffer, false, tensor.Shape{c})
			be := p.AddBuffer("beta", tensor.ParamBuffer, false, tensor.Shape{c})
			y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{outer, c})
			st := p.AddBuffer("stats", tensor.ActivationBuffer, true, tensor.Shape{outer, 2})
			dy := p.AddBuffer("dy", tensor.GradientBuffer, true, tensor.Shape{outer, c})
			dx := p.AddBuffer("dx", tensor.GradientBuffer, true, tensor.Shape{outer, c})
			dg := p.AddBuffer("dgamma", tensor.GradientBuffer, false, tensor.Shape{c})
			db := p.AddBuffer("dbeta", tensor.GradientBuffer, false, tensor.Shape{c})
			small := p.AddBuffer("small", tensor.ActivationBuffer, true, tensor.Shape{h, w, c})
			big := p.AddBuffer("big", tensor.ActivationBuffer, true, tensor.Shape{h * sh, w * sw, c})
			dbig := p.AddBuffer("dbig", tensor.GradientBuffer, true, tensor.Shape{h * sh, w * sw, c})
			dsmall := p.AddBuffer("dsmall", tensor.GradientBuffer, true, tensor.Shape{h, w, c})
			p.Emit(tensor.Train, tensor.LayerNorm{X: x, Gamma: g, Beta: be, Y: y, Stats: st, Outer: outer, C: c, Epsilon: 1e-3})
			p.Emit(tensor.Train, tensor.LayerNormBackward{X: x, Stats: st, Gamma: g, DY: dy, DX: dx, Outer: outer, C: c})
			p.Emit(tensor.Train, tensor.LayerNormParamGrad{X: x, Stats: st, DY: dy, DGamma: dg, DBeta: db, Outer: outer, C: c})
			p.Emit(tensor.Train, tensor.UpSample2D{X: small, Y: big, H: h, W: w, C: c, SH: sh, SW: sw})
			p.Emit(tensor.Train, tensor.UpSample2DBackward{DY: dbig, DX: dsmall, H: h, W: w, C: c, SH: sh, SW: sw})
			cpu, gpu := parityRun{plan: p, steps: steps(2, s.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, map[tensor.BufferID]tol{
				y: selftest.LayerNormTol(c, c), st: selftest.LayerNormTol(c, c), dx: selftest.LayerNormTol(c, 4*c),
				dg: selftest.LayerNormTol(c, 2*s.rows*outer), db: selftest.LayerNormTol(c, 2*s.rows*outer)})
		})
	}
}
