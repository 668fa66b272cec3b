package cpuref

import (
	"github.com/anvil-ml/anvil/tensor"
)

// confusion is a bound tensor.ConfusionCounts. A step's counts are exact
// integers; each is added to its float32 accumulator once per step, as the
// gpu kernel adds them, so both backends hold the same values.
type confusion struct {
	op                   tensor.ConfusionCounts
	pred, target, counts []float32
	step                 [tensor.CountRows][]int64 // this step's counts per bin
	hist                 [2][]int64                // BucketCounts: positives and negatives per bucket
}

func (p *program) bindConfusion(o tensor.ConfusionCounts) (kernel, error) {
	bs, err := p.need(idRole{o.Pred, "Pred"}, idRole{o.Target, "Target"}, idRole{o.Counts, "Counts"})
	if err != nil {
		return nil, err
	}
	k := &confusion{op: o, pred: bs[0], target: bs[1], counts: bs[2]}
	for r := range k.step {
		k.step[r] = make([]int64, o.Bins)
	}
	for r := range k.hist {
		k.hist[r] = make([]int64, o.Bins)
	}
	return k, nil
}

func (k *confusion) run(a *tensor.StepArgs) {
	for r := range k.step {
		clear(k.step[r])
	}
	n := a.Rows * k.op.Size
	p, y := k.pred[:n], k.target[:n]
	switch k.op.Mode {
	case tensor.ThresholdCounts:
		for i, v := range p {
			k.add(0, v > k.op.Threshold && k.inTopK(p, i), y[i] != 0)
		}
	case tensor.BucketCounts:
		k.buckets(p, y)
	case tensor.ClassCounts:
		k.classes(p, y)
	}
	for r, row := range k.step {
		for b, c := range row {
			k.counts[r*k.op.Bins+b] += float32(c)
		}
	}
}

// add counts one decision in bin b.
func (k *confusion) add(b int, predicted, actual bool) {
	switch {
	case predicted && actual:
		k.step[tensor.CountTP][b]++
	case predicted:
		k.step[tensor.CountFP][b]++
	case actual:
		k.step[tensor.CountFN][b]++
	default:
		k.step[tensor.CountTN][b]++
	}
}

// buckets counts positives and negatives per bucket; an element is
// predicted positive at every threshold up to its bucket, so the true and
// false positives at t are the suffix sums from bucket t.
func (k *confusion) buckets(p, y []float32) {
	pos, neg := k.hist[0], k.hist[1]
	clear(pos)
	clear(neg)
	var totalPos, totalNeg int64
	for i, v := range p {
		b := tensor.AUCBucket(v, k.op.Bins)
		if y[i] != 0 {
			pos[b]++
			totalPos++
		} else {
			neg[b]++
			totalNeg++
		}
	}
	var tp, fp int64
	for t := k.op.Bins - 1; t >= 0; t-- {
		tp += pos[t]
		fp += neg[t]
		k.step[tensor.CountTP][t], k.step[tensor.CountFP][t] = tp, fp
		k.step[tensor.CountFN][t], k.step[tensor.CountTN][t] = totalPos-tp, totalNeg-fp
	}
}

// classes counts each element in the bin of its class.
func (k *confusion) classes(p, y []float32) {
	w := k.op.Width
	for g := 0; g < len(p); g += w {
		top := p[g]
		for _, v := range p[g : g+w] {
			top = max(top, v)
		}
		for c, v := range p[g : g+w] {
			predicted := v > k.op.Threshold
			if k.op.ByMax {
				predicted = v >= top && (v > 1e-9 || v < -1e-9)
			}
			k.add(c, predicted && k.inTopK(p, g+c), y[g+c] != 0)
		}
	}
}

// inTopK reports whether element i may be positive under the op's K: it is
// among the K largest of its group, or K is 0.
func (k *confusion) inTopK(p []float32, i int) bool {
	if k.op.K == 0 {
		return true
	}
	w := k.op.Width
	g := i - i%w
	return tensor.InTopKByIndex(p[g:g+w], i-g, k.op.K)
}
