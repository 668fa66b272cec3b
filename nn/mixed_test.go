package nn

import (
	"context"
	"math"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// flatWeights flattens a model's current weights.
func flatWeights(t *testing.T, m *Model) []float32 {
	t.Helper()
	var out []float32
	for _, w := range weightsOf(t, m) {
		out = append(out, w.Data...)
	}
	return out
}

// TestMixedLossScaleDynamics trains one step at a time from a loss scale so
// large that the loss gradient overflows float16, and checks Keras's rule
// step by step: a step whose weights did not move must have halved the
// scale (and left the weights bit-identical), a step that trained keeps
// the scale or doubles it on every third finite step in a row. Both must
// happen.
func TestMixedLossScaleDynamics(t *testing.T) {
	ClearSession()
	x := mustTensor(t, []float32{-1, 0, 1, 2, 3, 4}, 6, 1)
	y := mustTensor(t, []float32{-3, -1, 1, 3, 5, 7}, 6, 1)
	m, err := NewSequential(Dense(1, WithInputShape(1)))
	if err != nil {
		t.Fatal(err)
	}
	const growth = 3
	if err := m.CompileWith(SGD(), "mse", nil, WithLossScale(1<<30, growth)); err != nil {
		t.Fatal(err)
	}
	skips, grows, finiteRun := 0, 0, 0
	for step := 0; step < 40; step++ {
		before := flatWeights(t, m)
		s0, err := m.LossScale()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 1, BatchSize: 6}); err != nil {
			t.Fatal(err)
		}
		after := flatWeights(t, m)
		s1, err := m.LossScale()
		if err != nil {
			t.Fatal(err)
		}
		moved := false
		for i := range before {
			moved = moved || before[i] != after[i]
		}
		switch {
		case !moved:
			skips++
			finiteRun = 0
			if s1 != s0/2 {
				t.Fatalf("step %d skipped (weights unchanged) but the scale went %g → %g, want halved", step, s0, s1)
			}
		case finiteRun+1 == growth:
			grows++
			finiteRun = 0
			if s1 != 2*s0 {
				t.Fatalf("step %d is finite step %d in a row, scale went %g → %g, want doubled", step, growth, s0, s1)
			}
		default:
			finiteRun++
			if s1 != s0 {
				t.Fatalf("step %d trained, scale went %g → %g, want unchanged", step, s0, s1)
			}
		}
	}
	t.Logf("40 steps: %d skipped, %d grew the scale", skips, grows)
	if skips == 0 || grows == 0 {
		t.Fatalf("in 40 steps %d skips and %d growths; the test needs both", skips, grows)
	}
	// The scale the float16 gradients allow: the step that overflows has
	// |dLoss|·scale above 65504, so the scale settles within a factor 4 of it.
	if s, _ := m.LossScale(); s > 1<<20 || s < 1 {
		t.Errorf("loss scale settled at %g, want it between 1 and 2^20", s)
	}
}

// TestMixedPlanCastsProducts checks the lowering: every MatMul reads
// float16 operands written by a Cast, the float32 policy's plan has none,
// and the Train routine scales the loss gradient and ends with the scale
// update.
func TestMixedPlanCastsProducts(t *testing.T) {
	ClearSession()
	build := func(opts ...CompileOption) *tensor.Plan {
		m, err := NewSequential(Dense(4, WithActivation("relu"), WithInputShape(3)), Dense(2, WithActivation("softmax")))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.CompileWith(Adam(0.01), "categorical_crossentropy", []string{"accuracy"}, opts...); err != nil {
			t.Fatal(err)
		}
		low := m.lower(8, m.defaultSpecs())
		if err := low.plan.Validate(); err != nil {
			t.Fatal(err)
		}
		return low.plan
	}
	for _, op := range build().Routines[tensor.Train] {
		if _, ok := op.(tensor.Cast); ok {
			t.Fatal("the float32 policy's plan has a Cast")
		}
	}
	p := build(WithMixedPrecision())
	train := p.Routines[tensor.Train]
	matmuls, scaled := 0, false
	for _, op := range train {
		switch o := op.(type) {
		case tensor.MatMul:
			matmuls++
			if p.Buffers[o.A].DType != tensor.Float16 || p.Buffers[o.B].DType != tensor.Float16 {
				t.Errorf("MatMul reads %q (%v) and %q (%v), want float16", p.Buffers[o.A].Name, p.Buffers[o.A].DType, p.Buffers[o.B].Name, p.Buffers[o.B].DType)
			}
		case tensor.ApplyLossScale:
			scaled = true
		}
	}
	if matmuls != 2*3-1 { // two forward, two weight gradients, one input gradient
		t.Errorf("%d MatMuls in Train, want 5", matmuls)
	}
	if !scaled {
		t.Error("Train does not scale the loss gradient")
	}
	if _, ok := train[len(train)-1].(tensor.UpdateLossScale); !ok {
		t.Errorf("Train ends with %T, want UpdateLossScale", train[len(train)-1])
	}
}

// TestMixedFit trains the spiral under mixed precision: it must learn as
// the float32 model does (the float16 operands cost accuracy of about
// 2^-11 relative per product, far below what separates the classes).
func TestMixedFit(t *testing.T) {
	ClearSession()
	x, y := spiral(400)
	m, err := NewSequential(
		Dense(64, WithActivation("relu"), WithInputShape(2)),
		Dense(64, WithActivation("relu")),
		Dense(2, WithActivation("softmax")))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CompileWith(Adam(0.01), "sparse_categorical_crossentropy", []string{"accuracy"}, WithMixedPrecision()); err != nil {
		t.Fatal(err)
	}
	if m.Precision() != "mixed_float16" {
		t.Errorf("Precision() = %q, want mixed_float16", m.Precision())
	}
	h, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 200, BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := h.Last("loss")
	res, err := m.Evaluate(x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	if loss > 0.15 || math.IsNaN(loss) || res.Values[1] < 0.95 {
		t.Errorf("spiral in mixed precision: training loss %.4f, accuracy %.3f; want < 0.15 and ≥ 0.95", loss, res.Values[1])
	}
	// 2600 steps: the scale doubles to 2^16 at step 2000, where a step soon
	// overflows float16 and halves it back (the run ends at 2^15 with 598
	// finite steps counted). A scale that collapsed would mean steps
	// skipped without cause.
	if s, _ := m.LossScale(); s < 1<<14 || s > 1<<16 || s != float32(math.Exp2(math.Round(math.Log2(float64(s))))) {
		t.Errorf("loss scale %g after training, want a power of two between 2^14 and 2^16", s)
	}
}

// TestMixedRegularizerAndClipping: a kernel regularizer's gradient joins
// the scaled gradient at the scale's strength (not 2^15 times weaker), and
// clipping acts on the unscaled gradient. With L2 100 and a learning rate
// of 1e-3 the penalty shrinks each weight by 20% a step; with clipnorm
// 0.01 and a learning rate of 1 every step moves the kernel by 0.01. The
// mixed runs must match the float32 ones to float16 accuracy; a penalty
// lost to the scale, or a clip applied before unscaling, would leave the
// weights where they started.
func TestMixedRegularizerAndClipping(t *testing.T) {
	x := mustTensor(t, []float32{0.5, -1, 0.25, 1, -0.5, 0.75, 1, 0.5}, 4, 2)
	y := mustTensor(t, []float32{1, 0, 0, 1, 1, 0, 0, 1}, 4, 2)
	defer SetRandomSeed(1) // the default, which later tests expect
	for _, c := range []struct {
		name     string
		lr, clip float32
		opts     []Option
	}{
		{"l2", 1e-3, 0, []Option{WithKernelRegularizer(L2(100))}},
		{"clipnorm", 1, 0.01, nil},
	} {
		var got [2][]float32
		for i, mixed := range []bool{false, true} {
			ClearSession()
			SetRandomSeed(3)
			m, err := NewSequential(Dense(2, append([]Option{WithActivation("softmax"), WithInputShape(2)}, c.opts...)...))
			if err != nil {
				t.Fatal(err)
			}
			opt := &SGDOptimizer{LR: c.lr}
			opt.ClipNorm = c.clip
			var opts []CompileOption
			if mixed {
				opts = append(opts, WithMixedPrecision())
			}
			if err := m.CompileWith(opt, "categorical_crossentropy", nil, opts...); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Fit(context.Background(), x, y, FitOptions{Verbose: Silent, Epochs: 5, BatchSize: 4}); err != nil {
				t.Fatal(err)
			}
			got[i] = flatWeights(t, m)
		}
		for i := range got[0] {
			if d := math.Abs(float64(got[1][i] - got[0][i])); d > 2e-3*math.Abs(float64(got[0][i]))+1e-4 {
				t.Errorf("%s: weight %d: mixed %v, float32 %v", c.name, i, got[1][i], got[0][i])
			}
		}
	}
}
