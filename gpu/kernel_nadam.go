package gpu

import (
	"math"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// bindNadam binds a NadamUpdate to one dispatch of shaders/nadam.comp. It
// is never grouped with other updates: its momentum-schedule product is
// written by one invocation and read by all, which a *_multi shader's
// extra binding per tensor would push past lavapipe's 32 bindings, and
// Nadam is rarely the default path. The fixed logarithms are taken here in
// float64, as for Adam.
func bindNadam(p *program, o tensor.NadamUpdate) (opKernel, error) {
	if err := positive("Size", o.Size); err != nil {
		return nil, err
	}
	ops := operands{p: p}
	param, grad, m, v := ops.in(o.Param, "Param"), ops.in(o.Grad, "Grad"), ops.in(o.M, "M"), ops.in(o.V, "V")
	prod := ops.in(o.Product, "Product")
	if ops.err != nil {
		return nil, ops.err
	}
	push := vk.Push{}.Uint32(u32(o.Size)).Float32(1 - o.Beta1).Float32(1 - o.Beta2).Float32(o.Epsilon).
		Float32(o.Beta1).Float32(float32(math.Log(float64(o.Beta2)))).
		Float32(float32(math.Log(float64(float32(0.96)))))
	return p.single("nadam", elemWG, push, p.groups(o.Size, elemWG), param, grad, m, v, prod)
}
