package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// checkPlanMemory refuses, before anything is allocated, a plan whose
// buffers cannot fit in the free space of the device's roomiest
// device-local heap even packed tightly; the allocator would otherwise
// fail part-way through, after allocating (and then freeing) the rest.
// Blocks round allocations up, so passing this check does not promise
// success; the allocator still reports what does not fit.
func checkPlanMemory(dev *vk.Device, plan *tensor.Plan) error {
	heap, ok := dev.RoomiestDeviceHeap()
	if !ok {
		return nil
	}
	sum := uint64(0)
	for i, b := range plan.Buffers {
		bytes := max(uint64(plan.Elems(tensor.BufferID(i)))*4, 4) // float32; resident data adds its element sizes
		if sum += bytes; sum > heap.Free() {
			oom := &OutOfMemoryError{Device: dev.Info().Name, Requested: bytes, InUse: heap.InUse, HeapSize: heap.Size}
			return fmt.Errorf("gpu: the plan's buffers need %s in all, and buffer %q (%s) is the first that does not fit: %w",
				vk.FormatBytes(uint64(plan.Bytes())), b.Name, vk.FormatBytes(bytes), oom)
		}
	}
	return nil
}
