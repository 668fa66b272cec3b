package cpuref

import "github.com/anvil-ml/anvil/tensor"

// The split batch-normalization ops of synchronized batch normalization
// (tensor/ops_syncbn.go) reuse BatchNormTrain's and BatchNormBackward's
// kernels, cut where the host steps in.

// bnMomentsK is a bound tensor.BatchNormMoments.
type bnMomentsK struct {
	bnMoments
	out []float32
}

func (p *program) bindBNMoments(o tensor.BatchNormMoments) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Moments, "Moments"})
	if err != nil {
		return nil, err
	}
	k := &bnMomentsK{bnMoments: newBNMoments(p, bs[0], o.Outer, o.C), out: bs[1]}
	k.statsFn = k.statsChunk
	return k, nil
}

func (k *bnMomentsK) run(a *tensor.StepArgs) {
	k.moments(a.Rows)
	for c, mean := range k.mean64 {
		k.out[2*c], k.out[2*c+1] = float32(mean), float32(k.sums[c])
	}
}

// bnApply is a bound tensor.BatchNormApply.
type bnApply struct {
	bnAffine
	op                           tensor.BatchNormApply
	gamma, mean, inv, bv, mm, mv []float32
}

func (p *program) bindBNApply(o tensor.BatchNormApply) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Gamma, "Gamma"}, idRole{o.Beta, "Beta"},
		idRole{o.Mean, "Mean"}, idRole{o.InvStd, "InvStd"}, idRole{o.BatchVar, "BatchVar"},
		idRole{o.MovingMean, "MovingMean"}, idRole{o.MovingVar, "MovingVar"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &bnApply{op: o, gamma: bs[1], mean: bs[3], inv: bs[4], bv: bs[5], mm: bs[6], mv: bs[7]}
	k.bind(bs[0], bs[8], k.mean, bs[2], o.C)
	return k, nil
}

// run updates the moving statistics and normalises as bnTrain.run does,
// in the same float32 operations.
func (k *bnApply) run(a *tensor.StepArgs) {
	mom := k.op.Momentum
	for c := range k.scale {
		k.scale[c] = k.gamma[c] * k.inv[c]
		k.mm[c] = k.mm[c]*mom + k.mean[c]*(1-mom)
		k.mv[c] = k.mv[c]*mom + k.bv[c]*(1-mom)
	}
	k.affine(a.Rows * k.op.Outer)
}

// bnBackSums is a bound tensor.BatchNormBackSums.
type bnBackSums struct{ *bnBackward }

func (p *program) bindBNBackSums(o tensor.BatchNormBackSums) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.DY, "DY"}, idRole{o.Mean, "Mean"}, idRole{o.InvStd, "InvStd"},
		idRole{o.DGamma, "DGamma"}, idRole{o.DBeta, "DBeta"})
	if err != nil {
		return nil, err
	}
	return bnBackSums{newBNBackward(p, [][]float32{bs[0], bs[1], nil, bs[2], bs[3], nil, bs[4], bs[5]}, o.Outer, o.C)}, nil
}

func (k bnBackSums) run(a *tensor.StepArgs) { k.backSums(a.Rows) }

// bnBackApply is a bound tensor.BatchNormBackApply.
type bnBackApply struct {
	*bnBackward
	sdy, sdxh []float32
}

func (p *program) bindBNBackApply(o tensor.BatchNormBackApply) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.DY, "DY"}, idRole{o.Gamma, "Gamma"}, idRole{o.Mean, "Mean"},
		idRole{o.InvStd, "InvStd"}, idRole{o.DX, "DX"}, idRole{o.SumDY, "SumDY"}, idRole{o.SumDYXh, "SumDYXh"})
	if err != nil {
		return nil, err
	}
	b := newBNBackward(p, [][]float32{bs[0], bs[1], bs[2], bs[3], bs[4], bs[5], nil, nil}, o.Outer, o.C)
	return &bnBackApply{bnBackward: b, sdy: bs[6], sdxh: bs[7]}, nil
}

func (k *bnBackApply) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.outer
	for c := 0; c < k.c; c++ {
		k.sums[c], k.sums[k.c+c] = float64(k.sdy[c]), float64(k.sdxh[c])
	}
	k.apply(k.sums[:k.c], k.sums[k.c:])
}
