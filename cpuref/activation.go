package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// activation is a bound tensor.Activation. Softmax works on whole groups of
// Width, so its chunks are cut at group boundaries.
type activation struct {
	op    tensor.Activation
	x, y  []float32
	total int
	chunk int // elements per chunk, a multiple of Width for softmax
	fn    func(int)
}

// actChunk is the chunk size for fn: whole softmax groups, else elemChunk.
func actChunk(fn tensor.ActFn, width int) int {
	if fn == tensor.Softmax {
		return max(1, elemChunk/width) * width
	}
	return elemChunk
}

func (p *program) bindActivation(o tensor.Activation) (kernel, error) {
	bs, err := p.need(idRole{o.X, "X"}, idRole{o.Y, "Y"})
	if err != nil {
		return nil, err
	}
	k := &activation{op: o, x: bs[0], y: bs[1], chunk: actChunk(o.Fn, o.Width)}
	k.fn = k.run1
	return k, nil
}

func (k *activation) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.op.Size
	parallelFor(numChunks(k.total, k.chunk), k.fn)
}

func (k *activation) run1(i int) {
	lo, hi := chunkBounds(i, k.total, k.chunk)
	x, y := k.x[lo:hi], k.y[lo:hi]
	switch k.op.Fn {
	case tensor.Linear:
		copy(y, x)
	case tensor.ReLU:
		for j, v := range x {
			y[j] = max(v, 0)
		}
	case tensor.LeakyReLU:
		vLeakyReLU(y, x, k.op.Alpha)
	case tensor.Sigmoid:
		for j, v := range x {
			y[j] = sigmoid(v)
		}
	case tensor.Tanh:
		for j, v := range x {
			y[j] = float32(math.Tanh(float64(v)))
		}
	case tensor.Softmax:
		w := k.op.Width
		for g := 0; g < len(x); g += w {
			softmax(x[g:g+w], y[g:g+w])
		}
	default:
		smoothForward(k.op.Fn, x, y)
	}
}

// sigmoid is sigmoid64 rounded once to float32.
func sigmoid(x float32) float32 { return float32(sigmoid64(float64(x))) }

// softmax writes the softmax of x to y (which may alias x). Subtracting the
// maximum keeps every exponent ≤ 0, so nothing overflows; the sum is kept
// in float64.
func softmax(x, y []float32) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	sum := 0.0
	for j, v := range x {
		e := math.Exp(float64(v - m))
		y[j] = float32(e)
		sum += e
	}
	inv := 1 / sum
	for j := range y {
		y[j] = float32(float64(y[j]) * inv)
	}
}

// activationBackward is a bound tensor.ActivationBackward.
type activationBackward struct {
	op           tensor.ActivationBackward
	x, y, dy, dx []float32
	total        int
	chunk        int
	fn           func(int)
}

func (p *program) bindActivationBackward(o tensor.ActivationBackward) (kernel, error) {
	k := &activationBackward{op: o, chunk: actChunk(o.Fn, o.Width)}
	var err error
	if k.dy, err = p.buf(o.DY, "DY"); err != nil {
		return nil, err
	}
	if k.dx, err = p.buf(o.DX, "DX"); err != nil {
		return nil, err
	}
	switch {
	case o.Fn == tensor.Linear:
	case o.Fn.BackwardReadsY():
		k.y, err = p.buf(o.Y, "Y")
	default:
		k.x, err = p.buf(o.X, "X")
	}
	if err != nil {
		return nil, err
	}
	k.fn = k.run1
	return k, nil
}

func (k *activationBackward) run(a *tensor.StepArgs) {
	k.total = a.Rows * k.op.Size
	parallelFor(numChunks(k.total, k.chunk), k.fn)
}

func (k *activationBackward) run1(i int) {
	lo, hi := chunkBounds(i, k.total, k.chunk)
	dy, dx := k.dy[lo:hi], k.dx[lo:hi]
	switch k.op.Fn {
	case tensor.Linear:
		copy(dx, dy)
	case tensor.ReLU:
		// The derivative at 0 is taken as 0, as TensorFlow does.
		vReLUBackward(dx, k.x[lo:hi], dy)
	case tensor.LeakyReLU:
		vLeakyReLUBackward(dx, k.x[lo:hi], dy, k.op.Alpha)
	case tensor.Sigmoid:
		for j, y := range k.y[lo:hi] {
			dx[j] = dy[j] * y * (1 - y)
		}
	case tensor.Tanh:
		for j, y := range k.y[lo:hi] {
			dx[j] = dy[j] * (1 - y*y)
		}
	case tensor.Softmax:
		w := k.op.Width
		y := k.y[lo:hi]
		for g := 0; g < len(y); g += w {
			softmaxBackward(y[g:g+w], dy[g:g+w], dx[g:g+w])
		}
	default:
		smoothBackward(k.op.Fn, k.x[lo:hi], dy, dx)
	}
}

// softmaxBackward computes dx = y·(dy − Σ dy·y) for one group; dx may alias
// dy because the dot product is taken before anything is written.
func softmaxBackward(y, dy, dx []float32) {
	dot := 0.0
	for j, v := range y {
		dot += float64(v) * float64(dy[j])
	}
	d := float32(dot)
	for j, v := range y {
		dx[j] = v * (dy[j] - d)
	}
}
