package cpuref

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// refBN normalises x (positions × c) with its own statistics in float64 and
// returns y, the mean and the biased variance.
func refBN(x, gamma, beta []float64, c int, eps float64) (y, mean, variance []float64) {
	m := len(x) / c
	mean, variance = make([]float64, c), make([]float64, c)
	for i, v := range x {
		mean[i%c] += v / float64(m)
	}
	for i, v := range x {
		d := v - mean[i%c]
		variance[i%c] += d * d / float64(m)
	}
	y = make([]float64, len(x))
	for i, v := range x {
		j := i % c
		y[i] = gamma[j]*(v-mean[j])/math.Sqrt(variance[j]+eps) + beta[j]
	}
	return y, mean, variance
}

// bnCases: Outer positions per sample, channels, batch, rows. The one
// before last has a single position, where the unbiased moving variance
// must fall back to the biased one (0); the last spans several reduction
// chunks.
var bnCases = []struct{ outer, c, batch, rows int }{
	{1, 1, 3, 2},
	{1, 7, 5, 5},
	{9, 3, 3, 2},
	{25, 4, 1, 1},
	{1, 2, 3, 1},
	{61, 11, 37, 33},
}

type bnRig struct {
	*rig
	x, gamma, beta, mm, mv, y, mean, invstd tensor.BufferID
}

func newBNRig(t *testing.T, outer, c, batch int) *bnRig {
	r := newRig(t, batch)
	return &bnRig{rig: r, x: r.batched("x", outer*c), gamma: r.fixed("gamma", c), beta: r.fixed("beta", c),
		mm: r.fixed("mm", c), mv: r.fixed("mv", c), y: r.batched("y", outer*c),
		mean: r.fixed("mean", c), invstd: r.fixed("invstd", c)}
}

func (b *bnRig) train(outer, c int, unbiased bool) tensor.BatchNormTrain {
	return tensor.BatchNormTrain{X: b.x, Gamma: b.gamma, Beta: b.beta, MovingMean: b.mm, MovingVar: b.mv,
		Y: b.y, Mean: b.mean, InvStd: b.invstd, Outer: outer, C: c, Momentum: 0.99, Epsilon: 1e-3,
		UnbiasedMovingVar: unbiased}
}

func TestBatchNormTrain(t *testing.T) {
	for i, bc := range bnCases {
		for _, unbiased := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/unbiased=%v", bc, unbiased), func(t *testing.T) {
				b := newBNRig(t, bc.outer, bc.c, bc.batch)
				b.emit(b.train(bc.outer, bc.c, unbiased))
				b.compile()
				rng := newRand(uint64(1200 + i))
				n := bc.rows * bc.outer * bc.c
				// A mean of ~3 with a spread of ~0.6 would lose digits to
				// cancellation in a one-pass E[x²]−E[x]² variance.
				xv := uniform(rng, b.plan.Elems(b.x), 2, 4)
				gv, bv := uniform(rng, bc.c, 0.5, 1.5), uniform(rng, bc.c, -1, 1)
				mmv, mvv := uniform(rng, bc.c, -1, 1), uniform(rng, bc.c, 0.5, 2)
				for id, v := range map[tensor.BufferID][]float32{b.x: xv, b.gamma: gv, b.beta: bv, b.mm: mmv, b.mv: mvv} {
					b.write(id, v)
				}
				b.fillSentinel(b.y)
				b.run(bc.rows)

				y, mean, variance := refBN(f64(xv[:n]), f64(gv), f64(bv), bc.c, float64(float32(1e-3)))
				m := float64(bc.rows * bc.outer)
				invstd, wantMM, wantMV := make([]float64, bc.c), make([]float64, bc.c), make([]float64, bc.c)
				for j := range invstd {
					invstd[j] = 1 / math.Sqrt(variance[j]+float64(float32(1e-3)))
					v := variance[j]
					if unbiased && m > 1 {
						v *= m / (m - 1)
					}
					wantMM[j] = float64(mmv[j])*0.99 + mean[j]*0.01
					wantMV[j] = float64(mvv[j])*0.99 + v*0.01
				}
				// Statistics are accumulated in float64 and rounded once; y
				// takes a few float32 operations on values of size ~3.
				checkClose(t, "Y", b.read(b.y), y, fwdTol)
				checkClose(t, "Mean", b.read(b.mean), mean, fwdTol)
				checkClose(t, "InvStd", b.read(b.invstd), invstd, fwdTol)
				checkClose(t, "MovingMean", b.read(b.mm), wantMM, fwdTol)
				checkClose(t, "MovingVar", b.read(b.mv), wantMV, fwdTol)
				b.untouched(b.y, n)
			})
		}
	}
}

func TestBatchNormInfer(t *testing.T) {
	for i, bc := range bnCases {
		t.Run(fmt.Sprintf("%+v", bc), func(t *testing.T) {
			b := newBNRig(t, bc.outer, bc.c, bc.batch)
			b.emit(tensor.BatchNormInfer{X: b.x, Gamma: b.gamma, Beta: b.beta, MovingMean: b.mm, MovingVar: b.mv,
				Y: b.y, Outer: bc.outer, C: bc.c, Epsilon: 1e-3})
			b.compile()
			rng := newRand(uint64(1300 + i))
			n := bc.rows * bc.outer * bc.c
			xv := uniform(rng, b.plan.Elems(b.x), -2, 2)
			gv, bv := uniform(rng, bc.c, 0.5, 1.5), uniform(rng, bc.c, -1, 1)
			mmv, mvv := uniform(rng, bc.c, -1, 1), uniform(rng, bc.c, 0.5, 2)
			for id, v := range map[tensor.BufferID][]float32{b.x: xv, b.gamma: gv, b.beta: bv, b.mm: mmv, b.mv: mvv} {
				b.write(id, v)
			}
			b.fillSentinel(b.y)
			b.run(bc.rows)
			want := make([]float64, n)
			for k := range want {
				j := k % bc.c
				want[k] = float64(gv[j])*(float64(xv[k])-float64(mmv[j]))/math.Sqrt(float64(mvv[j])+float64(float32(1e-3))) + float64(bv[j])
			}
			checkClose(t, "Y", b.read(b.y), want, fwdTol) // a few float32 operations
			b.untouched(b.y, n)
			// Inference must leave the moving statistics alone.
			checkClose(t, "MovingMean", b.read(b.mm), f64(mmv), 0)
			checkClose(t, "MovingVar", b.read(b.mv), f64(mvv), 0)
		})
	}
}

// bnFD is a backward case's float64 inputs (the valid positions of X,
// γ and β) and its loss L = Σ R⊙BN(X), whose central differences the
// gradients are checked against.
type bnFD struct {
	x64, g64, b64 []float64
	loss          func() float64
}

// runBackward draws X and R (DY) in [−1, 1), γ in [0.5, 1.5) and β in
// [−1, 1) from seed, writes them, fills dx with sentinels and runs rows
// rows, of n valid elements in c channels.
func (b *bnRig) runBackward(seed uint64, c, rows, n int, dy, dx tensor.BufferID) bnFD {
	rng := newRand(seed)
	xv, rv := uniform(rng, b.plan.Elems(b.x), -1, 1), uniform(rng, b.plan.Elems(dy), -1, 1)
	gv, bv := uniform(rng, c, 0.5, 1.5), uniform(rng, c, -1, 1)
	for id, v := range map[tensor.BufferID][]float32{b.x: xv, dy: rv, b.gamma: gv, b.beta: bv} {
		b.write(id, v)
	}
	b.fillSentinel(dx)
	b.run(rows)
	x64, g64, b64, r64 := f64(xv[:n]), f64(gv), f64(bv), f64(rv[:n])
	loss := func() float64 {
		y, _, _ := refBN(x64, g64, b64, c, float64(float32(1e-3)))
		return dot(r64, y)
	}
	return bnFD{x64: x64, g64: g64, b64: b64, loss: loss}
}

// checkParams checks dGamma and dBeta within gradTol.
func (fd bnFD) checkParams(t *testing.T, b *bnRig, dg, db tensor.BufferID) {
	t.Helper()
	checkClose(t, "DGamma", b.read(dg), numGrad(fd.g64, fd.loss, fdEps), gradTol)
	checkClose(t, "DBeta", b.read(db), numGrad(fd.b64, fd.loss, fdEps), gradTol)
}

// checkDXAt checks dX (got) at the positions idx within tol.
func (fd bnFD) checkDXAt(t *testing.T, got []float32, idx []int, tol float64) {
	t.Helper()
	gotS, want := make([]float32, len(idx)), make([]float64, len(idx))
	for k, j := range idx {
		gotS[k], want[k] = got[j], numGrad(fd.x64[j:j+1], fd.loss, fdEps)[0]
	}
	checkClose(t, "DX", gotS, want, tol)
}

// TestBatchNormBackward checks dX, dGamma and dBeta against central
// differences of L = Σ R⊙BN(X) through the batch statistics.
func TestBatchNormBackward(t *testing.T) {
	for i, bc := range bnCases[:4] {
		t.Run(fmt.Sprintf("%+v", bc), func(t *testing.T) {
			b := newBNRig(t, bc.outer, bc.c, bc.batch)
			dy, dx := b.batched("dy", bc.outer*bc.c), b.batched("dx", bc.outer*bc.c)
			dg, db := b.fixed("dgamma", bc.c), b.fixed("dbeta", bc.c)
			b.emit(b.train(bc.outer, bc.c, false), tensor.BatchNormBackward{X: b.x, DY: dy, Gamma: b.gamma,
				Mean: b.mean, InvStd: b.invstd, DX: dx, DGamma: dg, DBeta: db, Outer: bc.outer, C: bc.c})
			b.compile()
			n := bc.rows * bc.outer * bc.c
			fd := b.runBackward(uint64(1400+i), bc.c, bc.rows, n, dy, dx)
			// dX = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)) is a difference of
			// nearly equal terms: with two elements per channel the exact
			// result almost vanishes while the terms are ~30, and float32
			// cancellation leaves ~1e-6 of the terms. Hence a looser bound.
			checkClose(t, "DX", b.read(dx), numGrad(fd.x64, fd.loss, fdEps), 1e-4)
			fd.checkParams(t, b, dg, db)
			b.untouched(dx, n)
		})
	}
}

// TestBatchNormBackwardChunks runs the backward over 4 reduction chunks
// (17,000 positions of 3 channels; a chunk holds posChunk(3) = 5461), the
// last one partial, where the small cases above fit in one. dGamma and
// dBeta are sums over every chunk; dX is checked at a sample of positions
// spread over all of them (central differences at every one of 51,000
// would take minutes).
func TestBatchNormBackwardChunks(t *testing.T) {
	const outer, c, batch, rows = 100, 3, 171, 170
	if n := numChunks(rows*outer, posChunk(c)); n != 4 {
		t.Fatalf("the case spans %d chunks, want 4: adjust it to the chunk size", n)
	}
	b := newBNRig(t, outer, c, batch)
	dy, dx := b.batched("dy", outer*c), b.batched("dx", outer*c)
	dg, db := b.fixed("dgamma", c), b.fixed("dbeta", c)
	b.emit(b.train(outer, c, false), tensor.BatchNormBackward{X: b.x, DY: dy, Gamma: b.gamma,
		Mean: b.mean, InvStd: b.invstd, DX: dx, DGamma: dg, DBeta: db, Outer: outer, C: c})
	b.compile()
	n := rows * outer * c
	fd := b.runBackward(1450, c, rows, n, dy, dx)
	// dGamma and dBeta are sums of 17,000 terms accumulated in float64 per
	// chunk and rounded once: measured within 2e-8 of the scale (one
	// float32 ulp); gradTol leaves a wide margin, and a dropped chunk moves
	// them by a quarter or more.
	fd.checkParams(t, b, dg, db)
	var idx []int
	for i := 7; i < n; i += n / 40 {
		idx = append(idx, i)
	}
	// With 17,000 positions per channel the terms of dX do not cancel as
	// they do in the two-position cases above: measured within 1e-7.
	fd.checkDXAt(t, b.read(dx), idx, gradTol)
}
