package nn

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// gradSegments runs this replica's TrainGrad over args.Rows rows of the
// global batch [lo, hi), segment by segment, with the plan's exchanges
// between them (none without synchronized batch normalization). A replica
// with no rows runs no segment but still joins every exchange, with zeros,
// since every replica must make the same collective calls.
func (p *parallelFit) gradSegments(args tensor.StepArgs, lo, hi int) error {
	plan := p.r.low.plan
	for i, seg := range plan.Segments() {
		if args.Rows > 0 {
			if err := p.r.prog.Run(seg, args); err != nil {
				return err
			}
		}
		if i < len(plan.Exchanges) {
			if err := p.exchange(plan.Exchanges[i], args.Rows, lo, hi); err != nil {
				return fmt.Errorf("synchronizing batch normalization (exchange %d of %d): %w", i+1, len(plan.Exchanges), err)
			}
		}
	}
	return nil
}

// exchange does x for this replica, which holds rows of the global batch
// [lo, hi).
func (p *parallelFit) exchange(x tensor.Exchange, rows, lo, hi int) error {
	switch x.Kind {
	case tensor.ExchangeBNMoments:
		return p.exchangeMoments(x, rows, lo, hi)
	case tensor.ExchangeBNGradSums:
		return p.exchangeGradSums(x, rows, hi-lo)
	}
	return fmt.Errorf("unknown exchange kind %d", x.Kind)
}

// readFloat64 reads n values of buffer id as float64 into dst, or zeros
// when this replica has no rows (the buffer holds nothing of this step).
func (p *parallelFit) readFloat64(id tensor.BufferID, dst []float64, rows int) error {
	clear(dst)
	if rows == 0 {
		return nil
	}
	tmp := make([]float32, len(dst))
	if err := p.r.prog.Read(id, tmp); err != nil {
		return err
	}
	for i, v := range tmp {
		dst[i] = float64(v)
	}
	return nil
}

// exchangeMoments combines every replica's (mean, M2) per channel into
// the global batch statistics (tensor.ExchangeBNMoments). The moments are
// gathered, each replica's into its own slot of a summed buffer, rather
// than summed: Chan's combination needs each replica's mean, and sums of
// squares would lose the variance to cancellation when |mean| ≫ std. Every
// replica combines the same values in the same order, so all get the same
// statistics.
func (p *parallelFit) exchangeMoments(x tensor.Exchange, rows, lo, hi int) error {
	w := 2 * x.C
	all := make([]float64, p.n*w)
	if err := p.readFloat64(x.In[0], all[p.rank*w:(p.rank+1)*w], rows); err != nil {
		return err
	}
	if err := p.comm.AllreduceSumFloat64(all); err != nil {
		return err
	}
	total := float64((hi - lo) * x.Outer)
	mean, invstd, batchVar := make([]float32, x.C), make([]float32, x.C), make([]float32, x.C)
	for c := range x.C {
		mu := 0.0
		for k := range p.n {
			klo, khi := slice(lo, hi, k, p.n)
			mu += float64((khi-klo)*x.Outer) * all[k*w+2*c]
		}
		mu /= total
		m2 := 0.0
		for k := range p.n {
			klo, khi := slice(lo, hi, k, p.n)
			d := all[k*w+2*c] - mu
			m2 += all[k*w+2*c+1] + float64((khi-klo)*x.Outer)*d*d
		}
		v := m2 / total
		mean[c], invstd[c] = float32(mu), float32(1/math.Sqrt(v+float64(x.Epsilon)))
		if x.UnbiasedMovingVar && total > 1 {
			v *= total / (total - 1) // as BatchNormTrain, with the global count
		}
		batchVar[c] = float32(v)
	}
	return p.writeAll(x.Out, append(append(mean, invstd...), batchVar...))
}

// exchangeGradSums sums the replicas' Σ DY and Σ DY·x̂, each weighed by
// the replica's rows (its DY is the gradient of its own mean loss, scaled
// by 1/rows), and divides by the global rows: the sums one process finds
// over the global batch (tensor.ExchangeBNGradSums).
func (p *parallelFit) exchangeGradSums(x tensor.Exchange, rows, total int) error {
	sums := make([]float64, 2*x.C)
	for i, id := range x.In {
		if err := p.readFloat64(id, sums[i*x.C:(i+1)*x.C], rows); err != nil {
			return err
		}
	}
	for i := range sums {
		sums[i] *= float64(rows)
	}
	if err := p.comm.AllreduceSumFloat64(sums); err != nil {
		return err
	}
	out := make([]float32, len(sums))
	for i, s := range sums {
		out[i] = float32(s / float64(total))
	}
	return p.writeAll(x.Out, out)
}
