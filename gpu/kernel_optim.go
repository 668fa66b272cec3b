package gpu

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// The optimizer family: SGDUpdate, AdamUpdate (AdamW when its WeightDecay
// is set), RMSpropUpdate and NadamUpdate (kernel_nadam.go), elementwise
// over one parameter. The learning rate and step come from the step
// arguments; everything else is fixed when the plan compiles. Constants
// such as 1−β are rounded to float32 here exactly as cpuref rounds them.
// Shaders: sgd, adam, rmsprop for one update; sgd_multi, adam_multi,
// rmsprop_multi for a group of them (kernel_optim_multi.go), or sgd_bda,
// adam_bda, rmsprop_bda, nadam_bda (kernel_optim_bda.go). All kinds take
// the same per-update operands and hyperparameters from update.

// update is one optimizer update bound to its buffers: the shader family,
// the buffers of one tensor in binding order, its size, and the push
// constants after the size (the hyperparameters, the same for every
// tensor of a group). noMulti marks a family without a *_multi shader.
type update struct {
	shader  string
	bufs    []*vk.Buffer
	size    int
	hyper   vk.Push
	noMulti bool
}

// bindUpdate binds an optimizer update op; ok is false for other ops.
func bindUpdate(p *program, op tensor.Op) (u update, ok bool, err error) {
	switch o := op.(type) {
	case tensor.SGDUpdate:
		u, err = sgdUpdate(p, o)
	case tensor.AdamUpdate:
		u, err = adamUpdate(p, o)
	case tensor.RMSpropUpdate:
		u, err = rmspropUpdate(p, o)
	case tensor.NadamUpdate:
		u, err = nadamUpdate(p, o)
	default:
		return update{}, false, nil
	}
	return u, true, err
}

// bindOneUpdate is the kernel of a single update: one dispatch of the
// one-tensor shader.
func bindOneUpdate(p *program, op tensor.Op) (opKernel, error) {
	u, _, err := bindUpdate(p, op)
	if err != nil {
		return nil, err
	}
	l, err := p.oneLaunch(u)
	if err != nil {
		return nil, err
	}
	return &launches{list: []launch{l}}, nil
}

// oneLaunch is the dispatch of the one-tensor shader over u: the push
// constants are its size, then its hyperparameters.
func (p *program) oneLaunch(u update) (launch, error) {
	push := append(vk.Push{}.Uint32(u32(u.size)), u.hyper...)
	return p.launch(u.shader, elemWG, push, p.groups(u.size, elemWG), u.bufs...)
}

func sgdUpdate(p *program, o tensor.SGDUpdate) (update, error) {
	if err := positive("Size", o.Size); err != nil {
		return update{}, err
	}
	ops := operands{p: p}
	param, grad := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad")
	v := ops.optOut(o.Velocity)
	if o.Momentum != 0 {
		v = ops.in(o.Velocity, "Velocity (needed when Momentum is not 0)")
	}
	if ops.err != nil {
		return update{}, ops.err
	}
	hyper := vk.Push{}.Float32(o.Momentum).Uint32(b2u(o.Nesterov)).Uint32(b2u(o.Momentum != 0))
	return update{shader: "sgd", bufs: []*vk.Buffer{param, grad, v}, size: o.Size, hyper: hyper}, nil
}

func adamUpdate(p *program, o tensor.AdamUpdate) (update, error) {
	if err := positive("Size", o.Size); err != nil {
		return update{}, err
	}
	ops := operands{p: p}
	param, grad, m, v := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad"), ops.in(o.M, "M"), ops.in(o.V, "V")
	if ops.err != nil {
		return update{}, ops.err
	}
	// ln β is fixed, so it is taken here in float64; the shader needs only
	// t·ln β for the bias corrections of step t.
	ln1 := float32(math.Log(float64(o.Beta1)))
	ln2 := float32(math.Log(float64(o.Beta2)))
	hyper := vk.Push{}.Float32(1 - o.Beta1).Float32(1 - o.Beta2).Float32(o.Epsilon).Float32(ln1).Float32(ln2).
		Float32(o.WeightDecay)
	return update{shader: "adam", bufs: []*vk.Buffer{param, grad, m, v}, size: o.Size, hyper: hyper}, nil
}

func rmspropUpdate(p *program, o tensor.RMSpropUpdate) (update, error) {
	if err := positive("Size", o.Size); err != nil {
		return update{}, err
	}
	ops := operands{p: p}
	param, grad, ms := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad"), ops.in(o.MeanSquare, "MeanSquare")
	v := ops.optOut(o.Velocity)
	if o.Momentum != 0 {
		v = ops.in(o.Velocity, "Velocity (needed when Momentum is not 0)")
	}
	if ops.err != nil {
		return update{}, ops.err
	}
	hyper := vk.Push{}.Float32(o.Rho).Float32(1 - o.Rho).Float32(o.Momentum).Float32(o.Epsilon).
		Uint32(b2u(o.Momentum != 0))
	return update{shader: "rmsprop", bufs: []*vk.Buffer{param, grad, ms, v}, size: o.Size, hyper: hyper}, nil
}

// errNotUpdate is returned for an op in an update group that is not an
// optimizer update (groupUpdates never makes one).
func errNotUpdate(op tensor.Op) error {
	return fmt.Errorf("%T is not an optimizer update", op)
}
