package main

import "github.com/anvil-ml/anvil/nn"

// fitVerbose maps -verbose (Keras's 0, 1, 2) onto FitOptions.Verbose,
// whose zero value means Keras's default rather than silent.
func fitVerbose(v int) int {
	if v == 0 {
		return nn.Silent
	}
	return v
}
