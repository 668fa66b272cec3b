package cpuref

import (
	"fmt"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// confusionRig binds one ConfusionCounts over a batch of batch samples.
func confusionRig(t *testing.T, o tensor.ConfusionCounts, batch int) (*rig, tensor.ConfusionCounts) {
	r := newRig(t, batch)
	o.Pred, o.Target, o.Counts = r.batched("pred", o.Size), r.batched("target", o.Size), r.fixed("counts", tensor.CountRows*o.Bins)
	r.emit(o)
	r.compile()
	return r, o
}

// countsOf lays out tp, fp, fn, tn rows as the accumulator holds them.
func countsOf(tp, fp, fn, tn []float64) []float64 {
	out := append(append(append(append([]float64{}, tp...), fp...), fn...), tn...)
	return out
}

// TestConfusionKerasExamples checks the counts behind the worked examples
// of Keras's documentation: Precision and Recall on y_true [0,1,1,1],
// y_pred [1,0,1,1] (tp 2, fp 1, fn 1, so 0.6667 each); AUC(num_thresholds=3)
// on [0,0,1,1], [0,0.5,0.3,0.9] (its docstring lists tp [2,1,0], fp
// [2,0,0], fn [0,1,2], tn [0,2,2]); and F1Score(threshold=0.5) on its 3×3
// example, whose per-class counts give its [0.5, 0.8, 0.6667]. A fifth
// sample past the valid rows would change every count.
func TestConfusionKerasExamples(t *testing.T) {
	cases := []struct {
		name       string
		op         tensor.ConfusionCounts
		pred, targ []float32
		rows       int
		want       []float64
	}{
		{"precision", tensor.ConfusionCounts{Mode: tensor.ThresholdCounts, Size: 1, Width: 1, Bins: 1, Threshold: 0.5},
			[]float32{1, 0, 1, 1, 1}, []float32{0, 1, 1, 1, 0}, 4,
			countsOf([]float64{2}, []float64{1}, []float64{1}, []float64{0})},
		{"auc buckets", tensor.ConfusionCounts{Mode: tensor.BucketCounts, Size: 1, Width: 1, Bins: 3},
			[]float32{0, 0.5, 0.3, 0.9, 1}, []float32{0, 0, 1, 1, 0}, 4,
			countsOf([]float64{2, 1, 0}, []float64{2, 0, 0}, []float64{0, 1, 2}, []float64{0, 2, 2})},
		{"f1 classes", tensor.ConfusionCounts{Mode: tensor.ClassCounts, Size: 3, Width: 3, Bins: 3, Threshold: 0.5},
			[]float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0.0, 1, 1, 1},
			[]float32{1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0}, 3,
			countsOf([]float64{1, 2, 1}, []float64{0, 1, 1}, []float64{2, 0, 0}, []float64{0, 0, 1})},
		// A prediction exactly at the threshold is not positive: Keras
		// compares y_pred > thresholds.
		{"at the threshold", tensor.ConfusionCounts{Mode: tensor.ThresholdCounts, Size: 1, Width: 1, Bins: 1, Threshold: 0.5},
			[]float32{0.5, 0.5, 0.6, 0.4}, []float32{1, 0, 1, 0}, 4,
			countsOf([]float64{1}, []float64{0}, []float64{1}, []float64{2})},
		// Per class alike; and with threshold=None an element exactly at
		// ±1e-9 is no prediction (Keras: |y_pred| > 1e-9).
		{"classes at the threshold", tensor.ConfusionCounts{Mode: tensor.ClassCounts, Size: 2, Width: 2, Bins: 2, Threshold: 0.5},
			[]float32{0.5, 0.6}, []float32{1, 0}, 1,
			countsOf([]float64{0, 0}, []float64{0, 1}, []float64{1, 0}, []float64{0, 0})},
		{"by max at ±1e-9", tensor.ConfusionCounts{Mode: tensor.ClassCounts, Size: 2, Width: 2, Bins: 2, ByMax: true},
			[]float32{1e-9, 0, -1e-9, -1}, []float32{1, 0, 1, 0}, 2,
			countsOf([]float64{0, 0}, []float64{0, 0}, []float64{2, 0}, []float64{0, 2})},
		// Precision(top_k=2) and (top_k=4) on y_true [0,0,1,1], y_pred
		// [1,1,1,1] give 0.0 and 0.5: with all four tied, top_k keeps the
		// lowest indices. The threshold is Keras's NEG_INF for top_k.
		{"top_k=2", tensor.ConfusionCounts{Mode: tensor.ThresholdCounts, Size: 4, Width: 4, Bins: 1, Threshold: -1e10, K: 2},
			[]float32{1, 1, 1, 1, 1, 1, 1, 1}, []float32{0, 0, 1, 1, 1, 1, 1, 1}, 1,
			countsOf([]float64{0}, []float64{2}, []float64{2}, []float64{0})},
		{"top_k=4", tensor.ConfusionCounts{Mode: tensor.ThresholdCounts, Size: 4, Width: 4, Bins: 1, Threshold: -1e10, K: 4},
			[]float32{1, 1, 1, 1, 1, 1, 1, 1}, []float32{0, 0, 1, 1, 1, 1, 1, 1}, 1,
			countsOf([]float64{2}, []float64{2}, []float64{0}, []float64{0})},
		// top_k=1 per class: only each row's first maximum can be positive,
		// and it must also pass the threshold 0.5 (row 2's 0.4 does not).
		{"class top_k=1", tensor.ConfusionCounts{Mode: tensor.ClassCounts, Size: 3, Width: 3, Bins: 3, Threshold: 0.5, K: 1},
			[]float32{0.6, 0.9, 0.9, 0.4, 0.1, 0.2, 0.7, 0.6, 0.1},
			[]float32{1, 0, 1, 1, 0, 0, 1, 1, 0}, 3,
			countsOf([]float64{1, 0, 0}, []float64{0, 1, 0}, []float64{2, 1, 1}, []float64{0, 1, 2})},
		// threshold=None: the row maximum is positive, ties included, but
		// an all-zero row predicts nothing (Keras's |p| > 1e-9).
		{"f1 by max", tensor.ConfusionCounts{Mode: tensor.ClassCounts, Size: 3, Width: 3, Bins: 3, ByMax: true},
			[]float32{0.2, 0.6, 0.6, 0, 0, 0, 0.9, 0.05, 0.05, 1, 1, 1},
			[]float32{0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1}, 3,
			countsOf([]float64{0, 1, 0}, []float64{1, 0, 1}, []float64{1, 0, 1}, []float64{1, 2, 1})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, o := confusionRig(t, c.op, len(c.pred)/c.op.Size)
			r.write(o.Pred, c.pred)
			r.write(o.Target, c.targ)
			r.run(c.rows)
			checkClose(t, "Counts", r.read(o.Counts), c.want, 0)
		})
	}
}

// kerasThresholds are AUC's thresholds as Keras builds them: (i+1)/(n−1)
// in float64 between −1e-7 and 1+1e-7, then cast to float32.
func kerasThresholds(n int) []float32 {
	th := []float32{float32(0 - 1e-7)}
	for i := 0; i < n-2; i++ {
		th = append(th, float32(float64(i+1)/float64(n-1)))
	}
	return append(th, float32(1+1e-7))
}

// naiveCounts is the definition of the counts, written out: at each
// threshold, an element with p > threshold is predicted positive.
func naiveCounts(p, y, th []float32) []float64 {
	n := len(th)
	out := make([]float64, tensor.CountRows*n)
	for t, thr := range th {
		for i := range p {
			row := tensor.CountTN
			switch pos, act := p[i] > thr, y[i] != 0; {
			case pos && act:
				row = tensor.CountTP
			case pos:
				row = tensor.CountFP
			case act:
				row = tensor.CountFN
			}
			out[row*n+t]++
		}
	}
	return out
}

// TestConfusionAgainstDefinition compares every mode with the naive
// per-threshold definition on random inputs, accumulated over several
// steps (the sum of the steps' counts must equal the counts of the whole
// set at once). The bucket mode is Keras's evenly-spaced shortcut: it
// agrees with comparisons except for a p within a rounding of a threshold,
// which uniform random float32 values in (0, 1) avoid here (checked).
func TestConfusionAgainstDefinition(t *testing.T) {
	const batch, steps = 7, 3
	rng := newRand(11)
	for _, o := range []tensor.ConfusionCounts{
		{Mode: tensor.ThresholdCounts, Size: 5, Width: 5, Bins: 1, Threshold: 0.3},
		{Mode: tensor.BucketCounts, Size: 5, Width: 5, Bins: 200},
		{Mode: tensor.BucketCounts, Size: 2, Width: 1, Bins: 7},
		{Mode: tensor.ClassCounts, Size: 6, Width: 3, Bins: 3, Threshold: 0.6},
	} {
		t.Run(fmt.Sprintf("mode %d bins %d", o.Mode, o.Bins), func(t *testing.T) {
			r, o := confusionRig(t, o, batch)
			var allP, allY []float32
			for s := 0; s < steps; s++ {
				p := uniform(rng, batch*o.Size, 0, 1)
				y := uniform(rng, batch*o.Size, 0, 1)
				for i := range y {
					y[i] = float32(int(y[i] * 2)) // 0 or 1
				}
				rows := batch - s // short last batches too
				r.write(o.Pred, p)
				r.write(o.Target, y)
				r.run(rows)
				allP, allY = append(allP, p[:rows*o.Size]...), append(allY, y[:rows*o.Size]...)
			}
			th := []float32{o.Threshold}
			if o.Mode == tensor.BucketCounts {
				th = kerasThresholds(o.Bins)
				for _, v := range allP {
					b := tensor.AUCBucket(v, o.Bins)
					if !(v > th[b]) || (b+1 < o.Bins && v > th[b+1]) {
						t.Fatalf("AUCBucket(%v) = %d, but thresholds %v..%v", v, b, th[b], th[min(b+1, o.Bins-1)])
					}
				}
			}
			var want []float64
			if o.Mode == tensor.ClassCounts {
				want = classCounts(allP, allY, o.Width, o.Threshold)
			} else {
				want = naiveCounts(allP, allY, th)
			}
			checkClose(t, "Counts", r.read(o.Counts), want, 0)
		})
	}
}

// classCounts is the per-class definition: class c's decisions are the
// elements at positions c, c+width, ... at one threshold.
func classCounts(p, y []float32, width int, thr float32) []float64 {
	out := make([]float64, tensor.CountRows*width)
	for c := 0; c < width; c++ {
		var cp, cy []float32
		for i := c; i < len(p); i += width {
			cp, cy = append(cp, p[i]), append(cy, y[i])
		}
		one := naiveCounts(cp, cy, []float32{thr})
		for row := 0; row < tensor.CountRows; row++ {
			out[row*width+c] = one[row]
		}
	}
	return out
}

// TestAUCBucketEdges pins the bucket of the values on the thresholds
// themselves, where "p > threshold" decides: p = 0.5 with 3 thresholds
// exceeds only −ε (bucket 0); p = 1 exceeds all but 1+ε; values outside
// [0, 1] are clipped, and NaN goes to bucket 0.
func TestAUCBucketEdges(t *testing.T) {
	nan := float32(0)
	nan /= nan
	for _, c := range []struct {
		p    float32
		bins int
		want int
	}{{0, 3, 0}, {0.5, 3, 0}, {0.50001, 3, 1}, {1, 3, 1}, {2, 3, 1}, {-1, 3, 0}, {nan, 3, 0},
		{1, 200, 198}, {0.5, 200, 99}} {
		if got := tensor.AUCBucket(c.p, c.bins); got != c.want {
			t.Errorf("AUCBucket(%v, %d) = %d, want %d", c.p, c.bins, got, c.want)
		}
	}
}
