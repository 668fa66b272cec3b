package gpu

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// TestAdamWNadamParity runs AdamW (two decays) and Nadam (two β1) for ten
// steps, a new gradient and learning rate each step, over a parameter whose
// size is not a multiple of the workgroup size, against cpuref.
// Tolerance: selftest.NadamTol (AdamW's decay adds one exact-order float32
// product to Adam's step, within selftest.OptimizerTol's argument).
func TestAdamWNadamParity(t *testing.T) {
	b := openBackend(t)
	const size = 1000
	p := tensor.NewPlan(1)
	var grads []tensor.BufferID
	zero := map[tensor.BufferID]bool{}
	param := func(name string) (tensor.BufferID, tensor.BufferID) {
		g := p.AddBuffer(name+"_grad", tensor.GradientBuffer, false, tensor.Shape{size})
		grads = append(grads, g)
		return p.AddBuffer(name, tensor.ParamBuffer, false, tensor.Shape{size}), g
	}
	slot := func(name string, n int) tensor.BufferID {
		id := p.AddBuffer(name, tensor.StateBuffer, false, tensor.Shape{n})
		zero[id] = true
		return id
	}
	for _, wd := range []float32{0.004, 0.1} {
		pr, g := param("adamw")
		p.Emit(tensor.Train, tensor.AdamUpdate{Param: pr, Grad: g, M: slot("m", size), V: slot("v", size), Size: size,
			Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, WeightDecay: wd})
	}
	for _, b1 := range []float32{0.9, 0.5} {
		pr, g := param("nadam")
		p.Emit(tensor.Train, tensor.NadamUpdate{Param: pr, Grad: g, M: slot("m", size), V: slot("v", size),
			Product: slot("u_product", tensor.NadamProductSize), Size: size, Beta1: b1, Beta2: 0.999, Epsilon: 1e-7})
	}
	init := func(id tensor.BufferID, n int) []float32 {
		if zero[id] {
			return make([]float32, n) // optimizer slots start at zero, as in Keras
		}
		return nil
	}
	before := func(i int, write func(tensor.BufferID, []float32)) {
		for j, g := range grads {
			write(g, randomFloats(size, uint64(100*i+j)))
		}
	}
	args := steps(10, 1)
	for i := range args {
		args[i].LearningRate = 0.003 * float32(i%4+1) // within the tolerance's lr ≤ 0.03
	}
	cpu, gpu := parityRun{plan: p, init: init, steps: args, before: before}.run(t, b)
	compare(t, p, cpu, gpu, selftest.NadamTol, nil)
}

// TestNadamLateSteps resumes Nadam far from step 1 (t = 10^5, where 0.96^t
// underflows, and t ≥ 2^32), from a saved product in either parity slot:
// two updates, which group (one nadam_bda dispatch where the device has
// buffer addresses), each with its own product.
func TestNadamLateSteps(t *testing.T) {
	b := openBackend(t)
	for _, step := range []uint64{2, 3, 100_000, 1<<32 + 1} {
		p := tensor.NewPlan(1)
		vs, us := map[tensor.BufferID]bool{}, map[tensor.BufferID][]float32{}
		for i, size := range []int{100, 37} {
			pr := p.AddBuffer("param", tensor.ParamBuffer, false, tensor.Shape{size})
			g := p.AddBuffer("grad", tensor.GradientBuffer, false, tensor.Shape{size})
			m := p.AddBuffer("m", tensor.StateBuffer, false, tensor.Shape{size})
			v := p.AddBuffer("v", tensor.StateBuffer, false, tensor.Shape{size})
			u := p.AddBuffer("u", tensor.StateBuffer, false, tensor.Shape{tensor.NadamProductSize})
			p.Emit(tensor.Train, tensor.NadamUpdate{Param: pr, Grad: g, M: m, V: v, Product: u, Size: size,
				Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
			vs[v] = true
			us[u] = []float32{0.25 / float32(i+1), 0.125 / float32(i+1)} // a product the step reads
		}
		init := func(id tensor.BufferID, n int) []float32 {
			if vs[id] {
				return positive01(n, 3) // any positive second moment
			}
			return us[id]
		}
		args := []tensor.StepArgs{{Rows: 1, Step: step, LearningRate: 0.01}}
		cpu, gpu := parityRun{plan: p, init: init, steps: args}.run(t, b)
		compare(t, p, cpu, gpu, selftest.NadamTol, nil)
	}
}

// TestAdamWGrouped: nine AdamW updates group into adam_multi dispatches
// (an Adam update of another decay stays apart), and the grouped kernels
// equal the one-tensor ones bit for bit and cpuref within OptimizerTol.
func TestAdamWGrouped(t *testing.T) {
	b := openBackend(t)
	p := tensor.NewPlan(1)
	var grads []tensor.BufferID
	slots := map[tensor.BufferID]bool{}
	slot := func(n int) tensor.BufferID {
		id := p.AddBuffer("slot", tensor.StateBuffer, false, tensor.Shape{n})
		slots[id] = true
		return id
	}
	emit := func(n int, wd float32) {
		g := p.AddBuffer("grad", tensor.GradientBuffer, false, tensor.Shape{n})
		grads = append(grads, g)
		pr := p.AddBuffer("param", tensor.ParamBuffer, false, tensor.Shape{n})
		p.Emit(tensor.Train, tensor.AdamUpdate{Param: pr, Grad: g, M: slot(n), V: slot(n), Size: n,
			Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, WeightDecay: wd})
	}
	for _, n := range []int{1, 63, 64, 65, 1000, 3, 129, 7, 2} {
		emit(n, 0.004)
	}
	emit(50, 0.01)
	if got := len(groupUpdates(p.Routines[tensor.Train], 1+4*multiTensors)); got != 2 {
		t.Fatalf("groupUpdates made %d kernels of 10 AdamW updates, want 2 (one group, the other decay alone)", got)
	}
	init := func(id tensor.BufferID, n int) []float32 {
		if slots[id] {
			return make([]float32, n)
		}
		return nil
	}
	before := func(i int, write func(tensor.BufferID, []float32)) {
		for j, g := range grads {
			write(g, randomFloats(p.Elems(g), uint64(100*i+j)))
		}
	}
	run := parityRun{plan: p, init: init, steps: steps(3, 1), before: before}
	cpu, grouped := run.run(t, b)
	compare(t, p, cpu, grouped, selftest.OptimizerTol, nil)
	noFusion = true
	defer func() { noFusion = false }()
	_, single := run.run(t, b)
	for id := range single {
		for i := range single[id] {
			if math.Float32bits(single[id][i]) != math.Float32bits(grouped[id][i]) {
				t.Fatalf("buffer %d element %d: grouped %v, one tensor per dispatch %v", id, i, grouped[id][i], single[id][i])
			}
		}
	}
}
