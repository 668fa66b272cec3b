package gpu

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestEveryOpHasAKernel: the dispatch switch binds every op type tensor
// declares.
func TestEveryOpHasAKernel(t *testing.T) {
	for _, op := range tensor.AllOps() {
		if !hasKernel(op) {
			t.Errorf("no kernel for %T", op)
		}
	}
}
