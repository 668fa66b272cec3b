package gpu

import (
	"reflect"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestBarrierPlan checks where barriers go, without a device: only before
// an op that depends on one recorded since the last barrier.
func TestBarrierPlan(t *testing.T) {
	const x, y, z, w, sum = 0, 1, 2, 3, 4
	add := func(a, b, out tensor.BufferID) tensor.Op { return tensor.Add{A: a, B: b, Y: out, Size: 4} }
	loss := tensor.Loss{Kind: tensor.MeanSquaredError, Pred: y, Target: x, Probs: tensor.NoBuffer, Grad: tensor.NoBuffer,
		LossSum: sum, Size: 4, Width: 4}
	cases := []struct {
		name string
		ops  []tensor.Op
		want []bool
	}{
		{"read after write", []tensor.Op{add(x, x, y), add(y, y, z)}, []bool{false, true}},
		{"independent reads share a gap", []tensor.Op{add(x, x, y), add(x, x, z), add(x, x, w)}, []bool{false, false, false}},
		{"write after read", []tensor.Op{add(x, y, z), add(w, w, x)}, []bool{false, true}},
		{"write after write", []tensor.Op{add(x, x, y), add(w, w, y)}, []bool{false, true}},
		{"in place after a reader", []tensor.Op{add(x, x, y), add(x, x, x)}, []bool{false, true}},
		{"a barrier clears the history", []tensor.Op{add(x, x, y), add(y, y, z), add(x, x, w)}, []bool{false, true, false}},
		{"accumulators chain", []tensor.Op{loss, loss}, []bool{false, true}},
		// A dense layer's backward pass as nn lowers it: the gradient dy
		// (y), then the weight, bias and data gradients, which depend on
		// dy but not on each other, behind one barrier.
		{"a layer's gradients share a gap", []tensor.Op{add(x, x, y),
			tensor.MatMul{A: w, B: y, C: z, M: 4, N: 4, K: 1, TransA: true, Batch: tensor.BatchK},
			tensor.BiasGrad{DY: y, DBias: sum, Outer: 1, C: 4},
			tensor.MatMul{A: y, B: x, C: 5, M: 1, N: 4, K: 4, TransB: true, Batch: tensor.BatchM}},
			[]bool{false, true, false, false}},
		{"NoBuffer is no dependency", []tensor.Op{loss, tensor.Activation{Fn: tensor.ReLU, X: x, Y: w, Size: 4}}, []bool{false, false}},
	}
	for _, c := range cases {
		if got := barrierPlan(c.ops); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: barriers %v, want %v", c.name, got, c.want)
		}
	}
}

// TestMissingBarrierIsCaught proves that synchronization validation sees
// a hazard between two dispatches of a recorded step, so the suite's
// "no validation messages" assertion also checks the barrier plan: two
// dependent ops recorded without the barrier barrierPlan would place must
// be reported.
func TestMissingBarrierIsCaught(t *testing.T) {
	b := openBackend(t)
	if !b.dev.Validation() {
		t.Skip("validation is off; run with ANVIL_VK_VALIDATION=1")
	}
	p := tensor.NewPlan(2)
	x := p.AddBuffer("x", tensor.ActivationBuffer, true, tensor.Shape{100})
	y := p.AddBuffer("y", tensor.ActivationBuffer, true, tensor.Shape{100})
	z := p.AddBuffer("z", tensor.ActivationBuffer, true, tensor.Shape{100})
	prog := compileGPU(t, b, p)
	first, err := prog.bindOp(tensor.Add{A: x, B: x, Y: y, Size: 100})
	must(t, err)
	second, err := prog.bindOp(tensor.Add{A: y, B: y, Y: z, Size: 100})
	must(t, err)
	c, err := b.dev.NewCommands()
	must(t, err)
	defer c.Close()
	must(t, c.Begin())
	must(t, first.record(c))
	must(t, second.record(c)) // reads y with no barrier after the write
	must(t, c.End())
	msgs := strings.Join(b.dev.ValidationMessages(), "\n")
	if !strings.Contains(msgs, "SYNC-HAZARD-READ-AFTER-WRITE") {
		t.Fatalf("no read-after-write hazard reported; got %q", msgs)
	}
}
