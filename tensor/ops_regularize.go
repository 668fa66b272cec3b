package tensor

import (
	"fmt"
	"math"
)

// Regularize applies a Keras weight regularizer (L1, L2, L1L2) to one
// variable: the penalty P = L1·Σ|Param| + L2·ΣParam² joins the loss as
// Keras adds it to each batch's mean loss, so LossSum[0] += rows·P (rows
// the step's valid samples, LossSum holding per-sample sums as Loss's
// does); and when Grad is not NoBuffer its gradient is added to the
// weight gradient: Grad += L1·sign(Param) + 2·L2·Param (sign(0) = 0).
type Regularize struct {
	Param, Grad, LossSum BufferID
	Size                 int
	L1, L2               float32
}

// Accesses implements Op.
func (o Regularize) Accesses() []Access {
	acc := []Access{rd(o.Param, o.Size, false), rd(o.LossSum, 1, false), wr(o.LossSum, 1, false)}
	if o.Grad != NoBuffer {
		acc = append(acc, rd(o.Grad, o.Size, false), wr(o.Grad, o.Size, false))
	}
	return acc
}

// Check implements Checker.
func (o Regularize) Check(*Plan) error {
	for _, f := range []struct {
		name string
		v    float32
	}{{"L1", o.L1}, {"L2", o.L2}} {
		if v := float64(f.v); !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("regularization factor %s %v must be a finite number ≥ 0", f.name, f.v)
		}
	}
	return firstErr(positive("Size", o.Size), required(operand{"Param", o.Param}, operand{"LossSum", o.LossSum}))
}
