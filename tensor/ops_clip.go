package tensor

import (
	"fmt"
	"math"
)

// Gradient clipping follows Keras 3's optimizers (clipnorm, clipvalue,
// global_clipnorm): it rewrites each gradient in place after the backward
// pass (and after a data-parallel all-reduce) and before the updates. The
// norms stay on the device: SumSquares reduces each gradient to one value
// of a small Norms buffer, and ClipGradient reads them.

// ClipMode selects ClipGradient's rule.
type ClipMode int

// The clipping rules, with c = ClipGradient.Limit.
const (
	// ClipByValue clamps every element to [−c, c] (Keras's clipvalue).
	ClipByValue ClipMode = iota
	// ClipByNorm scales the gradient by c/max(‖g‖, c), ‖g‖ the L2 norm
	// of this gradient alone: sqrt(Norms[Index]) (Keras's clipnorm).
	ClipByNorm
	// ClipByGlobalNorm scales the gradient by c·min(1/N, 1/c), N the
	// L2 norm of all the gradients together: sqrt(Σ_k<Count Norms[k])
	// (Keras's global_clipnorm; a non-finite N makes the scale NaN).
	ClipByGlobalNorm
)

// SumSquares writes Σ X[i]² over Size elements to Out[Index]. Out holds
// Count values (one per gradient) and no other element changes.
type SumSquares struct {
	X            BufferID
	Size         int
	Out          BufferID
	Index, Count int
}

// Accesses implements Op.
func (o SumSquares) Accesses() []Access {
	return []Access{rd(o.X, o.Size, false), wr(o.Out, o.Count, false)}
}

// Check implements Checker.
func (o SumSquares) Check(*Plan) error {
	return firstErr(positive("Size, Count", o.Size, o.Count), required(operand{"X", o.X}, operand{"Out", o.Out}),
		index("Index", o.Index, o.Count))
}

// ClipGradient clips Grad (Size elements) in place by Mode with limit
// Limit. The norm modes read Norms (Count values written by SumSquares).
type ClipGradient struct {
	Grad         BufferID
	Size         int
	Mode         ClipMode
	Limit        float32
	Norms        BufferID
	Index, Count int
}

// Accesses implements Op.
func (o ClipGradient) Accesses() []Access {
	acc := []Access{rd(o.Grad, o.Size, false), wr(o.Grad, o.Size, false)}
	if o.Mode != ClipByValue {
		acc = append(acc, rd(o.Norms, o.Count, false))
	}
	return acc
}

// Check implements Checker.
func (o ClipGradient) Check(*Plan) error {
	if l := float64(o.Limit); !(l > 0) || math.IsInf(l, 0) {
		return fmt.Errorf("clip limit %v must be a positive finite number", o.Limit)
	}
	switch o.Mode {
	case ClipByValue:
		return firstErr(positive("Size", o.Size), required(operand{"Grad", o.Grad}))
	case ClipByNorm, ClipByGlobalNorm:
		return firstErr(positive("Size, Count", o.Size, o.Count),
			required(operand{"Grad", o.Grad}, operand{"Norms", o.Norms}), index("Index", o.Index, o.Count))
	}
	return fmt.Errorf("clip mode %d is not ClipByValue, ClipByNorm or ClipByGlobalNorm", o.Mode)
}

// index rejects i outside [0, n).
func index(name string, i, n int) error {
	if i < 0 || i >= n {
		return fmt.Errorf("%s %d is outside 0..%d", name, i, n-1)
	}
	return nil
}
