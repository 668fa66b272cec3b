package cpuref

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/internal/hostmem"
	"github.com/anvil-ml/anvil/tensor"
)

// hugePlan is a plan whose one buffer needs bytes at batch size batch.
func hugePlan(batch, perSample int) *tensor.Plan {
	p := tensor.NewPlan(batch)
	p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{perSample})
	return p
}

// A plan larger than the host's memory is an error naming the sizes, not
// a fatal out-of-memory: 16 TiB exceeds any machine this runs on.
func TestCompileRefusesAPlanLargerThanMemory(t *testing.T) {
	_, err := New().Compile(hugePlan(1<<30, 4096))
	var e *hostmem.Error
	if !errors.As(err, &e) || e.Need < 16<<40 {
		t.Fatalf("Compile of a 16 TiB plan: %v", err)
	}
	for _, want := range []string{"batch 1073741824", "16.0 TiB", "host memory is available", "reduce the batch size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// The budget counts the backend's scratch as well as the buffers, and
// $ANVIL_MEMORY_LIMIT sets it: one byte less than both is refused.
func TestCompileCountsScratch(t *testing.T) {
	need := int64(4<<20) + fixedScratchBytes() // 4 MiB of buffers; no ops, so no kernel scratch
	t.Setenv(hostmem.EnvLimit, strconv.FormatInt(need, 10))
	if _, err := New().Compile(hugePlan(1024, 1024)); err != nil {
		t.Fatalf("a plan of exactly the budget: %v", err)
	}
	t.Setenv(hostmem.EnvLimit, strconv.FormatInt(need-1, 10))
	_, err := New().Compile(hugePlan(1024, 1024))
	var e *hostmem.Error
	if !errors.As(err, &e) || e.Need != need {
		t.Fatalf("buffers and scratch one byte over the budget: %v", err)
	}
}
