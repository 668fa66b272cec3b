package cpuref

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestMetric checks each metric against values worked out by hand. Every
// case has one more sample in the batch than valid rows; that sample would
// change the sum if it were counted.
func TestMetric(t *testing.T) {
	cases := []struct {
		name        string
		kind        tensor.MetricKind
		size, width int
		pred, targ  []float32
		rows        int
		want        float64 // added to the initial Sum of 2
	}{
		// Every tie is set so that taking the last maximum instead of the
		// first would change the sum.
		{"categorical with ties", tensor.CategoricalAccuracy, 6, 3,
			[]float32{
				0.1, 0.7, 0.2, 0.5, 0.5, 0, // hit; tie goes to class 0 = target: hit → 1
				0.3, 0.3, 0.3, 0, 0.2, 1, // three-way tie goes to class 0 = target: hit; miss → 0.5
				0, 1, 0, 0, 1, 0}, // not a valid row
			[]float32{0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0},
			2, 1.5},
		{"sparse with ties", tensor.SparseCategoricalAccuracy, 3, 3,
			[]float32{
				0.2, 0.2, 0.6, // 2 == 2: hit
				0.4, 0.4, 0.2, // tie → 0 = target: hit
				0.1, 0.45, 0.45, // tie → 1 = target: hit
				0.6, 0.3, 0.1, // 0 ≠ 2: miss
				0, 0, 1},
			[]float32{2, 0, 1, 2, 2},
			4, 3},
		{"sparse positions", tensor.SparseCategoricalAccuracy, 4, 2,
			[]float32{0.9, 0.1, 0.2, 0.8, 1, 0, 0, 1},
			[]float32{0, 0, 1, 1}, // hit, miss → 0.5
			1, 0.5},
		{"binary", tensor.BinaryAccuracy, 4, 1,
			// 0.5 is not > 0.5, so it predicts 0: hits 0.5→0, 0.51→1, 0.2→0; 0.9→1 misses 0.
			[]float32{0.5, 0.51, 0.2, 0.9, 1, 1, 1, 1},
			[]float32{0, 1, 0, 0, 0, 0, 0, 0},
			1, 0.75},
		{"mean absolute", tensor.MeanAbsoluteMetric, 2, 1,
			[]float32{1, 2, 0.5, 0.5, 9, 9},
			[]float32{0, 4, 0, 0, 0, 0}, // (1+2)/2 + (0.5+0.5)/2
			2, 2},
		{"mean squared", tensor.MeanSquaredMetric, 2, 1,
			[]float32{1, 2, 0.5, -0.5, 9, 9},
			[]float32{0, 4, 0, 0, 0, 0}, // (1+4)/2 + (0.25+0.25)/2
			2, 2.75},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tensor.Metric{Kind: c.kind, Size: c.size, Width: c.width}
			batch := len(c.pred) / c.size
			r := newRig(t, batch)
			m.Pred, m.Target, m.Sum = r.batched("pred", c.size), r.batched("target", m.TargetSize()), r.fixed("sum", 1)
			r.emit(m)
			r.compile()
			r.write(m.Pred, c.pred)
			r.write(m.Target, c.targ)
			r.write(m.Sum, []float32{2})
			r.run(c.rows)
			// Exact values: sums of a few fractions with short binary expansions.
			checkClose(t, "Sum", r.read(m.Sum), []float64{2 + c.want}, 1e-7)
		})
	}
}

// TestTopKMetric checks the top-k accuracies against Keras's documented
// examples (TopKCategoricalAccuracy(k=1) and its sparse twin on
// [[0.1, 0.9, 0.8], [0.05, 0.95, 0]] give 0.5) and against ties at the
// k-th place, which count as in the top k as in Keras's in_top_k. The
// last sample of each batch is past the valid rows.
func TestTopKMetric(t *testing.T) {
	cases := []struct {
		name        string
		kind        tensor.MetricKind
		size, width int
		k           int
		pred, targ  []float32
		rows        int
		want        float64 // added to the initial Sum of 2
	}{
		{"keras example", tensor.TopKCategoricalAccuracy, 3, 3, 1,
			[]float32{0.1, 0.9, 0.8, 0.05, 0.95, 0, 0, 0, 1},
			[]float32{0, 0, 1, 0, 1, 0, 0, 0, 1}, 2, 1},
		{"sparse keras example", tensor.SparseTopKCategoricalAccuracy, 3, 3, 1,
			[]float32{0.1, 0.9, 0.8, 0.05, 0.95, 0, 0, 0, 1},
			[]float32{2, 1, 2}, 2, 1},
		{"ties at the k-th place", tensor.TopKCategoricalAccuracy, 4, 4, 2,
			[]float32{0.4, 0.3, 0.3, 0, 0.5, 0.5, 0.5, 0.1, 0, 0, 0, 1},
			[]float32{0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1}, 2, 1}, // one above 0.3: in; three above 0.1: out
		{"two one-hot groups a sample", tensor.TopKCategoricalAccuracy, 6, 3, 1,
			[]float32{0.1, 0.9, 0.8, 0.7, 0.2, 0.1}, []float32{0, 1, 0, 1, 0, 0}, 1, 1}, // both groups hit
		{"sparse positions and bad labels", tensor.SparseTopKCategoricalAccuracy, 6, 3, 2,
			[]float32{0.1, 0.2, 0.7, 0.6, 0.3, 0.1, 1, 1, 1, 1, 1, 1},
			[]float32{1, 2.5, 0, 0}, 1, 0.5}, // 1 is second: hit; 2.5 is no class: miss
		{"k at least the width", tensor.SparseTopKCategoricalAccuracy, 3, 3, 5,
			[]float32{0.1, 0.2, 0.7, 0, 0, 1}, []float32{0, 0}, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tensor.Metric{Kind: c.kind, Size: c.size, Width: c.width, K: c.k}
			r := newRig(t, len(c.pred)/c.size)
			m.Pred, m.Target, m.Sum = r.batched("pred", c.size), r.batched("target", m.TargetSize()), r.fixed("sum", 1)
			r.emit(m)
			r.compile()
			r.write(m.Pred, c.pred)
			r.write(m.Target, c.targ)
			r.write(m.Sum, []float32{2})
			r.run(c.rows)
			checkClose(t, "Sum", r.read(m.Sum), []float64{2 + c.want}, 1e-7)
		})
	}
}
