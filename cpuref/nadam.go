package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// nadamDecay is the base of Keras's momentum schedule, u_s = β1·(1 −
// 0.5·0.96^s), as the float32 Keras computes with.
const nadamDecay = float64(float32(0.96))

// nadam is a bound tensor.NadamUpdate. run advances the momentum-schedule
// product Π (the op's Product state) once per step, single-threaded, and
// folds the step's scalars into a, b and c2, so that every element does
//
//	m̂ = a·M + b·Grad, Param −= lr·m̂/(sqrt(V/c2)+ε)
//
// with a = u_{t+1}/(1−Π_t·u_{t+1}), b = (1−u_t)/(1−Π_t), c2 = 1−β2^t.
type nadam struct {
	optim
	op                         tensor.NadamUpdate
	param, grad, m, v, product []float32
	a, b, c2                   float32
}

func (p *program) bindNadam(o tensor.NadamUpdate) (kernel, error) {
	bs, err := p.need(idRole{o.Param, "Param"}, idRole{o.Grad, "Grad"}, idRole{o.M, "M"}, idRole{o.V, "V"},
		idRole{o.Product, "Product"})
	if err != nil {
		return nil, err
	}
	k := &nadam{optim: optim{size: o.Size}, op: o, param: bs[0], grad: bs[1], m: bs[2], v: bs[3], product: bs[4]}
	k.fn = k.chunk
	return k, nil
}

// nadamU is u_s = β1·(1 − 0.5·0.96^s).
func nadamU(beta1 float32, s float64) float64 {
	return float64(beta1) * (1 - 0.5*math.Pow(nadamDecay, s))
}

func (k *nadam) run(a *tensor.StepArgs) {
	t := float64(a.Step)
	prev := float32(1) // Π_0: Keras's _u_product starts at 1
	if a.Step > 1 {
		prev = k.product[(a.Step-1)%2]
	}
	// Π is float32 state, as Keras's variable is: Π_t = Π_{t−1}·β1·(1 −
	// 0.5·0.96^t) in Keras's order, rounded once.
	prod := float32(float64(prev) * nadamU(k.op.Beta1, t))
	k.product[a.Step%2] = prod
	ut, ut1 := nadamU(k.op.Beta1, t), nadamU(k.op.Beta1, t+1)
	k.a = float32(ut1 / (1 - float64(prod)*ut1))
	k.b = float32((1 - ut) / (1 - float64(prod)))
	k.c2 = float32(1 - math.Pow(float64(k.op.Beta2), t))
	k.dispatch(a)
}

func (k *nadam) chunk(i int) {
	lo, hi := k.bounds(i)
	b1, b2, eps, lr := 1-k.op.Beta1, 1-k.op.Beta2, k.op.Epsilon, k.lr
	p, g, m, v := k.param[lo:hi], k.grad[lo:hi], k.m[lo:hi], k.v[lo:hi]
	for j, gj := range g {
		m[j] += (gj - m[j]) * b1
		v[j] += (gj*gj - v[j]) * b2
		mhat := k.a*m[j] + k.b*gj
		p[j] -= lr * mhat / (sqrt32(v[j]/k.c2) + eps)
	}
}
