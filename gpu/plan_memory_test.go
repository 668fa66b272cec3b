package gpu

import (
	"errors"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// A plan larger than the device's free memory is refused from its
// estimate before any buffer is allocated, with the plan's total and the
// first buffer that does not fit.
func TestCompileChecksThePlansMemoryFirst(t *testing.T) {
	b := openBackend(t)
	dev := b.dev
	inUse := dev.MemoryInUse()
	p := tensor.NewPlan(1 << 20)
	x := p.AddBuffer("embedding", tensor.ActivationBuffer, true, tensor.Shape{1 << 22}) // 16 TiB
	p.Emit(tensor.Train, tensor.Activation{Fn: tensor.ReLU, X: x, Y: x, Size: 1 << 22})
	_, err := b.Compile(p)
	var oom *OutOfMemoryError
	if !errors.As(err, &oom) || oom.Requested != 16<<40 {
		t.Fatalf("Compile of a 16 TiB plan: %v", err)
	}
	for _, want := range []string{"16.0 TiB in all", `buffer "embedding" (16.0 TiB) is the first that does not fit`, "reduce the batch size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if dev.MemoryInUse() != inUse {
		t.Errorf("memory in use went from %d to %d bytes", inUse, dev.MemoryInUse())
	}
}
