package main

import (
	"fmt"

	"github.com/anvil-ml/anvil/nn"
)

// setPrecision parses -precision into the dtype policy's Keras name.
func (o *options) setPrecision(flag string) error {
	switch flag {
	case "float32":
		o.Precision = nn.PolicyFloat32
	case "mixed":
		o.Precision = nn.PolicyMixedFloat16
	default:
		return fmt.Errorf("-precision %q: use float32 or mixed", flag)
	}
	return nil
}

// policy is the run's dtype policy, float32 unless set.
func (e e2eRun) policy() string {
	if e.precision == "" {
		return nn.PolicyFloat32
	}
	return e.precision
}

// modelCell names the model in the end-to-end table, with its precision
// when that is not float32.
func modelCell(r e2eResult) string {
	if r.Precision == "" || r.Precision == nn.PolicyFloat32 {
		return r.Model
	}
	return r.Model + " " + r.Precision
}
