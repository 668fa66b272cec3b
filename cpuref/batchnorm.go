package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Batch statistics are reduced over positions (every valid sample times
// Outer) in fixed chunks. Each chunk writes its per-channel sums, in
// float64, to its own row of a partial table, and the rows are added in
// chunk order: the statistics are accurate and do not depend on scheduling.

// bnStats holds what training and backward share: the per-channel chunked
// reduction over the batch.
type bnStats struct {
	c, outer int
	total    int       // positions this step
	partial  []float64 // chunks × width·C
	sums     []float64 // width·C, the combined sums
}

func newBNStats(p *program, outer, c, width int) bnStats {
	chunks := numChunks(p.plan.Batch*outer, posChunk(c))
	return bnStats{c: c, outer: outer, partial: make([]float64, chunks*width*c), sums: make([]float64, width*c)}
}

func (s *bnStats) chunks() int { return numChunks(s.total, posChunk(s.c)) }

func (s *bnStats) bounds(i int) (lo, hi int) { return chunkBounds(i, s.total, posChunk(s.c)) }

// reduce runs fn over every chunk, then adds the partial rows in order.
func (s *bnStats) reduce(fn func(int)) {
	n := s.chunks()
	parallelFor(n, fn)
	w := len(s.sums)
	for j := range s.sums {
		t := 0.0
		for i := 0; i < n; i++ {
			t += s.partial[i*w+j]
		}
		s.sums[j] = t
	}
}

// bnMoments finds the per-channel mean and M2 (sum of squared deviations
// from the mean) of a batch: what BatchNormTrain and BatchNormMoments share.
type bnMoments struct {
	bnStats
	x       []float32
	mean64  []float64 // the mean; sums[:C] holds M2
	statsFn func(int)
}

func newBNMoments(p *program, x []float32, outer, c int) bnMoments {
	return bnMoments{bnStats: newBNStats(p, outer, c, 3), x: x, mean64: make([]float64, c)}
}

// bnTrain is a bound tensor.BatchNormTrain.
type bnTrain struct {
	bnMoments
	op                                   tensor.BatchNormTrain
	gamma, beta, mm, mv, y, mean, invstd []float32
	scale                                []float32
	applyFn                              func(int)
}

func (p *program) bindBNTrain(o tensor.BatchNormTrain) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Gamma, "Gamma"}, idRole{o.Beta, "Beta"},
		idRole{o.MovingMean, "MovingMean"}, idRole{o.MovingVar, "MovingVar"},
		idRole{o.Y, "Y"}, idRole{o.Mean, "Mean"}, idRole{o.InvStd, "InvStd"})
	if err != nil {
		return nil, err
	}
	k := &bnTrain{bnMoments: newBNMoments(p, bs[0], o.Outer, o.C), op: o,
		gamma: bs[1], beta: bs[2], mm: bs[3], mv: bs[4], y: bs[5], mean: bs[6], invstd: bs[7],
		scale: make([]float32, o.C)}
	k.statsFn, k.applyFn = k.statsChunk, k.applyChunk
	return k, nil
}

// moments finds the variance as Σ(x−mean)², not E[x²]−E[x]², which loses
// it to cancellation when |mean| ≫ std. Each chunk takes its deviations
// from its own mean, in a second pass over the chunk while it is still in
// cache, and the chunks are combined in order (Chan et al.): the batch is
// read once for the statistics.
func (k *bnMoments) moments(rows int) {
	k.total = rows * k.outer
	m := float64(k.total)
	n := k.chunks()
	parallelFor(n, k.statsFn)
	c3 := 3 * k.c
	for c := range k.mean64 {
		t := 0.0
		for i := 0; i < n; i++ {
			t += k.partial[i*c3+c]
		}
		k.mean64[c] = t / m
	}
	clear(k.sums[:k.c])
	for i := 0; i < n; i++ {
		lo, hi := k.bounds(i)
		cnt := float64(hi - lo)
		row := k.partial[i*c3 : (i+1)*c3]
		for c, m2 := range row[2*k.c:] {
			d := row[k.c+c] - k.mean64[c]
			k.sums[c] += m2 + cnt*d*d
		}
	}
}

// run normalises the batch with its moments (the batch is read once more).
func (k *bnTrain) run(a *tensor.StepArgs) {
	k.moments(a.Rows)
	m := float64(k.total)
	mom := k.op.Momentum
	for c := range k.mean64 {
		v := k.sums[c] / m
		inv := float32(1 / math.Sqrt(v+float64(k.op.Epsilon)))
		mean := float32(k.mean64[c])
		k.mean[c], k.invstd[c] = mean, inv
		k.scale[c] = k.gamma[c] * inv
		if k.op.UnbiasedMovingVar && k.total > 1 {
			// With one element the unbiased variance is undefined; the
			// biased one (0) is used instead of dividing by zero.
			v *= m / (m - 1)
		}
		k.mm[c] = k.mm[c]*mom + mean*(1-mom)
		k.mv[c] = k.mv[c]*mom + float32(v)*(1-mom)
	}
	parallelFor(k.chunks(), k.applyFn)
}

// statsChunk writes chunk i's per-channel sum, mean and sum of squared
// deviations from that mean to its row of the partial table.
func (k *bnMoments) statsChunk(i int) {
	lo, hi := k.bounds(i)
	row := k.partial[i*3*k.c : (i+1)*3*k.c]
	sum, mean, m2 := row[:k.c], row[k.c:2*k.c], row[2*k.c:]
	clear(sum)
	clear(m2)
	x := k.x[lo*k.c : hi*k.c]
	vSum64Rows(sum, x, k.c)
	cnt := float64(hi - lo)
	for c, t := range sum {
		mean[c] = t / cnt
	}
	vSqDev64Rows(m2, x, mean, k.c)
}

func (k *bnTrain) applyChunk(i int) {
	lo, hi := k.bounds(i)
	vAffineRows(k.y[lo*k.c:hi*k.c], k.x[lo*k.c:hi*k.c], k.mean, k.scale, k.beta, k.c)
}

// bnAffine writes y = (x − shift)·scale + beta per channel over the first
// total positions, in chunks run in parallel: the normalisation of
// BatchNormInfer and BatchNormApply, as bnTrain.applyChunk computes it.
type bnAffine struct {
	x, y, shift, scale, beta []float32
	c, total                 int
	fn                       func(int)
}

// bind sets the buffers and makes scale, of c channels.
func (a *bnAffine) bind(x, y, shift, beta []float32, c int) {
	a.x, a.y, a.shift, a.beta, a.c = x, y, shift, beta, c
	a.scale = make([]float32, c)
	a.fn = a.chunk
}

// affine normalises the first positions positions.
func (a *bnAffine) affine(positions int) {
	a.total = positions
	parallelFor(numChunks(a.total, posChunk(a.c)), a.fn)
}

func (a *bnAffine) chunk(i int) {
	c := a.c
	lo, hi := chunkBounds(i, a.total, posChunk(c))
	vAffineRows(a.y[lo*c:hi*c], a.x[lo*c:hi*c], a.shift, a.scale, a.beta, c)
}

// bnInfer is a bound tensor.BatchNormInfer.
type bnInfer struct {
	bnAffine
	op            tensor.BatchNormInfer
	gamma, mm, mv []float32
}

func (p *program) bindBNInfer(o tensor.BatchNormInfer) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Gamma, "Gamma"}, idRole{o.Beta, "Beta"},
		idRole{o.MovingMean, "MovingMean"}, idRole{o.MovingVar, "MovingVar"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &bnInfer{op: o, gamma: bs[1], mm: bs[3], mv: bs[4]}
	k.bind(bs[0], bs[5], k.mm, bs[2], o.C)
	return k, nil
}

func (k *bnInfer) run(a *tensor.StepArgs) {
	for c := range k.scale {
		k.scale[c] = float32(float64(k.gamma[c]) / math.Sqrt(float64(k.mv[c])+float64(k.op.Epsilon)))
	}
	k.affine(a.Rows * k.op.Outer)
}

// bnBackward is a bound tensor.BatchNormBackward.
type bnBackward struct {
	bnStats
	x, dy, gamma, mean, invstd, dx, dgamma, dbeta []float32
	coef, mdy, mdxh                               []float32
	sumFn, applyFn                                func(int)
}

func (p *program) bindBNBackward(o tensor.BatchNormBackward) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.DY, "DY"}, idRole{o.Gamma, "Gamma"},
		idRole{o.Mean, "Mean"}, idRole{o.InvStd, "InvStd"},
		idRole{o.DX, "DX"}, idRole{o.DGamma, "DGamma"}, idRole{o.DBeta, "DBeta"})
	if err != nil {
		return nil, err
	}
	return newBNBackward(p, bs, o.Outer, o.C), nil
}

// newBNBackward binds BatchNormBackward's buffers bs (in its field order:
// X, DY, Gamma, Mean, InvStd, DX, DGamma, DBeta); the split ops of
// synchronized batch normalization leave the ones they do not use nil.
func newBNBackward(p *program, bs [][]float32, outer, c int) *bnBackward {
	k := &bnBackward{bnStats: newBNStats(p, outer, c, 2),
		x: bs[0], dy: bs[1], gamma: bs[2], mean: bs[3], invstd: bs[4], dx: bs[5], dgamma: bs[6], dbeta: bs[7],
		coef: make([]float32, c), mdy: make([]float32, c), mdxh: make([]float32, c)}
	k.sumFn, k.applyFn = k.sumChunk, k.applyChunk
	return k
}

func (k *bnBackward) run(a *tensor.StepArgs) {
	k.backSums(a.Rows)
	k.apply(k.sums[:k.c], k.sums[k.c:])
}

// backSums writes Σ DY to DBeta and Σ DY·x̂ to DGamma, and keeps them in
// float64 in sums.
func (k *bnBackward) backSums(rows int) {
	k.total = rows * k.outer
	k.reduce(k.sumFn)
	for c := 0; c < k.c; c++ {
		k.dbeta[c], k.dgamma[c] = float32(k.sums[c]), float32(k.sums[k.c+c])
	}
}

// apply writes DX from the sums sdy (Σ DY) and sdxh (Σ DY·x̂) over the
// k.total positions.
func (k *bnBackward) apply(sdy, sdxh []float64) {
	m := float64(k.total)
	for c := 0; c < k.c; c++ {
		k.coef[c] = k.gamma[c] * k.invstd[c]
		k.mdy[c], k.mdxh[c] = float32(sdy[c]/m), float32(sdxh[c]/m)
	}
	parallelFor(k.chunks(), k.applyFn)
}

// sumChunk accumulates Σ DY (first C) and Σ DY·x̂ (next C) for one chunk.
func (k *bnBackward) sumChunk(i int) {
	lo, hi := k.bounds(i)
	acc := k.partial[i*2*k.c : (i+1)*2*k.c]
	clear(acc)
	vBNSums64Rows(acc[:k.c], acc[k.c:], k.x[lo*k.c:hi*k.c], k.dy[lo*k.c:hi*k.c], k.mean, k.invstd, k.c)
}

func (k *bnBackward) applyChunk(i int) {
	lo, hi := k.bounds(i)
	c := k.c
	vBNBackApplyRows(k.dx[lo*c:hi*c], k.x[lo*c:hi*c], k.dy[lo*c:hi*c], k.mean, k.invstd, k.coef, k.mdy, k.mdxh, c)
}
