package cpuref

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestBatchNormMoments checks the per-channel mean and M2 against float64,
// on every bnCases shape (the last spans several reduction chunks, which
// are combined by Chan's formula).
func TestBatchNormMoments(t *testing.T) {
	for i, bc := range bnCases {
		t.Run(fmt.Sprintf("%+v", bc), func(t *testing.T) {
			b := newBNRig(t, bc.outer, bc.c, bc.batch)
			mom := b.fixed("moments", 2*bc.c)
			b.emit(tensor.BatchNormMoments{X: b.x, Moments: mom, Outer: bc.outer, C: bc.c})
			b.compile()
			// A mean of ~3 and a spread of ~0.6, as TestBatchNormTrain.
			xv := uniform(newRand(uint64(1500+i)), b.plan.Elems(b.x), 2, 4)
			b.write(b.x, xv)
			b.run(bc.rows)
			n := bc.rows * bc.outer * bc.c
			_, mean, variance := refBN(f64(xv[:n]), make([]float64, bc.c), make([]float64, bc.c), bc.c, 1)
			want := make([]float64, 2*bc.c)
			for c := range mean {
				want[2*c], want[2*c+1] = mean[c], variance[c]*float64(bc.rows*bc.outer)
			}
			// Accumulated in float64 and rounded once.
			checkClose(t, "Moments", b.read(mom), want, fwdTol)
		})
	}
}

// TestBatchNormApply checks the normalisation with given statistics and
// the moving-average update against float64.
func TestBatchNormApply(t *testing.T) {
	for i, bc := range bnCases {
		t.Run(fmt.Sprintf("%+v", bc), func(t *testing.T) {
			b := newBNRig(t, bc.outer, bc.c, bc.batch)
			bvar := b.fixed("batchvar", bc.c)
			b.emit(tensor.BatchNormApply{X: b.x, Gamma: b.gamma, Beta: b.beta, Mean: b.mean, InvStd: b.invstd,
				BatchVar: bvar, MovingMean: b.mm, MovingVar: b.mv, Y: b.y, Outer: bc.outer, C: bc.c, Momentum: 0.9})
			b.compile()
			rng := newRand(uint64(1600 + i))
			xv := uniform(rng, b.plan.Elems(b.x), -2, 2)
			vals := map[tensor.BufferID][]float32{b.x: xv, b.gamma: uniform(rng, bc.c, 0.5, 1.5),
				b.beta: uniform(rng, bc.c, -1, 1), b.mean: uniform(rng, bc.c, -1, 1), b.invstd: uniform(rng, bc.c, 0.5, 2),
				bvar: uniform(rng, bc.c, 0.2, 2), b.mm: uniform(rng, bc.c, -1, 1), b.mv: uniform(rng, bc.c, 0.5, 2)}
			for id, v := range vals {
				b.write(id, v)
			}
			b.fillSentinel(b.y)
			b.run(bc.rows)
			n := bc.rows * bc.outer * bc.c
			y := make([]float64, n)
			for k := range y {
				c := k % bc.c
				y[k] = float64(vals[b.gamma][c])*(float64(xv[k])-float64(vals[b.mean][c]))*float64(vals[b.invstd][c]) +
					float64(vals[b.beta][c])
			}
			mm, mv := make([]float64, bc.c), make([]float64, bc.c)
			for c := range mm {
				mm[c] = float64(vals[b.mm][c])*0.9 + float64(vals[b.mean][c])*0.1
				mv[c] = float64(vals[b.mv][c])*0.9 + float64(vals[bvar][c])*0.1
			}
			// A few float32 operations on values of size ~2.
			checkClose(t, "Y", b.read(b.y), y, fwdTol)
			checkClose(t, "MovingMean", b.read(b.mm), mm, fwdTol)
			checkClose(t, "MovingVar", b.read(b.mv), mv, fwdTol)
			b.untouched(b.y, n)
		})
	}
}

// TestBatchNormSplitBackward runs BatchNormTrain, then BatchNormBackSums
// and BatchNormBackApply reading the sums BackSums wrote (what one
// replica's ExchangeBNGradSums gives: n·S/n = S), and checks dX, dGamma
// and dBeta against central differences through the batch statistics, as
// TestBatchNormBackward checks the fused op. The last case spans several
// reduction chunks.
func TestBatchNormSplitBackward(t *testing.T) {
	cases := append(bnCases[:4:4], struct{ outer, c, batch, rows int }{100, 3, 61, 60})
	for i, bc := range cases {
		t.Run(fmt.Sprintf("%+v", bc), func(t *testing.T) {
			b := newBNRig(t, bc.outer, bc.c, bc.batch)
			dy, dx := b.batched("dy", bc.outer*bc.c), b.batched("dx", bc.outer*bc.c)
			dg, db := b.fixed("dgamma", bc.c), b.fixed("dbeta", bc.c)
			b.emit(b.train(bc.outer, bc.c, false),
				tensor.BatchNormBackSums{X: b.x, DY: dy, Mean: b.mean, InvStd: b.invstd, DGamma: dg, DBeta: db,
					Outer: bc.outer, C: bc.c},
				tensor.BatchNormBackApply{X: b.x, DY: dy, Gamma: b.gamma, Mean: b.mean, InvStd: b.invstd,
					SumDY: db, SumDYXh: dg, DX: dx, Outer: bc.outer, C: bc.c})
			b.compile()
			n := bc.rows * bc.outer * bc.c
			fd := b.runBackward(uint64(1700+i), bc.c, bc.rows, n, dy, dx)
			// As TestBatchNormBackward: dX's terms nearly cancel with two
			// elements per channel, hence 1e-4; with many they do not.
			fd.checkDXAt(t, b.read(dx), []int{0, n / 3, n / 2, n - 1}, 1e-4)
			fd.checkParams(t, b, dg, db)
			b.untouched(dx, n)
		})
	}
}

// TestBatchNormBackApplyGivenSums checks DX with arbitrary given sums (as
// an exchange writes them) against the float64 formula.
func TestBatchNormBackApplyGivenSums(t *testing.T) {
	const outer, c, batch, rows = 9, 3, 4, 3
	b := newBNRig(t, outer, c, batch)
	dy, dx := b.batched("dy", outer*c), b.batched("dx", outer*c)
	sdy, sdxh := b.fixed("sdy", c), b.fixed("sdxh", c)
	b.emit(tensor.BatchNormBackApply{X: b.x, DY: dy, Gamma: b.gamma, Mean: b.mean, InvStd: b.invstd,
		SumDY: sdy, SumDYXh: sdxh, DX: dx, Outer: outer, C: c})
	b.compile()
	rng := newRand(1800)
	vals := map[tensor.BufferID][]float32{b.x: uniform(rng, b.plan.Elems(b.x), -1, 1), dy: uniform(rng, b.plan.Elems(dy), -1, 1),
		b.gamma: uniform(rng, c, 0.5, 1.5), b.mean: uniform(rng, c, -0.5, 0.5), b.invstd: uniform(rng, c, 0.5, 2),
		sdy: uniform(rng, c, -3, 3), sdxh: uniform(rng, c, -3, 3)}
	for id, v := range vals {
		b.write(id, v)
	}
	b.fillSentinel(dx)
	b.run(rows)
	n, m := rows*outer*c, float64(rows*outer)
	want := make([]float64, n)
	f := func(id tensor.BufferID, i int) float64 { return float64(vals[id][i]) }
	for i := range want {
		ch := i % c
		xh := (f(b.x, i) - f(b.mean, ch)) * f(b.invstd, ch)
		want[i] = f(b.gamma, ch) * f(b.invstd, ch) * (f(dy, i) - f(sdy, ch)/m - xh*f(sdxh, ch)/m)
	}
	checkClose(t, "DX", b.read(dx), want, fwdTol) // a few float32 operations
	b.untouched(dx, n)
}
