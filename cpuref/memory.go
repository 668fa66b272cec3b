package cpuref

import (
	"fmt"

	"github.com/anvil-ml/anvil/internal/hostmem"
	"github.com/anvil-ml/anvil/tensor"
)

// A program's memory is the plan's buffers (tensor.Plan.Bytes) plus the
// scratch this backend adds: each worker's packed GEMM block, the packed
// operands the GEMMs share, and each worker's arena the kernels reserve
// while binding (im2col panels). Compile checks the total against the host's memory before it
// allocates, so that a batch or a model too large returns an error naming
// the sizes instead of killing the process.

// fixedScratchBytes is the scratch every program has whatever its plan.
func fixedScratchBytes() int64 {
	return int64(workers().size()) * workerScratch * 4
}

// scratchBytes is all the scratch of p once its kernels are bound.
func (p *program) scratchBytes() int64 {
	return fixedScratchBytes() + 4*(int64(p.packSize)+int64(workers().size())*int64(p.workerArenaSize))
}

// checkMemory fails when a plan's buffers and scratch exceed the host's
// memory budget (see package hostmem).
func checkMemory(plan *tensor.Plan, scratch int64) error {
	buffers := plan.Bytes() + emulatedHalfBytes(plan)
	what := fmt.Sprintf("cpu: the plan's buffers for batch %d (%s) and scratch (%s)", plan.Batch,
		hostmem.Format(buffers), hostmem.Format(scratch))
	return hostmem.Check(buffers+scratch, what, "the batch size or the model size")
}
