package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

var metricKinds = []tensor.MetricKind{tensor.CategoricalAccuracy, tensor.SparseCategoricalAccuracy,
	tensor.BinaryAccuracy, tensor.MeanAbsoluteMetric, tensor.MeanSquaredMetric,
	tensor.TopKCategoricalAccuracy, tensor.SparseTopKCategoricalAccuracy}

// TestMetricParity runs every metric kind on inputs with ties (values
// quantised to quarters, so argmax must pick the first maximum as
// tf.argmax does, and some predictions are exactly 0.5 for binary
// accuracy), accumulating twice onto a non-zero sum, within
// selftest.MetricSumTol.
func TestMetricParity(t *testing.T) {
	b := openBackend(t)
	const size, width = 40, 8
	for _, sh := range shapes {
		t.Run(shapeName(sh.batch, sh.rows), func(t *testing.T) {
			p := tensor.NewPlan(sh.batch)
			tols := map[tensor.BufferID]tol{}
			inputs := map[tensor.BufferID][]float32{}
			for _, kind := range metricKinds {
				m := tensor.Metric{Kind: kind, Size: size, Width: width, K: 3}
				m.Pred = p.AddBuffer(fmt.Sprintf("pred%d", kind), tensor.ActivationBuffer, true, tensor.Shape{size})
				m.Target = p.AddBuffer(fmt.Sprintf("target%d", kind), tensor.InputBuffer, true, tensor.Shape{m.TargetSize()})
				m.Sum = p.AddBuffer(fmt.Sprintf("sum%d", kind), tensor.AccumulatorBuffer, false, tensor.Shape{1})
				p.Emit(tensor.Eval, m)
				pv := quarters(sh.batch*size, uint64(kind)*3)
				tv := quarters(sh.batch*m.TargetSize(), uint64(kind)*3+1)
				for i := range tv {
					switch kind {
					case tensor.SparseCategoricalAccuracy, tensor.SparseTopKCategoricalAccuracy:
						tv[i] = float32(int((tv[i] + 1) * 4)) // classes 0..8: 8 never matches
					case tensor.BinaryAccuracy:
						tv[i] = float32(math.Round(float64(tv[i]+1) / 2))
					}
				}
				inputs[m.Pred], inputs[m.Target] = pv, tv
				tols[m.Sum] = selftest.MetricSumTol
			}
			init := func(id tensor.BufferID, n int) []float32 {
				if v, ok := inputs[id]; ok {
					return v
				}
				return []float32{2.25}
			}
			cpu, gpu := parityRun{plan: p, init: init, routine: tensor.Eval, steps: steps(2, sh.rows)}.run(t, b)
			compare(t, p, cpu, gpu, exact, tols)
		})
	}
}

// quarters returns n values in {−1, −0.75, ..., 0.75}, plenty of ties.
func quarters(n int, seed uint64) []float32 {
	v := randomFloats(n, seed)
	for i := range v {
		v[i] = float32(math.Floor(float64(v[i])*4)) / 4
	}
	return v
}
