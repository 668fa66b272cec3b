package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The updates follow the Keras 3 formulas in tensor/ops_optim.go term for
// term, in float32, so that the arithmetic a GPU shader does is the same.
// Every element is independent, so chunks need no ordering.

// optim holds what the three optimizer kernels share: the chunking of a
// parameter of Size elements and this step's learning rate.
type optim struct {
	size int
	lr   float32
	fn   func(int)
}

func (o *optim) dispatch(a *tensor.StepArgs) {
	o.lr = a.LearningRate
	parallelFor(numChunks(o.size, elemChunk), o.fn)
}

func (o *optim) bounds(i int) (lo, hi int) { return chunkBounds(i, o.size, elemChunk) }

// sgd is a bound tensor.SGDUpdate.
type sgd struct {
	optim
	op             tensor.SGDUpdate
	param, grad, v []float32
}

func (p *program) bindSGD(o tensor.SGDUpdate) (kernel, error) {
	bs, err := p.need(idRole{o.Param, "Param"}, idRole{o.Grad, "Grad"})
	if err != nil {
		return nil, err
	}
	k := &sgd{optim: optim{size: o.Size}, op: o, param: bs[0], grad: bs[1]}
	if o.Momentum != 0 {
		if k.v, err = p.buf(o.Velocity, "Velocity (needed when Momentum is not 0)"); err != nil {
			return nil, err
		}
	}
	k.fn = k.chunk
	return k, nil
}

func (k *sgd) run(a *tensor.StepArgs) { k.dispatch(a) }

func (k *sgd) chunk(i int) {
	lo, hi := k.bounds(i)
	lr, mom := k.lr, k.op.Momentum
	p, g := k.param[lo:hi], k.grad[lo:hi]
	if k.v == nil {
		for j := range p {
			p[j] -= lr * g[j]
		}
		return
	}
	v := k.v[lo:hi]
	for j := range p {
		v[j] = mom*v[j] - lr*g[j]
		if k.op.Nesterov {
			p[j] += mom*v[j] - lr*g[j]
		} else {
			p[j] += v[j]
		}
	}
}

// adam is a bound tensor.AdamUpdate.
type adam struct {
	optim
	op                tensor.AdamUpdate
	param, grad, m, v []float32
	alpha             float32 // lr with both bias corrections folded in
}

func (p *program) bindAdam(o tensor.AdamUpdate) (kernel, error) {
	bs, err := p.need(idRole{o.Param, "Param"}, idRole{o.Grad, "Grad"}, idRole{o.M, "M"}, idRole{o.V, "V"})
	if err != nil {
		return nil, err
	}
	k := &adam{optim: optim{size: o.Size}, op: o, param: bs[0], grad: bs[1], m: bs[2], v: bs[3]}
	k.fn = k.chunk
	return k, nil
}

// run folds the bias corrections into the rate in float64: β^t for large t
// underflows gracefully there, and 1−β^t for small t keeps its digits.
func (k *adam) run(a *tensor.StepArgs) {
	t := float64(a.Step)
	b1t := math.Pow(float64(k.op.Beta1), t)
	b2t := math.Pow(float64(k.op.Beta2), t)
	k.alpha = float32(float64(a.LearningRate) * math.Sqrt(1-b2t) / (1 - b1t))
	k.dispatch(a)
}

func (k *adam) chunk(i int) {
	lo, hi := k.bounds(i)
	if wd := k.op.WeightDecay; wd != 0 {
		// Keras's decoupled decay (AdamW): variable − variable·wd·lr,
		// before the Adam step and on the decayed value.
		p := k.param[lo:hi]
		for j := range p {
			p[j] -= p[j] * wd * k.lr
		}
	}
	vAdam(k.param[lo:hi], k.grad[lo:hi], k.m[lo:hi], k.v[lo:hi], 1-k.op.Beta1, 1-k.op.Beta2, k.alpha, k.op.Epsilon)
}

// rmsprop is a bound tensor.RMSpropUpdate.
type rmsprop struct {
	optim
	op                 tensor.RMSpropUpdate
	param, grad, ms, v []float32
}

func (p *program) bindRMSprop(o tensor.RMSpropUpdate) (kernel, error) {
	bs, err := p.need(idRole{o.Param, "Param"}, idRole{o.Grad, "Grad"}, idRole{o.MeanSquare, "MeanSquare"})
	if err != nil {
		return nil, err
	}
	k := &rmsprop{optim: optim{size: o.Size}, op: o, param: bs[0], grad: bs[1], ms: bs[2]}
	if o.Momentum != 0 {
		if k.v, err = p.buf(o.Velocity, "Velocity (needed when Momentum is not 0)"); err != nil {
			return nil, err
		}
	}
	k.fn = k.chunk
	return k, nil
}

func (k *rmsprop) run(a *tensor.StepArgs) { k.dispatch(a) }

func (k *rmsprop) chunk(i int) {
	lo, hi := k.bounds(i)
	rho, mom, eps, lr := k.op.Rho, k.op.Momentum, k.op.Epsilon, k.lr
	p, g, ms := k.param[lo:hi], k.grad[lo:hi], k.ms[lo:hi]
	for j, gj := range g {
		ms[j] = rho*ms[j] + (1-rho)*gj*gj
		step := lr * gj / sqrt32(ms[j]+eps)
		if k.v == nil {
			p[j] -= step
			continue
		}
		k.v[lo+j] = mom*k.v[lo+j] + step
		p[j] -= k.v[lo+j]
	}
}
