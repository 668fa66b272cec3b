package tensor

import (
	"strings"
	"testing"
)

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

// TestValidateChecksAccesses: every access of an op is checked, the last
// one included: it must name an existing buffer (the id one past the last
// is not), batched as the plan says, and large enough; an empty buffer is
// valid (only negative shapes are not).
func TestValidateChecksAccesses(t *testing.T) {
	cases := []struct {
		name string
		op   func(a, w BufferID) Op
		want string
	}{
		{"C one past the last buffer", func(a, w BufferID) Op {
			return MatMul{A: a, B: w, C: 3, M: 2, N: 2, K: 2, Batch: BatchM}
		}, "buffer 3 does not exist"},
		{"a negative id", func(a, w BufferID) Op {
			return MatMul{A: a, B: w, C: -2, M: 2, N: 2, K: 2, Batch: BatchM}
		}, "buffer -2 does not exist"},
		{"C unbatched for BatchM", func(a, w BufferID) Op {
			return MatMul{A: a, B: w, C: w, M: 2, N: 2, K: 2, Batch: BatchM}
		}, `buffer "w": op treats it as batched=true, plan says false`},
		{"C too small", func(a, w BufferID) Op {
			return MatMul{A: a, B: w, C: a, M: 2, N: 3, K: 2, Batch: BatchM}
		}, `buffer "a" holds 4 elements per sample, op needs 6`},
	}
	for _, c := range cases {
		p := NewPlan(2)
		a := p.AddBuffer("a", ActivationBuffer, true, Shape{4})
		w := p.AddBuffer("w", ParamBuffer, false, Shape{6})
		p.AddBuffer("empty", ActivationBuffer, true, Shape{0})
		p.Emit(Train, c.op(a, w))
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	p := NewPlan(2)
	a := p.AddBuffer("a", ActivationBuffer, true, Shape{4})
	p.AddBuffer("empty", ActivationBuffer, true, Shape{0})
	p.Emit(Train, Activation{Fn: ReLU, X: a, Y: a, Size: 4})
	if err := p.Validate(); err != nil {
		t.Errorf("a plan with an empty buffer: %v", err)
	}
}

// TestStreamIsPhiloxInCounterOrder pins Stream's construction: block c of
// four words is Philox4x32 of (c low, c high, Salt, "anvi") under the
// seed, so a saved Counter resumes the documented sequence.
func TestStreamIsPhiloxInCounterOrder(t *testing.T) {
	s := NewStream(0x1234_5678_9abc, 9)
	key := [2]uint32{0x5678_9abc, 0x1234}
	for c := uint32(0); c < 3; c++ {
		want := Philox4x32([4]uint32{c, 0, 9, 0x616e7669}, key)
		for i, w := range want {
			if got := s.Uint32(); got != w {
				t.Fatalf("block %d word %d: %#x, want %#x", c, i, got, w)
			}
		}
	}
	if s.Counter != 3 {
		t.Errorf("Counter = %d after three blocks, want 3", s.Counter)
	}
}
