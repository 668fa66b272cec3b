package nn

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestDropoutDrawsAreTheKernelsMasks runs a training step (step 7, seed 3)
// and checks that each Dropout call's output is its input where the
// exported draw is ≥ rate, scaled by 1/(1−rate), and zero elsewhere. The
// layer is called twice, so the calls' draws must differ.
func TestDropoutDrawsAreTheKernelsMasks(t *testing.T) {
	ClearSession()
	in := Input(40)
	drop := Dropout(0.3, WithName("drop"))
	a, b := drop.Call(in), drop.Call(Dense(40).Call(in))
	m, err := NewModel([]*Symbol{in}, Dense(1).Call(Concatenate().Call(a, b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(SGD(), "mse"); err != nil {
		t.Fatal(err)
	}
	const n = 3
	r, err := trainProgram(m, n)
	if err != nil {
		t.Fatal(err)
	}
	x := randomTensor(12, 1, n, 40)
	trainLoss(t, m, r, x, randomTensor(13, 1, n, 1))
	draws, err := m.DropoutDraws(3, 7, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(draws) != 2 {
		t.Fatalf("%d draw sets, want one per call (2)", len(draws))
	}
	var outs []tensor.BufferID
	for i, buf := range r.low.plan.Buffers {
		if len(buf.Name) > 5 && buf.Name[:5] == "drop#" && buf.Name[len(buf.Name)-2:] == "/y" {
			outs = append(outs, tensor.BufferID(i))
		}
	}
	if len(outs) != 2 {
		t.Fatalf("found %d dropout outputs in the plan, want 2", len(outs))
	}
	// The first call's input is x itself.
	y := make([]float32, r.low.plan.Elems(outs[0]))
	if err := r.prog.Read(outs[0], y); err != nil {
		t.Fatal(err)
	}
	same := 0
	for i, u := range draws[0][:n*40] {
		want := float32(0)
		if u >= 0.3 {
			want = x.Data[i] * float32(1/(1-0.3))
		}
		if y[i] != want {
			t.Fatalf("element %d: dropout output %v, the draw %v says %v", i, y[i], u, want)
		}
		if (u >= 0.3) == (draws[1][i] >= 0.3) {
			same++
		}
	}
	if same == n*40 {
		t.Error("the two calls of one Dropout layer drew the same mask")
	}
}
