package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// metric is a bound tensor.Metric. Like the losses, chunks of samples sum
// in float64 into their own slots, which are added in order.
type metric struct {
	op                tensor.Metric
	pred, target, sum []float32
	tsize             int // target values per sample
	perChunk          int
	partial           []float64
	rows              int
	fn                func(int)
}

func (p *program) bindMetric(o tensor.Metric) (kernel, error) {
	bs, err := p.need(idRole{o.Pred, "Pred"}, idRole{o.Target, "Target"}, idRole{o.Sum, "Sum"})
	if err != nil {
		return nil, err
	}
	k := &metric{op: o, pred: bs[0], target: bs[1], sum: bs[2], tsize: o.TargetSize(),
		perChunk: max(1, elemChunk/o.Size)}
	k.partial = make([]float64, numChunks(p.plan.Batch, k.perChunk))
	k.fn = k.chunk
	return k, nil
}

func (k *metric) run(a *tensor.StepArgs) {
	k.rows = a.Rows
	n := numChunks(a.Rows, k.perChunk)
	parallelFor(n, k.fn)
	accumulate(k.sum, k.partial[:n])
}

func (k *metric) chunk(i int) {
	lo, hi := chunkBounds(i, k.rows, k.perChunk)
	s := 0.0
	for n := lo; n < hi; n++ {
		s += k.sample(rowOf(k.pred, n, k.op.Size), rowOf(k.target, n, k.tsize))
	}
	k.partial[i] = s
}

// sample returns one sample's metric, averaged over its positions.
func (k *metric) sample(p, y []float32) float64 {
	w := k.op.Width
	hits := 0.0
	switch k.op.Kind {
	case tensor.CategoricalAccuracy:
		for g := 0; g < len(p); g += w {
			if argmax(p[g:g+w]) == argmax(y[g:g+w]) {
				hits++
			}
		}
		return hits / float64(len(p)/w)
	case tensor.SparseCategoricalAccuracy:
		for g := 0; g < len(p); g += w {
			if float32(argmax(p[g:g+w])) == y[g/w] {
				hits++
			}
		}
		return hits / float64(len(p)/w)
	case tensor.TopKCategoricalAccuracy, tensor.SparseTopKCategoricalAccuracy:
		for g := 0; g < len(p); g += w {
			if tensor.InTopK(p[g:g+w], k.targetClass(y, g/w), k.op.K) {
				hits++
			}
		}
		return hits / float64(len(p)/w)
	}
	s := 0.0
	for j, pv := range p {
		switch k.op.Kind {
		case tensor.BinaryAccuracy:
			var cls float32
			if pv > 0.5 {
				cls = 1
			}
			if cls == y[j] {
				s++
			}
		case tensor.MeanAbsoluteMetric:
			s += math.Abs(float64(pv) - float64(y[j]))
		case tensor.MeanSquaredMetric:
			d := float64(pv) - float64(y[j])
			s += d * d
		}
	}
	return s / float64(len(p))
}

// argmax returns the index of the first maximal element, as tf.argmax.
func argmax(x []float32) int { return tensor.Argmax(x) }

// targetClass is the class of group g of a sample's targets: its arg-max
// for one-hot targets, else the index y[g], or −1 when y[g] is not a whole
// number (never a hit).
func (k *metric) targetClass(y []float32, g int) int {
	if k.op.Kind != tensor.SparseTopKCategoricalAccuracy {
		w := k.op.Width
		return argmax(y[g*w : (g+1)*w])
	}
	c := int(y[g])
	if float32(c) != y[g] {
		return -1
	}
	return c
}
