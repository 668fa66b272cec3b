package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/format/kerasjson"
	"github.com/anvil-ml/anvil/tensor"
)

// Mixed precision, Keras's "mixed_float16" policy: variables stay float32
// (the master weights the optimizer updates); the products (MatMul, the
// convolutions) read their operands rounded to float16 and accumulate in
// float32; everything else, the final softmax and the loss included, runs
// in float32. Dynamic loss scaling follows keras.optimizers.
// LossScaleOptimizer: the loss gradient is multiplied by the scale
// (initially 2^15), the weight gradients divided by it; a step whose
// gradients are not all finite is skipped and halves the scale, and 2000
// finite steps in a row double it. The whole rule runs on the backend
// (tensor/ops_mixed.go), so no step waits for the host.
//
// One difference from Keras: a skipped step still counts in the optimizer's
// step number (Adam's bias correction), because the step number travels in
// StepArgs from the host, which does not know that the step was skipped.

// Keras's LossScaleOptimizer defaults.
const (
	defaultInitialLossScale = 1 << 15
	defaultGrowthSteps      = 2000
)

// PolicyMixedFloat16 and PolicyFloat32 are the dtype policies' Keras names.
const (
	PolicyMixedFloat16 = kerasjson.PolicyMixedFloat16
	PolicyFloat32      = kerasjson.PolicyFloat32
)

// CompileOption sets one option of CompileWith.
type CompileOption struct {
	apply func(*compiled) error
}

// mixedPrecision is the compiled mixed-precision policy and the loss
// scale's host copy (scale, finite-step count) while no program holds it.
type mixedPrecision struct {
	growthSteps int
	scale       [tensor.LossScaleSize]float32
}

// WithMixedPrecision compiles the model under the "mixed_float16" policy
// with Keras's dynamic loss scaling (initial scale 2^15, growth every 2000
// finite steps).
func WithMixedPrecision() CompileOption {
	return CompileOption{apply: func(c *compiled) error {
		c.mixed = newMixedPrecision()
		return nil
	}}
}

// newMixedPrecision is the mixed policy with Keras's loss-scale defaults.
func newMixedPrecision() *mixedPrecision {
	return &mixedPrecision{growthSteps: defaultGrowthSteps, scale: [2]float32{defaultInitialLossScale, 0}}
}

// WithLossScale sets the dynamic loss scale's initial value and the number
// of finite steps after which it doubles (Keras's initial_scale and
// dynamic_growth_steps); it implies WithMixedPrecision.
func WithLossScale(initial float32, growthSteps int) CompileOption {
	return CompileOption{apply: func(c *compiled) error {
		if !(initial > 0) || initial > 1<<60 {
			return fmt.Errorf("initial loss scale %v must be positive and at most 2^60", initial)
		}
		if growthSteps <= 0 || growthSteps > 1<<24 {
			return fmt.Errorf("loss scale growth steps %d must be in 1..16777216", growthSteps)
		}
		c.mixed = &mixedPrecision{growthSteps: growthSteps, scale: [2]float32{initial, 0}}
		return nil
	}}
}

// CompileWith is Compile with options, e.g.
// m.CompileWith(nn.Adam(5e-4), "categorical_crossentropy", []string{"accuracy"}, nn.WithMixedPrecision()).
func (m *Model) CompileWith(opt Optimizer, loss string, metrics []string, opts ...CompileOption) error {
	if err := m.Compile(opt, loss, metrics...); err != nil {
		return err
	}
	for _, o := range opts {
		if err := o.apply(m.compiled); err != nil {
			m.compiled = nil
			return fmt.Errorf("compile %q: %w", m.name, err)
		}
	}
	return nil
}

// Precision returns the model's dtype policy, "mixed_float16" or
// "float32": the compiled one, or before Compile the one its layers ask
// for (mixed_policy.go; a model loaded from a mixed_float16 Keras file).
func (m *Model) Precision() string {
	if m.compiled == nil {
		return m.layersPolicy()
	}
	if m.compiled.mixed != nil {
		return PolicyMixedFloat16
	}
	return PolicyFloat32
}

// LossScale returns the current dynamic loss scale, 0 when the model is
// not compiled with mixed precision.
func (m *Model) LossScale() (float32, error) {
	if m.compiled == nil || m.compiled.mixed == nil {
		return 0, nil
	}
	if err := m.syncLossScale(); err != nil {
		return 0, err
	}
	return m.compiled.mixed.scale[0], nil
}

// lossScaleBufs are the plan buffers of loss scaling.
type lossScaleBufs struct {
	scale, found tensor.BufferID
	// share is the replica's share of the global batch in a data-parallel
	// program's gradient half (mixed_parallel.go); NoBuffer elsewhere.
	share tensor.BufferID
}

// uploadLossScale writes the loss scale's host copy to a new program.
func (m *Model) uploadLossScale() error {
	r := m.run
	if m.compiled == nil || m.compiled.mixed == nil || r.low.lossScale.scale == tensor.NoBuffer {
		return nil
	}
	if err := r.prog.Write(r.low.lossScale.scale, m.compiled.mixed.scale[:]); err != nil {
		return fmt.Errorf("upload the loss scale: %w", err)
	}
	if err := r.prog.Write(r.low.lossScale.found, []float32{0}); err != nil {
		return fmt.Errorf("upload the loss scale: %w", err)
	}
	return nil
}

// syncLossScale copies the program's loss scale to the host copy.
func (m *Model) syncLossScale() error {
	r := m.run
	if r == nil || m.compiled == nil || m.compiled.mixed == nil || r.low.lossScale.scale == tensor.NoBuffer {
		return nil
	}
	if err := r.prog.Read(r.low.lossScale.scale, m.compiled.mixed.scale[:]); err != nil {
		return fmt.Errorf("download the loss scale: %w", err)
	}
	return nil
}

// SetPrecision switches a compiled model's dtype policy: "mixed_float16"
// (as WithMixedPrecision, with a fresh loss scale) or "float32". Weights
// and optimizer state carry over; the next step compiles a new plan.
func (m *Model) SetPrecision(policy string) error {
	if m.compiled == nil {
		return fmt.Errorf("model %q: compile the model before setting its precision", m.name)
	}
	var opt CompileOption
	switch policy {
	case PolicyMixedFloat16:
		if m.compiled.mixed != nil {
			return nil
		}
		opt = WithMixedPrecision()
	case PolicyFloat32:
		if m.compiled.mixed == nil {
			return nil
		}
		opt = CompileOption{apply: func(c *compiled) error { c.mixed = nil; return nil }}
	default:
		return fmt.Errorf("model %q: unknown precision policy %q: use %q or %q", m.name, policy, PolicyMixedFloat16, PolicyFloat32)
	}
	if err := m.closeRunner(); err != nil {
		return err
	}
	return opt.apply(m.compiled)
}
