package cpuref

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestEveryOpHasAKernel: the backend binds every op type tensor declares.
func TestEveryOpHasAKernel(t *testing.T) {
	for _, op := range tensor.AllOps() {
		if binder(op) == nil {
			t.Errorf("no kernel for %T", op)
		}
	}
	if binder(badOp{}) != nil {
		t.Error("an op type from outside tensor has a kernel")
	}
}
