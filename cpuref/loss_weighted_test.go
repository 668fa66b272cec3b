package cpuref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// refHuber is Keras's documented huber of one error x:
// 0.5·x² if |x| ≤ δ, else δ·(|x| − 0.5·δ).
func refHuber(x, delta float64) float64 {
	if math.Abs(x) <= delta {
		return 0.5 * x * x
	}
	return delta * (math.Abs(x) - 0.5*delta)
}

// refLogCosh is log(cosh(x)) as written; the inputs these tests feed it
// stay far from cosh's overflow, so the naive form is exact enough to
// judge the kernel's stable one.
func refLogCosh(x float64) float64 { return math.Log(math.Cosh(x)) }

// refSampleLosses returns each sample's loss: Huber and LogCosh from the
// formulas above, the other kinds from refLoss.
func refSampleLosses(kind tensor.LossKind, p, y []float64, size, width int, delta float64) []float64 {
	tsize := kind.TargetSize(size, width)
	rows := len(p) / size
	out := make([]float64, rows)
	for n := range out {
		ps, ys := p[n*size:(n+1)*size], y[n*tsize:(n+1)*tsize]
		switch kind {
		case tensor.Huber, tensor.LogCosh:
			for j, v := range ps {
				if kind == tensor.Huber {
					out[n] += refHuber(v-ys[j], delta)
				} else {
					out[n] += refLogCosh(v - ys[j])
				}
			}
			out[n] /= float64(size)
		default:
			out[n], _ = refLoss(kind, ps, ys, size, width)
		}
	}
	return out
}

// regressionInputs draws predictions and targets whose errors stay at
// least 0.05 from Huber's kinks at ±delta, so that no finite-difference
// step crosses one, and span both of its branches.
func regressionInputs(rng *rand.Rand, n int, delta float64) (pred, target []float32) {
	pred, target = uniform(rng, n, -2, 2), make([]float32, n)
	for i := range target {
		for {
			target[i] = float32(-2 + 4*rng.Float64())
			if math.Abs(math.Abs(float64(pred[i]-target[i]))-delta) > 0.05 {
				break
			}
		}
	}
	return pred, target
}

// lossCase runs one loss op (weighted when weights is not nil) over rows
// of batch and checks LossSum and Grad against the float64 reference
// Σ w·loss and central differences of its mean over the rows.
type lossCase struct {
	kind                     tensor.LossKind
	size, width, batch, rows int
	smoothing, delta         float32
	weights                  []float32
}

func (c lossCase) run(t *testing.T, pv, yv []float32) {
	r := newRig(t, c.batch)
	tsize := c.kind.TargetSize(c.size, c.width)
	pred, target := r.batched("pred", c.size), r.batched("target", tsize)
	grad, sum := r.batched("grad", c.size), r.fixed("sum", 1)
	probs := tensor.NoBuffer
	if c.kind.FromLogits() {
		probs = r.batched("probs", c.size)
	}
	op := tensor.Loss{Kind: c.kind, Pred: pred, Target: target, Probs: probs, Grad: grad, LossSum: sum,
		Size: c.size, Width: c.width, Smoothing: c.smoothing, Delta: c.delta}
	var weight tensor.BufferID
	if c.weights != nil {
		weight = r.batched("weight", 1)
		r.emit(tensor.WeightedLoss{Loss: op, Weight: weight})
	} else {
		r.emit(op)
	}
	r.compile()
	r.write(pred, pv)
	r.write(target, yv)
	if c.weights != nil {
		r.write(weight, c.weights)
	}
	r.fillSentinel(grad)
	r.run(c.rows)

	p64, y64 := f64(pv[:c.rows*c.size]), f64(yv[:c.rows*tsize])
	// Keras's label smoothing, y·(1−ls) + ls/K: K is the class count for
	// the categorical losses and 2 for the binary ones (its 0.5·ls).
	if ls := float64(c.smoothing); ls != 0 {
		k := 2.0
		if c.kind == tensor.CategoricalCrossentropy || c.kind == tensor.SoftmaxCrossentropy {
			k = float64(c.width)
		}
		for i, v := range y64 {
			y64[i] = v*(1-ls) + ls/k
		}
	}
	total := func() float64 {
		s := 0.0
		for n, l := range refSampleLosses(c.kind, p64, y64, c.size, c.width, float64(c.delta)) {
			w := 1.0
			if c.weights != nil {
				w = float64(c.weights[n])
			}
			s += w * l
		}
		return s
	}
	checkClose(t, "LossSum", r.read(sum), []float64{total()}, 1e-6)
	mean := func() float64 { return total() / float64(c.rows) }
	checkClose(t, "Grad", r.read(grad), numGrad(p64, mean, fdEps), gradTol)
	r.untouched(grad, c.rows*c.size)
}

// TestLossHuberLogCosh checks Huber (at two deltas) and LogCosh against the
// formulas Keras documents.
func TestLossHuberLogCosh(t *testing.T) {
	shapes := []struct{ size, width, batch, rows int }{{1, 1, 1, 1}, {5, 5, 3, 2}, {12, 4, 4, 3}}
	for si, s := range shapes {
		for _, kd := range []struct {
			kind  tensor.LossKind
			delta float32
		}{{tensor.Huber, 1}, {tensor.Huber, 0.5}, {tensor.LogCosh, 0}} {
			c := lossCase{kind: kd.kind, size: s.size, width: s.width, batch: s.batch, rows: s.rows, delta: kd.delta}
			t.Run(fmt.Sprintf("kind%d/delta%v/%d", kd.kind, kd.delta, si), func(t *testing.T) {
				pv, yv := regressionInputs(newRand(uint64(1700+si)), s.batch*s.size, float64(kd.delta))
				c.run(t, pv, yv)
			})
		}
	}
}

// TestLossHuberLogCoshEdges: errors whose cosh overflows float64 keep a
// finite log-cosh (|x| − log 2) and gradient (±1); Huber's linear branch
// keeps its slope ±delta.
func TestLossHuberLogCoshEdges(t *testing.T) {
	cases := []struct {
		kind       tensor.LossKind
		pred, targ []float32
		loss       float64
		grad       []float64
	}{
		{tensor.LogCosh, []float32{1000, -1000}, []float32{0, 0}, 1000 - math.Ln2, []float64{0.5, -0.5}},
		{tensor.LogCosh, []float32{0, 1e-4}, []float32{0, 0}, refLogCosh(1e-4) / 2, []float64{0, math.Tanh(1e-4) / 2}},
		{tensor.LogCosh, []float32{1e-3, 0.999, 1.001}, []float32{0, 0, 0},
			(refLogCosh(float64(float32(1e-3))) + refLogCosh(float64(float32(0.999))) + refLogCosh(float64(float32(1.001)))) / 3,
			[]float64{math.Tanh(float64(float32(1e-3))) / 3, math.Tanh(float64(float32(0.999))) / 3, math.Tanh(float64(float32(1.001))) / 3}},
		{tensor.Huber, []float32{1000, -3}, []float32{0, 0}, (999.5 + 2.5) / 2, []float64{0.5, -0.5}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			size := len(c.pred)
			r := newRig(t, 1)
			pred, target := r.batched("pred", size), r.batched("target", size)
			grad, sum := r.batched("grad", size), r.fixed("sum", 1)
			r.emit(tensor.Loss{Kind: c.kind, Pred: pred, Target: target, Probs: tensor.NoBuffer, Grad: grad,
				LossSum: sum, Size: size, Width: 1, Delta: 1})
			r.compile()
			r.write(pred, c.pred)
			r.write(target, c.targ)
			r.run(1)
			checkClose(t, "LossSum", r.read(sum), []float64{c.loss}, 1e-6)
			checkClose(t, "Grad", r.read(grad), c.grad, 1e-6)
		})
	}
}

// TestLossLabelSmoothing checks each kind that takes label smoothing
// against the unsmoothed reference fed Keras's smoothed targets.
func TestLossLabelSmoothing(t *testing.T) {
	kinds := []tensor.LossKind{tensor.CategoricalCrossentropy, tensor.SoftmaxCrossentropy,
		tensor.BinaryCrossentropy, tensor.SigmoidBinaryCrossentropy}
	for _, kind := range kinds {
		for _, ls := range []float32{0.1, 0.3} {
			c := lossCase{kind: kind, size: 8, width: 4, batch: 3, rows: 3, smoothing: ls}
			t.Run(fmt.Sprintf("kind%d/ls%v", kind, ls), func(t *testing.T) {
				pv, yv := lossInputs(newRand(uint64(1800+int(kind))), kind, c.batch*c.size, c.size, c.width)
				c.run(t, pv, yv)
			})
		}
	}
}

// TestWeightedLoss checks every kind with per-sample weights, zero among
// them: the sum is Σ w·loss and the gradient that of its mean over the
// rows (Keras's sum_over_batch_size divides by the samples, not by Σw).
func TestWeightedLoss(t *testing.T) {
	kinds := append(append([]tensor.LossKind(nil), allLosses...), tensor.Huber, tensor.LogCosh)
	for _, kind := range kinds {
		c := lossCase{kind: kind, size: 6, width: 3, batch: 5, rows: 4, delta: 1,
			weights: []float32{0.5, 0, 2, 1.25, 9}} // the fifth row is past the valid rows
		t.Run(fmt.Sprintf("kind%d", kind), func(t *testing.T) {
			rng := newRand(uint64(1900 + int(kind)))
			var pv, yv []float32
			if kind == tensor.Huber || kind == tensor.LogCosh {
				pv, yv = regressionInputs(rng, c.batch*c.size, 1)
			} else {
				pv, yv = lossInputs(rng, kind, c.batch*c.size, c.size, c.width)
			}
			c.run(t, pv, yv)
		})
	}
}

// TestWeightedLossOnes: weights of one give exactly Loss's bits, so the
// weighted program changes nothing where no sample is weighted.
func TestWeightedLossOnes(t *testing.T) {
	for _, kind := range allLosses {
		size, width, batch := 6, 3, 4
		pv, yv := lossInputs(newRand(uint64(2000+int(kind))), kind, batch*size, size, width)
		var sums, grads [2][]float32
		for i, weighted := range []bool{false, true} {
			r := newRig(t, batch)
			pred, target := r.batched("pred", size), r.batched("target", kind.TargetSize(size, width))
			grad, sum := r.batched("grad", size), r.fixed("sum", 1)
			op := tensor.Loss{Kind: kind, Pred: pred, Target: target, Probs: tensor.NoBuffer, Grad: grad,
				LossSum: sum, Size: size, Width: width}
			w := r.batched("weight", 1)
			if weighted {
				r.emit(tensor.WeightedLoss{Loss: op, Weight: w})
			} else {
				r.emit(op)
			}
			r.compile()
			r.write(pred, pv)
			r.write(target, yv)
			r.write(w, fill(batch, 1))
			r.run(batch)
			sums[i], grads[i] = r.read(sum), r.read(grad)
		}
		for j := range grads[0] {
			if math.Float32bits(grads[0][j]) != math.Float32bits(grads[1][j]) {
				t.Fatalf("kind %d: grad[%d] %v weighted by 1 gives %v", kind, j, grads[0][j], grads[1][j])
			}
		}
		if math.Float32bits(sums[0][0]) != math.Float32bits(sums[1][0]) {
			t.Fatalf("kind %d: loss sum %v weighted by 1 gives %v", kind, sums[0][0], sums[1][0])
		}
	}
}

// TestLossParamsRejected: the plan check refuses smoothing on a kind that
// takes none, smoothing outside [0, 1] and a Huber delta that is not
// positive.
func TestLossParamsRejected(t *testing.T) {
	bad := []tensor.Loss{
		{Kind: tensor.SparseCategoricalCrossentropy, Smoothing: 0.1},
		{Kind: tensor.MeanSquaredError, Smoothing: 0.1},
		{Kind: tensor.CategoricalCrossentropy, Smoothing: 1.5},
		{Kind: tensor.BinaryCrossentropy, Smoothing: float32(math.NaN())},
		{Kind: tensor.Huber, Delta: 0},
		{Kind: tensor.Huber, Delta: -1},
	}
	for i, o := range bad {
		o.Pred, o.Target, o.Probs, o.Grad, o.LossSum, o.Size, o.Width = 0, 1, tensor.NoBuffer, tensor.NoBuffer, 2, 4, 2
		if err := o.Check(nil); err == nil {
			t.Errorf("case %d: %+v passed the check", i, o)
		}
	}
}
