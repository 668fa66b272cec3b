package tensor

import (
	"fmt"
	"math"
)

// CountMode selects how ConfusionCounts turns a prediction into a binary
// decision, and what its bins are.
type CountMode int

// The count modes. Every mode treats each element of the output as its own
// binary decision, as Keras's confusion-matrix metrics flatten y_true and
// y_pred (so a one-hot multi-class output is Width decisions per sample),
// and a target value y counts as positive when y != 0 (Keras casts y_true
// to bool).
const (
	// ThresholdCounts has one bin: an element is predicted positive when
	// p > Threshold (Keras's Precision and Recall, thresholds=0.5 by default).
	ThresholdCounts CountMode = iota
	// BucketCounts has Bins thresholds placed as Keras's AUC places them:
	// −ε, 1/(Bins−1), ..., (Bins−2)/(Bins−1), 1+ε. An element is predicted
	// positive at threshold t when AUCBucket(p, Bins) >= t, which is Keras's
	// update for evenly spaced thresholds.
	BucketCounts
	// ClassCounts has one bin per class (Bins = Width, the position within a
	// group of Width): an element is predicted positive when p > Threshold,
	// or, with ByMax, when p is the maximum of its group and |p| > 1e-9
	// (Keras's F1Score with threshold=None; ties are all positive).
	ClassCounts
)

// The rows of a ConfusionCounts accumulator: Counts[row*Bins + bin].
const (
	CountTP   = iota // true positives
	CountFP          // false positives
	CountFN          // false negatives
	CountTN          // true negatives
	CountRows        // rows in the accumulator
)

// ConfusionCounts adds the confusion counts of the valid samples' elements
// to Counts, a [CountRows][Bins] accumulator. Each step's counts are exact
// integers, added to the float32 accumulator as Keras adds to its float32
// variables: exact while a count stays below 2^24.
type ConfusionCounts struct {
	Mode                 CountMode
	Pred, Target, Counts BufferID
	Size, Width, Bins    int
	Threshold            float32
	ByMax                bool
	// K, when positive, lets only the K largest predictions of each group
	// of Width be positive (Keras's top_k; TopKIndex breaks ties), in the
	// threshold and class modes.
	K int
}

// Accesses implements Op.
func (o ConfusionCounts) Accesses() []Access {
	n := CountRows * o.Bins
	return []Access{rd(o.Pred, o.Size, true), rd(o.Target, o.Size, true), rd(o.Counts, n, false), wr(o.Counts, n, false)}
}

// Check implements Checker.
func (o ConfusionCounts) Check(*Plan) error {
	if err := positive("Size, Bins", o.Size, o.Bins); err != nil {
		return err
	}
	var err error
	switch o.Mode {
	case ThresholdCounts:
		if o.Bins != 1 {
			err = fmt.Errorf("threshold counts have one bin, got Bins %d", o.Bins)
		}
	case BucketCounts:
		if o.Bins < 2 {
			err = fmt.Errorf("bucket counts need at least 2 thresholds, got Bins %d", o.Bins)
		}
	case ClassCounts:
		err = checkGroups("class counts", o.Size, o.Width)
		if err == nil && o.Bins != o.Width {
			err = fmt.Errorf("class counts have one bin per class: Bins %d must equal Width %d", o.Bins, o.Width)
		}
	default:
		err = fmt.Errorf("unknown count mode %d", o.Mode)
	}
	if err == nil && o.K != 0 {
		err = checkGroups("top-k counts", o.Size, o.Width)
		if err == nil && (o.K < 0 || o.Mode == BucketCounts) {
			err = fmt.Errorf("top-k counts need K > 0 and the threshold or class mode, got K %d in mode %d", o.K, o.Mode)
		}
	}
	return firstErr(err, required(operand{"Pred", o.Pred}, operand{"Target", o.Target}, operand{"Counts", o.Counts}))
}

// AUCBucket is the highest of bins evenly spaced thresholds (Keras's AUC
// placement) that p exceeds: max(0, ceil(clip(p, 0, 1)·(bins−1)) − 1) in
// float32, as Keras's evenly-spaced update computes it. NaN goes to
// bucket 0. The gpu shader confusion.comp computes the same.
func AUCBucket(p float32, bins int) int {
	if !(p > 0) { // also NaN
		return 0
	}
	p = min(p, 1)
	scaled := float32(p * float32(bins-1)) // rounded to float32, as Keras's float32 product
	return max(int(math.Ceil(float64(scaled)))-1, 0)
}

// InTopKByIndex reports whether p[i] is among the k largest of p when ties
// go to the lower index, as top_k orders them (Keras's Precision(top_k=k)
// keeps exactly k per row): fewer than k values come before it.
func InTopKByIndex(p []float32, i, k int) bool {
	before := 0
	for j, v := range p {
		if v > p[i] || (v == p[i] && j < i) {
			before++
		}
	}
	return before < k
}
