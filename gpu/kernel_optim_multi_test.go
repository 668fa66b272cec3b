package gpu

import (
	"math"
	"testing"

	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// groupedPlan is a Train routine of runs of optimizer updates that
// groupUpdates groups: 11 Adam updates (two dispatches of adam_multi, the
// second partly empty) of sizes around the workgroup size and of one
// element, then runs of SGD with momentum, plain SGD, Nesterov SGD and
// RMSprop with momentum, and a last Adam update with other
// hyperparameters, which stays alone, then a run of Nadam updates, each
// with its own momentum-schedule product. It returns the plan and the
// gradients to refill each step.
func groupedPlan() (*tensor.Plan, []tensor.BufferID, map[tensor.BufferID]bool) {
	p := tensor.NewPlan(1)
	var grads []tensor.BufferID
	slots := map[tensor.BufferID]bool{}
	param := func(size int) (tensor.BufferID, tensor.BufferID, int) {
		g := p.AddBuffer("grad", tensor.GradientBuffer, false, tensor.Shape{size})
		grads = append(grads, g)
		return p.AddBuffer("param", tensor.ParamBuffer, false, tensor.Shape{size}), g, size
	}
	slot := func(size int) tensor.BufferID {
		id := p.AddBuffer("slot", tensor.StateBuffer, false, tensor.Shape{size})
		slots[id] = true
		return id
	}
	for _, n := range []int{1, 63, 64, 65, 1000, 3, 129, 7, 2, 500, 31} {
		pr, g, n := param(n)
		p.Emit(tensor.Train, tensor.AdamUpdate{Param: pr, Grad: g, M: slot(n), V: slot(n), Size: n, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	}
	for _, n := range []int{70, 5, 300} {
		pr, g, n := param(n)
		p.Emit(tensor.Train, tensor.SGDUpdate{Param: pr, Grad: g, Velocity: slot(n), Size: n, Momentum: 0.9})
	}
	for _, n := range []int{70, 5} {
		pr, g, n := param(n)
		p.Emit(tensor.Train, tensor.SGDUpdate{Param: pr, Grad: g, Velocity: tensor.NoBuffer, Size: n})
	}
	for _, n := range []int{9, 130} {
		pr, g, n := param(n)
		p.Emit(tensor.Train, tensor.SGDUpdate{Param: pr, Grad: g, Velocity: slot(n), Size: n, Momentum: 0.5, Nesterov: true})
	}
	for _, n := range []int{100, 1, 64} {
		pr, g, n := param(n)
		p.Emit(tensor.Train, tensor.RMSpropUpdate{Param: pr, Grad: g, MeanSquare: slot(n), Velocity: slot(n), Size: n,
			Rho: 0.9, Momentum: 0.5, Epsilon: 1e-7})
	}
	pr, g, n := param(80)
	p.Emit(tensor.Train, tensor.AdamUpdate{Param: pr, Grad: g, M: slot(n), V: slot(n), Size: n, Beta1: 0.5, Beta2: 0.99, Epsilon: 1e-3})
	for _, n := range []int{65, 1, 200} {
		pr, g, n := param(n)
		p.Emit(tensor.Train, tensor.NadamUpdate{Param: pr, Grad: g, M: slot(n), V: slot(n),
			Product: slot(tensor.NadamProductSize), Size: n, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7})
	}
	return p, grads, slots
}

// TestGroupUpdatesPlacement checks how the updates of groupedPlan group,
// and that updates touching a common buffer, or on a device without the
// bindings, are not grouped.
func TestGroupUpdatesPlacement(t *testing.T) {
	p, _, _ := groupedPlan()
	ops := p.Routines[tensor.Train]
	got := groupUpdates(ops, 64)
	var sizes []int
	for _, op := range got {
		if g, ok := op.(updateGroup); ok {
			sizes = append(sizes, len(g.ops))
		} else {
			sizes = append(sizes, 1)
		}
	}
	want := []int{11, 3, 2, 2, 3, 1, 3}
	if len(sizes) != len(want) {
		t.Fatalf("group sizes %v, want %v", sizes, want)
	}
	for i := range want {
		if sizes[i] != want[i] {
			t.Fatalf("group sizes %v, want %v", sizes, want)
		}
	}
	if got := groupUpdates(ops, 28); len(got) != len(ops) {
		t.Errorf("with 28 bindings: %d ops, want the %d ungrouped", len(got), len(ops))
	}
	a := ops[0].(tensor.AdamUpdate)
	same := []tensor.Op{a, a}
	if got := groupUpdates(same, 64); len(got) != 2 {
		t.Errorf("two updates of one parameter were grouped: %v", got)
	}
	b := ops[1].(tensor.AdamUpdate)
	b.Grad = a.Param // reads what the first writes
	if got := groupUpdates([]tensor.Op{a, b}, 64); len(got) != 2 {
		t.Errorf("an update reading a parameter another writes was grouped: %v", got)
	}
	n := ops[len(ops)-1].(tensor.NadamUpdate)
	m := ops[len(ops)-2].(tensor.NadamUpdate)
	m.Product = n.Product // both would store their Π_t in one buffer
	if got := groupUpdates([]tensor.Op{m, n}, 64); len(got) != 2 {
		t.Errorf("Nadam updates sharing a product were grouped: %v", got)
	}
}

// TestGroupedUpdatesParity runs groupedPlan for three steps with grouping
// and without: the grouped updates must equal the one-tensor kernels' bit
// for bit (the same float32 operations, shaders/optim.glsl), and match
// cpuref within selftest.OptimizerTol. Where the device has buffer
// addresses it runs both grouped paths, one *_bda dispatch per group and
// the *_multi dispatches of multiTensors tensors, and compares each with
// the one-tensor kernels. It also checks the dispatches the grouping
// saves: 25 updates in 7 kernels, 10 dispatches without buffer addresses
// (the 11 Adam updates take two of *_multi; Nadam, which has no *_multi
// shader, a dispatch per update) and 7 with *_bda (one per group).
func TestGroupedUpdatesParity(t *testing.T) {
	b := openBackend(t)
	p, grads, slots := groupedPlan()
	init := func(id tensor.BufferID, n int) []float32 {
		if slots[id] {
			return make([]float32, n) // optimizer slots start at zero, as in Keras
		}
		return nil
	}
	before := func(i int, write func(tensor.BufferID, []float32)) {
		for j, g := range grads {
			write(g, randomFloats(p.Elems(g), uint64(100*i+j)))
		}
	}
	run := parityRun{plan: p, init: init, steps: steps(3, 1), before: before}
	type path struct {
		name string
		out  [][]float32
	}
	var paths []path
	grouped := func(name string, dispatches int) {
		cpu, out := run.run(t, b)
		compare(t, p, cpu, out, selftest.OptimizerTol, nil)
		prog := compileGPU(t, b, p)
		if c := prog.cmds[tensor.Train].Counts(); c.Dispatches != dispatches || c.Barriers != 1 {
			t.Errorf("%s: %d dispatches and %d barriers, want %d and 1", name, c.Dispatches, c.Barriers, dispatches)
		}
		paths = append(paths, path{name, out})
	}
	if b.dev.Info().BufferAddress {
		grouped("*_bda", 7)
	} else {
		t.Logf("%s has no buffer addresses (or ANVIL_VK_BUFFER_ADDRESS=0): only the *_multi path runs", b.dev.Info().Name)
	}
	noBufferAddress = true
	defer func() { noBufferAddress = false }()
	grouped("*_multi", 10)
	noFusion = true
	defer func() { noFusion = false }()
	_, single := run.run(t, b)
	for _, g := range paths {
		for id := range single {
			for i := range single[id] {
				if math.Float32bits(single[id][i]) != math.Float32bits(g.out[id][i]) {
					t.Fatalf("%s: buffer %d element %d: grouped %v, one tensor per dispatch %v",
						g.name, id, i, g.out[id][i], single[id][i])
				}
			}
		}
	}
}
