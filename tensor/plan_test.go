package tensor

import "testing"

func TestValidateRejectsInconsistentOps(t *testing.T) {
	p := NewPlan(2)
	a := p.AddBuffer("a", ActivationBuffer, true, Shape{4})
	sum := p.AddBuffer("sum", AccumulatorBuffer, false, Shape{1})
	p.Emit(Train, Concat{Inputs: []BufferID{a, a}, Widths: []int{2}, Y: a, Outer: 1})
	if err := p.Validate(); err == nil {
		t.Error("Concat with fewer widths than inputs must not validate")
	}
	p.Routines[Train] = []Op{Loss{Kind: SparseCategoricalCrossentropy, Pred: a, Target: a, Probs: NoBuffer, Grad: NoBuffer, LossSum: sum, Size: 4, Width: 0}}
	if err := p.Validate(); err == nil {
		t.Error("a loss with width 0 must not validate")
	}
}
