package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestConfusionParity runs every count mode against cpuref, twice onto a
// non-zero accumulator. Both backends count each step in integers and add
// each count to the float accumulator once, so the counts must match bit
// for bit (exact). The predictions are multiples of 1/4 in [−0.75, 2.75]:
// many lie exactly on a threshold (0.5 with 0.5, or on an AUC bucket edge
// k/(bins−1) with bins 3, 5 or 9), where the float32 rounding of
// p·(bins−1) decides, and many lie outside [0, 1], which AUC clips.
func TestConfusionParity(t *testing.T) {
	b := openBackend(t)
	ops := []tensor.ConfusionCounts{
		{Mode: tensor.ThresholdCounts, Size: 10, Width: 10, Bins: 1, Threshold: 0.5},
		{Mode: tensor.BucketCounts, Size: 10, Width: 10, Bins: 200},
		{Mode: tensor.BucketCounts, Size: 3, Width: 1, Bins: 3},
		{Mode: tensor.BucketCounts, Size: 7, Width: 7, Bins: 9},
		{Mode: tensor.ClassCounts, Size: 12, Width: 4, Bins: 4, Threshold: 0.25},
		{Mode: tensor.ClassCounts, Size: 12, Width: 4, Bins: 4, ByMax: true},
		{Mode: tensor.ThresholdCounts, Size: 12, Width: 4, Bins: 1, Threshold: 0.25, K: 2}, // ties at the k-th place
		{Mode: tensor.ClassCounts, Size: 12, Width: 4, Bins: 4, Threshold: -1e10, K: 1},
	}
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			tols := map[tensor.BufferID]tol{}
			inputs := map[tensor.BufferID][]float32{}
			for i, o := range ops {
				o.Pred = p.AddBuffer(fmt.Sprintf("pred%d", i), tensor.ActivationBuffer, true, tensor.Shape{o.Size})
				o.Target = p.AddBuffer(fmt.Sprintf("target%d", i), tensor.InputBuffer, true, tensor.Shape{o.Size})
				o.Counts = p.AddBuffer(fmt.Sprintf("counts%d", i), tensor.AccumulatorBuffer, false, tensor.Shape{tensor.CountRows * o.Bins})
				p.Emit(tensor.Eval, o)
				pv := quarters(sh.batch*o.Size, uint64(i)*5)
				for j := range pv {
					pv[j] = pv[j]*2 + 1.25 // quarters in [−0.75, 2.75]
				}
				tv := quarters(sh.batch*o.Size, uint64(i)*5+1)
				for j := range tv {
					tv[j] = float32(math.Max(0, float64(tv[j]))) // 0 or a positive (soft) label
				}
				inputs[o.Pred], inputs[o.Target] = pv, tv
				tols[o.Counts] = exact
			}
			init := func(id tensor.BufferID, n int) []float32 {
				if v, ok := inputs[id]; ok {
					return v
				}
				out := make([]float32, n)
				for j := range out {
					out[j] = float32(j % 5) // a running accumulator
				}
				return out
			}
			cpu, gpu := parityRun{plan: p, init: init, routine: tensor.Eval, steps: steps(2, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, tols)
		})
	}
}
