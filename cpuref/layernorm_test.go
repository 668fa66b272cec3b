package cpuref

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// layerNormRef is Keras's LayerNormalization over the last axis, in
// float64: y = γ·(x−mean)/√(var+ε) + β with the biased variance, for
// each run of c values.
func layerNormRef(x, gamma, beta []float64, c int, eps float64) []float64 {
	y := make([]float64, len(x))
	for p := 0; p < len(x); p += c {
		mean, sq := 0.0, 0.0
		for i := range c {
			mean += x[p+i]
		}
		mean /= float64(c)
		for i := range c {
			sq += (x[p+i] - mean) * (x[p+i] - mean)
		}
		for i := range c {
			y[p+i] = gamma[i]*(x[p+i]-mean)/math.Sqrt(sq/float64(c)+eps) + beta[i]
		}
	}
	return y
}

// TestLayerNormAgainstReference runs LayerNorm and both backward ops on a
// partial batch (2 of 3 rows, Outer 2) and checks the output, the saved
// statistics and all three gradients against the float64 reference, the
// gradients by central differences of L = Σ dy·y. One position holds a
// constant row, where only ε keeps the variance from 0 (so a lost ε
// gives infinities there); the third row holds values that would spoil
// every sum if a kernel read past the rows it was given.
func TestLayerNormAgainstReference(t *testing.T) {
	const batch, rows, outer, c, eps = 3, 2, 2, 5, 1e-3
	r := newRig(t, batch)
	x, y, stats := r.batched("x", outer*c), r.batched("y", outer*c), r.batched("stats", 2*outer)
	dy, dx := r.batched("dy", outer*c), r.batched("dx", outer*c)
	gamma, beta, dgamma, dbeta := r.fixed("gamma", c), r.fixed("beta", c), r.fixed("dgamma", c), r.fixed("dbeta", c)
	r.emit(tensor.LayerNorm{X: x, Gamma: gamma, Beta: beta, Y: y, Stats: stats, Outer: outer, C: c, Epsilon: eps},
		tensor.LayerNormBackward{X: x, Stats: stats, Gamma: gamma, DY: dy, DX: dx, Outer: outer, C: c},
		tensor.LayerNormParamGrad{X: x, Stats: stats, DY: dy, DGamma: dgamma, DBeta: dbeta, Outer: outer, C: c})
	r.compile()
	n := rows * outer * c
	xv := append(uniform(newRand(1), n, -3, 3), fill(outer*c, 1e6)...)
	copy(xv[c:2*c], fill(c, 0.75)) // row 0, position 1: constant
	dv := append(uniform(newRand(2), n, -1, 1), fill(outer*c, 1e6)...)
	gv, bv := uniform(newRand(3), c, 0.5, 2), uniform(newRand(4), c, -1, 1)
	r.write(x, xv)
	r.write(dy, dv)
	r.write(gamma, gv)
	r.write(beta, bv)
	r.fillSentinel(y)
	r.fillSentinel(dx)
	r.run(rows)

	xs, ds, gs, bs := f64(xv[:n]), f64(dv[:n]), f64(gv), f64(bv)
	checkClose(t, "y", r.read(y), layerNormRef(xs, gs, bs, c, eps), 1e-6)
	r.untouched(y, n)
	r.untouched(dx, n)
	checkLayerNormStats(t, r.read(stats), xs, c, eps)

	// Central differences at h = 1e-5 err by ~h² times the third
	// derivative, ~1e-10: far below float32's rounding.
	loss := func() float64 { return dot(ds, layerNormRef(xs, gs, bs, c, eps)) }
	checkClose(t, "dx", r.read(dx), numGrad(xs, loss, 1e-5), 1e-5)
	checkClose(t, "dgamma", r.read(dgamma), numGrad(gs, loss, 1e-5), 1e-5)
	checkClose(t, "dbeta", r.read(dbeta), numGrad(bs, loss, 1e-5), 1e-5)
}

// checkLayerNormStats checks the saved mean and 1/√(var+ε) of each
// position, which the backward ops read instead of recomputing them.
func checkLayerNormStats(t *testing.T, got []float32, x []float64, c int, eps float64) {
	t.Helper()
	want := make([]float64, 0, 2*len(x)/c)
	for p := 0; p < len(x); p += c {
		mean, sq := 0.0, 0.0
		for _, v := range x[p : p+c] {
			mean += v / float64(c)
		}
		for _, v := range x[p : p+c] {
			sq += (v - mean) * (v - mean) / float64(c)
		}
		want = append(want, mean, 1/math.Sqrt(sq+eps))
	}
	checkClose(t, "stats", got, want, 1e-6)
}

// TestLayerNormKeepsPrecisionFarFromZero normalises values whose mean,
// 1e7+1.8, dwarfs their spread (0..4): the variance must come from the
// squared deviations from the mean, as the reference computes it. Forms
// that equal it only in exact arithmetic, such as Σ(x−m)(x+m) or
// Σx²/c − m², add 2m·Σ(x−m), where the rounding of m (spacing 2e-9
// near 1e7) leaves a residue of a few percent of the variance, 1.36.
func TestLayerNormKeepsPrecisionFarFromZero(t *testing.T) {
	const c, eps = 5, 1e-3
	r := newRig(t, 1)
	x, y, stats := r.batched("x", c), r.batched("y", c), r.batched("stats", 2)
	gamma, beta := r.fixed("gamma", c), r.fixed("beta", c)
	r.emit(tensor.LayerNorm{X: x, Gamma: gamma, Beta: beta, Y: y, Stats: stats, Outer: 1, C: c, Epsilon: eps})
	r.compile()
	xv := []float32{1e7 + 3, 1e7, 1e7 + 4, 1e7 + 1, 1e7 + 1} // exact in float32; the mean 1e7+1.8 is not in float64
	r.write(x, xv)
	r.write(gamma, fill(c, 1))
	r.write(beta, fill(c, 0))
	r.run(1)
	checkClose(t, "y", r.read(y), layerNormRef(f64(xv), fill64(c, 1), make([]float64, c), c, eps), 1e-6)
	checkLayerNormStats(t, r.read(stats), f64(xv), c, eps)
}

func fill64(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
