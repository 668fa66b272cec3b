package gpu

import (
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestOptimizerParity runs every optimizer variant for three steps, with a
// new gradient and a new learning rate each step, over a parameter whose
// size is not a multiple of the workgroup size.
// Tolerance: selftest.OptimizerTol.
func TestOptimizerParity(t *testing.T) {
	b := openBackend(t)
	const size = 1000
	p := tensor.NewPlan(1)
	var grads []tensor.BufferID
	param := func(name string) (tensor.BufferID, tensor.BufferID) {
		g := p.AddBuffer(name+"_grad", tensor.GradientBuffer, false, tensor.Shape{size})
		grads = append(grads, g)
		return p.AddBuffer(name, tensor.ParamBuffer, false, tensor.Shape{size}), g
	}
	slot := func(name string) tensor.BufferID {
		return p.AddBuffer(name, tensor.StateBuffer, false, tensor.Shape{size})
	}
	zeroSlots := map[tensor.BufferID]bool{}
	zero := func(id tensor.BufferID) tensor.BufferID { zeroSlots[id] = true; return id }

	pr, g := param("sgd")
	p.Emit(tensor.Train, tensor.SGDUpdate{Param: pr, Grad: g, Velocity: tensor.NoBuffer, Size: size})
	pr, g = param("sgd_momentum")
	p.Emit(tensor.Train, tensor.SGDUpdate{Param: pr, Grad: g, Velocity: zero(slot("sgd_momentum_v")), Size: size, Momentum: 0.9})
	pr, g = param("sgd_nesterov")
	p.Emit(tensor.Train, tensor.SGDUpdate{Param: pr, Grad: g, Velocity: zero(slot("sgd_nesterov_v")), Size: size, Momentum: 0.9, Nesterov: true})
	pr, g = param("adam")
	p.Emit(tensor.Train, tensor.AdamUpdate{Param: pr, Grad: g, M: zero(slot("adam_m")), V: zero(slot("adam_v")), Size: size,
		Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	pr, g = param("rmsprop")
	p.Emit(tensor.Train, tensor.RMSpropUpdate{Param: pr, Grad: g, MeanSquare: zero(slot("rmsprop_ms")), Velocity: tensor.NoBuffer,
		Size: size, Rho: 0.9, Epsilon: 1e-7})
	pr, g = param("rmsprop_momentum")
	p.Emit(tensor.Train, tensor.RMSpropUpdate{Param: pr, Grad: g, MeanSquare: zero(slot("rmsprop_momentum_ms")),
		Velocity: zero(slot("rmsprop_momentum_v")), Size: size, Rho: 0.9, Momentum: 0.5, Epsilon: 1e-7})

	init := func(id tensor.BufferID, n int) []float32 {
		if zeroSlots[id] {
			return make([]float32, n) // optimizer slots start at zero, as in Keras
		}
		return nil
	}
	before := func(i int, write func(tensor.BufferID, []float32)) {
		for j, g := range grads {
			write(g, randomFloats(size, uint64(100*i+j)))
		}
	}
	cpu, gpu := parityRun{plan: p, init: init, steps: steps(3, 1), before: before}.run(t, b)
	compare(t, p, cpu, gpu, selftest.OptimizerTol, nil)
}

// TestAdamLateSteps checks the bias correction far from step 1, where
// β^t is tiny (t = 10^5) or has a high word (t ≥ 2^32), and at step 1 with
// β1 = 0.5 (a large 1−β^t: expm1's exp branch).
func TestAdamLateSteps(t *testing.T) {
	b := openBackend(t)
	const size = 100
	for _, step := range []uint64{1, 2, 100_000, 1<<32 + 1} {
		p := tensor.NewPlan(1)
		pr := p.AddBuffer("param", tensor.ParamBuffer, false, tensor.Shape{size})
		g := p.AddBuffer("grad", tensor.GradientBuffer, false, tensor.Shape{size})
		m := p.AddBuffer("m", tensor.StateBuffer, false, tensor.Shape{size})
		v := p.AddBuffer("v", tensor.StateBuffer, false, tensor.Shape{size})
		p.Emit(tensor.Train, tensor.AdamUpdate{Param: pr, Grad: g, M: m, V: v, Size: size, Beta1: 0.5, Beta2: 0.999, Epsilon: 1e-7})
		init := func(id tensor.BufferID, n int) []float32 {
			if id == v {
				return positive01(n, 3) // any positive second moment
			}
			return nil
		}
		args := []tensor.StepArgs{{Rows: 1, Step: step, LearningRate: 0.01}}
		cpu, gpu := parityRun{plan: p, init: init, steps: args}.run(t, b)
		compare(t, p, cpu, gpu, selftest.OptimizerTol, nil)
	}
}
