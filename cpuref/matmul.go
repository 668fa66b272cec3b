package cpuref

import (
	"github.com/anvil-ml/anvil/tensor"
)

// matMul is a bound tensor.MatMul.
type matMul struct {
	op      tensor.MatMul
	a, b, c []float32
	g       *gemm
}

func (p *program) bindMatMul(o tensor.MatMul) (kernel, error) {
	bs, err := p.need(idRole{o.A, "A"}, idRole{o.B, "B"}, idRole{o.C, "C"})
	if err != nil {
		return nil, err
	}
	m, k := o.M, o.K
	switch o.Batch {
	case tensor.BatchM:
		m *= p.plan.Batch
	case tensor.BatchK:
		k *= p.plan.Batch
	}
	return &matMul{op: o, a: bs[0], b: bs[1], c: bs[2], g: p.newGemm(m, o.N, k)}, nil
}

// run multiplies the batch into M or K. A batched operand that is stored
// transposed (TransA with BatchM, or a transposed BatchK operand) is taken
// literally: a dense row-major matrix whose extent along the batched
// dimension is the per-sample size times the row count.
func (k *matMul) run(a *tensor.StepArgs) {
	o := k.op
	m, n, kk := o.M, o.N, o.K
	switch o.Batch {
	case tensor.BatchM:
		m *= a.Rows
	case tensor.BatchK:
		kk *= a.Rows
	}
	k.g.set(o.TransA, o.TransB, m, n, kk, k.a[:m*kk], k.b[:kk*n], 0, k.c[:m*n])
	k.g.run()
}
