package gpu

import (
	"reflect"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestEveryOpHasAKernel: a kernel factory is registered for every op type
// tensor declares.
func TestEveryOpHasAKernel(t *testing.T) {
	for _, op := range tensor.AllOps() {
		if kernelFactories[reflect.TypeOf(op)] == nil {
			t.Errorf("no kernel for %T", op)
		}
	}
}
