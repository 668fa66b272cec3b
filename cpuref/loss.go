package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// Clip bounds for probabilities, rounded to float32 as Keras's clip of a
// float32 tensor rounds them.
var (
	clipLo = float32(tensor.Epsilon)
	clipHi = float32(1 - tensor.Epsilon)
)

// loss is a bound tensor.Loss. Each chunk of samples sums its per-sample
// losses in float64 into its own slot; the slots are added in order and the
// total is added to LossSum[0] with one rounding.
type loss struct {
	op                                 tensor.Loss
	pred, target, probs, grad, lossSum []float32
	groups                             int // positions per sample: Size/Width
	perChunk                           int // samples per chunk
	partial                            []float64
	rows                               int
	elemScale, groupScale              float64 // 1/(Size·rows), 1/(groups·rows)
	fn                                 func(int)
	// weight holds the per-sample weights of a WeightedLoss, nil for Loss.
	weight []float32
	// smooth says targets are read as y·keep + add (label smoothing).
	smooth    bool
	keep, add float64
	delta     float64 // Huber's delta
}

func (p *program) bindLoss(o tensor.Loss) (kernel, error) {
	k, err := p.newLoss(o)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// newLoss binds the parts every loss op shares.
func (p *program) newLoss(o tensor.Loss) (*loss, error) {
	categorical := o.Kind.Categorical()
	bs, err := p.need(idRole{o.Pred, "Pred"}, idRole{o.Target, "Target"}, idRole{o.LossSum, "LossSum"})
	if err != nil {
		return nil, err
	}
	k := &loss{op: o, pred: bs[0], target: bs[1], lossSum: bs[2],
		probs: p.optBuf(o.Probs), grad: p.optBuf(o.Grad), perChunk: max(1, elemChunk/o.Size)}
	if categorical {
		k.groups = o.Size / o.Width
	}
	k.partial = make([]float64, numChunks(p.plan.Batch, k.perChunk))
	k.fn = k.chunk
	if o.Smoothing != 0 {
		ls := float64(o.Smoothing)
		k.smooth, k.keep, k.add = true, 1-ls, ls/float64(o.SmoothingClasses())
	}
	k.delta = float64(o.Delta)
	return k, nil
}

func (k *loss) run(a *tensor.StepArgs) {
	k.rows = a.Rows
	k.elemScale = 1 / float64(k.op.Size*a.Rows)
	if k.groups > 0 {
		k.groupScale = 1 / float64(k.groups*a.Rows)
	}
	n := numChunks(a.Rows, k.perChunk)
	parallelFor(n, k.fn)
	accumulate(k.lossSum, k.partial[:n])
}

func (k *loss) chunk(i int) {
	lo, hi := chunkBounds(i, k.rows, k.perChunk)
	s := 0.0
	for n := lo; n < hi; n++ {
		w := 1.0
		if k.weight != nil {
			w = float64(k.weight[n])
		}
		var l float64
		if k.groups > 0 {
			l = k.categorical(n, w)
		} else {
			l = k.elementwise(n, w)
		}
		if k.weight != nil {
			l *= w
		}
		s += l
	}
	k.partial[i] = s
}

// rowOf returns sample n of b, or nil when b is absent.
func rowOf(b []float32, n, size int) []float32 {
	if b == nil {
		return nil
	}
	return b[n*size : (n+1)*size]
}

// smoothed reads a dense target value, label-smoothed when asked.
func (k *loss) smoothed(v float32) float64 {
	if k.smooth {
		return float64(v)*k.keep + k.add
	}
	return float64(v)
}

// elementwise returns sample n's loss for the kinds that average over every
// element, and writes its gradient, d(loss)/dp · sw/(Size·rows), sw the
// sample's weight.
func (k *loss) elementwise(n int, sw float64) float64 {
	scale := k.elemScale
	if k.weight != nil {
		scale *= sw
	}
	size := k.op.Size
	p, y := rowOf(k.pred, n, size), rowOf(k.target, n, size)
	grad, probs := rowOf(k.grad, n, size), rowOf(k.probs, n, size)
	sum := 0.0
	for j, pv := range p {
		l, d := elementLoss(k.op.Kind, pv, k.smoothed(y[j]), k.delta)
		sum += l
		if grad != nil {
			grad[j] = float32(d * scale)
		}
		if probs != nil && k.op.Kind == tensor.SigmoidBinaryCrossentropy {
			probs[j] = sigmoid(pv)
		}
	}
	return sum / float64(size)
}

// elementLoss returns one element's loss and its derivative; delta is
// Huber's.
func elementLoss(kind tensor.LossKind, pv float32, y, delta float64) (l, d float64) {
	p := float64(pv)
	switch kind {
	case tensor.MeanSquaredError:
		e := p - y
		return e * e, 2 * e
	case tensor.MeanAbsoluteError:
		e := p - y
		s := 0.0 // the derivative of |e| at 0 is taken as 0, as TensorFlow's sign
		if e > 0 {
			s = 1
		} else if e < 0 {
			s = -1
		}
		return math.Abs(e), s
	case tensor.BinaryCrossentropy:
		c := float64(min(max(pv, clipLo), clipHi))
		l = -(y*math.Log(c+tensor.Epsilon) + (1-y)*math.Log(1-c+tensor.Epsilon))
		if pv >= clipLo && pv <= clipHi { // clipping passes no gradient
			d = -(y/(c+tensor.Epsilon) - (1-y)/(1-c+tensor.Epsilon))
		}
		return l, d
	case tensor.SigmoidBinaryCrossentropy:
		// max(x,0) − x·y + log(1+e^−|x|) never overflows.
		return max(p, 0) - p*y + math.Log1p(math.Exp(-math.Abs(p))), float64(sigmoid(pv)) - y
	case tensor.Huber:
		return huber(p-y, delta)
	case tensor.LogCosh:
		return logCosh(p - y)
	}
	return 0, 0
}

// categorical returns sample n's loss for the kinds that work on groups of
// Width classes, averaged over the groups, and writes its gradient scaled
// by sw/(groups·rows), sw the sample's weight.
func (k *loss) categorical(n int, sw float64) float64 {
	scale := k.groupScale
	if k.weight != nil {
		scale *= sw
	}
	size, w := k.op.Size, k.op.Width
	p := rowOf(k.pred, n, size)
	grad, probs := rowOf(k.grad, n, size), rowOf(k.probs, n, size)
	tsize := k.op.Kind.TargetSize(size, w)
	y := rowOf(k.target, n, tsize)
	sum := 0.0
	for g := 0; g < k.groups; g++ {
		pg := p[g*w : (g+1)*w]
		var gg, prg []float32
		if grad != nil {
			gg = grad[g*w : (g+1)*w]
		}
		if probs != nil {
			prg = probs[g*w : (g+1)*w]
		}
		switch k.op.Kind {
		case tensor.CategoricalCrossentropy:
			sum += k.crossentropy(pg, y[g*w:(g+1)*w], gg, scale)
		case tensor.SparseCategoricalCrossentropy:
			sum += k.sparseCrossentropy(pg, y[g], gg, scale)
		default: // the fused softmax kinds
			sum += k.softmaxCrossentropy(pg, y, g, gg, prg, scale)
		}
	}
	return sum / float64(k.groups)
}

func (k *loss) crossentropy(p, y, grad []float32, scale float64) float64 {
	l := 0.0
	for j, pv := range p {
		c := float64(min(max(pv, clipLo), clipHi))
		yj := k.smoothed(y[j])
		l -= yj * math.Log(c)
		if grad != nil {
			grad[j] = 0
			if pv >= clipLo && pv <= clipHi {
				grad[j] = float32(-yj / c * scale)
			}
		}
	}
	return l
}

// classIndex returns the class a sparse target names. The host is expected
// to validate labels; a target that is not an integer in [0, w) (or NaN)
// is reported invalid, and the caller lets it contribute nothing to the
// loss or the gradient rather than index out of range.
func classIndex(t float32, w int) (int, bool) {
	if t >= 0 && t < float32(w) && float64(t) == math.Trunc(float64(t)) {
		return int(t), true
	}
	return 0, false
}

func (k *loss) sparseCrossentropy(p []float32, t float32, grad []float32, scale float64) float64 {
	clear(grad)
	idx, ok := classIndex(t, len(p))
	if !ok {
		return 0
	}
	pv := p[idx]
	c := float64(min(max(pv, clipLo), clipHi))
	if grad != nil && pv >= clipLo && pv <= clipHi {
		grad[idx] = float32(-1 / c * scale)
	}
	return -math.Log(c)
}

// softmaxCrossentropy handles group g of both fused softmax kinds. With
// lse = log Σ e^x, the loss is Σy·lse − Σ y·x and its gradient is
// softmax·Σy − y, exact also for targets that do not sum to one.
func (k *loss) softmaxCrossentropy(x, target []float32, g int, grad, probs []float32, scale float64) float64 {
	mx, logSum := logSumExp(x)
	lse := mx + logSum
	w := len(x)
	sparse := k.op.Kind == tensor.SparseSoftmaxCrossentropy
	idx, ok := 0, true
	var y []float32
	if sparse {
		idx, ok = classIndex(target[g], w)
	} else {
		y = target[g*w : (g+1)*w]
	}
	l, ysum := 0.0, 1.0
	if sparse && ok {
		l = lse - float64(x[idx])
	} else if !sparse {
		ysum = 0
		for j, v := range x {
			yj := k.smoothed(y[j])
			ysum += yj
			l += yj * (lse - float64(v))
		}
	}
	for j, v := range x {
		pj := math.Exp(float64(v) - lse)
		if probs != nil {
			probs[j] = float32(pj)
		}
		if grad == nil {
			continue
		}
		var d float64
		switch {
		case !sparse:
			d = pj*ysum - k.smoothed(y[j])
		case ok && j == idx:
			d = pj - 1
		case ok:
			d = pj
		}
		grad[j] = float32(d * scale)
	}
	return l
}

// logSumExp returns max(x) and log Σ e^(x−max), computed in float64.
func logSumExp(x []float32) (mx, logSum float64) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	mx = float64(m)
	sum := 0.0
	for _, v := range x {
		sum += math.Exp(float64(v) - mx)
	}
	return mx, math.Log(sum)
}

// huber returns Keras's huber of one error e and its derivative:
// 0.5·e² where |e| ≤ delta, else delta·(|e| − 0.5·delta).
func huber(e, delta float64) (l, d float64) {
	if math.Abs(e) <= delta {
		return 0.5 * e * e, e
	}
	return delta * (math.Abs(e) - 0.5*delta), math.Copysign(delta, e)
}

// logCosh returns log(cosh(e)) and its derivative tanh(e). Below |e| = 1
// it is log1p(2·sinh²(e/2)) (cosh(e) − 1 without cancellation), which
// keeps small errors' e²/2 accurate; from 1 on |e| + log1p(e^−2|e|) − log 2,
// which never overflows (cosh does past |e| ≈ 710).
func logCosh(e float64) (l, d float64) {
	a := math.Abs(e)
	if a < 1 {
		s := math.Sinh(a / 2)
		return math.Log1p(2 * s * s), math.Tanh(e)
	}
	return a + math.Log1p(math.Exp(-2*a)) - math.Ln2, math.Tanh(e)
}
