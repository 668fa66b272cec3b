package gpu

import (
	"context"
	"io"
	"testing"

	"github.com/anvil-ml/anvil/models"
	"github.com/anvil-ml/anvil/nn"
	"github.com/anvil-ml/anvil/selftest"
	"github.com/anvil-ml/anvil/tensor"
)

// planKeeper is the Vulkan backend, remembering the plans it compiles.
type planKeeper struct {
	*Backend
	plans []*tensor.Plan
}

func (k *planKeeper) Compile(p *tensor.Plan) (tensor.Program, error) {
	k.plans = append(k.plans, p)
	return k.Backend.Compile(p)
}

// TestReferenceFusionCounts compiles the training plan of the reference
// FNN and CNN (CIFAR-10 size, batch 32, Adam) with and without fusion and
// checks what fusion does to a step: every BiasAdd and every elementwise
// Activation of the forward pass folds into a product's epilogue or a
// batch norm (checkFusedStep has the rest), and the recorded dispatches
// and barriers drop (logged with -v; docs/TUNING.md records them).
func TestReferenceFusionCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	b := openBackend(t)
	const batch = 32
	for _, name := range []string{"fnn", "cnn"} {
		t.Run(name, func(t *testing.T) {
			plan := referencePlan(t, b, name, batch)
			for _, op := range fuseBNActivation(fuseEpilogue(plan.Routines[tensor.Train])) {
				switch o := op.(type) {
				case tensor.BiasAdd:
					t.Errorf("a BiasAdd was left unfused: %+v", o)
				case tensor.Activation:
					if o.Fn != tensor.Softmax {
						t.Errorf("an elementwise Activation was left unfused: %+v", o)
					}
				}
			}
			checkFusedStep(t, plan)
			checkUpdateDispatches(t, b, plan)
			counts := func(r tensor.Routine) (fused, unfused Counts) {
				c := compileGPU(t, b, plan).cmds[r].Counts()
				noFusion = true
				defer func() { noFusion = false }()
				u := compileGPU(t, b, plan).cmds[r].Counts()
				return Counts{c.Dispatches, c.Barriers}, Counts{u.Dispatches, u.Barriers}
			}
			for _, r := range []tensor.Routine{tensor.Train, tensor.Eval} {
				f, u := counts(r)
				t.Logf("%s batch %d %v step: fused %d dispatches, %d barriers; unfused %d dispatches, %d barriers",
					name, batch, r, f.Dispatches, f.Barriers, u.Dispatches, u.Barriers)
				if f.Dispatches >= u.Dispatches || f.Barriers > u.Barriers {
					t.Errorf("%v: fusion left %+v of %+v", r, f, u)
				}
			}
		})
	}
}

// referencePlan is the plan Fit compiles for the reference model name.
func referencePlan(t *testing.T, b *Backend, name string, batch int) *tensor.Plan {
	t.Helper()
	m, err := models.Build(name, models.CIFAR10)
	must(t, err)
	defer m.Close()
	k := &planKeeper{Backend: b}
	must(t, m.SetBackend(k))
	must(t, m.Compile(nn.Adam(0.001), "categorical_crossentropy", "accuracy"))
	x, y, err := selftest.RandomImages(models.CIFAR10, batch)
	must(t, err)
	if _, err := m.Fit(context.Background(), x, y, nn.FitOptions{BatchSize: batch, Epochs: 1, Seed: 1, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if len(k.plans) == 0 {
		t.Fatal("Fit compiled no plan")
	}
	return k.plans[0]
}

// checkFusedStep checks the other fusions of issue 13 on a training plan:
// every batch norm followed by a rectifier runs fused both ways (bnAct,
// actBNBackward); every Adam update is in one group, whose dispatches
// (checkUpdateDispatches counts them) share one barrier; and each layer's bias
// gradient shares the barrier of the weight gradient before it.
func checkFusedStep(t *testing.T, plan *tensor.Plan) {
	t.Helper()
	ops := groupUpdates(fuseBNActivation(fuseEpilogue(plan.Routines[tensor.Train])), 1+4*multiTensors)
	need := barrierPlan(ops)
	var bns, fwd, bwd, groups, loose, updates int
	for _, op := range plan.Routines[tensor.Train] {
		switch op.(type) {
		case tensor.BatchNormTrain:
			bns++
		case tensor.AdamUpdate:
			updates++
		}
	}
	for i, op := range ops {
		switch o := op.(type) {
		case bnAct:
			fwd++
		case actBNBackward:
			bwd++
		case updateGroup:
			groups++
			if len(o.ops) != updates {
				t.Errorf("an update group of %d of the %d updates", len(o.ops), updates)
			}
		case tensor.AdamUpdate:
			loose++
		case tensor.BiasGrad:
			if need[i] {
				t.Errorf("op %d: a BiasGrad behind a barrier of its own", i)
			}
		}
	}
	if fwd != bns || bwd != bns {
		t.Errorf("%d batch norms; %d fused with their rectifier forward, %d backward", bns, fwd, bwd)
	}
	if groups != 1 || loose != 0 {
		t.Errorf("Adam: %d groups and %d updates alone, want every update in one group", groups, loose)
	}
	t.Logf("%d batch norms fused both ways; %d Adam updates in one group behind one barrier", bns, updates)
}

// checkUpdateDispatches checks how many dispatches the compiled training
// step spends on its one Adam update group: one where the device has
// buffer addresses (the *_bda shader), and one per multiTensors updates on
// the *_multi path, which it also compiles (the reference CNN's 22 updates
// took 4 dispatches before the *_bda shaders, 1 now on lavapipe; its train
// step 74 dispatches, now 71: docs/TUNING.md).
func checkUpdateDispatches(t *testing.T, b *Backend, plan *tensor.Plan) {
	t.Helper()
	dispatches := func() (n, updates int) {
		prog := compileGPU(t, b, plan)
		ops := groupUpdates(fuseBNActivation(fuseEpilogue(plan.Routines[tensor.Train])), b.dev.Limits().MaxBindings)
		for i, op := range ops {
			if g, ok := op.(updateGroup); ok {
				return len(prog.kernels[tensor.Train][i].(*launches).list), len(g.ops)
			}
		}
		t.Fatal("no update group")
		return 0, 0
	}
	if b.dev.Info().BufferAddress {
		if n, updates := dispatches(); n != 1 {
			t.Errorf("*_bda: %d updates in %d dispatches, want 1", updates, n)
		}
	}
	noBufferAddress = true
	defer func() { noBufferAddress = false }()
	n, updates := dispatches()
	if want := (updates + multiTensors - 1) / multiTensors; n != want {
		t.Errorf("*_multi: %d updates in %d dispatches, want %d", updates, n, want)
	}
	t.Logf("%d Adam updates: 1 dispatch with buffer addresses (%v), %d without", updates, b.dev.Info().BufferAddress, n)
}
