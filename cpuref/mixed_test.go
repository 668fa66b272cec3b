package cpuref

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestCastRounds checks Cast against binary16 values known from the
// standard (not from tensor.RoundFloat16), in the valid rows only.
func TestCastRounds(t *testing.T) {
	in := []float32{65504, 65520, 6.1034e-05, 2.9802322e-08, 2049, 0.1, -1e6, 1}
	want := []float32{65504, float32(math.Inf(1)), 6.1035156e-05, 0, 2048, 0.0999755859375, float32(math.Inf(-1)), 1}
	r := newRig(t, 2)
	x, y := r.batched("x", 4), r.batched("y", 4)
	r.emit(tensor.Cast{X: x, Y: y, Size: 4, Batched: true})
	r.compile()
	r.write(x, in)
	r.fillSentinel(y)
	r.run(2)
	got := r.read(y)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Cast(%v) = %v, want %v", in[i], got[i], want[i])
		}
	}
	r = newRig(t, 2)
	x, y = r.batched("x", 4), r.batched("y", 4)
	r.emit(tensor.Cast{X: x, Y: y, Size: 4, Batched: true})
	r.compile()
	r.write(x, in)
	r.fillSentinel(y)
	r.run(1)
	r.untouched(y, 4)
}

// TestLossScaleStep runs the loss-scaling ops around a stand-in update over
// steps whose gradients are finite, finite, Inf, NaN, finite, finite with
// growth every 2 finite steps, and follows scale, count, gradient and
// parameter by hand.
func TestLossScaleStep(t *testing.T) {
	r := newRig(t, 3)
	dl, g, param, backup := r.batched("dloss", 2), r.fixed("grad", 3), r.fixed("param", 3), r.fixed("backup", 3)
	ls, found := r.fixed("loss_scale", tensor.LossScaleSize), r.fixed("found", 1)
	r.emit(tensor.ApplyLossScale{X: dl, LossScale: ls, Size: 2, Batched: true},
		tensor.UnscaleGrad{Grad: g, LossScale: ls, Found: found, Size: 3},
		tensor.CopyBuffer{X: param, Y: backup, Size: 3},
		tensor.Add{A: param, B: g, Y: param, Size: 3, Unbatched: true},
		tensor.RevertIfFound{Backup: backup, Y: param, Found: found, Size: 3},
		tensor.UpdateLossScale{LossScale: ls, Found: found, GrowthSteps: 2})
	r.compile()
	r.write(ls, []float32{8, 0})
	r.write(param, []float32{0, 0, 0})
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	steps := []struct {
		grad             []float32
		wantScale, wantN float32
		wantParam        float32 // param[0] after the step
	}{
		{[]float32{8, 16, 24}, 8, 1, 1},  // unscaled by 8: +1, +2, +3
		{[]float32{8, 0, 0}, 16, 0, 2},   // second finite step: the scale doubles
		{[]float32{16, inf, 0}, 8, 0, 2}, // skipped: halved, param kept
		{[]float32{nan, 0, 0}, 4, 0, 2},  // skipped again
		{[]float32{4, 0, 0}, 4, 1, 3},    // unscaled by 4
		{[]float32{-8, 0, 0}, 8, 0, 1},   // doubles after two finite steps
	}
	for i, s := range steps {
		r.write(g, s.grad)
		r.write(dl, []float32{1, -2, 3, 4, 5, 6})
		r.run(2)
		got, p := r.read(ls), r.read(param)
		if got[0] != s.wantScale || got[1] != s.wantN || p[0] != s.wantParam || r.read(found)[0] != 0 {
			t.Fatalf("step %d: scale %v, param[0] %v, found %v; want scale [%v %v], param[0] %v, found 0",
				i, got, p[0], r.read(found), s.wantScale, s.wantN, s.wantParam)
		}
	}
	// The last step scaled the loss gradient's two valid rows by 4 (the
	// scale before its update) and left the third row alone.
	if d := r.read(dl); d[0] != 4 || d[3] != 16 || d[4] != 5 {
		t.Errorf("scaled loss gradient %v, want rows 0-1 times 4 and row 2 untouched", d)
	}
}
