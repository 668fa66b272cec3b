package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// confusionFamilies: the confusion counts behind Precision, Recall, AUC
// and F1Score, every count mode.
func confusionFamilies() []family {
	return []family{{name: "confusion", build: confusionCases}}
}

// confusionCases run every count mode, accumulating twice onto non-zero
// counts. The predictions are quarters in [−0.75, 2.75], so many lie on a
// threshold or an AUC bucket edge and some outside [0, 1]; the targets mix
// zeros, ones and soft labels. Both backends count each step in integers
// and add each count once, so the counts must match exactly.
func confusionCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name, c.routine, c.steps = "confusion", tensor.Eval, 2
	width := between(r, 2, 6)
	ops := []tensor.ConfusionCounts{
		{Mode: tensor.ThresholdCounts, Bins: 1, Threshold: 0.5},
		{Mode: tensor.BucketCounts, Bins: 200},
		{Mode: tensor.BucketCounts, Bins: between(r, 2, 9)},
		{Mode: tensor.ClassCounts, Bins: width, Threshold: 0.25},
		{Mode: tensor.ClassCounts, Bins: width, ByMax: true},
		{Mode: tensor.ThresholdCounts, Bins: 1, Threshold: 0.25, K: between(r, 1, width)},
		{Mode: tensor.ClassCounts, Bins: width, Threshold: -1e10, K: between(r, 1, width)},
	}
	for i, o := range ops {
		o.Width = width
		o.Size = width * between(r, 1, 3)
		p := fmt.Sprintf("confusion%d ", i)
		o.Pred = c.buf(p+"pred", tensor.ActivationBuffer, true, o.Size)
		o.Target = c.buf(p+"target", tensor.InputBuffer, true, o.Size)
		o.Counts = c.buf(p+"counts", tensor.AccumulatorBuffer, false, tensor.CountRows*o.Bins)
		pv, tv := quarters(r, batch*o.Size), quarters(r, batch*o.Size)
		for j := range pv {
			pv[j] = pv[j]*2 + 1.25
			tv[j] = max(tv[j], 0)
		}
		init := make([]float32, tensor.CountRows*o.Bins)
		for j := range init {
			init[j] = float32(j % 7)
		}
		c.init[o.Pred], c.init[o.Target], c.init[o.Counts] = pv, tv, init
		c.emit(fmt.Sprintf("confusion mode %d size %d width %d bins %d k %d", o.Mode, o.Size, width, o.Bins, o.K), o, fixed(exact))
	}
	return []*opCase{c}
}
