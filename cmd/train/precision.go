package main

import (
	"flag"
	"fmt"

	"github.com/anvil-ml/anvil/nn"
)

// addPrecisionFlag registers -precision.
func addPrecisionFlag(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.precision, "precision", "float32", "float32, or mixed: Keras's mixed_float16 policy (float16 operands for the "+
		"products, float32 weights and sums, dynamic loss scaling); when not given, a -model file or folder and a -resume "+
		"checkpoint keep the policy they were saved with")
}

// validatePrecision rejects an unknown -precision before any data is loaded.
func (o *options) validatePrecision() error {
	if !oneOf(o.precision, "float32", "mixed") {
		return fmt.Errorf("-precision %q: use float32 or mixed", o.precision)
	}
	return nil
}

// policy is -precision's Keras dtype policy name.
func (o *options) policy() string {
	if o.precision == "mixed" {
		return nn.PolicyMixedFloat16
	}
	return nn.PolicyFloat32
}

// applyPrecision sets the compiled (or resumed) model's dtype policy when
// -precision is given. Without it the model keeps its own: float32 for a
// reference model, the policy its model.json names for a -model file or
// folder (a Keras mixed_float16 model trains mixed), and a resumed run's
// checkpoint's. A resumed mixed run keeps the loss scale its checkpoint
// holds (SetPrecision leaves a model already under the policy as it is).
func applyPrecision(m *nn.Model, o *options) error {
	if !o.given["precision"] {
		return nil
	}
	return m.SetPrecision(o.policy())
}
