package gpu

import (
	"math"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// nadamUpdate binds a NadamUpdate as an update of shaders/nadam.comp, or
// of nadam_bda.comp in a group (kernel_optim_multi.go). Its buffers are
// Param, Grad, M, V and Product, its momentum-schedule product Π_t, which
// each tensor of a group has its own of. It has no *_multi shader: at
// five buffers a tensor, only six tensors would fit in lavapipe's 32
// bindings, not multiTensors, so without buffer addresses a group of Nadam
// updates runs a dispatch per update (bindUpdateGroup), as an ungrouped
// one does. The fixed logarithms are taken here in float64, as for Adam.
func nadamUpdate(p *program, o tensor.NadamUpdate) (update, error) {
	if err := positive("Size", o.Size); err != nil {
		return update{}, err
	}
	ops := operands{p: p}
	param, grad, m, v := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad"), ops.in(o.M, "M"), ops.in(o.V, "V")
	prod := ops.in(o.Product, "Product")
	if ops.err != nil {
		return update{}, ops.err
	}
	hyper := vk.Push{}.Float32(1 - o.Beta1).Float32(1 - o.Beta2).Float32(o.Epsilon).
		Float32(o.Beta1).Float32(float32(math.Log(float64(o.Beta2)))).
		Float32(float32(math.Log(float64(float32(0.96)))))
	return update{shader: "nadam", bufs: []*vk.Buffer{param, grad, m, v, prod}, size: o.Size, hyper: hyper,
		noMulti: true}, nil
}

// bindNadam binds a NadamUpdate alone: one dispatch of nadam.comp.
func bindNadam(p *program, o tensor.NadamUpdate) (opKernel, error) {
	return bindOneUpdate(p, o)
}
