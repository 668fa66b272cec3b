package nn

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The confusion metrics: Keras's Precision, Recall, AUC, F1Score and
// FBetaScore. They
// are not means over samples: the device accumulates true and false
// positives and negatives over the whole epoch (tensor.ConfusionCounts),
// and the host turns the counts into the metric where it reads them, at a
// progress update or the end of an epoch, as Keras's result() does.
//
// As in Keras, every element of the output is its own binary decision (a
// one-hot output of 10 classes is 10 decisions per sample, so "precision"
// on a softmax classifier is the precision over all (sample, class) pairs
// at threshold 0.5), and a target counts as positive when it is not 0.
// With a from_logits loss they see the probabilities, as the accuracies
// do here (see FromLogits).

// countSpec is how a confusion metric counts and what it reports.
type countSpec struct {
	mode      tensor.CountMode
	bins      int
	threshold float32
	byMax     bool
	topK      int // tensor.ConfusionCounts.K
	finish    func(c confusionCounts) float64
}

// confusionCounts views a confusion metric's accumulated counts.
type confusionCounts struct {
	tp, fp, fn, tn []float64 // per bin
}

// newCounts splits an accumulator of tensor.CountRows rows of bins values.
func newCounts(state []float64, bins int) confusionCounts {
	row := func(r int) []float64 { return state[r*bins : (r+1)*bins] }
	return confusionCounts{row(tensor.CountTP), row(tensor.CountFP), row(tensor.CountFN), row(tensor.CountTN)}
}

// kerasEpsilon is Keras's backend.epsilon(), which FBetaScore adds to its
// denominators.
const kerasEpsilon = 1e-7

// divNoNaN is a/b, or 0 where b is 0 (Keras's ops.divide_no_nan).
func divNoNaN(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// thresholdSpec counts at one threshold: over every element, or, for a
// class id of at least 0, over that class's column only (Keras's
// class_id), which the per-class counts of width classes give. A positive
// topK lets only each row's topK largest be positive (Keras's top_k).
func thresholdSpec(threshold float32, classID, topK, width int, finish func(tp, fp, fn float64) float64) *countSpec {
	if classID < 0 {
		return &countSpec{mode: tensor.ThresholdCounts, bins: 1, threshold: threshold, topK: topK, finish: func(c confusionCounts) float64 {
			return finish(c.tp[0], c.fp[0], c.fn[0])
		}}
	}
	return &countSpec{mode: tensor.ClassCounts, bins: width, threshold: threshold, topK: topK, finish: func(c confusionCounts) float64 {
		return finish(c.tp[classID], c.fp[classID], c.fn[classID])
	}}
}

// precisionSpec is Keras's Precision(thresholds=threshold,
// class_id=classID, top_k=topK): tp/(tp+fp); classID −1 and topK 0 are
// Keras's None.
func precisionSpec(threshold float32, classID, topK, width int) *countSpec {
	return thresholdSpec(threshold, classID, topK, width, func(tp, fp, _ float64) float64 { return divNoNaN(tp, tp+fp) })
}

// recallSpec is Keras's Recall(thresholds=threshold, class_id=classID,
// top_k=topK): tp/(tp+fn).
func recallSpec(threshold float32, classID, topK, width int) *countSpec {
	return thresholdSpec(threshold, classID, topK, width, func(tp, _, fn float64) float64 { return divNoNaN(tp, tp+fn) })
}

// aucSpec is Keras's AUC(num_thresholds=n, curve=curve,
// summation_method=summation): curve "ROC" or "PR", summation
// "interpolation", "minoring" or "majoring" (Keras's defaults are ROC and
// interpolation).
func aucSpec(n int, curve, summation string) *countSpec {
	return &countSpec{mode: tensor.BucketCounts, bins: n, finish: func(c confusionCounts) float64 {
		if curve == "PR" && summation == "interpolation" {
			return interpolatedPRAUC(c)
		}
		return riemannAUC(c, curve, summation)
	}}
}

// riemannAUC is Keras's AUC.result: the Riemann sum over consecutive
// thresholds of the drop in x (the false positive rate for ROC, the recall
// for PR) times a height from the two y values (the recalls for ROC, the
// precisions for PR): their mean, minimum or maximum.
func riemannAUC(c confusionCounts, curve, summation string) float64 {
	n := len(c.tp)
	x, y := make([]float64, n), make([]float64, n)
	for t := range n {
		recall := divNoNaN(c.tp[t], c.tp[t]+c.fn[t])
		if curve == "PR" {
			x[t], y[t] = recall, divNoNaN(c.tp[t], c.tp[t]+c.fp[t])
		} else {
			x[t], y[t] = divNoNaN(c.fp[t], c.fp[t]+c.tn[t]), recall
		}
	}
	auc := 0.0
	for t := 0; t < n-1; t++ {
		h := (y[t] + y[t+1]) / 2
		switch summation {
		case "minoring":
			h = min(y[t], y[t+1])
		case "majoring":
			h = max(y[t], y[t+1])
		}
		auc += (x[t] - x[t+1]) * h
	}
	return auc
}

// interpolatedPRAUC is Keras's AUC.interpolate_pr_auc (after Davis and
// Goadrich 2006): between consecutive thresholds the true positives and
// the predicted positives P vary linearly, and the area under precision
// TP/P integrates in closed form to slope·(ΔTP + intercept·log(P_A/P_B)),
// divided by the positives.
func interpolatedPRAUC(c confusionCounts) float64 {
	auc := 0.0
	for t := 0; t < len(c.tp)-1; t++ {
		dtp := c.tp[t] - c.tp[t+1]
		pa, pb := c.tp[t]+c.fp[t], c.tp[t+1]+c.fp[t+1]
		slope := divNoNaN(dtp, max(pa-pb, 0))
		intercept := c.tp[t+1] - slope*pb
		ratio := 1.0
		if pa > 0 && pb > 0 {
			ratio = pa / pb
		}
		auc += divNoNaN(slope*(dtp+intercept*math.Log(ratio)), max(c.tp[t+1]+c.fn[t+1], 0))
	}
	return auc
}

// fbetaSpec is Keras's FBetaScore(average=average, beta=beta,
// threshold=threshold) over width classes (F1Score is beta 1); a NaN
// threshold is Keras's threshold=None (the row's maximum is the
// prediction).
func fbetaSpec(average string, beta float64, threshold float32, width int) *countSpec {
	s := &countSpec{mode: tensor.ClassCounts, bins: width, threshold: threshold, byMax: math.IsNaN(float64(threshold))}
	if s.byMax {
		s.threshold = 0
	}
	s.finish = func(c confusionCounts) float64 { return fbetaAverage(c, average, beta) }
	return s
}

// fbeta is Keras's FBetaScore.result on one set of counts, with its
// epsilons.
func fbeta(tp, fp, fn, beta float64) float64 {
	p := tp / (tp + fp + kerasEpsilon)
	r := tp / (tp + fn + kerasEpsilon)
	b2 := beta * beta
	return p * r / (b2*p + r + kerasEpsilon) * (1 + b2)
}

// fbetaAverage reduces the per-class scores as Keras's FBetaScore:
// "micro" on the counts summed over classes, "macro" their mean,
// "weighted" weighted by each class's support (its positive targets,
// tp+fn).
func fbetaAverage(c confusionCounts, average string, beta float64) float64 {
	var tp, fp, fn, support float64
	for i := range c.tp {
		tp, fp, fn, support = tp+c.tp[i], fp+c.fp[i], fn+c.fn[i], support+c.tp[i]+c.fn[i]
	}
	if average == "micro" {
		return fbeta(tp, fp, fn, beta)
	}
	sum := 0.0
	for i := range c.tp {
		w := 1 / float64(len(c.tp))
		if average == "weighted" {
			w = (c.tp[i] + c.fn[i]) / (support + kerasEpsilon)
		}
		sum += w * fbeta(c.tp[i], c.fp[i], c.fn[i], beta)
	}
	return sum
}

// stateSize is the number of accumulator values the metric keeps: one
// sum for a mean metric, tensor.CountRows rows of bins for a confusion one.
func (m metricSpec) stateSize() int {
	if m.counts != nil {
		return tensor.CountRows * m.counts.bins
	}
	return 1
}

// values turns the accumulators (runner.sums, end to end) over count
// samples into what Fit and Evaluate report, in MetricNames order: the
// means of the loss and the mean metrics, and the confusion metrics'
// results.
func (c *compiled) values(sums []float64, count int) []float64 {
	out := []float64{sums[0] / float64(count)}
	off := 1
	for _, ms := range c.metrics {
		n := ms.stateSize()
		if ms.counts != nil {
			out = append(out, ms.counts.finish(newCounts(sums[off:off+n], ms.counts.bins)))
		} else {
			out = append(out, sums[off]/float64(count))
		}
		off += n
	}
	return out
}

// countOp is the op that accumulates a confusion metric.
func (m metricSpec) countOp(pred, target, counts tensor.BufferID, size, width int) tensor.ConfusionCounts {
	c := m.counts
	return tensor.ConfusionCounts{Mode: c.mode, Pred: pred, Target: target, Counts: counts, Size: size, Width: width,
		Bins: c.bins, Threshold: c.threshold, ByMax: c.byMax, K: c.topK}
}
