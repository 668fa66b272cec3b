package tensor

import (
	"fmt"
	"math"
)

// LossKind selects a loss function.
type LossKind int

// The losses. Each per-sample loss is averaged over the sample's elements
// (over positions and, for the elementwise losses, the last axis), so the
// mean over samples equals Keras's sum-over-batch-size value.
const (
	// MeanSquaredError: mean (p−y)².
	MeanSquaredError LossKind = iota
	// MeanAbsoluteError: mean |p−y|.
	MeanAbsoluteError
	// CategoricalCrossentropy on probabilities: −Σ y·log(clip(p, ε, 1−ε))
	// over each group of Width classes, averaged over positions.
	CategoricalCrossentropy
	// SparseCategoricalCrossentropy: as above with Target holding the class
	// index of each position (Target has Size/Width values per sample).
	SparseCategoricalCrossentropy
	// BinaryCrossentropy on probabilities:
	// −mean(y·log(clip(p)+ε) + (1−y)·log(1−clip(p)+ε)), Keras's formula.
	BinaryCrossentropy
	// SoftmaxCrossentropy: softmax over each group of Width logits, then
	// categorical cross-entropy, fused for stability. Probs gets the softmax.
	SoftmaxCrossentropy
	// SparseSoftmaxCrossentropy: as SoftmaxCrossentropy with class indices.
	SparseSoftmaxCrossentropy
	// SigmoidBinaryCrossentropy: sigmoid of logits, then binary
	// cross-entropy, fused: max(x,0) − x·y + log(1+e^−|x|). Probs gets the
	// sigmoid.
	SigmoidBinaryCrossentropy
	// Huber: mean of 0.5·e² where |e| ≤ Delta, else Delta·(|e| − 0.5·Delta),
	// with e = p−y (Keras's huber).
	Huber
	// LogCosh: mean log(cosh(p−y)), computed stably (Keras's log_cosh).
	LogCosh
)

// Epsilon is Keras's backend epsilon, used to clip probabilities.
const Epsilon = 1e-7

// Sparse reports whether the loss takes class indices as targets.
func (k LossKind) Sparse() bool {
	return k == SparseCategoricalCrossentropy || k == SparseSoftmaxCrossentropy
}

// FromLogits reports whether the loss reads logits and writes Probs.
func (k LossKind) FromLogits() bool {
	return k == SoftmaxCrossentropy || k == SparseSoftmaxCrossentropy || k == SigmoidBinaryCrossentropy
}

// TargetSize is the number of target values per sample for a prediction of
// size elements per sample grouped in width classes.
func (k LossKind) TargetSize(size, width int) int {
	if k.Sparse() {
		return size / width
	}
	return size
}

// Loss adds the sum over valid samples of the per-sample loss to
// LossSum[0] (never resetting it), and when Grad is not NoBuffer overwrites
// it with ∂(mean loss over the valid samples)/∂Pred. Pred holds logits for
// the fused kinds, which also write the probabilities to Probs (NoBuffer
// otherwise). Size is the prediction's elements per sample, Width its last
// axis (the classes).
//
// Smoothing is Keras's label_smoothing: the dense cross-entropy kinds read
// each target y as y·(1−Smoothing) + Smoothing/K, with K the Width classes
// for the categorical kinds and 2 for the binary ones (Keras's 0.5·ls); 0
// reads the targets as given. Delta is Huber's delta and must be positive
// for Huber; the other kinds ignore it.
type Loss struct {
	Kind                 LossKind
	Pred, Target         BufferID
	Probs, Grad, LossSum BufferID
	Size, Width          int
	Smoothing, Delta     float32
}

// Accesses implements Op.
func (o Loss) Accesses() []Access {
	acc := []Access{rd(o.Pred, o.Size, true), rd(o.Target, o.Kind.TargetSize(o.Size, o.Width), true),
		rd(o.LossSum, 1, false), wr(o.LossSum, 1, false)}
	if o.Probs != NoBuffer {
		acc = append(acc, wr(o.Probs, o.Size, true))
	}
	if o.Grad != NoBuffer {
		acc = append(acc, wr(o.Grad, o.Size, true))
	}
	return acc
}

// Check implements Checker. Every kind needs Width to divide Size, as
// Accesses and the categorical kinds group by it.
func (o Loss) Check(*Plan) error {
	if err := positive("Size", o.Size); err != nil {
		return err
	}
	if o.Kind < MeanSquaredError || o.Kind > LogCosh {
		return fmt.Errorf("unknown loss kind %d", o.Kind)
	}
	return firstErr(o.checkParams(), checkGroups("loss", o.Size, o.Width),
		required(operand{"Pred", o.Pred}, operand{"Target", o.Target}, operand{"LossSum", o.LossSum}))
}

// Smoothable reports whether the kind takes label smoothing: the dense
// cross-entropy kinds, as in Keras (its sparse losses have none).
func (k LossKind) Smoothable() bool {
	switch k {
	case CategoricalCrossentropy, SoftmaxCrossentropy, BinaryCrossentropy, SigmoidBinaryCrossentropy:
		return true
	}
	return false
}

// Categorical reports whether the kind works on groups of Width classes
// rather than on each element.
func (k LossKind) Categorical() bool {
	return k == CategoricalCrossentropy || k == SoftmaxCrossentropy || k.Sparse()
}

// SmoothingClasses is the K of Loss.Smoothing's y·(1−s) + s/K.
func (o Loss) SmoothingClasses() int {
	if o.Kind.Categorical() {
		return o.Width
	}
	return 2
}

// checkParams checks Smoothing and Delta. NaN fails every comparison, so
// each bound is written to reject it.
func (o Loss) checkParams() error {
	if o.Smoothing != 0 {
		if !o.Kind.Smoothable() {
			return fmt.Errorf("loss kind %d takes no label smoothing (got %v)", o.Kind, o.Smoothing)
		}
		if !(o.Smoothing > 0 && o.Smoothing <= 1) {
			return fmt.Errorf("label smoothing %v must be in [0, 1]", o.Smoothing)
		}
	}
	if o.Kind == Huber && !(o.Delta > 0 && !math.IsInf(float64(o.Delta), 0)) {
		return fmt.Errorf("huber delta %v must be positive and finite", o.Delta)
	}
	return nil
}
