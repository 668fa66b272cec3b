package nn

import (
	"fmt"
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// AdamWOptimizer is Keras's AdamW: Adam with decoupled weight decay. Each
// step first shrinks every trainable variable, variable −= variable·
// WeightDecay·lr (biases included, as Keras does unless told to exclude
// them), then applies Adam's update to the shrunk variable.
type AdamWOptimizer struct {
	AdamOptimizer
	WeightDecay float32
}

// AdamW returns AdamW with the given learning rate and Keras's other
// defaults: weight_decay 0.004, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
// Keras's default rate is 0.001.
func AdamW(learningRate float32) *AdamWOptimizer {
	return &AdamWOptimizer{AdamOptimizer: *Adam(learningRate), WeightDecay: 0.004}
}

// Name implements Optimizer.
func (o *AdamWOptimizer) Name() string { return "AdamW" }

// Config implements Optimizer.
func (o *AdamWOptimizer) Config() map[string]any {
	c := o.AdamOptimizer.Config()
	c["weight_decay"] = o.WeightDecay
	return c
}

func (o *AdamWOptimizer) update(p, g tensor.BufferID, s []tensor.BufferID, n int) tensor.Op {
	u := o.AdamOptimizer.update(p, g, s, n).(tensor.AdamUpdate)
	u.WeightDecay = o.WeightDecay
	return u
}

// check rejects a decay no run can use.
func (o *AdamWOptimizer) check() error {
	if wd := float64(o.WeightDecay); !(wd >= 0) || math.IsInf(wd, 0) {
		return fmt.Errorf("AdamW weight_decay %v must be a finite number ≥ 0", o.WeightDecay)
	}
	return nil
}

// NadamOptimizer is Keras 3's Nadam: Adam with Nesterov momentum and
// Dozat's momentum schedule u_t = beta_1·(1 − 0.5·0.96^t). Besides each
// variable's moments it keeps the running product of the u_t (Keras's
// u_product), as a two-value slot per variable (see tensor.NadamUpdate).
type NadamOptimizer struct {
	LR, Beta1, Beta2, Epsilon float32
	// Schedule, when set, gives the rate of every step (Keras's
	// learning_rate=schedule); LR then holds the latest step's rate.
	Schedule LearningRateSchedule
	Clipping
}

// Nadam returns Nadam with the given learning rate and Keras's other
// defaults: beta_1 0.9, beta_2 0.999, epsilon 1e-7. Keras's default rate
// is 0.001.
func Nadam(learningRate float32) *NadamOptimizer {
	return &NadamOptimizer{LR: learningRate, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// Name implements Optimizer.
func (o *NadamOptimizer) Name() string { return "Nadam" }

// LearningRate implements Optimizer.
func (o *NadamOptimizer) LearningRate() float32 { return o.LR }

// SetLearningRate implements Optimizer.
func (o *NadamOptimizer) SetLearningRate(rate float32) { o.LR = rate }

func (o *NadamOptimizer) schedule() LearningRateSchedule { return o.Schedule }

// Config implements Optimizer.
func (o *NadamOptimizer) Config() map[string]any {
	return o.clipConfig(map[string]any{"learning_rate": learningRateConfig(o.LR, o.Schedule), "beta_1": o.Beta1, "beta_2": o.Beta2, "epsilon": o.Epsilon})
}

func (o *NadamOptimizer) slots() []string { return []string{"m", "v", "u_product"} }

// slotShape implements slotShaper: u_product is two values whatever the
// variable's shape.
func (o *NadamOptimizer) slotShape(name string, v tensor.Shape) tensor.Shape {
	if name == "u_product" {
		return tensor.Shape{tensor.NadamProductSize}
	}
	return v
}

func (o *NadamOptimizer) update(p, g tensor.BufferID, s []tensor.BufferID, n int) tensor.Op {
	return tensor.NadamUpdate{Param: p, Grad: g, M: s[0], V: s[1], Product: s[2], Size: n,
		Beta1: o.Beta1, Beta2: o.Beta2, Epsilon: o.Epsilon}
}

// slotShaper is an optimizer with a slot not shaped as its variable.
type slotShaper interface {
	slotShape(name string, v tensor.Shape) tensor.Shape
}

// slotShape is the shape of optimizer o's slot name for a variable of
// shape v: v itself unless o says otherwise.
func slotShape(o Optimizer, name string, v tensor.Shape) tensor.Shape {
	if s, ok := o.(slotShaper); ok {
		return s.slotShape(name, v)
	}
	return v
}
