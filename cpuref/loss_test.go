package cpuref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// kerasEpsilon is Keras's backend epsilon (keras.config.epsilon(), 1e-7),
// by which probabilities are clipped. It is written out here, not read from
// tensor.Epsilon, so that a wrong constant there fails these tests.
const kerasEpsilon = 1e-7

// refLoss returns the sum over samples of each sample's loss, following the
// tensor.Loss doc comments in float64, and the probabilities of the fused
// kinds.
func refLoss(kind tensor.LossKind, p, y []float64, size, width int) (sum float64, probs []float64) {
	clip := func(v float64) float64 { return math.Min(math.Max(v, kerasEpsilon), 1-kerasEpsilon) }
	rows := len(p) / size
	groups := size / width
	tsize := kind.TargetSize(size, width)
	probs = make([]float64, len(p))
	for n := 0; n < rows; n++ {
		ps, ys, pr := p[n*size:(n+1)*size], y[n*tsize:(n+1)*tsize], probs[n*size:(n+1)*size]
		l := 0.0
		switch kind {
		case tensor.MeanSquaredError, tensor.MeanAbsoluteError, tensor.BinaryCrossentropy, tensor.SigmoidBinaryCrossentropy:
			for j, v := range ps {
				switch kind {
				case tensor.MeanSquaredError:
					l += (v - ys[j]) * (v - ys[j])
				case tensor.MeanAbsoluteError:
					l += math.Abs(v - ys[j])
				case tensor.BinaryCrossentropy:
					l -= ys[j]*math.Log(clip(v)+kerasEpsilon) + (1-ys[j])*math.Log(1-clip(v)+kerasEpsilon)
				case tensor.SigmoidBinaryCrossentropy:
					s := 1 / (1 + math.Exp(-v))
					pr[j] = s
					l -= ys[j]*math.Log(s) + (1-ys[j])*math.Log(1-s)
				}
			}
			l /= float64(size)
		default:
			for g := 0; g < groups; g++ {
				pg, prg := ps[g*width:(g+1)*width], pr[g*width:(g+1)*width]
				target := make([]float64, width)
				if kind.Sparse() {
					target[int(ys[g])] = 1
				} else {
					copy(target, ys[g*width:(g+1)*width])
				}
				if kind.FromLogits() {
					copy(prg, refAct(tensor.Softmax, pg, width, 0))
					pg = prg
				}
				for j, v := range pg {
					if kind.FromLogits() {
						l -= target[j] * math.Log(v) // no clipping on the fused path
					} else {
						l -= target[j] * math.Log(clip(v))
					}
				}
			}
			l /= float64(groups)
		}
		sum += l
	}
	return sum, probs
}

// lossInputs draws predictions and targets suited to each kind: values in
// the unclipped range, and MAE targets away from the predictions so that no
// finite-difference step crosses |·|'s kink.
func lossInputs(rng *rand.Rand, kind tensor.LossKind, n, size, width int) (pred, target []float32) {
	groups := n / width
	switch kind {
	case tensor.MeanSquaredError:
		return uniform(rng, n, -1, 1), uniform(rng, n, -1, 1)
	case tensor.MeanAbsoluteError:
		pred, off := uniform(rng, n, -1, 1), awayFromZero(rng, n, 0.05)
		target = make([]float32, n)
		for i := range target {
			target[i] = pred[i] + off[i]
		}
		return pred, target
	case tensor.BinaryCrossentropy:
		return uniform(rng, n, 0.05, 0.95), uniform(rng, n, 0, 1)
	case tensor.SigmoidBinaryCrossentropy:
		return uniform(rng, n, -3, 3), uniform(rng, n, 0, 1)
	case tensor.SoftmaxCrossentropy, tensor.SparseSoftmaxCrossentropy:
		pred = uniform(rng, n, -3, 3)
	default:
		pred = normalised(uniform(rng, n, 0.05, 1), width)
	}
	if kind.Sparse() {
		target = make([]float32, groups)
		for i := range target {
			target[i] = float32(rng.IntN(width))
		}
		return pred, target
	}
	// Soft labels, so that every class's gradient term is exercised, and
	// not normalised: Keras does not require targets to sum to one, and the
	// fused softmax gradient is p·Σy − y, which p − y matches only when
	// they do. Each group sums to about width/2 here.
	return pred, uniform(rng, n, 0, 1)
}

// normalised scales each group of width values to sum to one.
func normalised(x []float32, width int) []float32 {
	for g := 0; g < len(x); g += width {
		s := float32(0)
		for _, v := range x[g : g+width] {
			s += v
		}
		for j := g; j < g+width; j++ {
			x[j] /= s
		}
	}
	return x
}

var allLosses = []tensor.LossKind{tensor.MeanSquaredError, tensor.MeanAbsoluteError, tensor.CategoricalCrossentropy,
	tensor.SparseCategoricalCrossentropy, tensor.BinaryCrossentropy, tensor.SoftmaxCrossentropy,
	tensor.SparseSoftmaxCrossentropy, tensor.SigmoidBinaryCrossentropy}

// TestLoss checks LossSum (accumulated, not reset), Probs and Grad, the
// last against central differences of the mean loss over the valid rows.
func TestLoss(t *testing.T) {
	cases := []struct{ size, width, batch, rows int }{
		{1, 1, 1, 1}, {5, 5, 3, 2}, {12, 4, 4, 3}, {10, 10, 7, 7},
	}
	for ci, lc := range cases {
		for _, kind := range allLosses {
			probabilities := kind == tensor.CategoricalCrossentropy || kind == tensor.SparseCategoricalCrossentropy
			if probabilities && lc.width == 1 {
				continue // one class has p = 1, on the clipping kink
			}
			t.Run(fmt.Sprintf("kind%d/%+v", kind, lc), func(t *testing.T) {
				testLoss(t, kind, lc.size, lc.width, lc.batch, lc.rows, uint64(1600+ci*10+int(kind)))
			})
		}
	}
}

func testLoss(t *testing.T, kind tensor.LossKind, size, width, batch, rows int, seed uint64) {
	r := newRig(t, batch)
	tsize := kind.TargetSize(size, width)
	pred, target := r.batched("pred", size), r.batched("target", tsize)
	grad, sum := r.batched("grad", size), r.fixed("sum", 1)
	probs := tensor.NoBuffer
	if kind.FromLogits() {
		probs = r.batched("probs", size)
	}
	r.emit(tensor.Loss{Kind: kind, Pred: pred, Target: target, Probs: probs, Grad: grad, LossSum: sum, Size: size, Width: width})
	r.compile()
	pv, yv := lossInputs(newRand(seed), kind, batch*size, size, width)
	r.write(pred, pv)
	r.write(target, yv)
	r.write(sum, []float32{1.5})
	r.fillSentinel(grad)
	if probs != tensor.NoBuffer {
		r.fillSentinel(probs)
	}
	r.run(rows)

	p64, y64 := f64(pv[:rows*size]), f64(yv[:rows*tsize])
	want, wantProbs := refLoss(kind, p64, y64, size, width)
	// LossSum is float32: the float64 total is rounded once when added.
	checkClose(t, "LossSum", r.read(sum), []float64{1.5 + want}, 1e-6)
	mean := func() float64 { s, _ := refLoss(kind, p64, y64, size, width); return s / float64(rows) }
	checkClose(t, "Grad", r.read(grad), numGrad(p64, mean, fdEps), gradTol)
	r.untouched(grad, rows*size)
	if probs != tensor.NoBuffer {
		checkClose(t, "Probs", r.read(probs), wantProbs, fwdTol)
		r.untouched(probs, rows*size)
	}
}

// TestLossEdges covers clipped probabilities, huge logits and sparse labels
// the host failed to validate.
// The clip bounds ε and 1 − ε as float32 values, and those values in
// float64, from Keras's ε = 1e-7 (kerasEpsilon).
var (
	clipLoF32, clipHiF32 = float32(kerasEpsilon), float32(1 - kerasEpsilon)
	clipLo64, clipHi64   = float64(clipLoF32), float64(clipHiF32)
)

func TestLossEdges(t *testing.T) {
	cases := []struct {
		name       string
		kind       tensor.LossKind
		pred, targ []float32
		width      int
		loss       float64
		grad       []float64
	}{
		// p = 0 is clipped to ε: the loss is −log ε and clipping passes no gradient.
		{"cce clipped", tensor.CategoricalCrossentropy, []float32{0, 1}, []float32{1, 0}, 2,
			-math.Log(kerasEpsilon), []float64{0, 0}},
		{"bce clipped", tensor.BinaryCrossentropy, []float32{1}, []float32{1}, 1,
			-math.Log(float64(float32(1-kerasEpsilon)) + kerasEpsilon), []float64{0}},
		// Predictions exactly on the clip bounds ε and 1−ε (as float32) are
		// inside: their gradient passes, as clip_by_value's does at its
		// bounds in TensorFlow.
		{"bce on the clip bounds", tensor.BinaryCrossentropy, []float32{clipLoF32, clipHiF32}, []float32{1, 0}, 1,
			(-math.Log(clipLo64+kerasEpsilon) - math.Log(1-clipHi64+kerasEpsilon)) / 2,
			[]float64{-1 / (clipLo64 + kerasEpsilon) / 2, 1 / (1 - clipHi64 + kerasEpsilon) / 2}},
		// (Each bound in its own case: checkClose scales its tolerance by
		// the largest value, and 1/ε would swamp 1/(1−ε).)
		{"cce on the lower clip bound", tensor.CategoricalCrossentropy, []float32{clipLoF32, 0.5}, []float32{1, 0}, 2,
			-math.Log(clipLo64), []float64{-1 / clipLo64, 0}},
		{"cce on the upper clip bound", tensor.CategoricalCrossentropy, []float32{clipHiF32, 0.5}, []float32{1, 0}, 2,
			-math.Log(clipHi64), []float64{-1 / clipHi64, 0}},
		{"sparse on the lower clip bound", tensor.SparseCategoricalCrossentropy, []float32{0.5, clipLoF32}, []float32{1}, 2,
			-math.Log(clipLo64), []float64{0, -1 / clipLo64}},
		{"sparse on the upper clip bound", tensor.SparseCategoricalCrossentropy, []float32{0.5, clipHiF32}, []float32{1}, 2,
			-math.Log(clipHi64), []float64{0, -1 / clipHi64}},
		// |e|'s derivative at e = 0 is 0, as TensorFlow's sign(0).
		{"mae at zero error", tensor.MeanAbsoluteError, []float32{0.5, 0.25}, []float32{0.5, 0.75}, 1,
			0.25, []float64{0, -0.5}},
		// Logits of ±1000 overflow a naive exp; the fused forms stay exact.
		{"softmax huge", tensor.SoftmaxCrossentropy, []float32{1000, -1000}, []float32{0, 1}, 2,
			2000, []float64{1, -1}},
		{"sigmoid huge", tensor.SigmoidBinaryCrossentropy, []float32{-1000}, []float32{1}, 1,
			1000, []float64{-1}},
		// Invalid labels (out of range, negative, fractional, NaN) contribute
		// nothing; the valid group still counts in the mean over 2 groups.
		{"sparse out of range", tensor.SparseCategoricalCrossentropy, []float32{0.5, 0.5, 0.25, 0.75}, []float32{2, 1}, 2,
			-math.Log(0.75) / 2, []float64{0, 0, 0, -1 / 0.75 / 2}},
		{"sparse negative", tensor.SparseSoftmaxCrossentropy, []float32{0, 0, 0, 0}, []float32{-1, 0}, 2,
			math.Log(2) / 2, []float64{0, 0, -0.25, 0.25}},
		{"sparse fractional", tensor.SparseCategoricalCrossentropy, []float32{0.5, 0.5, 0.5, 0.5}, []float32{0.5, 1}, 2,
			math.Log(2) / 2, []float64{0, 0, 0, -1}},
		{"sparse NaN", tensor.SparseSoftmaxCrossentropy, []float32{0, 0, 0, 0}, []float32{float32(math.NaN()), 1}, 2,
			math.Log(2) / 2, []float64{0, 0, 0.25, -0.25}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size := len(c.pred)
			r := newRig(t, 1)
			pred, target := r.batched("pred", size), r.batched("target", len(c.targ))
			grad, sum := r.batched("grad", size), r.fixed("sum", 1)
			r.emit(tensor.Loss{Kind: c.kind, Pred: pred, Target: target, Probs: tensor.NoBuffer, Grad: grad,
				LossSum: sum, Size: size, Width: c.width})
			r.compile()
			r.write(pred, c.pred)
			r.write(target, c.targ)
			r.run(1)
			checkClose(t, "LossSum", r.read(sum), []float64{c.loss}, 1e-6)
			checkClose(t, "Grad", r.read(grad), c.grad, 1e-6)
		})
	}
}
