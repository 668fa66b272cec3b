package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// Optimizer updates trainable variables from their gradients. The update
// itself is an op in the training step, so it runs on the backend.
type Optimizer interface {
	// Name is the Keras class name: "SGD", "Adam", "RMSprop", "AdamW",
	// "Nadam".
	Name() string
	// LearningRate is the rate the next step uses.
	LearningRate() float32
	// SetLearningRate sets the rate of the steps that follow, for every
	// optimizer alike (a schedule or a command line flag sets it this way).
	SetLearningRate(rate float32)
	// Config returns the optimizer's settings under Keras's names.
	Config() map[string]any
	// slots names the state buffers each variable needs.
	slots() []string
	// update returns the op that updates one variable.
	update(param, grad tensor.BufferID, slots []tensor.BufferID, size int) tensor.Op
	// clipping is the gradient clipping before the updates.
	clipping() Clipping
}

// SGDOptimizer is stochastic gradient descent, optionally with (Nesterov)
// momentum.
type SGDOptimizer struct {
	LR       float32
	Momentum float32
	Nesterov bool
	// Schedule, when set, gives the rate of every step (Keras's
	// learning_rate=schedule); LR then holds the latest step's rate.
	Schedule LearningRateSchedule
	Clipping
}

// SGD returns Keras's SGD defaults: learning rate 0.01, no momentum.
func SGD() *SGDOptimizer { return &SGDOptimizer{LR: 0.01} }

// Name implements Optimizer.
func (o *SGDOptimizer) Name() string { return "SGD" }

// LearningRate implements Optimizer.
func (o *SGDOptimizer) LearningRate() float32 { return o.LR }

// SetLearningRate implements Optimizer.
func (o *SGDOptimizer) SetLearningRate(rate float32) { o.LR = rate }

func (o *SGDOptimizer) schedule() LearningRateSchedule { return o.Schedule }

// Config implements Optimizer.
func (o *SGDOptimizer) Config() map[string]any {
	return o.clipConfig(map[string]any{"learning_rate": learningRateConfig(o.LR, o.Schedule), "momentum": o.Momentum, "nesterov": o.Nesterov})
}

func (o *SGDOptimizer) slots() []string {
	if o.Momentum == 0 {
		return nil
	}
	return []string{"momentum"}
}

func (o *SGDOptimizer) update(p, g tensor.BufferID, s []tensor.BufferID, n int) tensor.Op {
	v := tensor.NoBuffer
	if len(s) > 0 {
		v = s[0]
	}
	return tensor.SGDUpdate{Param: p, Grad: g, Velocity: v, Size: n, Momentum: o.Momentum, Nesterov: o.Nesterov}
}

// AdamOptimizer is Adam (Kingma & Ba) in Keras's formulation.
type AdamOptimizer struct {
	LR, Beta1, Beta2, Epsilon float32
	// Schedule, when set, gives the rate of every step (Keras's
	// learning_rate=schedule); LR then holds the latest step's rate.
	Schedule LearningRateSchedule
	Clipping
}

// Adam returns Adam with the given learning rate and Keras's other
// defaults: beta_1 0.9, beta_2 0.999, epsilon 1e-7. Keras's default rate is
// 0.001.
func Adam(learningRate float32) *AdamOptimizer {
	return &AdamOptimizer{LR: learningRate, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// Name implements Optimizer.
func (o *AdamOptimizer) Name() string { return "Adam" }

// LearningRate implements Optimizer.
func (o *AdamOptimizer) LearningRate() float32 { return o.LR }

// SetLearningRate implements Optimizer.
func (o *AdamOptimizer) SetLearningRate(rate float32) { o.LR = rate }

func (o *AdamOptimizer) schedule() LearningRateSchedule { return o.Schedule }

// Config implements Optimizer.
func (o *AdamOptimizer) Config() map[string]any {
	return o.clipConfig(map[string]any{"learning_rate": learningRateConfig(o.LR, o.Schedule), "beta_1": o.Beta1, "beta_2": o.Beta2, "epsilon": o.Epsilon})
}

func (o *AdamOptimizer) slots() []string { return []string{"m", "v"} }

func (o *AdamOptimizer) update(p, g tensor.BufferID, s []tensor.BufferID, n int) tensor.Op {
	return tensor.AdamUpdate{Param: p, Grad: g, M: s[0], V: s[1], Size: n, Beta1: o.Beta1, Beta2: o.Beta2, Epsilon: o.Epsilon}
}

// RMSpropOptimizer is RMSprop in Keras's formulation.
type RMSpropOptimizer struct {
	LR, Rho, Momentum, Epsilon float32
	// Schedule, when set, gives the rate of every step (Keras's
	// learning_rate=schedule); LR then holds the latest step's rate.
	Schedule LearningRateSchedule
	Clipping
}

// RMSprop returns RMSprop with the given learning rate and Keras's other
// defaults: rho 0.9, momentum 0, epsilon 1e-7. Keras's default rate is
// 0.001.
func RMSprop(learningRate float32) *RMSpropOptimizer {
	return &RMSpropOptimizer{LR: learningRate, Rho: 0.9, Epsilon: 1e-7}
}

// Name implements Optimizer.
func (o *RMSpropOptimizer) Name() string { return "RMSprop" }

// LearningRate implements Optimizer.
func (o *RMSpropOptimizer) LearningRate() float32 { return o.LR }

// SetLearningRate implements Optimizer.
func (o *RMSpropOptimizer) SetLearningRate(rate float32) { o.LR = rate }

func (o *RMSpropOptimizer) schedule() LearningRateSchedule { return o.Schedule }

// Config implements Optimizer.
func (o *RMSpropOptimizer) Config() map[string]any {
	return o.clipConfig(map[string]any{"learning_rate": learningRateConfig(o.LR, o.Schedule), "rho": o.Rho, "momentum": o.Momentum, "epsilon": o.Epsilon})
}

func (o *RMSpropOptimizer) slots() []string {
	if o.Momentum == 0 {
		return []string{"rms"}
	}
	return []string{"rms", "momentum"}
}

func (o *RMSpropOptimizer) update(p, g tensor.BufferID, s []tensor.BufferID, n int) tensor.Op {
	v := tensor.NoBuffer
	if len(s) > 1 {
		v = s[1]
	}
	return tensor.RMSpropUpdate{Param: p, Grad: g, MeanSquare: s[0], Velocity: v, Size: n,
		Rho: o.Rho, Momentum: o.Momentum, Epsilon: o.Epsilon}
}

// OptimizerByName returns an optimizer with Keras's defaults for "sgd",
// "adam", "rmsprop", "adamw" or "nadam".
func OptimizerByName(name string) (Optimizer, error) {
	switch name {
	case "sgd", "SGD":
		return SGD(), nil
	case "adam", "Adam":
		return Adam(0.001), nil
	case "rmsprop", "RMSprop":
		return RMSprop(0.001), nil
	case "adamw", "AdamW":
		return AdamW(0.001), nil
	case "nadam", "Nadam":
		return Nadam(0.001), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (known: sgd, adam, rmsprop, adamw, nadam)", name)
}

// checkOptimizer rejects settings no update rule can use.
func checkOptimizer(o Optimizer) error {
	if o == nil {
		return fmt.Errorf("no optimizer given")
	}
	if err := o.clipping().check(); err != nil {
		return fmt.Errorf("%s: %w", o.Name(), err)
	}
	if c, ok := o.(interface{ check() error }); ok {
		if err := c.check(); err != nil {
			return err
		}
	}
	if hasSchedule(o) {
		if err := checkSchedule(o.(scheduled).schedule()); err != nil {
			return fmt.Errorf("%s learning rate: %w", o.Name(), err)
		}
		return nil
	}
	if lr := o.LearningRate(); !(lr > 0) {
		return fmt.Errorf("%s learning rate %v must be positive", o.Name(), lr)
	}
	return nil
}
